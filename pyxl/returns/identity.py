"""Where a workbook says what it is: the hidden identity sheet and the header row of the table.

Read alike from the sheets we sent (`pyxl.returns.sent`) and from the
returns (`pyxl.returns.check`); the layout is `pyxl.distribution.layout`'s.
"""

from __future__ import annotations

from pyxl.common.spreadsheets import Book, Sheet, as_text, is_blank
from pyxl.distribution import layout

_HEADER_SEARCH_ROWS = 30


def read_identity(book: Book) -> dict[str, str] | None:
    sheet = book.sheet(layout.IDENTITY_SHEET)
    if sheet is None:
        return None
    pairs = {as_text(row[0]): as_text(row[1]) for row in sheet.rows if len(row) >= 2 and not is_blank(row[0])}
    return pairs if pairs.get(layout.ID_UNIT) else None


def header_hint(ident: dict[str, str] | None) -> int | None:
    """The header row the identity sheet records, when it records one."""
    written = (ident or {}).get(layout.ID_HEADER_ROW) or ""
    return int(written) if written.isdigit() else None


def find_header(sheet: Sheet, hint: int | None) -> int | None:
    """1-based row holding the header titles: the identity's row if it still is, else the first that looks like it."""
    def is_header(row: int) -> bool:
        texts = {as_text(v) for v in sheet.rows[row - 1]} if 0 < row <= len(sheet.rows) else set()
        return "序号" in texts and ("本期完成值" in texts or "进展情况" in texts)

    if hint and is_header(hint):
        return hint
    return next((r for r in range(1, min(len(sheet.rows), _HEADER_SEARCH_ROWS) + 1) if is_header(r)), None)
