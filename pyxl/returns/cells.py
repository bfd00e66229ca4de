"""One input cell of a return row, read as the clerk meant it.

Numbers typed as text (1,200, 1.2万, 约60%), percent-formatted cells read as
shown, the status list, the date of an extension request and the request's
two halves; each reading that is not plain says so through the Checker.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from pyxl.common.model import STATUSES, ReturnRow
from pyxl.common.spreadsheets import as_text, cell_name
from pyxl.common.values import Reading, is_percent_unit, read_number
from pyxl.distribution import layout
from pyxl.returns.codes import (
    PERCENT_NOT_NUMBER,
    PERCENT_RANGE,
    REQUEST_DATE_INVALID,
    REQUEST_INCOMPLETE,
    STATUS_INVALID,
    VALUE_NOT_NUMBER,
    VALUE_READ_AS,
    Checker,
)


class PercentCell(float):
    """A number cell the clerk sees as a percentage: 0.6 shown as 60%."""

    @property
    def shown(self) -> str:
        return format(float(self) * 100, ".12g") + "%"


def _reading(raw: object, unit: str) -> Reading:
    """A number cell as the clerk meant it: a percent-formatted cell as shown, anything else by `read_number`."""
    return _read_percent_cell(raw, unit) if isinstance(raw, PercentCell) else read_number(raw, unit)


def _read_percent_cell(raw: PercentCell, target_unit: str) -> Reading:
    """What the clerk saw ("60%") read like typed text; noted only when the unit is not a percentage."""
    reading = read_number(raw.shown, target_unit)
    if is_percent_unit(target_unit) and not reading.error:
        return Reading(reading.value)
    return reading


def read_input(check: Checker, row: ReturnRow, title_text: str, raw: object, place: str, target_unit: str) -> None:
    """Interpret one input cell into `row`, reporting what was read or why it cannot be."""
    if isinstance(raw, PercentCell) and title_text not in ("本期完成值", "完成进度(%)"):
        raw = raw.shown  # a text column: keep the text the clerk sees
    if title_text == "本期完成值":
        row.value_text = raw.shown if isinstance(raw, PercentCell) else as_text(raw)
        reading = _reading(raw, target_unit)
        if reading.error:
            check.add(VALUE_NOT_NUMBER, f"「本期完成值」填的是「{row.value_text[:40]}」，不是数字：请只填数字，文字说明写在「进展情况」中。", cell=place)
        else:
            row.value = reading.value
            if reading.note:
                check.add(VALUE_READ_AS, f"「本期完成值」{reading.note}：如不对请改成数字重报。", cell=place)
    elif title_text == "完成进度(%)":
        if raw.__class__ is float and 0 <= raw <= 100:  # a number cell in range, as nearly every one is: read as it is
            row.percent = raw
            return
        reading = _reading(raw, "%")
        if reading.error:
            check.add(PERCENT_NOT_NUMBER, f"「完成进度(%)」填的是「{as_text(raw)[:40]}」，不是数字：请填 0 到 100 之间的数字。", cell=place)
        elif reading.value is None:  # 无, —: nothing to report, as if left blank
            check.add(VALUE_READ_AS, f"「完成进度(%)」{reading.note}：如有进度请填 0 到 100 之间的数字。", cell=place)
        elif not 0 <= reading.value <= 100:
            check.add(PERCENT_RANGE, f"「完成进度(%)」是 {format(reading.value, '.12g')}，不在 0 到 100 之间：请填 0 到 100 之间的数字。", cell=place)
        else:
            row.percent = reading.value
            if reading.note:
                check.add(VALUE_READ_AS, f"「完成进度(%)」{reading.note}：如不对请改成数字重报。", cell=place)
    elif title_text == "状态":
        status = as_text(raw)
        if status in STATUSES:
            row.status = status
        else:
            check.add(STATUS_INVALID, f"「状态」填的是「{status[:20]}」，应为 {'、'.join(STATUSES)} 之一：请从下拉列表中选择。", cell=place)
    elif title_text == "申请新完成时限":
        day = request_date(raw)
        if day is None:
            check.add(REQUEST_DATE_INVALID, f"「申请新完成时限」填的是「{as_text(raw)[:20]}」，不是日期：延期申请未受理；"
                                            "确需延期请填日期（如 2025-09-30）并写明理由后重报。", cell=place)
        else:
            row.requested_deadline = day
    else:
        # Kept exactly as typed (a leading = stays text): outputs write it as text.
        setattr(row, layout.INPUT_FIELDS[title_text], raw if isinstance(raw, str) else as_text(raw))


_DATE_TEXT = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def request_date(raw: object) -> date | None:
    """申请新完成时限 as the clerk meant it: a date cell, or a date typed as text (2025-09-30, 2025/9/30, 2025年9月30日)."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    found = _DATE_TEXT.match(as_text(raw).translate(_FULL_WIDTH_DIGITS)) if isinstance(raw, str) else None
    if found is None:
        return None
    try:
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:  # 2025-02-30
        return None


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９／－．", "0123456789/-.")


def check_request(check: Checker, row: ReturnRow, excel_row: int, columns: dict[str, int]) -> None:
    """A request needs both a date and a reason; one without the other is not taken (a problem on the empty cell)."""
    if row.requested_deadline is None and not row.request_reason:
        return  # no request, as on nearly every row: nothing to check or clear
    if not all(t in columns for t in layout.REQUEST_COLUMNS):
        return
    date_place = cell_name(excel_row, columns["申请新完成时限"])
    if any(p.cell == date_place and p.code == REQUEST_DATE_INVALID for p in check.problems):
        row.request_reason = ""
        return
    has_date, has_reason = row.requested_deadline is not None, bool(row.request_reason.strip())
    if has_date == has_reason:
        return
    empty = "申请理由" if has_date else "申请新完成时限"
    check.add(REQUEST_INCOMPLETE, f"延期申请缺少「{empty}」：申请未受理；确需延期请两项都填后重报。",
              cell=cell_name(excel_row, columns[empty]))
    row.requested_deadline, row.request_reason = None, ""
