"""Writing outputs atomically, so a crash mid-run leaves the previous file intact."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


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


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one step.

    Use it with any writer that takes a file name (openpyxl, XlsxWriter,
    python-docx): `with atomic_path(out) as tmp: workbook.save(tmp)`.
    On error the temporary file is removed and `target` is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".~pyxl-", suffix=target.suffix, dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        # mkstemp makes the file private (0600); an output in a shared office
        # folder must get the permissions any new file there would get.
        os.chmod(temporary, _existing_mode(target))
        os.replace(temporary, target)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_bytes_atomic(target: Path, data: bytes) -> Path:
    """Write `data` to `target` atomically (see atomic_path); returns `target`."""
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)
    return Path(target)


def write_text_atomic(target: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write `text` to `target` atomically in `encoding` (utf-8-sig for CSV Excel opens); returns `target`."""
    return write_bytes_atomic(target, text.encode(encoding))


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# A CSV cell Excel or WPS would run as a formula (=, +, -, @, and tab/CR that
# Excel strips before looking). Sender addresses, sheet periods and file names
# come from outside the office, so such a cell gets a leading apostrophe, which
# Excel shows as text; a leading apostrophe is doubled so reading back is exact.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def csv_cell(value: object) -> str:
    """`value` as a CSV cell that Excel opens as text, never as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_value(cell: str) -> str:
    """The value `csv_cell` wrote."""
    return cell[1:] if cell.startswith("'") else cell


def is_lock_file(path: Path) -> bool:
    """Office's lock files (`~$name.xlsx`) and our own temporaries are never inputs."""
    return path.name.startswith(("~$", ".~lock", ".~pyxl-"))
