"""What the office was given: files, folders, .zip archives and saved e-mails (.eml, Outlook .msg), unpacked.

Every file handed to `collect` becomes an `Item` holding its bytes exactly as
received. Containers (.zip, .eml) are items too — they are archived like any
file — and their members follow them with a source such as
`inbox/6月.zip!财政局.xlsx`. A saved e-mail gives its sender address and Date
header to the attachments it carries.

Zip archives come from outside the office, so their declared sizes are
checked before anything is decompressed, nesting is limited, everything
unpacked in one run (nested archives counted together) stays within one
budget, and a broken archive is one problem, never a crash.

Files are read as they are, never through a link: a symbolic link, a device
or a pipe in the inbox is skipped with a problem (following one would copy
any file the office PC can read into the archive, or hang on a pipe). Items
are produced one file at a time, so memory holds one file's contents, not
the whole inbox.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import errors, policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

from pyxl.common.files import is_lock_file
from pyxl.common.problems import Problem, problem, register_code
from pyxl.common.spreadsheets import check_zip, sniff
from pyxl.returns.outlook import MsgUnreadable, read_msg

STAGE = "collect"
ARCHIVE_CORRUPT = register_code(
    "archive-corrupt", "error", "压缩包或邮件文件已损坏、无法打开：请对方重新打包发送。", STAGE
)
ARCHIVE_TOO_LARGE = register_code(
    "archive-too-large", "error", "压缩包解压后过大、文件过多、嵌套过深或压缩比异常（疑似压缩炸弹），未解压：请对方直接发送填报表。", STAGE
)
FILE_SKIPPED = register_code(
    "file-skipped", "warning", "收到的文件不是填报表类型（如 .pdf、.docx），已归档但不读取；如确是填报表，请对方另存为 .xlsx 后重发。", STAGE
)
PATH_MISSING = register_code("path-missing", "error", "指定的文件或文件夹不存在：请检查路径。", STAGE)
NOT_REGULAR = register_code(
    "file-not-regular", "warning", "收件箱里的快捷方式（符号链接）、设备或管道不是文件本身：未跟随、未读取、未归档；如确是报表，请把文件本身放入收件箱。", STAGE
)
UNREADABLE_FILE = register_code(
    "file-unreadable", "error", "文件无法打开读取（没有权限或正被其他程序占用）：请检查该文件后重新收取。", STAGE
)

# Spreadsheet types we read (by content; the extension only decides what we try).
SHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".et", ".ett", ".xlt", ".xltx", ".xltm"}
ZIP_SUFFIXES = {".zip"}
MAIL_SUFFIXES = {".eml", ".msg"}  # .msg: Outlook's saved message (pyxl.returns.outlook)
MAX_DEPTH = 3  # a zip in a mail in a zip is still fine; deeper is refused
MAX_CONTAINER_BYTES = 200 * 1024 * 1024
MAX_CONTAINER_ENTRIES = 500
# Everything decompressed in one run (zips, nested zips, e-mail attachments),
# and for one file given or found in the inbox with all it contains.
MAX_RUN_UNPACKED = 1024 * 1024 * 1024
MAX_FILE_UNPACKED = MAX_CONTAINER_BYTES
# A file larger than this is archived by streaming, never read into memory.
MAX_INPUT_BYTES = 100 * 1024 * 1024
# Documents that are zips inside (.docx, .pptx, .ofd …): evidence to keep whole, never archives to unpack.
ZIPPED_DOCUMENTS = {".docx", ".pptx", ".odt", ".odp", ".ofd", ".docm", ".pptm", ".dotm", ".potm"}
# What Windows and macOS leave in folders and zips by themselves: never a return.
SYSTEM_FILES = {"thumbs.db", "desktop.ini", ".ds_store", "ehthumbs.db"}
# Chinese offices: a Date header is shown in China Standard Time.
CHINA_TIME = timezone(timedelta(hours=8))


@dataclass
class Item:
    """One file as received, with where it came from."""

    name: str  # the file's own name (for the archive name)
    source: str  # what the user gave us, e.g. inbox/x.zip!a.xlsx
    data: bytes
    kind: str  # sheet, zip, mail, other
    sender: str = ""  # e-mail address of the sender, from the .eml that carried it
    received: datetime | None = None  # when our side received it: the .eml's Received header, else its Date; else None (`now`)
    parent: str | None = None  # source of the container that held it
    problems: list[Problem] = field(default_factory=list)
    path: Path | None = None  # for a file too large to read: where it is (data is then b"")
    dated: datetime | None = None  # the sender's own Date header (the sender's clock: may be anything)
    modified: datetime | None = None  # a file given as a file (not from an e-mail): its modification time on this machine


class Budget:
    """Bytes left to decompress: for the whole run, and for the file being unpacked now."""

    def __init__(self, run: int = MAX_RUN_UNPACKED, per_file: int = MAX_FILE_UNPACKED) -> None:
        self.run = run
        self.per_file = per_file
        self.file = per_file

    def start_file(self) -> None:
        self.file = self.per_file

    @property
    def left(self) -> int:
        return max(0, min(self.run, self.file))

    def spend(self, size: int) -> None:
        self.run -= size
        self.file -= size


def _kind(name: str, data: bytes) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in MAIL_SUFFIXES:
        return "mail"
    content = sniff(data)
    if suffix in ZIPPED_DOCUMENTS:  # a .docx is a zip inside: kept whole as a document (佐证材料), never unpacked
        return "other"
    if suffix in ZIP_SUFFIXES or (content == "zip" and suffix not in SHEET_SUFFIXES):
        return "zip"
    if suffix in SHEET_SUFFIXES or content in ("xlsx", "ods", "xls", "encrypted"):
        return "sheet"
    return "other"


def gather(paths: list[Path], relative: Callable[[Path], str], budget: Budget | None = None) -> Iterator[Item]:
    """Read `paths` (files or folders, recursively, sorted) and unpack their containers, one file at a time.

    `relative(path)` turns a path into the text the user knows (relative to
    the workspace). Lock files (`~$x.xlsx`), our own temporaries, system
    files and hidden folders inside a given folder are skipped; links,
    devices and pipes are skipped with a problem.
    """
    budget = budget or Budget()
    for path in paths:
        path = Path(path)
        if not os.path.lexists(path):
            shown = relative(path)
            yield Item(path.name, shown, b"", "missing",
                       problems=[problem(PATH_MISSING, f"找不到「{shown}」：请检查路径是否写对。", file=shown)])
            continue
        files = _walk(path) if path.is_dir() else [path]
        for file in files:
            if is_lock_file(file) or file.name.lower() in SYSTEM_FILES:
                continue
            shown = relative(file)
            opened = _read_plain_file(file, shown, explicit=file == path)
            if isinstance(opened, Item):
                yield opened
                continue
            data, modified = opened
            budget.start_file()
            for item in expand(file.name, shown, data, budget=budget, received=None):
                if item.received is None:  # the file and what it holds, unless an e-mail inside says when it came
                    item.modified = modified
                yield item


def _walk(folder: Path) -> list[Path]:
    """Every entry below `folder` that is not a folder (links included, to be refused), sorted.

    Hidden folders (.git, .Trashes) are skipped; a link to a folder is listed, never entered.
    """
    found = []
    for top, folders, names in os.walk(folder, followlinks=False):
        links = [f for f in folders if os.path.islink(os.path.join(top, f))]
        folders[:] = sorted(f for f in folders if not f.startswith(".") and f not in links)
        found += [Path(top) / name for name in (*names, *links)]
    return sorted(found)


def _read_plain_file(file: Path, shown: str, explicit: bool) -> tuple[bytes, datetime] | Item:
    """The bytes and modification time of a regular file, read without following a link; else an Item that says why not."""
    try:
        info = os.lstat(file)
        if stat.S_ISLNK(info.st_mode) and explicit:
            info = os.stat(file)  # a link the user named on the command line is their choice
            file = file.resolve()
        if not stat.S_ISREG(info.st_mode):
            what = "符号链接（快捷方式）" if stat.S_ISLNK(info.st_mode) else "设备、管道或套接字"
            return Item(file.name, shown, b"", "skipped", problems=[problem(
                NOT_REGULAR, f"「{file.name}」是{what}，不是文件本身：未跟随、未读取、未归档；如确是报表，请把文件本身放入收件箱。", file=shown)])
        if info.st_size > MAX_INPUT_BYTES:
            return Item(file.name, shown, b"", "large", path=file, modified=datetime.fromtimestamp(info.st_mtime))
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        handle = os.open(file, flags)
        with os.fdopen(handle, "rb") as stream:
            opened = os.fstat(stream.fileno())
            if not stat.S_ISREG(opened.st_mode):  # swapped for something else since lstat
                return Item(file.name, shown, b"", "skipped", problems=[problem(
                    NOT_REGULAR, f"「{file.name}」不是普通文件：未读取、未归档。", file=shown)])
            # as much as the file says it holds and one byte more (a file still growing is read on, to the cap): a read
            # of the cap itself would make and unmake a 100 MB buffer for every 12 KB return
            data = stream.read(min(opened.st_size, MAX_INPUT_BYTES) + 1)
            if opened.st_size < len(data) <= MAX_INPUT_BYTES:
                data += stream.read(MAX_INPUT_BYTES + 1 - len(data))
            # local time, as `now` is: a file time is only ever compared with it (pyxl.returns.collect)
            return data, datetime.fromtimestamp(opened.st_mtime)
    except OSError as error:
        return Item(file.name, shown, b"", "skipped", problems=[problem(
            UNREADABLE_FILE, f"「{file.name}」无法打开读取（{error.strerror or type(error).__name__}）：请检查文件权限、关闭占用它的程序后重新收取。", file=shown)])


def expand(name: str, source: str, data: bytes, *, sender: str = "", received: datetime | None = None,
           parent: str | None = None, depth: int = 0, budget: Budget | None = None) -> list[Item]:
    """This file followed by what it contains (for a zip or an e-mail)."""
    budget = budget or Budget()
    kind = _kind(name, data)
    item = Item(name, source, data, kind, sender, received, parent)
    items = [item]
    if kind == "zip":
        items.extend(_unzip(item, depth, budget))
    elif kind == "mail":
        unpack = _unmsg if PurePosixPath(name).suffix.lower() == ".msg" else _unmail
        items.extend(unpack(item, depth, budget))
    elif kind == "other":
        item.problems.append(
            problem(FILE_SKIPPED, f"「{name}」不是电子表格（只读取 .xlsx/.xlsm/.xls/.ods/.et），已归档未读取：如是填报表请另存为 .xlsx 重发。", file=source)
        )
    return items


def _too_deep(item: Item, depth: int) -> bool:
    if depth < MAX_DEPTH:
        return False
    item.problems.append(problem(ARCHIVE_TOO_LARGE, f"「{item.name}」嵌套超过 {MAX_DEPTH} 层，未解压：请对方直接发送填报表。", file=item.source))
    return True


def _member_name(info: zipfile.ZipInfo) -> str:
    """Zips made by Windows' own tool store Chinese names in GBK without saying so."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _unzip(item: Item, depth: int, budget: Budget) -> list[Item]:
    if _too_deep(item, depth):
        return []
    refused = check_zip(item.data, max_unpacked=min(MAX_CONTAINER_BYTES, budget.left), max_entries=MAX_CONTAINER_ENTRIES)
    if refused is not None:
        code = ARCHIVE_CORRUPT if refused.code == "file-corrupt" else ARCHIVE_TOO_LARGE
        item.problems.append(problem(code, f"压缩包「{item.name}」{refused.reason}，未解压：请对方重新打包或直接发送填报表。", file=item.source))
        return []
    members: list[Item] = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(item.data))
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            name = _member_name(info)
            base = PurePosixPath(name).name
            if info.is_dir() or not base or base.startswith(("~$", ".")) or base.lower() in SYSTEM_FILES or name.startswith("__MACOSX/"):
                continue
            if info.flag_bits & 0x1:
                item.problems.append(problem(ARCHIVE_CORRUPT, f"压缩包「{item.name}」中的「{name}」设置了解压密码，无法读取：请对方去掉密码重发。", file=f"{item.source}!{name}"))
                continue
            if info.file_size > budget.left:  # nested archives already took their share
                item.problems.append(problem(ARCHIVE_TOO_LARGE, f"压缩包「{item.name}」连同其中的压缩包解压后超过本次收取的上限 {MAX_FILE_UNPACKED // (1 << 20)} MB（疑似压缩炸弹），其余部分未解压：请对方直接发送填报表。", file=item.source))
                break
            data = archive.read(info)  # zipfile never returns more than the declared size
            budget.spend(len(data))
            members.extend(expand(base, f"{item.source}!{name}", data, sender=item.sender, received=item.received,
                                  parent=item.source, depth=depth + 1, budget=budget))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError) as error:
        item.problems.append(problem(ARCHIVE_CORRUPT, f"压缩包「{item.name}」已损坏（{type(error).__name__}），未能全部解压：请对方重新打包发送。", file=item.source))
    return members


def _unmail(item: Item, depth: int, budget: Budget) -> list[Item]:
    if _too_deep(item, depth):
        return []
    try:
        message = BytesParser(policy=policy.default).parsebytes(item.data)
        sender = parseaddr(str(message.get("From", "")))[1].lower()
        dated = None
        date_header = message.get("Date")
        if date_header is not None and getattr(date_header, "datetime", None) is not None:
            dated = date_header.datetime
            if dated.tzinfo is not None:
                dated = dated.astimezone(CHINA_TIME).replace(tzinfo=None)
        # when it arrived: the receiving server's stamp, else (a draft saved without one) the sender's Date
        received = _received_stamp(message) or dated or item.received
        item.sender, item.received, item.dated = sender, received, dated
        members: list[Item] = []
        for index, part in enumerate(_attachments(message), start=1):
            name = part.get_filename() or f"附件{index}"
            data = _payload(part)
            if part.get_content_type() == "message/rfc822":
                inner = part.get_payload()
                data = inner[0].as_bytes() if isinstance(inner, list) else bytes(str(inner), "utf-8")
                name = name if name.lower().endswith(".eml") else f"{name}.eml"
            if len(data) > budget.left:
                item.problems.append(problem(ARCHIVE_TOO_LARGE, f"邮件「{item.name}」的附件合计超过本次收取的上限，其余附件未读取：请对方分开发送。", file=item.source))
                break
            budget.spend(len(data))
            for member in expand(PurePosixPath(name.replace("\\", "/")).name, f"{item.source}!{name}", data,
                                 sender=sender, received=received, parent=item.source, depth=depth + 1, budget=budget):
                member.dated = member.dated or dated
                members.append(member)
        return members
    except Exception as error:  # the e-mail parser is lenient; whatever still fails is a broken file
        item.problems.append(problem(ARCHIVE_CORRUPT, f"邮件「{item.name}」无法解析（{type(error).__name__}）：请重新保存该邮件（.eml）或直接保存附件。", file=item.source))
        return []


def _unmsg(item: Item, depth: int, budget: Budget) -> list[Item]:
    """An Outlook .msg, read like a saved .eml: its sender and time go to its attachments."""
    if _too_deep(item, depth):
        return []
    try:
        content = read_msg(item.data)
    except MsgUnreadable as error:
        item.problems.append(problem(ARCHIVE_CORRUPT, f"Outlook 邮件「{item.name}」无法解析（{error}）：请在 Outlook 中重新另存该邮件，或直接保存附件。", file=item.source))
        return []
    item.sender = content.sender or item.sender
    item.received = content.sent or item.received
    members: list[Item] = []
    for name, data in content.attachments:
        if len(data) > budget.left:
            item.problems.append(problem(ARCHIVE_TOO_LARGE, f"邮件「{item.name}」的附件合计超过本次收取的上限，其余附件未读取：请对方分开发送。", file=item.source))
            break
        budget.spend(len(data))
        members.extend(expand(PurePosixPath(name.replace("\\", "/")).name, f"{item.source}!{name}", data,
                              sender=item.sender, received=item.received, parent=item.source, depth=depth + 1, budget=budget))
    return members


def _payload(part: EmailMessage) -> bytes:
    """An attachment's bytes. A cut-off mail leaves base64 whose length is no multiple of 4, which the
    e-mail library hands back still encoded: decode the whole groups, so the file is a cut-off file."""
    data = part.get_payload(decode=True) or b""
    if any(isinstance(defect, errors.InvalidBase64LengthDefect) for defect in part.defects):
        text = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
        try:
            return base64.b64decode(text[: len(text) - len(text) % 4])
        except (binascii.Error, ValueError):
            return data
    return data


def _received_stamp(message: EmailMessage) -> datetime | None:
    """When the topmost `Received:` header (added by the last server, ours) says the mail arrived, China time."""
    try:
        headers = message.get_all("Received") or []
        if not headers:
            return None
        moment = parsedate_to_datetime(str(headers[0]).rsplit(";", 1)[-1].strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA_TIME).replace(tzinfo=None)
    return moment


def _attachments(message: EmailMessage) -> Iterator[EmailMessage]:
    """Attachments, including those of forwarded messages; inline parts with a file name count too."""
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_filename() or part.get_content_disposition() == "attachment":
            yield part
