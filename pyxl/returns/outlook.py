"""Outlook's saved messages (.msg): who sent them, when, and their attachments.

Outlook saves a message dragged out of it as a .msg file (an OLE compound
file of MAPI properties), not as .eml. `read_msg` reads one with the
maintained `extract-msg` library and gives back what `pyxl.returns.intake`
needs to treat it like a saved e-mail: the sender address, the time it was
sent (China time, naive, as the .eml path gives it), the Message-ID and the
attachments as (name, bytes). A message attached inside another (a forward)
comes back as the bytes of its own .msg, so intake unpacks it the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parseaddr, parsedate_to_datetime

CHINA_TIME = timezone(timedelta(hours=8))
# extract-msg logs every odd property it meets at WARNING: a unit's odd file is not the office's concern
logging.getLogger("extract_msg").setLevel(logging.ERROR)


class MsgUnreadable(Exception):
    """The bytes are not a readable Outlook message."""


@dataclass
class MsgContent:
    """What a .msg carries that intake uses."""

    sender: str = ""
    sent: datetime | None = None
    message_id: str = ""
    subject: str = ""
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


def _china_time(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA_TIME).replace(tzinfo=None)
    return moment


def read_msg(data: bytes) -> MsgContent:
    """Sender, time, Message-ID and attachments of an Outlook .msg; MsgUnreadable when it is not one."""
    import extract_msg  # imported here: reading .msg is rare and the library is large

    try:
        message = extract_msg.openMsg(data, strict=False)
    except Exception as error:  # olefile and extract-msg raise many kinds on a broken file
        raise MsgUnreadable(type(error).__name__) from None
    try:
        return _content(message)
    except Exception as error:
        raise MsgUnreadable(type(error).__name__) from None
    finally:
        message.close()


def _content(message) -> MsgContent:
    header = getattr(message, "header", None)
    sender = parseaddr(str(getattr(message, "sender", "") or ""))[1]
    if not sender and header is not None:
        sender = parseaddr(str(header.get("From", "")))[1]
    sent = getattr(message, "date", None)
    if sent is None and header is not None and header.get("Date"):
        try:
            sent = parsedate_to_datetime(str(header.get("Date")))
        except (TypeError, ValueError):
            sent = None
    if sent is None:
        sent = getattr(message, "receivedTime", None)
    content = MsgContent(
        sender=sender.lower(),
        sent=_china_time(sent),
        message_id=str(getattr(message, "messageId", "") or "").strip(),
        subject=str(getattr(message, "subject", "") or ""),
    )
    for index, attachment in enumerate(getattr(message, "attachments", []) or [], start=1):
        name = getattr(attachment, "longFilename", None) or getattr(attachment, "shortFilename", None) or f"附件{index}"
        data = attachment.data
        if isinstance(data, (bytes, bytearray)):
            content.attachments.append((str(name), bytes(data)))
        elif hasattr(data, "exportBytes"):  # an embedded message: hand it on as its own .msg
            name = str(name) if str(name).lower().endswith(".msg") else f"{name}.msg"
            # allowBadEmbed: some writers give an embedded message a top-level property header; read it anyway
            content.attachments.append((name, data.exportBytes(allowBadEmbed=True)))
    return content
