"""The 督办单 回执: the small workbook a unit head fills to answer a 督办单.

A contract between `report` (which writes one beside each 督办单) and
`collect` (which recognises a reply by content and records it), like the
unit sheet's `layout`: one row per 督办 item, the item's text locked, 办理结果,
整改措施 and 完成时间 unlocked (完成时间 validated as a date), a footer for the
clerk and the unit head, and a hidden identity sheet whose first pair is
种类 = 督办回执, so collect never takes a reply for a monthly return (a
monthly sheet's identity has no 种类). The locked items are hashed with the
workspace's key, as the unit sheet's are: a reply cannot be forged from
another unit's.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Sequence

import xlsxwriter

from pyxl.common.files import write_bytes_atomic
from pyxl.common.period import chinese_date
from pyxl.common.sheet_text import any_row_height, lines_in_column
from pyxl.distribution import layout

KIND = "督办回执"
VERSION = "1"
SHEET = "督办回执"
COLUMNS: tuple[str, ...] = ("序号", "督办事项", "办理结果", "整改措施", "完成时间")
LOCKED_COLUMNS: tuple[str, ...] = COLUMNS[:2]
INPUT_COLUMNS: tuple[str, ...] = COLUMNS[2:]
HEADER_ROW = 5  # 1-based: title, unit, reply-by date, the note, then the header
FOOTER_LABELS: tuple[str, ...] = ("填报人", "单位负责人", "联系电话", "回复日期")
# (rows below the first footer row, 0-based column) of each label; its value is one column right
FOOTER_PLACES: dict[str, tuple[int, int]] = {"填报人": (0, 0), "单位负责人": (0, 2), "联系电话": (1, 0), "回复日期": (1, 2)}

ID_KIND = "种类"
ID_NUMBER = "督办单编号"
ID_REPLY_BY = "回复期限"
IDENTITY_KEYS: tuple[str, ...] = (
    ID_KIND, layout.ID_UNIT, layout.ID_PERIOD, ID_NUMBER, ID_REPLY_BY, layout.ID_VERSION,
    layout.ID_SHEET, layout.ID_HEADER_ROW, layout.ID_KEYS, layout.ID_HASH,
)
FILE_SUFFIX = "_回执.xlsx"  # 督办单/<unit>_回执.xlsx beside 督办单/<unit>.docx
# the earliest and latest 完成时间 the sheet accepts at entry (collect checks again)
_FIRST_DAY, _LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
_WIDTHS = (6, 48, 36, 36, 14)


@dataclass(frozen=True)
class ReplyItem:
    """One 督办 item as the 回执 lists it: its ordinal (序号) and its text as the 督办单 states it."""

    key: str
    subject: str


def reply_hash(unit: str, period: str, number: str, items: Sequence[ReplyItem], key: bytes | None) -> str:
    """The keyed hash over the unit, the 督办单 (period and 编号) and every locked item."""
    return layout.locked_hash(unit, f"{period}\x1d{number}", ((item.key, item.subject) for item in items), key)


def write_reply_workbook(
    path: Path, *, unit: str, period: str, number: str, reply_by: date, items: Sequence[ReplyItem],
    office: str, key: bytes | None, password: str = "",
) -> Path:
    """Write the 回执 of one 督办单 to `path` (replaced atomically); the bytes depend only on the arguments."""
    return write_bytes_atomic(Path(path), reply_workbook_bytes(
        unit=unit, period=period, number=number, reply_by=reply_by, items=items, office=office, key=key, password=password,
    ))


def reply_workbook_bytes(
    *, unit: str, period: str, number: str, reply_by: date, items: Sequence[ReplyItem],
    office: str, key: bytes | None, password: str = "",
) -> bytes:
    """The 回执 of one 督办单 as the bytes of an .xlsx file; they depend only on the arguments."""
    buffer = io.BytesIO()
    # in_memory: the parts are zipped straight from memory, not written to and read back from temporary files
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    title = f"督办单回执（{number}）"
    book.set_properties({"title": title, "author": "pyxl",
                         "created": datetime(int(period[:4]), int(period[5:7]), 1, tzinfo=timezone.utc)})
    base = {"font_name": "宋体", "font_size": 11, "valign": "vcenter"}

    def style(**extra):
        return book.add_format({**base, **extra})

    fmt = {
        "title": style(bold=True, font_size=16, align="center"),
        "line": style(),
        "due": style(bold=True, font_color="#C00000"),
        "note": style(font_size=10, font_color="#595959", text_wrap=True),
        "header": style(bold=True, align="center", bg_color="#D9E1F2", border=1, text_wrap=True),
        "key": style(align="center", valign="top", border=1, bg_color="#F2F2F2"),
        "text": style(valign="top", border=1, bg_color="#F2F2F2", text_wrap=True),
        "input": style(valign="top", border=1, text_wrap=True, locked=False, bg_color="#FFFDE7"),
        "date": style(valign="top", border=1, locked=False, bg_color="#FFFDE7", num_format='yyyy"年"m"月"d"日"'),
        "label": style(bold=True, align="right"),
        "value": style(bottom=1, locked=False),
        "value_date": style(bottom=1, locked=False, num_format='yyyy"年"m"月"d"日"'),
    }
    sheet = book.add_worksheet(SHEET)
    last = len(COLUMNS) - 1
    sheet.merge_range(0, 0, 0, last, title, fmt["title"])
    sheet.set_row(0, 30)
    sheet.merge_range(1, 0, 1, last, f"{layout.UNIT_LABEL}{unit}", fmt["line"])
    sheet.merge_range(2, 0, 2, last, f"回复期限：{chinese_date(reply_by)}前（即督办单的办理时限，报送{office}）", fmt["due"])
    sheet.merge_range(3, 0, 3, last, "请逐项填写办理结果、整改措施和完成时间（日期），单位负责人审核后于回复期限前报回；"
                      "灰色栏为督办事项，请勿改动。", fmt["note"])
    sheet.set_row(3, 30)
    header = HEADER_ROW - 1
    for col, (text, width) in enumerate(zip(COLUMNS, _WIDTHS)):
        sheet.set_column(col, col, width)
        sheet.write_string(header, col, text, fmt["header"])
    first = header + 1
    for offset, item in enumerate(items):
        r = first + offset
        sheet.write_string(r, 0, item.key, fmt["key"])
        sheet.write_string(r, 1, item.subject, fmt["text"])
        sheet.write_blank(r, 2, None, fmt["input"])
        sheet.write_blank(r, 3, None, fmt["input"])
        sheet.write_blank(r, 4, None, fmt["date"])
        # room for the item's text as it wraps in its column, and for two typed lines at least
        sheet.set_row(r, max(45, any_row_height(lines_in_column(item.subject, _WIDTHS[1]))))
    end = first + max(len(items), 1) - 1
    if items:
        sheet.data_validation(first, 4, end, 4, {
            "validate": "date", "criteria": "between", "minimum": _FIRST_DAY, "maximum": _LAST_DAY,
            "input_title": "完成时间", "input_message": "填写日期，如 2025-09-30（已完成的填实际完成日期）。",
            "error_title": "请填写日期", "error_message": "完成时间只能填日期，如 2025-09-30。", "error_type": "stop",
        })
        sheet.ignore_errors({"number_stored_as_text": f"A{first + 1}:A{end + 1}"})
    footer = end + 2
    for label in FOOTER_LABELS:
        down, col = FOOTER_PLACES[label]
        sheet.write_string(footer + down, col, label, fmt["label"])
        sheet.write_blank(footer + down, col + 1, None, fmt["value_date" if label == "回复日期" else "value"])
    sheet.freeze_panes(HEADER_ROW, 0)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header)
    sheet.protect(password or "", {"format_rows": True, "format_columns": True})
    sheet.activate()

    identity = book.add_worksheet(layout.IDENTITY_SHEET)
    values = {
        ID_KIND: KIND, layout.ID_UNIT: unit, layout.ID_PERIOD: period, ID_NUMBER: number,
        ID_REPLY_BY: reply_by.isoformat(), layout.ID_VERSION: VERSION, layout.ID_SHEET: SHEET,
        layout.ID_HEADER_ROW: str(HEADER_ROW), layout.ID_KEYS: layout.KEY_SEPARATOR.join(i.key for i in items),
        layout.ID_HASH: reply_hash(unit, period, number, items, key),
    }
    for r, name in enumerate(IDENTITY_KEYS):
        identity.write_string(r, 0, name)
        identity.write_string(r, 1, values[name])
    identity.protect()
    identity.hide()
    book.close()
    return buffer.getvalue()
