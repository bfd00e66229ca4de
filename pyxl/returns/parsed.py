"""Each return parsed once: its cells kept beside the archived original.

Reading a workbook (unzipping it, python-calamine, the sheet-XML scan) is the
costly part of reading a return, and a month reads each one several times:
collect, consolidate, report, next month's split pre-fill. The first read
keeps the parsed form — the `Book` of `pyxl.common.spreadsheets`, plain cell
values — beside the originals in `returns/<period>/.parsed.json`; every later
read of the same original takes it from there.

The key is the original's SHA-256 (the ledger's), the reader's format
version and the unit-sheet template version: a changed reader or template
reads the originals again. The validation of a return (unit, rows, values)
is not kept here: it depends on the duty table and the unit directory, which
staff may have changed since. It is kept apart (`pyxl.pipeline.archive`),
stamped with everything it depends on, and done again on the parsed cells
whenever any of that changed.

The cache is a convenience, never a source: the original stays the record.
A cache that is missing, unreadable, or made by another version is ignored
and rewritten; a folder that cannot be written only loses the speed.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable

from pyxl.common.files import write_text_atomic
from pyxl.common.spreadsheets import Book, Sheet, Unreadable, read_book
from pyxl.distribution import layout

FILE_NAME = ".parsed.json"
# Bump when spreadsheets.read_book changes what it returns for the same bytes.
READER_VERSION = "2"


def _key() -> dict[str, str]:
    return {"reader": READER_VERSION, "template": layout.TEMPLATE_VERSION}


class ParsedCache:
    """The parsed forms of one period's archived originals, by SHA-256: `returns/<period>/.parsed.json`.

    One file per period, read once and written once per run (not a file per
    return: two more file writes per return cost more than the JSON does).
    """

    def __init__(self, returns_dir: Path) -> None:
        self.path = Path(returns_dir) / FILE_NAME
        # SHA-256 → the book as a JSON text, decoded only when asked for: 500 books decoded
        # at once would hold every cell twice (here and in the returns read from them)
        self._books: dict[str, str] | None = None
        self._changed = False

    def _entries(self) -> dict[str, str]:
        if self._books is None:
            self._books = {}
            try:
                payload = json.loads(self.path.read_text(encoding="utf-8"))
                if payload.get("key") == _key() and isinstance(payload.get("books"), dict):
                    self._books = payload["books"]
            except (OSError, ValueError, AttributeError):
                pass  # absent, or edited by hand: read the originals again
        return self._books

    def get(self, sha256: str) -> Book | Unreadable | None:
        """The parsed original `sha256`, None when it is not kept (or not readable as kept)."""
        entry = self._entries().get(sha256)
        if entry is None:
            return None
        try:
            return _decode_book(json.loads(entry, object_hook=_decode_special))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def put(self, sha256: str, book: Book | Unreadable) -> None:
        """Keep the parsed form of original `sha256` (written by `save`)."""
        self._entries()[sha256] = json.dumps(_encode_book(book), ensure_ascii=False, separators=(",", ":"),
                                             default=_encode_special)
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
        if not self._changed:
            return
        payload = {"key": _key(), "books": self._entries()}
        try:
            text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
            write_text_atomic(self.path, text)
        except OSError:
            return
        self._changed = False


# ---------------------------------------------------------------- JSON with the cell types calamine returns
# Text, numbers and booleans are JSON's own (json's C encoder does them, NaN included); dates and
# times become one-key objects, turned back by the decoder's object hook.

_TYPES = {"dt": datetime.fromisoformat, "d": date.fromisoformat, "t": time.fromisoformat,
          "td": lambda seconds: timedelta(seconds=seconds)}


def _encode_special(value: object) -> object:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time):
        return {"t": value.isoformat()}
    if isinstance(value, timedelta):
        return {"td": value.total_seconds()}
    return str(value)


def _decode_special(value: dict) -> object:
    if len(value) == 1:
        (tag, text), = value.items()
        if tag in _TYPES:
            return _TYPES[tag](text)
    return value


def _encode_book(book: Book | Unreadable) -> dict:
    if isinstance(book, Unreadable):
        return {"unreadable": {"code": book.code, "reason": book.reason}}
    return {
        "kind": book.kind,
        "sheets": [
            {
                "name": sheet.name,
                "visible": sheet.visible,
                "rows": sheet.rows,
                "uncached_formulas": sheet.uncached_formulas,
                "percent_cells": sorted(sheet.percent_cells),
            }
            for sheet in book.sheets
        ],
    }


def _decode_book(payload: dict) -> Book | Unreadable:
    if "unreadable" in payload:
        return Unreadable(payload["unreadable"]["code"], payload["unreadable"]["reason"])
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
