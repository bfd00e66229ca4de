"""The office mailbox over IMAP: the units' answers, fetched into the same intake as files.

`fetch_mailbox` opens the mailbox of `inbox_mail` (read-only unless the
settings ask to move processed mail or mark it read), asks the server for the
messages that arrived since a date and look like they carry attachments
(SEARCH SINCE … HEADER Content-Type, so a mailbox of thousands costs only what
the period needs), reads each one's structure, and downloads only its
attachment parts (BODY.PEEK: nothing is marked read). Each attachment becomes
an `Item` through `pyxl.returns.intake.expand`, so a zip or a forwarded
message inside is unpacked with the same limits as a file in inbox/; its
received time is the server's INTERNALDATE, its sender the From address.

The mailbox ledger `returns/<period>/邮箱收取记录.csv` (UTF-8 with BOM,
append-only) keeps for every message taken its Message-ID, folder, UID,
INTERNALDATE, sender, subject and the SHA-256 of its attachments. A message
already in any period's mailbox ledger is never downloaded again; the caller
records a batch of messages in the archive first and only then here, so an
interrupted fetch loses nothing and resumes where it stopped.

We use IMAPClient (maintained, on top of the standard imaplib) rather than bare
imaplib: it parses FETCH responses (INTERNALDATE as a datetime, BODYSTRUCTURE
as nested tuples) and encodes Chinese folder names (modified UTF-7), which
imaplib leaves to the caller.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import imaplib
import io
import quopri
import socket
import ssl
from dataclasses import astuple, dataclass, field
from datetime import date, datetime
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator, Mapping

from pyxl.common.config import InboxMailSettings
from pyxl.common.errors import PyxlError
from pyxl.common.files import append_csv, csv_value
from pyxl.common.problems import Problem, problem, register_code
from pyxl.common.secrets import stored_password
from pyxl.returns.intake import CHINA_TIME, Item, expand

STAGE = "collect"
MAIL_TOO_LARGE = register_code(
    "mail-too-large", "error",
    "邮箱中的这封邮件超过设置的大小上限（inbox_mail.max_message_mb），未下载：请在邮箱网页上打开它，把附件保存到 inbox/ 后再收取。",
    STAGE,
)

KEYRING_SERVICE = "pyxl-imap"
LEDGER_NAME = "邮箱收取记录.csv"
LEDGER_COLUMNS = ("Message-ID", "文件夹", "UID", "收到时间", "发件人", "主题", "附件数", "附件SHA256", "收取时间")
BATCH = 10  # messages recorded together: an interruption costs at most one batch of downloading
_METADATA_CHUNK = 200
_HEADER_FIELDS = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID FROM DATE SUBJECT)]"
_SIGNATURES = {"pkcs7-signature", "x-pkcs7-signature", "pgp-signature", "pgp-keys"}


@dataclass(frozen=True)
class MailRecord:
    """One message taken from the mailbox, as a row of the mailbox ledger (LEDGER_COLUMNS, in order)."""

    message_id: str  # the Message-ID header, else "sha256:" of its headers, date and size
    folder: str
    uid: str
    received: str  # INTERNALDATE, China time, ISO
    sender: str
    subject: str
    attachments: str  # count
    sha256: str  # of the attachments' bytes, in order
    fetched: str  # when pyxl took it (the caller's `now`)


@dataclass
class Envelope:
    """What the server says about a message before anything is downloaded."""

    uid: int
    key: str
    received: datetime  # INTERNALDATE in China time, naive
    size: int
    sender: str
    subject: str
    parts: list[tuple[str, bool]]  # (part number, is a whole embedded message); "" = the whole message


@dataclass
class Fetched:
    """One downloaded message: its items for collect and its ledger line."""

    envelope: Envelope
    items: list[Item]
    record: MailRecord
    quoted: int = 0  # the office's own blank sheets found in it (quoted in a reply, or in a bounce): left out


@dataclass
class MailboxRun:
    """What one fetch did."""

    folder: str
    since: date
    candidates: int = 0  # messages the server found since the date that may carry attachments
    known: int = 0  # already taken before (any period): not downloaded again
    without_attachment: int = 0
    taken: int = 0
    moved: int = 0
    quoted: int = 0  # the office's own sheets carried back unchanged in replies: not returns
    problems: list[Problem] = field(default_factory=list)
    ledger: Path | None = None


# ---------------------------------------------------------------- the ledger


def read_records(returns_dir: Path) -> list[MailRecord]:
    """Every whole line of a period's mailbox ledger, oldest first."""
    path = Path(returns_dir) / LEDGER_NAME
    if not path.exists():
        return []
    try:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (OSError, UnicodeDecodeError) as error:
        raise PyxlError(f"邮箱收取记录 {path} 无法读取（{error}）：请勿手工修改它；如已改动，请从备份恢复。") from None
    return [MailRecord(*(csv_value(cell) for cell in row)) for row in rows[1:] if len(row) == len(LEDGER_COLUMNS)]


def known_messages(returns_dir: Path) -> set[str]:
    """Message keys taken into any period's archive (returns/*/邮箱收取记录.csv)."""
    return {record.message_id for ledger in sorted(Path(returns_dir).parent.glob(f"*/{LEDGER_NAME}"))
            for record in read_records(ledger.parent)}


def append_records(returns_dir: Path, records: list[MailRecord]) -> Path:
    """Add lines at the end, the file replaced atomically; earlier lines are kept exactly."""
    return append_csv(Path(returns_dir) / LEDGER_NAME, LEDGER_COLUMNS, (astuple(record) for record in records))


# ---------------------------------------------------------------- the connection


def imap_password(mail: InboxMailSettings, environ: Mapping[str, str]) -> str:
    """The mailbox password (or authorisation code): environment variable, else the system keyring."""
    value = stored_password(mail.username, mail.password_env, KEYRING_SERVICE, environ)
    if value:
        return value
    raise PyxlError(
        f"没有找到收件邮箱 {mail.username} 的密码：请设置环境变量 {mail.password_env}（QQ、163、企业微信等邮箱填「客户端授权码」），"
        f"或存入系统钥匙串（keyring set {KEYRING_SERVICE} {mail.username}）。"
    )


class Mailbox:
    """`with Mailbox(settings, password, ca_file) as box:` — logged in, the folder selected."""

    def __init__(self, mail: InboxMailSettings, password: str, ca_file: Path | None = None) -> None:
        self.mail = mail
        self._password = password
        self._ca_file = ca_file
        self.where = f"{mail.host}:{mail.port}"
        self.client = None
        self.writable = bool(mail.move_to or mail.mark_read)

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self._ca_file) if self._ca_file else None)

    def __enter__(self) -> "Mailbox":
        from imapclient import IMAPClient
        from imapclient.exceptions import LoginError

        mail = self.mail
        if self._ca_file is not None and not self._ca_file.is_file():
            raise PyxlError(f"找不到 inbox_mail.ca_file 指定的证书文件 {self._ca_file}：请检查路径（相对于 config.yaml 所在的文件夹）。")
        try:
            client = IMAPClient(mail.host, port=mail.port, ssl=mail.security == "ssl", ssl_context=self._context(),
                                timeout=mail.timeout)
            if mail.security == "starttls":
                client.starttls(self._context())
        except ssl.SSLCertVerificationError as error:
            raise PyxlError(
                f"收件服务器 {self.where} 的证书无法验证（{error.verify_message}）：请核对 inbox_mail.host 是否写对；"
                "单位内网邮箱使用自签证书的，请把其根证书文件写入 inbox_mail.ca_file。"
            ) from None
        except ssl.SSLError as error:
            raise PyxlError(
                f"与收件服务器 {self.where} 建立加密连接失败（{error.reason or error}）：请检查 inbox_mail.security"
                f"（现为 {mail.security}）与端口是否对应——SSL 一般用 993，STARTTLS 一般用 143。"
            ) from None
        except (OSError, imaplib.IMAP4.error) as error:
            raise PyxlError(
                f"无法连接收件服务器 {self.where}（{_reason(error)}）：请检查 inbox_mail.host、inbox_mail.port、"
                f"inbox_mail.security（现为 {mail.security}）与网络。"
            ) from None
        self.client = client
        client.normalise_times = False  # INTERNALDATE with its zone: we convert to China time ourselves
        try:
            client.login(mail.username, self._password)
        except LoginError:
            self._close()
            raise PyxlError(
                f"收件服务器 {self.where} 拒绝登录 {mail.username}：请检查 inbox_mail.username 和环境变量 {mail.password_env} 中的密码；"
                "QQ、163、企业微信、阿里邮箱等须先在网页版开启 IMAP，并使用「客户端授权码」而不是登录密码。"
            ) from None
        except UnicodeEncodeError:
            self._close()
            raise PyxlError(f"登录 {self.where} 失败：用户名或密码中有汉字或全角字符，请检查 inbox_mail.username 和环境变量 {mail.password_env}。") from None
        except (OSError, imaplib.IMAP4.error) as error:
            self._close()
            raise PyxlError(f"登录收件服务器 {self.where} 失败（{_reason(error)}）：请稍后重试，或检查 inbox_mail.security。") from None
        try:
            if client.has_capability("ID"):
                # NetEase (163/126) answers "Unsafe Login" to a client that does not say who it is (RFC 2971)
                client.id_({"name": "pyxl", "version": "1", "vendor": "pyxl"})
            for folder in (mail.folder, mail.move_to):
                if folder and not client.folder_exists(folder):
                    names = "、".join(str(name) for _, _, name in client.list_folders()[:20])
                    setting = "inbox_mail.folder" if folder == mail.folder else "inbox_mail.move_to"
                    raise PyxlError(f"邮箱 {mail.username} 中没有文件夹「{folder}」（{setting}）：现有文件夹有 {names}。请改正设置，或先在邮箱中建好该文件夹。")
            client.select_folder(mail.folder, readonly=not self.writable)
        except PyxlError:
            self._close()
            raise
        except (OSError, imaplib.IMAP4.error) as error:
            self._close()
            raise PyxlError(f"打开邮箱文件夹「{mail.folder}」失败（{_reason(error)}）：请检查 inbox_mail.folder。") from None
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._close()

    def _close(self) -> None:
        if self.client is None:
            return
        try:
            self.client.logout()
        except Exception:  # the server may already be gone: closing never raises
            try:
                self.client.shutdown()
            except Exception:
                pass
        self.client = None

    # ---- reading

    def candidates(self, since: date) -> list[int]:
        """UIDs of messages that arrived on or after `since` and may carry attachments (searched by the server)."""
        since_only = ["SINCE", since, "NOT", "DELETED"]
        try:
            found = self.client.search(
                [*since_only, "OR", "HEADER", "Content-Type", "multipart", "HEADER", "Content-Type", "application"])
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error:  # a server that cannot search headers: the structure decides instead
            found = self.client.search(since_only)
        return sorted(found)

    def envelopes(self, uids: list[int]) -> Iterator[Envelope]:
        """Date, size, sender, Message-ID and attachment parts of each message; nothing downloaded yet."""
        for start in range(0, len(uids), _METADATA_CHUNK):
            chunk = uids[start:start + _METADATA_CHUNK]
            answers = self.client.fetch(chunk, ["INTERNALDATE", "RFC822.SIZE", "BODYSTRUCTURE", _HEADER_FIELDS])
            for uid in chunk:
                data = answers.get(uid)
                if data is not None:
                    yield _envelope(uid, data)

    def download(self, envelope: Envelope) -> list[tuple[str, bytes]]:
        """The attachment parts of one message as (file name, decoded bytes), in message order."""
        if any(part == "" for part, _ in envelope.parts):
            data = self.client.fetch([envelope.uid], ["BODY.PEEK[]"])[envelope.uid][b"BODY[]"]
            return [(f"邮件{envelope.uid}.eml", bytes(data))]
        wanted = [item for number, _ in envelope.parts for item in (f"BODY.PEEK[{number}.MIME]", f"BODY.PEEK[{number}]")]
        answer = self.client.fetch([envelope.uid], wanted)[envelope.uid]
        files = []
        for index, (number, embedded) in enumerate(envelope.parts, start=1):
            header = bytes(answer.get(f"BODY[{number}.MIME]".encode()) or b"")
            body = bytes(answer.get(f"BODY[{number}]".encode()) or b"")
            files.append(_decode_part(header, body, embedded, f"附件{index}"))
        return files

    def settle(self, uids: list[int]) -> int:
        """Mark read and/or move the messages, as the settings ask; how many were moved."""
        if not uids or not self.writable:
            return 0
        if self.mail.mark_read:
            self.client.add_flags(uids, [b"\\Seen"])
        if not self.mail.move_to:
            return 0
        if self.client.has_capability("MOVE"):
            self.client.move(uids, self.mail.move_to)
        else:
            self.client.copy(uids, self.mail.move_to)
            self.client.delete_messages(uids)
            # without UIDPLUS an EXPUNGE would also erase what the clerk deleted by hand: leave that to her mail client
            if self.client.has_capability("UIDPLUS"):
                self.client.uid_expunge(uids)
        return len(uids)


def _reason(error: BaseException) -> str:
    if isinstance(error, socket.timeout):
        return "连接超时"
    if isinstance(error, ConnectionRefusedError):
        return "连接被拒绝"
    if isinstance(error, socket.gaierror):
        return "找不到该服务器地址"
    text = error.args[0] if error.args else type(error).__name__
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(text).split())[:120] or type(error).__name__


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


def _envelope(uid: int, data: dict) -> Envelope:
    headers_raw = next((bytes(v) for k, v in data.items() if k.startswith(b"BODY[HEADER.FIELDS")), b"")
    headers = BytesParser(policy=policy.default).parsebytes(headers_raw, headersonly=True)
    moment = data[b"INTERNALDATE"]
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA_TIME).replace(tzinfo=None)
    size = int(data.get(b"RFC822.SIZE") or 0)
    message_id = str(headers.get("Message-ID", "") or "").strip()
    if not message_id:  # a key from what identifies the message when its sender set no Message-ID
        message_id = "sha256:" + hashlib.sha256(headers_raw + moment.isoformat().encode() + str(size).encode()).hexdigest()[:32]
    return Envelope(
        uid=uid, key=message_id, received=moment, size=size,
        sender=parseaddr(str(headers.get("From", "") or ""))[1].lower(),
        subject=" ".join(str(headers.get("Subject", "") or "").split()),
        parts=list(_attachment_parts(data.get(b"BODYSTRUCTURE"))),
    )


def _attachment_parts(structure: object, prefix: str = "") -> Iterator[tuple[str, bool]]:
    """Part numbers of the leaves that can be a returned file: application/* and embedded messages.

    Text bodies, inline pictures and signatures are never downloaded. A message
    that is a single non-text part (the file itself, no multipart) is fetched whole.
    """
    if structure is None:
        return
    if getattr(structure, "is_multipart", False):
        for number, child in enumerate(structure[0], start=1):
            yield from _attachment_parts(child, f"{prefix}{number}" if not prefix else f"{prefix}.{number}")
        return
    kind, subtype = _text(structure[0]).lower(), _text(structure[1]).lower()
    if kind == "message" and subtype == "rfc822":
        yield (prefix or "", True)
    elif kind == "application" and subtype not in _SIGNATURES:
        yield (prefix or "", False)


def _decode_part(header: bytes, body: bytes, embedded: bool, fallback: str) -> tuple[str, bytes]:
    """A part's file name (RFC 2231 or 2047, as mail clients write Chinese names) and its bytes as sent."""
    mime = BytesParser(policy=policy.default).parsebytes(header + b"\r\n", headersonly=True)
    try:
        name = mime.get_filename() or ""
    except (ValueError, LookupError):
        name = ""
    name = PurePosixPath(str(name).replace("\\", "/")).name or fallback
    if embedded and not name.lower().endswith(".eml"):
        name = f"{name}.eml"
    encoding = str(mime.get("Content-Transfer-Encoding", "7bit") or "7bit").strip().lower()
    if encoding == "base64":
        try:
            body = base64.b64decode(b"".join(body.split()), validate=False)
        except (binascii.Error, ValueError):
            pass  # kept as it came: intake reports the file it cannot read
    elif encoding == "quoted-printable":
        body = quopri.decodestring(body)
    return name, body


# ---------------------------------------------------------------- one fetch


def fetch_mailbox(
    mail: InboxMailSettings,
    password: str,
    *,
    returns_dir: Path,
    since: date,
    now: datetime,
    record: Callable[[list[Fetched]], None],
    progress: Callable[[int, int, str], None],
    ca_file: Path | None = None,
    own_sheets: set[str] = frozenset(),
) -> MailboxRun:
    """Download the new messages with attachments since `since`, handing each batch to `record`.

    `record(batch)` must archive the batch's items (through collect); only
    after it returns are the batch's lines appended to the mailbox ledger and
    its messages moved or marked read (when the settings ask). A dropped
    connection raises PyxlError after the batches already recorded.
    A sheet whose SHA-256 is in `own_sheets` is the office's own blank sheet
    coming back — quoted in a reply (mail clients keep the original
    attachment) or inside a bounce of the office's own mail: it is counted,
    never collected as a unit's return.
    """
    run = MailboxRun(folder=mail.folder, since=since)
    known = known_messages(returns_dir)
    limit = int(mail.max_message_mb * 1024 * 1024)
    with Mailbox(mail, password, ca_file) as box:
        try:
            uids = box.candidates(since)
            run.candidates = len(uids)
            todo: list[Envelope] = []
            leftover: list[int] = []  # taken before but still here: moved now when the settings ask
            seen: set[str] = set()
            for envelope in box.envelopes(uids):
                if envelope.key in known or envelope.key in seen:
                    run.known += 1
                    leftover.append(envelope.uid)
                    continue
                if not envelope.parts:
                    run.without_attachment += 1
                    continue
                seen.add(envelope.key)
                if envelope.size > limit:
                    where = _source(mail.folder, envelope, "")
                    run.problems.append(problem(
                        MAIL_TOO_LARGE,
                        f"{envelope.sender or '未知发件人'} 于 {envelope.received:%Y-%m-%d %H:%M} 发来的邮件「{envelope.subject[:40]}」"
                        f"有 {envelope.size / 1048576:.1f} MB，超过上限 {mail.max_message_mb:g} MB，未下载：请在邮箱网页上打开它，"
                        "把附件保存到 inbox/ 后再收取（或调大 inbox_mail.max_message_mb）。",
                        file=where,
                    ))
                    continue
                todo.append(envelope)
            run.moved += box.settle(leftover)
            for start in range(0, len(todo), BATCH):
                batch: list[Fetched] = []
                for envelope in todo[start:start + BATCH]:
                    progress(start + len(batch) + 1, len(todo), f"从邮箱收取 {envelope.sender} 的邮件「{envelope.subject[:30]}」")
                    fetched = _fetched(mail.folder, envelope, box.download(envelope), now, own_sheets)
                    run.quoted += fetched.quoted
                    batch.append(fetched)
                record(batch)
                run.ledger = append_records(returns_dir, [fetched.record for fetched in batch])
                run.taken += len(batch)
                run.moved += box.settle([fetched.envelope.uid for fetched in batch])
        except (OSError, imaplib.IMAP4.abort) as error:
            raise PyxlError(
                f"与收件服务器 {box.where} 的连接在收取中途中断（{_reason(error)}）：已收取的 {run.taken} 封邮件已记录，"
                "请重新运行「收取回执」（pyxl collect），会从中断处继续收取。"
            ) from None
        except imaplib.IMAP4.error as error:  # the server refused a command (a message deleted meanwhile …)
            raise PyxlError(
                f"收件服务器 {box.where} 拒绝了请求（{_reason(error)}）：已收取的 {run.taken} 封邮件已记录，"
                "请稍后重新运行「收取回执」（pyxl collect）继续收取；反复出现时，请检查是否有别的邮件程序正在同时移动或删除该文件夹中的邮件。"
            ) from None
    return run


def _source(folder: str, envelope: Envelope, name: str) -> str:
    """How a fetched file is named in problems and the ledger: 邮箱/<folder>/<sender> <time>!<file>."""
    where = f"邮箱/{folder}/{envelope.sender or '未知发件人'} {envelope.received:%Y-%m-%d %H:%M}"
    return f"{where}!{name}" if name else where


def _fetched(folder: str, envelope: Envelope, files: list[tuple[str, bytes]], now: datetime,
             own_sheets: set[str] = frozenset()) -> Fetched:
    """The message's items for collect, without the office's own sheets wherever they sit (a quote, a bounce)."""
    items: list[Item] = []
    digest = hashlib.sha256()
    for name, data in files:
        digest.update(hashlib.sha256(data).digest())
        items.extend(expand(name, _source(folder, envelope, name), data, sender=envelope.sender,
                            received=envelope.received, parent=_source(folder, envelope, "")))
    kept = [item for item in items if item.kind != "sheet" or hashlib.sha256(item.data).hexdigest() not in own_sheets]
    record = MailRecord(
        envelope.key, folder, str(envelope.uid), envelope.received.isoformat(sep=" ", timespec="seconds"),
        envelope.sender, envelope.subject, str(len(files)), digest.hexdigest(),
        now.isoformat(sep=" ", timespec="seconds"),
    )
    return Fetched(envelope, kept, record, quoted=len(items) - len(kept))
