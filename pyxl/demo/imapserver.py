"""A real IMAP server on loopback, for `pyxl demo` and for the tests of collecting from a mailbox.

`LoopbackImapServer` runs pymap (a maintained, pure-Python IMAP4rev1 server:
SEARCH, BODYSTRUCTURE, partial FETCH, MOVE, STARTTLS) in memory on a free port
of 127.0.0.1 in a thread of its own. One account; `security` is "none",
"starttls" (the server offers STARTTLS) or "ssl" (TLS from the first byte, as
port 993), with the certificate and key files given. `deliver` puts a
message into a folder with the time the server records as its arrival
(INTERNALDATE), as the office's mail system does when a unit's answer comes in.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import ssl
import threading
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopbackImapServer:
    """`with LoopbackImapServer(user, password) as server:` — IMAP on 127.0.0.1:server.port."""

    def __init__(self, user: str, password: str, *, security: str = "none",
                 cert: Path | None = None, key: Path | None = None) -> None:
        if security != "none" and (cert is None or key is None):
            raise ValueError("TLS needs a certificate and a key")
        self.user, self.password, self.security = user, password, security
        self.port = free_port()
        self._cert, self._key = cert, key
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pyxl-imap", daemon=True)

    def _tls(self) -> ssl.SSLContext | None:
        if self._cert is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self._cert), str(self._key))
        return context

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as error:  # reported to the thread that started us
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        from proxyprotocol.reader import ProxyProtocolReader
        from pymap.backend.dict import Config, DictBackend, Login
        from pymap.imap import IMAPServer

        tls = self._tls()
        args = argparse.Namespace(
            demo_data=False, demo_user=self.user, demo_password=self.password, host="127.0.0.1", port=self.port,
            debug=False, cert=None, key=None, passlib_cfg=None, tls=self.security == "starttls",
            proxy_protocol=None, inherited_sockets=None,
        )
        overrides = {"ssl_context": tls} if tls is not None else {}
        config = Config.from_args(args, **overrides)
        login = Login(config)
        await DictBackend._add_demo_user(config, login)  # pymap's way to create the one account
        backend = DictBackend(login, config)
        self._stop = asyncio.Event()
        async with AsyncExitStack() as stack:
            await backend.start(stack)
            callback = ProxyProtocolReader(config.proxy_protocol).get_callback(IMAPServer(backend.login, config))
            server = await asyncio.start_server(callback, host="127.0.0.1", port=self.port,
                                                ssl=tls if self.security == "ssl" else None)
            async with server:
                self._ready.set()
                await self._stop.wait()

    def __enter__(self) -> "LoopbackImapServer":
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    # ---- the mail system's side

    def client(self):
        """A logged-in IMAPClient to this server (trusting its test certificate)."""
        from imapclient import IMAPClient

        context = ssl.create_default_context(cafile=str(self._cert)) if self._cert else None
        client = IMAPClient("127.0.0.1", port=self.port, ssl=self.security == "ssl", ssl_context=context)
        if self.security == "starttls":
            client.starttls(context)
        client.login(self.user, self.password)
        return client

    def deliver(self, message: bytes, arrived: datetime, folder: str = "INBOX") -> None:
        """Put one message into `folder`, arrived at `arrived` (timezone-aware)."""
        self.deliver_many([(message, arrived)], folder)

    def deliver_many(self, messages: list[tuple[bytes, datetime]], folder: str = "INBOX") -> None:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for data, arrived in messages:
                client.append(folder, data, flags=(), msg_time=arrived)
        finally:
            client.logout()

    def create_folder(self, folder: str) -> None:
        client = self.client()
        try:
            client.create_folder(folder)
        finally:
            client.logout()
