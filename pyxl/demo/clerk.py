"""A simulated unit clerk for `pyxl demo`: opens a unit's workbook and types answers.

It fills the file the way a spreadsheet program would — open the .xlsx, type
into the unlocked input cells only, save — so `collect` sees exactly what a
real return looks like and nothing in it is bypassed. The answers are drawn
from a seeded random generator, so every demo run returns the same files.
"""

from __future__ import annotations

import io
import math
import random
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from pyxl.common.files import write_bytes_atomic
from pyxl.common.model import Target
from pyxl.distribution import layout

# What the simulated clerk writes, by the unit's situation this month.
PROGRESS_TEXT = {
    "按计划推进": [
        "已制定年度工作方案，按月调度，各项工作有序推进。",
        "重点项目按节点推进，已完成阶段性目标。",
        "已召开专题推进会，明确责任分工和时间节点，工作进展顺利。",
    ],
    "滞后": [
        "受项目审批手续影响，部分工作进度滞后。",
        "资金尚未全部到位，工程进度慢于计划。",
    ],
    "已完成": ["已全面完成年度任务，正在巩固提升。"],
    "未启动": ["前期准备中，计划下季度启动。"],
}
ISSUES_TEXT = {
    "滞后": ["要素保障不足，审批周期较长。", "资金缺口较大，需上级协调。"],
}
# Paces of units on schedule: mostly exactly on it, some ahead.
ON_PACE = (1.0, 1.0, 1.0, 1.05, 1.1, 1.2)
NEXT_STEPS_TEXT = [
    "加强调度，确保按期完成全年目标。",
    "加大协调力度，倒排工期、挂图作战。",
]


@dataclass
class UnitScript:
    """How one unit answers this month."""

    pace: float = 1.0  # reported value as a share of 序时进度 (1.0 = exactly on schedule)
    status: str = "按计划推进"
    typo_in_number: bool = False  # types text where a number belongs
    filled_by: str = "张敏"
    phone: str = "0531-87200000"
    filled_date: str = ""
    evidence: str = ""  # typed into 佐证材料 of the first row that asks it, naming the files sent with the sheet


def _identity(book: openpyxl.Workbook) -> dict[str, str]:
    sheet = book[layout.IDENTITY_SHEET]
    return {
        layout.cell_text(row[0]): layout.cell_text(row[1])
        for row in sheet.iter_rows(min_col=1, max_col=2, values_only=True)
        if row[0] is not None
    }


def _type(cell: Cell, value: object) -> None:
    """Type into a cell the clerk may edit; refusing a locked cell is what Excel would do."""
    if cell.protection.locked:
        raise PermissionError(f"单元格 {cell.coordinate} 受保护，填报员无法输入")
    cell.value = value


def fill_unit_workbook(
    source: Path,
    target: Path,
    script: UnitScript,
    targets: dict[str, Target],
    schedule_fraction: float,
    rng: random.Random,
    saved_at: datetime,
) -> None:
    """Fill the unit workbook at `source` as `script` says and save it to `target`."""
    book = openpyxl.load_workbook(source)
    identity = _identity(book)
    sheet = book[identity[layout.ID_SHEET]]
    header_row = int(identity[layout.ID_HEADER_ROW])
    columns = {layout.cell_text(cell.value): cell.column for cell in sheet[header_row]}
    keys = identity[layout.ID_KEYS].split(layout.KEY_SEPARATOR) if identity[layout.ID_KEYS] else []
    typo_pending = script.typo_in_number
    evidence_pending = script.evidence
    for offset, key in enumerate(keys):
        row = header_row + 1 + offset
        is_target_row = key in targets  # a task number may hold a "-" itself (一-2)
        status = script.status
        percent = 100.0 if status == "已完成" else round(min(100.0, 100 * schedule_fraction * script.pace), 1)
        if is_target_row:
            value = _reported_value(key, targets[key], schedule_fraction, script)
            if typo_pending:
                value, typo_pending = "正在统计", False  # a person's answer where a number belongs
            _type(sheet.cell(row, columns["本期完成值"]), value)
        if sheet.cell(row, columns["状态"]).protection.locked:
            continue  # a （同上） target row asks only its figure: the task row above carries the rest
        _type(sheet.cell(row, columns["完成进度(%)"]), percent)
        _type(sheet.cell(row, columns["状态"]), status)
        _type(sheet.cell(row, columns["进展情况"]), rng.choice(PROGRESS_TEXT[status]))
        if status in ISSUES_TEXT:
            _type(sheet.cell(row, columns["存在问题"]), rng.choice(ISSUES_TEXT[status]))
        _type(sheet.cell(row, columns["下步措施"]), rng.choice(NEXT_STEPS_TEXT))
        if evidence_pending and not sheet.cell(row, columns["佐证材料"]).protection.locked:
            _type(sheet.cell(row, columns["佐证材料"]), evidence_pending)
            evidence_pending = ""
    _fill_footer(sheet, header_row + len(keys) + 1, script)
    _save_at(book, target, saved_at)


def _save_at(book: openpyxl.Workbook, target: Path, saved_at: datetime) -> None:
    """Save as a spreadsheet program would at the simulated time `saved_at`.

    openpyxl's save stamps the real clock into docProps and into every zip
    entry; the simulated clerk's clock is the demo's, so that the same seed
    gives byte-identical returns (and the same archive) on every run.
    """
    book.properties.modified = saved_at
    buffer = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    write_bytes_atomic(target, _stamped(buffer.getvalue(), saved_at))


def _stamped(package: bytes, saved_at: datetime) -> bytes:
    """The zip `package` with every entry dated `saved_at` (the library stamped the real clock)."""
    stamped = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(stamped, "w", zipfile.ZIP_DEFLATED) as copy:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=saved_at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            copy.writestr(info, source.read(entry))
    return stamped.getvalue()


def evidence_document(unit: str, title: str, lines: list[str], saved_at: datetime) -> bytes:
    """A unit's 佐证材料 as a Word file (a 工作台账), the same bytes for the same arguments."""
    import docx

    document = docx.Document()
    document.core_properties.author = unit
    document.core_properties.created = document.core_properties.modified = saved_at
    document.add_heading(title, level=1)
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return _stamped(buffer.getvalue(), saved_at)


def _reported_value(key: str, target: Target, fraction: float, script: UnitScript) -> float:
    """A plausible year-to-date value for the target at row `key`.

    The number comes from the district's statistics, not from the unit: two
    lead units on schedule report the same figure for a shared target, so
    the value is drawn from a generator seeded by the row key. A unit that
    is behind (or finished) reports its own pace instead.
    """
    statistics = random.Random(key)
    pace = statistics.choice(ON_PACE) if script.status == "按计划推进" else script.pace
    if target.kind in ("growth", "ratio", "level"):
        # Rates and levels are compared directly with the target: on pace means at the target.
        return round(target.value * pace + statistics.uniform(0, 0.1), 2)
    due = target.value if script.status == "已完成" else target.value * fraction
    if target.comparator == "<=":
        # A ceiling (不超过): being on pace means staying under it.
        value = due / max(pace, 0.1)
        return math.floor(value) if target.kind == "count" else round(value, 2)
    if target.kind == "count":
        # Counts are whole things (条, 所, 家): on pace or ahead rounds up to the next whole one, behind rounds down.
        return math.ceil(due * pace - 1e-9) if pace >= 1 else math.floor(due * pace)
    return round(due * pace, 2)


def _fill_footer(sheet: Worksheet, first_row: int, script: UnitScript) -> None:
    """填报人, 联系电话 and 填报日期 typed into the cell right of each label below the table."""
    values = {"填报人": script.filled_by, "联系电话": script.phone, "填报日期": script.filled_date}
    for row in sheet.iter_rows(min_row=first_row, max_row=sheet.max_row):
        for cell in row:
            label = layout.cell_text(cell.value).rstrip("：:")
            if label in values:
                _type(sheet.cell(cell.row, cell.column + 1), values[label])
