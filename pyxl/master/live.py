"""The rows and charts the ribbon writes into the live master, as plain values.

Each sheet is one block of rows written in one call: the period's tables
(`frame_rows`, `problem_rows`), the 仪表盘 (`dashboard_block`: the three
`pyxl.outputs.dashboard.dashboard_tables` blocks stacked, and where each native chart
takes its data from) and the per-unit sheets (`unit_sheets`: each unit's rows
as its workbook shows them). No xlwings here, so the Excel shell stays a few
lines and all of this is tested without Excel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Literal, Sequence

import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from pyxl.common.model import CATEGORIES, SHEET_NAMES, SUMMARY_SHEETS, Consolidation, is_missing
from pyxl.common.values import looks_like_formula
from pyxl.common.problems import PROBLEM_COLUMNS, PROBLEM_LABELS, SEVERITY_LABELS, Problem
from pyxl.distribution import layout
from pyxl.distribution.unit_sheet import SheetRow, header_row, sheet_name_for
from pyxl.master import rows as master
from pyxl.outputs.summary import shown_value
from pyxl.outputs.dashboard import (
    CHART_TITLES,
    NO_INDICATOR_DATA,
    PERCENT_DONE,
    SHEET_NAME,
    TABLE_CATEGORIES,
    TABLE_INDICATORS,
    TABLE_UNITS,
    dashboard_heading,
    dashboard_tables,
)

if TYPE_CHECKING:
    from pyxl.distribution.split import SplitPlan

Rows = list[list[Any]]
ChartKind = Literal["pie", "bar_stacked", "column"]

DASHBOARD_SHEET = SHEET_NAME
SHARE_HEADER = "占比(%)"  # the live sheet has no number formats: shares are written as percentages
_FIRST_TABLE_ROW = 3  # 1-based: the heading, a blank row, then the tables
_GAP = 2  # blank rows between two tables
_CHART_COLUMN = "K"  # charts sit right of the tables (columns A–I)


@dataclass(frozen=True)
class ChartSpec:
    """One native chart: its data as A1 ranges of the same sheet, and where it sits.

    `source` holds the value columns with their header row (the series
    names), series in columns; `categories` the labels, without the header.
    `anchor` is the cell of the chart's top-left corner; sizes are points.
    """

    kind: ChartKind
    title: str
    source: str
    categories: str
    anchor: str
    width: float = 380
    height: float = 240


def _range(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    # columns are 0-based here, rows 1-based as Excel shows them
    return f"{xl_col_to_name(first_col)}{first_row}:{xl_col_to_name(last_col)}{last_row}"


def cell_ranges(cells: Sequence[str], limit: int = 255) -> list[str]:
    """The cells as few addresses as possible for one Excel call each (`F2:F40,F43`).

    Runs of consecutive rows in a column become one range, and ranges are
    joined with commas up to `limit` characters (Excel refuses a longer
    address), so colouring the lights of 300 indicators is a handful of
    calls, not one per cell.
    """
    from openpyxl.utils.cell import coordinate_from_string

    rows_by_column: dict[str, list[int]] = {}
    for cell in cells:
        column, row = coordinate_from_string(cell)
        rows_by_column.setdefault(column, []).append(row)
    parts: list[str] = []
    for column, rows in rows_by_column.items():
        rows = sorted(set(rows))
        start = previous = rows[0]
        for row in [*rows[1:], None]:
            if row is not None and row == previous + 1:
                previous = row
                continue
            parts.append(f"{column}{start}" if start == previous else f"{column}{start}:{column}{previous}")
            if row is not None:
                start = previous = row
    addresses: list[str] = []
    for part in parts:
        if addresses and len(addresses[-1]) + 1 + len(part) <= limit:
            addresses[-1] += "," + part
        else:
            addresses.append(part)
    return addresses


def _plain(value: Any) -> Any:
    """A pandas cell as Excel takes it: missing (NaN, NaT, None) → None, numpy scalar → Python, lists joined."""
    if isinstance(value, (list, tuple)):
        return master.join_list([str(v) for v in value])
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()  # numpy scalar → Python
    return value


def excel_values(rows: Rows) -> Rows:
    """`rows` as they are sent to Excel: every text cell with Excel's quote prefix.

    xlwings hands a string to Excel as if typed, so "=HYPERLINK(...)", "@SUM(1)",
    "+1+1" or "=cmd|..." from a return would become formulas, "2025-06" a
    date and "00123" a number. A leading apostrophe makes Excel keep the text
    exactly (shown and read back without the apostrophe). Numbers, dates and
    empty cells go as they are.
    """
    return [["'" + value if isinstance(value, str) and value else value for value in row] for row in rows]


def as_excel_holds(value: Any) -> tuple[Any, bool]:
    """What Excel holds after `value` is written to a cell, and whether it became a formula."""
    if isinstance(value, str) and value.startswith("'"):
        return value[1:], False
    if isinstance(value, str) and looks_like_formula(value):
        return value, True
    return value, False


def dashboard_block(consolidation: Consolidation) -> tuple[Rows, list[ChartSpec]]:
    """The 仪表盘 sheet as one table from A1, and the charts over it.

    The rows are a heading, then the three `dashboard_tables` blocks stacked
    (title row, header row, data rows, two blank rows), with 占比 written as
    a percentage. The charts: category shares (pie), units by category
    (stacked bars, the unit with most tasks on top) and key indicators
    against 序时进度 (columns; left out when no indicator can be compared yet).
    """
    tables = dashboard_tables(consolidation)
    rows: Rows = [[dashboard_heading(consolidation)], []]
    header_at: dict[str, int] = {}  # table → 1-based row of its header
    for name, table in tables.items():
        headers = [SHARE_HEADER if column == "占比" else str(column) for column in table.columns]
        rows.append([name])
        header_at[name] = len(rows) + 1
        rows.append(headers)
        share = list(table.columns).index("占比") if "占比" in table.columns else None
        for record in table.itertuples(index=False):
            values = [_plain(v) for v in record]
            if share is not None and values[share] is not None:
                values[share] = round(float(values[share]) * 100, 1)
            rows.append(values)
        if name == TABLE_INDICATORS and not len(table):
            rows.append([NO_INDICATOR_DATA])
        rows += [[] for _ in range(_GAP)]

    charts: list[ChartSpec] = []
    top = f"{_CHART_COLUMN}{_FIRST_TABLE_ROW}"
    header = header_at[TABLE_CATEGORIES]
    last = header + len(tables[TABLE_CATEGORIES])
    charts.append(ChartSpec("pie", CHART_TITLES[TABLE_CATEGORIES], _range(header, 1, last, 1), _range(header + 1, 0, last, 0), top))

    indicators = tables[TABLE_INDICATORS]
    if len(indicators):
        header = header_at[TABLE_INDICATORS]
        last = header + len(indicators)
        percent = list(indicators.columns).index(PERCENT_DONE)
        charts.append(ChartSpec(
            "column", CHART_TITLES[TABLE_INDICATORS], _range(header, percent, last, percent + 1),
            _range(header + 1, 0, last, 0), f"R{_FIRST_TABLE_ROW}", width=460,
        ))

    units = tables[TABLE_UNITS]
    if len(units):
        header = header_at[TABLE_UNITS]
        last = header + len(units)
        charts.append(ChartSpec(
            "bar_stacked", CHART_TITLES[TABLE_UNITS], _range(header, 1, last, len(CATEGORIES)),
            _range(header + 1, 0, last, 0), f"{_CHART_COLUMN}{_FIRST_TABLE_ROW + 18}",
            width=680, height=max(240, 16 * len(units) + 90),
        ))
    return rows, charts


# ---------------------------------------------------------------- the period's tables


def consolidation_rows(consolidation: Consolidation) -> dict[str, Rows]:
    """Sheet name → the period's table as the summary workbook shows it: Chinese headers and values
    (红/黄/绿/待核实, 不低于/不超过, 是/否), so the live master never shows >= or green."""
    labelled = consolidation.labelled()
    result: dict[str, Rows] = {}
    for table, sheet in {**SHEET_NAMES, **SUMMARY_SHEETS}.items():
        frame = getattr(consolidation, table)
        rows: Rows = [[str(column) for column in labelled[sheet].columns]]
        for record in frame.itertuples(index=False):
            rows.append([_plain(shown_value(table, column, value)) for column, value in zip(frame.columns, record)])
        result[sheet] = rows
    return result


def frame_rows(frame: pd.DataFrame) -> Rows:
    """A pandas table as header + rows of plain cell values (NaN → empty)."""
    return [[str(column) for column in frame.columns]] + [[_plain(v) for v in record] for record in frame.itertuples(index=False)]


def problem_rows(problems: Sequence[Problem]) -> Rows:
    """Problems as the 问题 sheet shows them: Chinese headers, severity in words."""
    rows: Rows = [[PROBLEM_LABELS[name] for name in PROBLEM_COLUMNS]]
    for item in problems:
        values = [getattr(item, name) for name in PROBLEM_COLUMNS]
        values[PROBLEM_COLUMNS.index("severity")] = SEVERITY_LABELS.get(item.severity, item.severity)
        rows.append(values)
    return rows


# ---------------------------------------------------------------- unit sheets in the master

# The sheets `pyxl build-workbook` makes; the buttons add the rest.
BUILT_SHEETS = (master.SHEET_USAGE, *master.DATA_SHEETS, *master.LIFE_SHEETS, master.SHEET_CONF, master.SHEET_BASELINE)
# Sheets of the master a unit's sheet must never replace.
_TAKEN = {name.lower() for name in (*BUILT_SHEETS, DASHBOARD_SHEET, *SHEET_NAMES.values(), *SUMMARY_SHEETS.values())}


def master_sheet_name(unit: str) -> str | None:
    """The master sheet for `unit` (unit_sheet.sheet_name_for), or None when that name is one of the master's own sheets."""
    name = sheet_name_for(unit)
    return None if name.lower() in _TAKEN else name


def unit_sheet_rows(path: Path, unit: str, rows: Sequence[SheetRow]) -> Rows:
    """The header (layout.COLUMNS) and the data rows of `unit`'s workbook as the file shows them.

    Read back from the written file (python-calamine), so answers pre-filled
    from the unit's last return appear as the unit will see them.
    """
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    cells = book.get_sheet_by_name(sheet_name_for(unit)).to_python(skip_empty_area=False)
    width = len(layout.COLUMNS)
    first = header_row()  # 1-based row of the header = 0-based index of the first data row
    body = [list(row[:width]) + [""] * (width - len(row)) for row in cells[first:first + len(rows)]]
    return [list(layout.COLUMNS)] + [[None if value == "" else value for value in row] for row in body]


def unit_sheets(plan: SplitPlan, folder: Path) -> Iterator[tuple[str, str, Rows | None]]:
    """(unit, sheet name, rows) for each unit of the split plan whose workbook is in `folder`.

    rows is None when the unit gets no sheet: its name is one of the master's
    own sheets or, cut to 31 characters, another unit's, or its workbook was
    not written.
    """
    used: set[str] = set()
    for unit, rows in plan.rows.items():
        name = master_sheet_name(unit)
        path = Path(folder) / plan.file_name(unit)
        if name is None or name.lower() in used or not path.exists():
            yield unit, sheet_name_for(unit), None
        else:
            used.add(name.lower())
            yield unit, name, unit_sheet_rows(path, unit, rows)
