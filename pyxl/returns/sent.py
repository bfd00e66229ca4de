"""The sheets we sent: whom each identity hash was issued to, its locked cells, and when each unit's sheet went out.

`SentCopies` reads the distribution folder through its index
(`分发/.pyxl-sent.json`); `first_sent` reads the send ledger beside it
(`pyxl.mail.ledger`). A return is checked against both.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from pyxl.common.files import write_text_atomic
from pyxl.common.spreadsheets import Unreadable, read_book
from pyxl.distribution import layout
from pyxl.mail.ledger import KIND_SEND, Ledger
from pyxl.mail.ledger import LEDGER_NAME as SEND_LEDGER
from pyxl.returns import parsed
from pyxl.returns.identity import find_header, header_hint, read_identity


class SentCopies:
    """The sheets we sent, by identity hash: whom each was issued to, and its locked cells (to say which changed).

    Which hash went to which unit is kept in `分发/.pyxl-sent.json`, one line
    per sent file under the SHA-256 of its bytes: every command that reads
    returns needs it (the issued-to check), and reading all the sent sheets
    again each time cost as much as reading the returns. A file whose bytes
    changed (split again, edited by hand) is read again; the index is a
    convenience, the sent files stay the source. The locked cells are read
    only from the one sent sheet a changed return is compared with.
    """

    INDEX_NAME = ".pyxl-sent.json"

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._issued_to: dict[str, tuple[str, str]] | None = None  # hash → (unit, period) of the sheet it was written into
        self._files: dict[str, Path] = {}  # hash → the sent file carrying it
        self._locked: dict[str, dict[str, tuple[str, ...]]] = {}  # hash → key → locked cells, read when asked

    def locked(self, digest: str) -> dict[str, tuple[str, ...]] | None:
        """The locked cells of the sent sheet carrying `digest`, by row key; None when we sent none."""
        self._load()
        if digest not in self._locked:
            path = self._files.get(digest)
            found = _sent_identity(path.read_bytes()) if path is not None and path.is_file() else None
            if found is None or found[0] != digest:
                return None
            self._locked[digest] = found[3]
        return self._locked[digest]

    def issued_to(self, digest: str) -> tuple[str, str] | None:
        """(unit, period) of the sent sheet carrying this identity hash, or None."""
        self._load()
        return self._issued_to.get(digest)

    def _load(self) -> None:
        if self._issued_to is not None:
            return
        self._issued_to = {}
        if self.folder is None or not self.folder.is_dir():
            return
        index_path = self.folder / self.INDEX_NAME
        kept = _read_sent_index(index_path)
        index: dict[str, list] = {}
        for path in sorted(self.folder.glob("*.xlsx")):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            sha = hashlib.sha256(data).hexdigest()
            entry = kept.get(path.name)
            if not (isinstance(entry, list) and len(entry) == 4 and entry[0] == sha):
                found = _sent_identity(data)
                entry = [sha, *found[:3]] if found is not None else [sha, None, None, None]
                if found is not None:
                    self._locked[found[0]] = found[3]
            index[path.name] = entry
            _sha, digest, unit, period = entry
            if isinstance(digest, str):
                self._issued_to[digest] = (str(unit), str(period))
                if self._files.get(digest) is not None and entry is kept.get(path.name):
                    self._locked.pop(digest, None)  # a later file with the same hash: its cells, read when asked
                self._files[digest] = path
        if index != kept:
            try:
                write_text_atomic(index_path, json.dumps({"key": _sent_index_key(), "files": index}, ensure_ascii=False,
                                                         separators=(",", ":"), sort_keys=True))
            except OSError:
                pass  # a folder that refuses it only costs speed


def _sent_index_key() -> dict[str, str]:
    return {"reader": parsed.READER_VERSION, "template": layout.TEMPLATE_VERSION}


def _read_sent_index(path: Path) -> dict:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(payload, dict) or payload.get("key") != _sent_index_key() or not isinstance(payload.get("files"), dict):
        return {}
    return payload["files"]


def _sent_identity(data: bytes) -> tuple[str, str, str, dict[str, tuple[str, ...]]] | None:
    """(identity hash, unit, period, locked cells by row key) of a sheet we sent; None when it is not one."""
    book = read_book(data)
    if isinstance(book, Unreadable):
        return None
    ident = read_identity(book)
    sheet = book.sheet(ident.get(layout.ID_SHEET, "")) if ident else None
    if ident is None or sheet is None:
        return None
    header = find_header(sheet, header_hint(ident))
    if header is None:
        return None
    rows = {}
    for r in range(header + 1, len(sheet.rows) + 1):
        locked = tuple(layout.cell_text(sheet.value(r, c + 1)) for c in range(len(layout.LOCKED_COLUMNS)))
        if locked[0]:
            rows[locked[0]] = locked
    return ident.get(layout.ID_HASH, ""), ident.get(layout.ID_UNIT, ""), ident.get(layout.ID_PERIOD, ""), rows


def first_sent(sent_dir: Path | None, period: str) -> dict[str, datetime]:
    """unit → when its sheet of `period` first reached it, from the send ledger beside the distribution folder."""
    if sent_dir is None:
        return {}
    first: dict[str, datetime] = {}
    try:
        lines = Ledger(Path(sent_dir).parent / SEND_LEDGER).read()
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    for line in lines:
        if line.ok and line.kind == KIND_SEND and line.round == period:
            try:
                moment = datetime.fromisoformat(line.time).replace(tzinfo=None)
            except ValueError:
                continue
            first[line.unit] = min(first.get(line.unit, moment), moment)
    return first
