"""A real SMTP server on loopback, for `pyxl demo` and for the tests of everything that sends mail.

`MailRecorder` keeps every message it accepts (and, given a folder, writes
each one there as an .eml file, which is what the demo leaves to look at);
`LoopbackMailServer` runs any aiosmtpd handler on a free port of 127.0.0.1.
A test that needs a server which refuses, drops or demands a login subclasses
the recorder and passes aiosmtpd's own options through.
"""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from pyxl.common.files import write_bytes_atomic


class MailRecorder:
    """aiosmtpd handler: every accepted message as (envelope recipients, bytes), optionally also as a numbered .eml."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = None if folder is None else Path(folder)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        data = envelope.original_content or envelope.content
        self.messages.append((list(envelope.rcpt_tos), data))
        number = len(self.messages)
        if self.folder is not None:
            write_bytes_atomic(self.folder / f"{number:04d}.eml", data)
        # the queue id a real server answers with: the send ledger keeps it as proof of delivery
        return f"250 2.0.0 Ok: queued as Q{number:04d}"

    def received(self) -> list[tuple[list[str], EmailMessage]]:
        """The messages parsed, each with its envelope recipients."""
        return [(to, email.message_from_bytes(data, policy=email.policy.default)) for to, data in self.messages]


def _free_port() -> int:
    # aiosmtpd's controller connects to its own port to check it started, so
    # it needs a real port number up front rather than 0.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopbackMailServer:
    """`with LoopbackMailServer(handler) as server:` — listens on 127.0.0.1:server.port.

    `options` go to aiosmtpd's Controller as they are (auth_required,
    authenticator, …).
    """

    def __init__(self, handler: Any, **options: Any) -> None:
        self.handler = handler
        self.port = _free_port()
        self._controller = Controller(handler, hostname="127.0.0.1", port=self.port, **options)

    def __enter__(self) -> "LoopbackMailServer":
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._controller.stop()
