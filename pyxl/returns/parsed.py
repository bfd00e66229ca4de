"""Each return parsed once: its cells kept beside the archived original.

Reading a workbook (unzipping it, python-calamine, the sheet-XML scan) is the
costly part of reading a return, and a month reads each one several times:
collect, consolidate, report, next month's split pre-fill. The first read
keeps the parsed form — the `Book` of `pyxl.returns.readers`, plain cell
values — in `returns/<period>/.parsed/<sha256>.json`; every later read of the
same original takes it from there.

The key is the original's SHA-256 (the ledger's), the reader's format
version and the unit-sheet template version: a changed reader or template
reads the original again. The validation of a return (unit, rows, values)
is never cached: it depends on the duty table and the unit directory, which
staff may have changed since, so it runs on the parsed cells every time.

The cache is a convenience, never a source: the original stays the record.
A cache file that is missing, unreadable, or made by another version is
ignored and rewritten; a folder that cannot be written only loses the speed.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable

from pyxl.common.files import write_text_atomic
from pyxl.distribution import layout
from pyxl.returns.readers import Book, Sheet, Unreadable, read_book

FOLDER = ".parsed"
# Bump when readers.read_book changes what it returns for the same bytes.
READER_VERSION = "1"


def cache_path(returns_dir: Path, sha256: str) -> Path:
    """Where the parsed form of the archived original with this SHA-256 is kept."""
    return Path(returns_dir) / FOLDER / f"{sha256}.json"


def _key(sha256: str) -> dict[str, str]:
    return {"sha256": sha256, "reader": READER_VERSION, "template": layout.TEMPLATE_VERSION}


def book_of(returns_dir: Path, sha256: str, data: Callable[[], bytes]) -> Book | Unreadable:
    """The parsed original `sha256` of `returns_dir`: from the cache, else read from `data()` and kept.

    `data` is called only on a cache miss (reading the original is part of the cost).
    """
    path = cache_path(returns_dir, sha256)
    cached = _load(path, sha256)
    if cached is not None:
        return cached
    content = data()
    book = read_book(content)
    if content and sha256:  # a missing original (b"") is not a parsed form
        keep(returns_dir, sha256, book)
    return book


def keep(returns_dir: Path, sha256: str, book: Book | Unreadable) -> None:
    """Write the parsed form of original `sha256`; a folder that refuses it only costs speed."""
    payload = {"key": _key(sha256), **_encode_book(book)}
    try:
        write_text_atomic(cache_path(returns_dir, sha256), json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
    except OSError:
        pass


def _load(path: Path, sha256: str) -> Book | Unreadable | None:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("key") != _key(sha256):
            return None
        return _decode_book(payload)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # absent, half-written by a crash, or edited by hand: read the original again


# ---------------------------------------------------------------- JSON with the cell types calamine returns

_TYPES = {"dt": datetime.fromisoformat, "d": date.fromisoformat, "t": time.fromisoformat,
          "td": lambda seconds: timedelta(seconds=seconds)}


def _encode_cell(value: object) -> object:
    if value is None or isinstance(value, (str, bool, int, float)):
        if isinstance(value, float) and value != value:
            return {"nan": 1}
        return value
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time):
        return {"t": value.isoformat()}
    if isinstance(value, timedelta):
        return {"td": value.total_seconds()}
    return str(value)


def _decode_cell(value: object) -> object:
    if isinstance(value, dict):
        if "nan" in value:
            return float("nan")
        (tag, text), = value.items()
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
                "rows": [[_encode_cell(v) for v in row] for row in sheet.rows],
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
            [[_decode_cell(v) for v in row] for row in sheet["rows"]],
            {str(k): str(v) for k, v in sheet["uncached_formulas"].items()},
            set(sheet["percent_cells"]),
        )
        for sheet in payload["sheets"]
    ]
    return Book(str(payload["kind"]), sheets)
