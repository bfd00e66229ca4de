"""A real SMTP server on loopback for `pyxl demo`: it keeps every message it receives as an .eml file."""

from __future__ import annotations

import itertools
import socket
from pathlib import Path

from aiosmtpd.controller import Controller

from pyxl.files import write_bytes_atomic


class _SaveToFolder:
    """aiosmtpd handler: one numbered .eml per accepted message."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        number = next(self.counter)
        write_bytes_atomic(self.folder / f"{number:04d}.eml", envelope.original_content or envelope.content)
        return "250 OK"


def _free_port() -> int:
    # aiosmtpd's controller connects to its own port to check it started, so
    # it needs a real port number up front rather than 0.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopbackMailServer:
    """`with LoopbackMailServer(folder) as server:` — listens on 127.0.0.1:server.port."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self._controller = Controller(_SaveToFolder(self.folder), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "LoopbackMailServer":
        self._controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._controller.stop()

    def received(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))
