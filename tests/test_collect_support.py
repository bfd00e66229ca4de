"""Shared helpers of the collect tests: the real split output, and a clerk who fills it with openpyxl.

The sheets are written once per test session by the real split writer from
the bundled example document and config (51 units); every test copies what it
needs. The openpyxl clerk types only into unlocked cells, as a person in Excel
can, unless a test deliberately breaks the sheet.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl

from pyxl.common.config import Settings, load_settings
from pyxl.common.model import DutyTable, UnitDirectory
from pyxl.common.units import UnitIndex
from pyxl.distribution import split
from pyxl.document import parse
from pyxl.example import example_config, use_example_document

PERIOD = "2025-06"
UNIT = "区财政局"  # leads tasks with targets and is responsible for others
OTHER = "区发展改革局"


@dataclass
class Sent:
    """What split wrote for a period: one workbook per unit, by unit name."""

    folder: Path
    files: dict[str, Path]
    duty: DutyTable
    directory: UnitDirectory


def make_sent(root: Path, period: str = PERIOD, only: list[str] | None = None) -> Sent:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(example_config(), root / "config.yaml")
    use_example_document(root)
    settings = load_settings(root / "config.yaml")
    directory = settings.unit_directory()
    duty = parse.parse_document(settings.document_path, directory, settings.year)
    plan = split.plan_split(duty, UnitIndex(directory))
    folder = root / "out" / period / "分发"
    split.write_unit_files(folder, root / "out" / period / "分发.zip", plan, period, date(2025, 7, 5), 2025, only=only)
    files = {unit: folder / plan.file_name(unit) for unit in plan.rows if (folder / plan.file_name(unit)).exists()}
    return Sent(folder, files, duty, directory)


def workspace_from(sent_root: Path, target: Path) -> Settings:
    """A workspace holding the session's split output (out/) and the example config."""
    shutil.copytree(sent_root, target)
    (target / "inbox").mkdir(exist_ok=True)
    return load_settings(target / "config.yaml")


def data_rows(sheet) -> dict[str, int]:
    """序号 → Excel row of a unit sheet, read off the sheet itself."""
    rows = {}
    header = next(r for r in range(1, 30) if sheet.cell(r, 1).value == "序号")
    for r in range(header + 1, sheet.max_row + 1):
        key = sheet.cell(r, 1).value
        if key in (None, "") or key in ("填报人", "单位负责人", "联系电话", "填报日期"):
            if rows:
                break
            continue
        rows[str(key)] = r
    return rows


def fill(book: openpyxl.Workbook) -> openpyxl.Workbook:
    """Fill every row as a careful clerk would: only unlocked cells."""
    sheet = book.worksheets[0]
    for key, r in data_rows(sheet).items():
        values = {7: 3400 if "-" in key else None, 8: 50, 9: "按计划推进", 10: f"{key} 项目按计划推进", 11: "无", 12: "继续推进"}
        for column, value in values.items():
            cell = sheet.cell(r, column)
            if cell.protection.locked:  # a （同上） row asks only its figure, its task row everything else
                assert "-" in key or column == 7, f"{cell.coordinate} is locked"
                continue
            if value is not None:
                cell.value = value
    footer = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "填报人")
    sheet.cell(footer, 2).value = "张三"
    sheet.cell(footer + 1, 2).value = "0531-87221234"
    return book


def filled(source: Path, target: Path, change=None) -> Path:
    """A copy of `source` filled in, then changed by `change(book)` (a defect), saved to `target`."""
    book = fill(openpyxl.load_workbook(source))
    if change is not None:
        change(book)
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return target
