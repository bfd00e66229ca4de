"""The workspace's files: atomic writes, one command at a time, and file-system failures in plain words.

Outputs are written to a temporary file beside the target and renamed, so a
crash mid-run leaves the previous file intact; the temporaries an
interrupted run leaves behind are removed by the next command. Every pyxl
command (CLI or ribbon button) holds the workspace lock while it runs. A
folder that is read-only or a disk that is full stops the step with one
Chinese line naming the folder, never as an internal error.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import itertools
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from filelock import FileLock, Timeout

from pyxl.common.errors import PyxlError
from pyxl.common.values import looks_like_formula

TEMP_PREFIX = ".~pyxl-"
LOCK_NAME = ".pyxl.lock"
LOCK_WAIT_SECONDS = 10.0  # a second command waits this long for the first, then gives up
BUSY_MESSAGE = "另一个 pyxl 命令正在运行（命令行或主控工作簿的按钮），请等它结束后再试。"
# errno values that mean "this folder cannot take the file", as opposed to a bug
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


def storage_error(error: OSError, folder: Path | str | None = None) -> PyxlError | None:
    """A PyxlError naming the folder for a full disk or a folder we may not write; None for other errors."""
    where = Path(folder) if folder is not None else Path(error.filename or ".").parent
    if error.errno in _FULL:
        return PyxlError(f"磁盘已满，无法写入文件夹 {where}：请腾出磁盘空间后重新运行（已写出的文件保持完整）。")
    if error.errno in _DENIED:
        return PyxlError(f"没有权限写入文件夹 {where}（只读或被锁定）：请检查该文件夹的权限后重新运行。")
    return None


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_NEW_FILE_MODE = 0o666 & ~_current_umask()  # read once at import, before any thread starts


def _existing_mode(target: Path) -> int:
    """The mode `target` has now, or the one a new file gets here."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return _NEW_FILE_MODE


# A new file of our own: never through a link, never text mode (Windows), not inherited by a child process.
_NEW_FILE_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
                   | getattr(os, "O_NOINHERIT", 0) | getattr(os, "O_CLOEXEC", 0))
_temporaries = itertools.count()


def _temporary_beside(target: Path) -> tuple[int, str]:
    """A new temporary file in `target`'s folder (made if missing): its open handle and name; a failure named in Chinese.

    Made with the mode any new file there gets (0o666 less the umask, as
    mkstemp's 0600 is not), named by this process and a counter: collect
    archives a province's 500 returns one by one, and mkstemp's random name,
    the folder made every time and a chmod afterwards were half its cost.
    """
    folder = target.parent
    for _ in range(100):
        name = os.path.join(folder, f"{TEMP_PREFIX}{os.getpid()}-{next(_temporaries)}{target.suffix}")
        try:
            return os.open(name, _NEW_FILE_FLAGS, 0o666), name
        except FileExistsError:  # left by a run of an earlier process with our number
            continue
        except FileNotFoundError:
            make_folder(folder)
        except OSError as error:
            raise storage_error(error, folder) or error from None
    raise PyxlError(f"无法在文件夹 {folder} 中新建临时文件：请删除其中以 {TEMP_PREFIX} 开头的文件后重新运行。")


def _put_in_place(name: str, target: Path) -> None:
    """Replace `target` by the written temporary file `name` in one step."""
    mode = _existing_mode(target)
    if mode != _NEW_FILE_MODE:  # an output in a shared office folder keeps the permissions it had
        os.chmod(name, mode)
    os.replace(name, target)


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one step.

    Use it with any writer that takes a file name (openpyxl, XlsxWriter,
    python-docx): `with atomic_path(out) as tmp: workbook.save(tmp)`.
    On error the temporary file is removed and `target` is untouched.
    """
    target = Path(target)
    handle, name = _temporary_beside(target)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        _put_in_place(name, target)
    except OSError as error:
        raise storage_error(error, target.parent) or error from None
    finally:
        if temporary.exists():
            temporary.unlink()


def write_bytes_atomic(target: Path, data: bytes) -> Path:
    """Write `data` to `target` atomically (as atomic_path does); returns `target`.

    The temporary file is written through the handle that created it (not
    opened a second time by name): collect archives every return this way.
    """
    target = Path(target)
    handle, name = _temporary_beside(target)
    placed = False
    try:
        try:
            view = memoryview(data)
            while view:  # a regular file takes it all at once; a short write only continues
                view = view[os.write(handle, view):]
        finally:
            os.close(handle)
        _put_in_place(name, target)
        placed = True
    except OSError as error:
        raise storage_error(error, target.parent) or error from None
    finally:
        if not placed:
            try:
                os.unlink(name)
            except OSError:
                pass
    return target


def write_text_atomic(target: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write `text` to `target` atomically in `encoding` (utf-8-sig for CSV Excel opens); returns `target`."""
    return write_bytes_atomic(target, text.encode(encoding))


def make_folder(folder: Path) -> Path:
    """Create `folder` (and its parents) with the permissions any new folder there gets; a failure named in Chinese."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise storage_error(error, Path(folder).parent) or error from None
    return Path(folder)


@contextmanager
def staging_folder(parent: Path) -> Iterator[Path]:
    """A temporary folder inside `parent` with normal permissions (mkdtemp's are 0700), removed on exit."""
    make_folder(parent)
    try:
        folder = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=parent))
        os.chmod(folder, 0o777 & ~_current_umask())
    except OSError as error:
        raise storage_error(error, parent) or error from None
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_staged(staging: Path, name: str, data: bytes, replaced: Path) -> Path:
    """Write `data` as staging/`name`, for a staged folder that will take the place of the folder `replaced`.

    When `replaced` already holds a file of that name with exactly these bytes
    (a report run again on an unchanged month), the file is linked into the
    staging folder instead of written again: creating a thousand 任务历程 pages
    and then deleting the thousand identical old ones was most of the system
    time of a province's report. The swap stays all-old or all-new, the bytes
    are the same; where links are not supported the file is written.
    """
    target = Path(staging) / name
    old = Path(replaced) / name
    try:
        if old.stat().st_size == len(data) and old.read_bytes() == data:
            os.link(old, target)
            return target
    except OSError:
        pass
    target.write_bytes(data)
    return target


def remove_stray_temporaries(root: Path, depth: int = 4) -> list[Path]:
    """Delete the `.~pyxl-*` files and folders an interrupted run left under `root`.

    Only call this while holding the workspace lock: then no other pyxl
    command is writing, and every temporary is a leftover. Looks `depth`
    folders deep (out/<期次>/督办单/ is three), never into hidden folders
    (.git, .venv) or through links. Returns what was removed.
    """
    removed = []
    root = Path(root)
    for top, folders, names in os.walk(root, followlinks=False):
        level = len(Path(top).relative_to(root).parts)
        for name in [*names, *folders]:
            if not name.startswith(TEMP_PREFIX):  # by name first: a province's out/ holds thousands of files
                continue
            path = Path(top) / name
            if os.path.islink(path):
                continue
            try:
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                removed.append(path)
            except OSError:
                continue  # still in use elsewhere or not ours to delete: left for the next run
        keep = level + 1 < depth
        folders[:] = [f for f in folders if keep and not f.startswith(".") and not os.path.islink(os.path.join(top, f))]
    return removed


@contextmanager
def workspace_lock(root: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the workspace's lock while a command runs; a second command waits `wait` seconds, then stops.

    Two commands on one workspace at once could lose a ledger line or
    interleave outputs, so every CLI command and ribbon button runs inside
    this. Once held, the temporaries of an interrupted earlier run are removed.
    """
    root = Path(root)
    lock = FileLock(root / LOCK_NAME, timeout=LOCK_WAIT_SECONDS if wait is None else wait, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise PyxlError(BUSY_MESSAGE) from None
    except OSError as error:
        raise storage_error(error, root) or error from None
    try:
        remove_stray_temporaries(root)
        yield
    finally:
        lock.release()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# A CSV cell Excel or WPS would run as a formula (`looks_like_formula`).
# Sender addresses, sheet periods and file names come from outside the office,
# so such a cell gets a leading apostrophe, which Excel shows as text; a
# leading apostrophe is doubled so reading back is exact.


def csv_cell(value: object) -> str:
    """`value` as a CSV cell that Excel opens as text, never as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) or text.startswith("'") else text


def csv_value(cell: str) -> str:
    """The value `csv_cell` wrote."""
    return cell[1:] if cell.startswith("'") else cell


def append_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """Add `rows` at the end of the CSV at `path` (UTF-8 with BOM, CRLF), replaced atomically.

    The office's records (回收记录, 佐证材料索引, 退回记录, 邮箱收取记录) only grow: earlier
    lines are kept byte for byte, and `header` is written only when the file is new.
    Every cell goes through `csv_cell`, so Excel never runs one as a formula.
    """
    path = Path(path)
    old = path.read_bytes() if path.exists() else b""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if not old:
        writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return write_bytes_atomic(path, old + (b"" if old else b"\xef\xbb\xbf") + buffer.getvalue().encode("utf-8"))


def read_csv_record(path: Path, label: str) -> "csv.DictReader | None":
    """The lines of a record `append_csv` wrote, by header (None before its first line).

    A record that cannot be read stops the step with a message naming it (`label`, e.g. 回收记录):
    these files are the office's memory of what arrived, so nothing guesses around a damaged one.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise PyxlError(f"{label} {path} 无法读取（{error}）：请勿手工修改它；如已改动，请从备份恢复。") from None
    return csv.DictReader(io.StringIO(text))


def replace_folder(staging: Path, folder: Path) -> None:
    """Put the finished `staging` folder in the place of `folder`, so readers see all old or all new files.

    The old folder is first moved aside (a `.~pyxl-old-` name that remove_stray_temporaries
    clears if a run is cut off here), then removed.
    """
    old = None
    if folder.exists():
        old = folder.parent / f"{TEMP_PREFIX}old-{folder.name}"
        if old.exists():
            shutil.rmtree(old)
        folder.rename(old)
    staging.rename(folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def is_lock_file(path: Path) -> bool:
    """Office's lock files (`~$name.xlsx`) and our own temporaries are never inputs."""
    return path.name.startswith(("~$", ".~lock", TEMP_PREFIX)) or path.name == LOCK_NAME
