"""How much room text takes in a sheet, for the row heights we must set ourselves.

Neither Excel nor LibreOffice fits the height of a row with wrapped text
when it opens a generated file, so writers (unit sheets, the summary
workbook) set heights from these estimates; people may still resize rows.
"""

from __future__ import annotations

import math

LINE_POINTS = 14.5  # one line of 11 pt 宋体
MAX_LINES = 27  # Excel's row height limit is 409 pt
# Sheets a person fills in must read the same in Excel, WPS and LibreOffice: Excel counts
# a CJK character as two digits, WPS and LibreOffice (with their fallback CJK fonts) draw
# it about 10 % wider, and their lines of 11 pt text are taller.
CJK_WIDEN = 1.1
ANY_LINE_POINTS = 15.6  # one line of 11 pt text, the tallest of Excel, WPS and LibreOffice


def lines_in_column(text: str, column_width: float) -> int:
    """Lines `text` takes in a wrapped column `column_width` wide, in any of the three programs."""
    return wrapped_lines(text, max(column_width - 1.5, 1) / CJK_WIDEN)


def any_row_height(lines: int) -> float:
    """Row height in points that shows `lines` lines of 11 pt text in Excel, WPS and LibreOffice (capped at 409)."""
    return round(min(max(lines, 1) * ANY_LINE_POINTS + 4, 409), 1)


def display_width(text: str) -> int:
    """Width in Excel character units: a CJK character is about two digits wide.

    UTF-8 spends 3 bytes on a CJK character and 1 on ASCII, so this is
    (bytes + characters) / 2 without a per-character loop.
    """
    return (len(text.encode("utf-8")) + len(text)) // 2


def wrapped_lines(text: str, usable_width: float) -> int:
    """Lines `text` takes in a wrapped column with `usable_width` character units."""
    return sum(math.ceil(display_width(part) / usable_width) or 1 for part in str(text).split("\n"))


def row_height(lines: int) -> float:
    """Row height in points that shows `lines` lines (capped at Excel's limit)."""
    return round(min(max(lines, 1), MAX_LINES) * LINE_POINTS + 3, 1)
