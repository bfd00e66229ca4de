"""Composing one mail: templates rendered strictly, Chinese names that every client shows.

Subjects and bodies come from jinja2 templates the office can edit
(`templates/mail/*.j2`); a variable the template names but we don't pass is
an error naming the template, never a silent blank in sixty mails.
"""

from __future__ import annotations

import base64
import email.policy
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import quote

import jinja2

from pyxl.common.errors import PyxlError

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Headers we build by hand (the attachment's) must go out exactly as written:
# the default policy would refold a long Content-Type into RFC 2231
# continuations and even encode the MIME type itself. Headers set through the
# API (Subject, From) are still folded and encoded by the policy.
POLICY = email.policy.SMTP.clone(refold_source="none")


class MailTemplates:
    """The mail templates of a workspace, rendered with StrictUndefined."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self._paths = paths
        self._environments: dict[Path, jinja2.Environment] = {}

    def render(self, name: str, **values: object) -> str:
        """Render template `name`; an unknown variable or a syntax error is a PyxlError naming the file."""
        path = self._paths[name]
        environment = self._environments.get(path.parent)
        if environment is None:
            environment = jinja2.Environment(
                loader=jinja2.FileSystemLoader(str(path.parent)),
                undefined=jinja2.StrictUndefined,
                keep_trailing_newline=True,
                autoescape=False,
            )
            self._environments[path.parent] = environment
        try:
            return environment.get_template(path.name).render(**values)
        except jinja2.UndefinedError as error:
            raise PyxlError(
                f"邮件模板 {path} 用到了未知的变量（{error.message}）：请改正模板，可用的变量有 {', '.join(sorted(values))}。"
            ) from None
        except jinja2.TemplateError as error:
            raise PyxlError(f"邮件模板 {path} 有语法错误（{error}）：请改正模板，或删除它以使用内置模板。") from None


def one_line(text: str) -> str:
    """A rendered subject: line breaks from the template become spaces."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Attachment:
    """A file to attach: its name, its bytes and its MIME type."""

    name: str  # as the unit sees it, Chinese
    data: bytes
    mimetype: str = XLSX_TYPE


def _encoded_words(text: str) -> list[str]:
    """RFC 2047 base64 encoded-words of at most 75 characters, each a whole number of characters."""
    words, chunk = [], ""
    for char in text:
        if len((chunk + char).encode("utf-8")) > 39:  # 39 bytes -> 52 base64 chars + 12 of =?UTF-8?B??=
            words.append(chunk)
            chunk = char
        else:
            chunk += char
    words.append(chunk)
    return ["=?UTF-8?B?" + base64.b64encode(w.encode("utf-8")).decode("ascii") + "?=" for w in words]


def _rfc2231_continuations(text: str) -> list[str]:
    pieces, chunk = [], ""
    for char in text:
        quoted = quote(char.encode("utf-8"), safe="")
        if len(chunk + quoted) > 54:
            pieces.append(chunk)
            chunk = quoted
        else:
            chunk += quoted
    pieces.append(chunk)
    return pieces


def attachment_part(attachment: Attachment) -> EmailMessage:
    """The MIME part of an attachment whose Chinese name displays in Outlook, Foxmail and QQ Mail.

    Why both encodings: the standard way to put a non-ASCII file name in a
    MIME parameter is RFC 2231 (`filename*=utf-8''%E5…`), and it is all that
    Python's email package writes by default. Outlook, Foxmail and QQ Mail,
    however, read the name from `name=` / `filename=` holding an RFC 2047
    encoded-word (`"=?UTF-8?B?…?="`) — which is also what Outlook, Foxmail
    and Gmail themselves send — and a message carrying only the RFC 2231 form
    arrives in QQ Mail as `tcmime.0001.bin` or as a nameless attachment.
    So, like mutt's compatibility mode, we write the encoded-word in both
    `name=` (Content-Type, the parameter Outlook reads) and `filename=`
    (Content-Disposition), and the RFC 2231 `filename*` after it for strictly
    conforming readers (Thunderbird, Apple Mail); a reader that does not know
    RFC 2231 ignores `filename*`. Each encoded-word holds whole UTF-8
    characters and stays under 75 characters, one per folded line.
    """
    words = "\r\n ".join(_encoded_words(attachment.name))
    continuations = _rfc2231_continuations(attachment.name)
    lines = [
        f"Content-Type: {attachment.mimetype};",
        f' name="{words}"',
        "Content-Disposition: attachment;",
        f' filename="{words}";',
    ]
    for index, piece in enumerate(continuations):
        prefix = "utf-8''" if index == 0 else ""
        end = ";" if index < len(continuations) - 1 else ""
        lines.append(f" filename*{index}*={prefix}{piece}{end}")
    lines.append("Content-Transfer-Encoding: base64")
    body = base64.encodebytes(attachment.data).decode("ascii").replace("\n", "\r\n")
    raw = ("\r\n".join(lines) + "\r\n\r\n" + body).encode("ascii")
    return BytesParser(policy=POLICY).parsebytes(raw)  # type: ignore[return-value]


def envelope_sender(sender: str) -> str:
    """The bare address of `督查室 <a@b>`; a sender without an address is a settings error."""
    address = parseaddr(sender)[1]
    if "@" not in address:
        raise PyxlError(f"config.yaml 中 mail.sender「{sender}」不是有效的发件地址：请写成 督查室 <duchashi@example.gov.cn>。")
    return address


def compose(
    sender: str,
    recipients: list[str],
    subject: str,
    body: str,
    attachment: Attachment | None,
    when: datetime | None,
    draft: bool = False,
) -> EmailMessage:
    """One message; `draft` adds `X-Unsent: 1` so Outlook opens the .eml as an unsent draft."""
    message = EmailMessage(policy=POLICY)
    name, address = parseaddr(sender)
    message["From"] = formataddr((name, address)) if name else address
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    if when is not None:
        message["Date"] = formatdate(when.timestamp(), localtime=True)
    message["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or None)
    if draft:
        message["X-Unsent"] = "1"
    # base64: mail relays and old gateways mangle 8-bit Chinese text in the body
    message.set_content(body, charset="utf-8", cte="base64")
    if attachment is not None:
        message.make_mixed()
        message.attach(attachment_part(attachment))
    return message


def to_bytes(message: EmailMessage) -> bytes:
    """The message as sent on the wire (CRLF line ends)."""
    return message.as_bytes(policy=POLICY)
