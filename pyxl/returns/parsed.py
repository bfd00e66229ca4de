"""Each return parsed once: its cells kept beside the archived original.

Reading a workbook (unzipping it, python-calamine, the sheet-XML scan) is the
costly part of reading a return, and a month reads each one several times:
collect, consolidate, report, next month's split pre-fill. The first read
keeps the parsed form — the `Book` of `pyxl.common.spreadsheets`, plain cell
values — beside the originals in `returns/<period>/.pyxl-parsed`; every later
read of the same original takes it from there.

The key is the original's SHA-256 (the ledger's), the reader's format
version and the unit-sheet template version: a changed reader or template
reads the originals again. The validation of a return (unit, rows, values)
is not kept here: it depends on the duty table and the unit directory, which
staff may have changed since. It is kept apart (`pyxl.pipeline.archive`),
stamped with everything it depends on, and done again on the parsed cells
whenever any of that changed.

The cache is a convenience, never a source: the original stays the record.
It is one pickle of every book, sealed with the workspace's key
(`pyxl.common.sealed`), so only a file pyxl wrote here is unpickled; a
workspace without a key (nothing sent yet) keeps none. A cache that is
missing, damaged, foreign or made by another version is ignored and
rewritten; a folder that cannot be written only loses the speed. (It was
JSON, a JSON text per book inside another: encoding a province's 500 returns
that way cost a tenth of collect. Then a pickle per book: 6 MB for a
province's month, as each task's text was written again for every unit it
names; pickled together, a text the sheet scan met before is one object
(`pyxl.common.sheet_xml`) and is written once: 0.9 MB.)
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

from pyxl.common import sealed
from pyxl.common.spreadsheets import Book, Sheet, Unreadable, read_book
from pyxl.distribution import layout

FILE_NAME = ".pyxl-parsed"
_FORMER_FILE = ".parsed.json"  # the JSON cache of earlier versions: removed when this one is written
_MAGIC = b"pyxl-parsed 2\n"  # 1: a pickle per book inside the pickle
# Bump when spreadsheets.read_book changes what it returns for the same bytes.
READER_VERSION = "2"


def _stamp() -> bytes:
    return hashlib.sha256(f"reader {READER_VERSION}\ntemplate {layout.TEMPLATE_VERSION}".encode()).digest()


class ParsedCache:
    """The parsed forms of one period's archived originals, by SHA-256: `returns/<period>/.pyxl-parsed`.

    One file per period, read once and written once per run (not a file per
    return: two more file writes per return cost more than the pickle does).
    `key` is the workspace's (`layout.workspace_key`); without one nothing is kept.
    """

    def __init__(self, returns_dir: Path, key: bytes | None) -> None:
        self.path = Path(returns_dir) / FILE_NAME
        self.key = key
        self._books: dict[str, dict] | None = None  # SHA-256 → the book as plain values (_encode_book)
        self._changed = False

    def _entries(self) -> dict[str, dict]:
        if self._books is None:
            found = sealed.read_sealed(self.path, _MAGIC, self.key, lambda _names: _stamp())
            books = found[1] if found is not None else None
            valid = isinstance(books, dict) and all(isinstance(k, str) and isinstance(v, dict) for k, v in books.items())
            self._books = books if valid else {}
        return self._books

    def get(self, sha256: str) -> Book | Unreadable | None:
        """The parsed original `sha256`, None when it is not kept (or not readable as kept)."""
        entry = self._entries().get(sha256)
        if entry is None:
            return None
        try:
            return _decode_book(entry)
        except Exception:  # noqa: BLE001 (sealed by us, yet not a book this version reads: read the original again)
            return None

    def put(self, sha256: str, book: Book | Unreadable) -> None:
        """Keep the parsed form of original `sha256` (written by `save`)."""
        if self.key is None:
            return
        self._entries()[sha256] = _encode_book(book)
        self._changed = True

    def book(self, sha256: str, data: Callable[[], bytes]) -> Book | Unreadable:
        """The parsed original: kept, else read from `data()` (called only then) and kept."""
        found = self.get(sha256)
        if found is not None:
            return found
        content = data()
        book = read_book(content)
        if content and sha256:  # a missing original (b"") has no parsed form
            self.put(sha256, book)
        return book

    def save(self) -> None:
        """Write the kept forms if any were added; a folder that refuses it only costs speed."""
        if not self._changed or self.key is None:
            return
        sealed.keep_sealed(self.path, _MAGIC, self.key, [], _stamp(), self._entries())
        self._changed = False
        try:
            (self.path.parent / _FORMER_FILE).unlink(missing_ok=True)
        except OSError:
            pass


# ---------------------------------------------------------------- a book as plain values
# Lists, dicts and the cell values calamine returns (text, numbers, booleans, dates and times,
# NaN): pickled as they are, with no class of ours inside, so a renamed class never strands a cache.


def _encode_book(book: Book | Unreadable) -> dict:
    if isinstance(book, Unreadable):
        return {"unreadable": {"code": book.code, "reason": book.reason, "sheet": book.sheet, "cell": book.cell}}
    return {
        "kind": book.kind,
        "sheets": [
            {
                "name": sheet.name,
                "visible": sheet.visible,
                "rows": [list(row) for row in sheet.rows],  # its own lists: the book read may change after
                "uncached_formulas": dict(sheet.uncached_formulas),
                "percent_cells": sorted(sheet.percent_cells),
            }
            for sheet in book.sheets
        ],
    }


def _decode_book(payload: dict) -> Book | Unreadable:
    if "unreadable" in payload:
        found = payload["unreadable"]
        return Unreadable(str(found["code"]), str(found["reason"]), found.get("sheet"), found.get("cell"))
    sheets = [
        Sheet(
            str(sheet["name"]),
            bool(sheet["visible"]),
            [list(row) for row in sheet["rows"]],
            {str(k): str(v) for k, v in sheet["uncached_formulas"].items()},
            set(sheet["percent_cells"]),
        )
        for sheet in payload["sheets"]
    ]
    return Book(str(payload["kind"]), sheets)
