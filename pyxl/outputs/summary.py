"""汇总_<period>.xlsx: the consolidated tables as a workbook for the office and leadership.

One sheet per table (任务进度 · 指标进度 · 回收情况 · 预警 · 问题) with Chinese
headers and values, red/yellow/green conditional formatting, frozen headers,
filters and sensible widths, then the 仪表盘 (pyxl.outputs.dashboard). Written with
XlsxWriter, atomically. Text a unit typed is always written as text: a cell
holding `=cmd|...` stays text and never becomes a formula or a link.
"""

from __future__ import annotations

import math
import os
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook

from pyxl.common.files import atomic_path
from pyxl.common.model import (
    LIGHT_LABELS, SHEET_NAMES, SUMMARY_SHEETS, Consolidation, is_missing,
)
from pyxl.common.problems import SEVERITY_LABELS
from pyxl.common.sheet_text import display_width, row_height, wrapped_lines
from pyxl.outputs.dashboard import add_dashboard

KIND_LABELS = {"growth": "增速", "count": "数量", "amount": "金额", "measure": "实物量", "ratio": "比率", "level": "水平"}
LEVEL_LABELS = {"red": "红", "yellow": "黄"}
COMPARATOR_LABELS = {">=": "不低于", "<=": "不超过", "=": "达到"}
YES, NO = "是", "否"
# column id → how its values are shown, per table
_VALUE_LABELS = {
    "indicators": {"light": LIGHT_LABELS, "kind": KIND_LABELS, "comparator": COMPARATOR_LABELS},
    "flags": {"level": LEVEL_LABELS},
    "problems": {"severity": SEVERITY_LABELS},
}
# (column id, shown text, colour) for the conditional formats of each table
_CATEGORY_COLOURS = [
    ("category", "已完成", "green"),
    ("category", "超序时进度", "green"),
    ("category", "达序时进度", "green"),
    ("category", "欠序时进度", "red"),
    ("category", "未报送", "red"),
    ("category", "未启动", "yellow"),
]
_COLOURS = {
    "tasks": [
        *_CATEGORY_COLOURS,
        ("change", "下降", "red"),
        ("change", "上升", "green"),
    ],
    "indicators": [
        ("light", "红", "red"),
        ("light", "黄", "yellow"),
        ("light", "绿", "green"),
        ("light", "待核实", "yellow"),
        ("stretch_met", NO, "yellow"),
        ("stretch_met", YES, "green"),
    ],
    "returns": [
        ("returned", NO, "red"),
        ("accepted", NO, "red"),
        ("accepted", YES, "green"),
        ("late", YES, "yellow"),
        ("status", "逾期未报", "red"),
        ("status", "报表被退回", "yellow"),
    ],
    "units": [
        ("notice_level", "约谈建议", "red"),
        ("notice_level", "督办", "red"),
        ("notice_level", "提示", "yellow"),
        ("report_status", "逾期未报", "red"),
        ("report_status", "报表被退回", "yellow"),
    ],
    "flags": [("level", "红", "red"), ("level", "黄", "yellow")],
    "replies": [("state", "逾期未回复", "red"), ("state", "逾期回复", "yellow"), ("state", "按时回复", "green")],
    "history": _CATEGORY_COLOURS,
    "problems": [("severity", "错误", "red"), ("severity", "提示", "yellow")],
    "evidence": [("state", "已收到", "green"), ("state", "未收到", "red"), ("state", "未对应到任务", "yellow"), ("state", "未写明文件名", "yellow")],
}
_FILLS = {  # Excel's own "light red fill with dark red text" family
    "red": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
    "yellow": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    "green": {"bg_color": "#C6EFCE", "font_color": "#006100"},
}
_WIDE = {"said", "task", "file", "text", "lead_progress", "lead_issues", "responsible_reports", "reason", "message",
         "lead_categories", "contested", "answers", "note", "short_title"}  # wrapped, fixed width
_MIN_WIDTH, _MAX_WIDTH, _WIDE_WIDTH = 6, 40, 50
# How many width units (characters of the default font) one printed page shows: about 140 on A4
# landscape at 100 % with the default margins; printed no smaller than 70 % (11 pt text as 7.7 pt),
# a sheet wider than that goes onto more pages side by side rather than shrinking out of sight.
_PRINTED_PAGE_WIDTH = 140 / 0.7
_COLUMN_MARGIN = 5 / 7  # the 5 pixels Excel adds to every column's width (7 pixels a unit), as the file stores it
# Percentages are shown to one decimal everywhere: these columns always, and an indicator's
# figures when its unit is %.
_PERCENT_COLUMNS = {"lead_percent", "expected_percent", "completion", "percent"}
_FIGURE_COLUMNS = {"target", "stretch", "reported", "expected", "deviation"}


def shown_value(table: str, column: str, value: object) -> object:
    """A value as a person reads it in a sheet: Chinese labels (红, 不低于), 是/否, None for empty.

    The summary workbook and the live master (pyxl.master.live) both show the tables through this.
    """
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return YES if value else NO
    labels = _VALUE_LABELS.get(table, {}).get(column)
    if labels and value in labels:
        return labels[value]
    if hasattr(value, "item") and not isinstance(value, (str, date)):
        return value.item()  # numpy scalar
    return value


def read_issued(path: Path, tables: tuple[str, ...] = ("flags", "scores")) -> dict[str, pd.DataFrame] | None:
    """Tables of a summary workbook written before (column ids restored), or None when there is none.

    The accountability tables follow the months as they were issued: each
    earlier month's flags and scores (and, for each task's history, its tasks,
    indicators and 督办 steps) are read back from its own 汇总 workbook, values
    shown in words (红) turned back into their ids (red). A sheet the workbook
    lacks (written by an older pyxl) is an empty table.
    """
    from python_calamine import CalamineWorkbook

    from pyxl.common.model import ESCALATION_COLUMNS, FLAG_COLUMNS, INDICATOR_COLUMNS, SCORE_COLUMNS, TASK_COLUMNS

    if not Path(path).is_file():
        return None
    labels = {"flags": FLAG_COLUMNS, "scores": SCORE_COLUMNS, "tasks": TASK_COLUMNS, "indicators": INDICATOR_COLUMNS,
              "escalation": ESCALATION_COLUMNS}
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception:  # calamine's own error types: a damaged old summary counts as a month not judged
        return None
    found = {}
    for table in tables:
        ids = {label: column for column, label in labels[table].items()}
        name = SHEET_NAMES[table]
        rows = book.get_sheet_by_name(name).to_python() if name in book.sheet_names else []
        header = [ids.get(str(cell), str(cell)) for cell in rows[0]] if rows else list(labels[table])
        records = [[_as_read(cell) for cell in row] for row in rows[1:]]
        frame = pd.DataFrame(records, columns=header)
        for column, shown in _VALUE_LABELS.get(table, {}).items():
            if column in frame.columns:
                back = {label: value for value, label in shown.items()}
                frame[column] = frame[column].map(lambda cell, back=back: back.get(cell, cell))
        found[table] = frame
    return found


def _shown_column(table: str, column: str, values) -> list[object]:
    """`shown_value` of every value of a column; text and plain numbers, most of a table, without the general checks."""
    labels = _VALUE_LABELS.get(table, {}).get(column) or {}
    shown = []
    for value in values:
        kind = type(value)
        if kind is str:
            shown.append(labels.get(value, value))
        elif kind is float:
            shown.append(None if value != value else value)  # NaN is empty
        elif kind is int and value not in labels:
            shown.append(value)
        else:
            shown.append(shown_value(table, column, value))
    return shown


def _text_width(text: str) -> int:
    """Width of `text`'s widest line, in Excel character units."""
    return max(display_width(line) for line in text.split("\n")) if "\n" in text else display_width(text)


def _write_link(sheet, formats: dict[str, Format], links, row: int, col: int, text: str, file: object) -> None:
    """The file's name opens the archived copy: a link relative to the workbook's folder."""
    target = links(str(file))
    if len(target) < 255:
        sheet.write_url(row, col, f"external:{target}", formats["link"], string=text, tip="打开存档的佐证材料")
    else:
        sheet.write_string(row, col, text, formats["cell"])


def _as_read(cell: object) -> object:
    """A cell as our own writer wrote it: whole numbers were integers or text keys (12, not 12.0)."""
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    return None if cell == "" else cell


def write_summary(path: Path, consolidation: Consolidation, root: Path | None = None) -> Path:
    """Write the summary workbook of `consolidation` to `path` (replaced atomically).

    `root` is the workspace: the 佐证材料 sheet links each archived file
    relative to the workbook, so the links still work when the whole
    workspace folder is copied or moved.
    """
    path = Path(path)
    links = None if root is None else (lambda file: os.path.relpath(Path(root) / file, path.parent).replace("/", "\\"))
    with atomic_path(path) as temporary:
        workbook = xlsxwriter.Workbook(
            str(temporary),
            # a unit's text is never turned into a formula, a link or a number; the parts are zipped from memory,
            # not written to temporary files and read back (30 files made and deleted in the system's temp folder)
            {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "in_memory": True},
        )
        as_of = consolidation.as_of
        workbook.set_properties(
            {
                "title": f"重点工作推进情况汇总（{consolidation.period}）",
                "comments": f"统计截至{as_of.year}年{as_of.month}月{as_of.day}日",
                # the as-of date, not the clock: a re-run on the same archive gives the same bytes
                "created": datetime(as_of.year, as_of.month, as_of.day, tzinfo=timezone.utc),
            }
        )
        formats = {
            "header": workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True, "valign": "vcenter"}),
            "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
            "cell": workbook.add_format({"valign": "top"}),
            "one_decimal": workbook.add_format({"num_format": "0.0", "valign": "top"}),
            # dates as Chinese documents write them: 2025年7月5日
            "date": workbook.add_format({"num_format": 'yyyy"年"m"月"d"日"', "valign": "top"}),
            "datetime": workbook.add_format({"num_format": 'yyyy"年"m"月"d"日" hh:mm', "valign": "top"}),
            "link": workbook.add_format({"font_color": "#0563C1", "underline": 1, "valign": "top"}),
            **{colour: workbook.add_format(fill) for colour, fill in _FILLS.items()},
        }
        labelled = consolidation.labelled()
        # the period's tables, then last month's 督办单 with their replies and each task's months side by side
        for table, sheet_name in {**SHEET_NAMES, **SUMMARY_SHEETS}.items():
            _write_table(workbook, formats, table, getattr(consolidation, table), labelled[sheet_name], links)
        add_dashboard(workbook, consolidation)
        workbook.close()
    return path


def _write_table(workbook: Workbook, formats: dict[str, Format], table: str, frame: pd.DataFrame, labelled: pd.DataFrame,
                 links=None) -> None:
    """One table on its own sheet: labelled headers, values as shown, widths, filter, print setup, colours."""
    sheet = workbook.add_worksheet({**SHEET_NAMES, **SUMMARY_SHEETS}[table])
    columns = list(frame.columns)
    widths = []
    for col, header in enumerate(labelled.columns):
        sheet.write_string(0, col, str(header), formats["header"])
        widths.append(display_width(str(header)) + 2)
    unit_col = columns.index("unit") if table == "indicators" and "unit" in columns else None
    # Column by column first: each cell's value as shown and its text, for the widths and row heights
    # (a value repeats down a column: its width is worked out once); then the cells row by row, in the
    # order that numbers the shared strings.
    in_percent = ([str(unit) in ("%", "％") for unit in frame.iloc[:, unit_col]] if unit_col is not None
                  else [False] * len(frame))
    shown_columns = [_shown_column(table, column, frame.iloc[:, col]) for col, column in enumerate(columns)]
    # the 佐证材料 sheet: a file's name opens the archived copy
    name_col = columns.index("name") if table == "evidence" and links is not None and "name" in columns else None
    linked = [bool(file) for file in frame.iloc[:, columns.index("file")]] if name_col is not None else None
    files = list(frame.iloc[:, columns.index("file")]) if name_col is not None else None
    lines_by_row = [1] * len(frame)
    for col, (column, values) in enumerate(zip(columns, shown_columns)):
        percent_column, figure_column, wide = column in _PERCENT_COLUMNS, column in _FIGURE_COLUMNS, column in _WIDE
        texts: set[str] = set()
        lines_of: dict[str, int] = {}
        for row, (value, percent_row) in enumerate(zip(values, in_percent)):
            if value is None:
                continue
            if isinstance(value, datetime):
                texts.add("0000年00月00日 00:00")
            elif isinstance(value, date):
                texts.add("0000年00月00日")
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                texts.add(f"{value:.1f}" if percent_column or (percent_row and figure_column) else f"{value:g}")
            else:
                text = str(value)
                texts.add(text)
                if wide and not (col == name_col and linked[row]):
                    lines = lines_of.get(text)
                    if lines is None:
                        lines = lines_of[text] = wrapped_lines(text, _WIDE_WIDTH - 1.5)
                    if lines > lines_by_row[row]:
                        lines_by_row[row] = lines
        if texts:
            widths[col] = max(widths[col], max(_text_width(text) for text in texts) + 2)
    write_string, write_number, write_datetime = sheet.write_string, sheet.write_number, sheet.write_datetime
    cell, wrap, one_decimal = formats["cell"], formats["wrap"], formats["one_decimal"]
    text_formats = [wrap if column in _WIDE else cell for column in columns]
    one_columns = [column in _PERCENT_COLUMNS for column in columns]
    figure_columns = [column in _FIGURE_COLUMNS for column in columns]
    for row, record in enumerate(zip(*shown_columns)):
        row_number = row + 1
        for col, value in enumerate(record):
            if value is None:
                continue
            if col == name_col and linked[row] and not isinstance(value, (date, int, float)):
                _write_link(sheet, formats, links, row_number, col, str(value), files[row])
            elif type(value) is str:
                write_string(row_number, col, value, text_formats[col])
            elif isinstance(value, datetime):
                write_datetime(row_number, col, value, formats["datetime"])
            elif isinstance(value, date):
                write_datetime(row_number, col, value, formats["date"])
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                if math.isfinite(value):
                    one = one_columns[col] or (in_percent[row] and figure_columns[col])
                    write_number(row_number, col, value, one_decimal if one else cell)
            else:
                write_string(row_number, col, str(value), text_formats[col])
    for row_number, lines in enumerate(lines_by_row, start=1):
        if lines > 1:  # no spreadsheet program fits wrapped rows of a generated file on opening
            sheet.set_row(row_number, row_height(lines))
    total_width = 0.0
    for col, column in enumerate(columns):
        width = _WIDE_WIDTH if column in _WIDE else min(max(widths[col], _MIN_WIDTH), _MAX_WIDTH)
        sheet.set_column(col, col, width)
        total_width += width + _COLUMN_MARGIN
    last_row = max(len(frame), 1)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, last_row, max(len(columns) - 1, 0))
    # printed for a meeting: A4 landscape, the header on every page, as few pages wide as keep the text
    # legible; on a sheet printed several pages wide every page starts with the column(s) that say whose row it is
    sheet.set_landscape()
    sheet.set_paper(9)
    pages_wide = max(1, math.ceil(total_width / _PRINTED_PAGE_WIDTH))
    sheet.fit_to_pages(pages_wide, 0)
    sheet.repeat_rows(0)
    if pages_wide > 1:
        sheet.repeat_columns(0, 2 if table == "history" else 0)
        sheet.print_across()  # a band of rows on consecutive pages, read left to right, then the next band
    for column, text, colour in _COLOURS.get(table, []):
        if column in columns:
            col = columns.index(column)
            sheet.conditional_format(
                1, col, last_row, col, {"type": "cell", "criteria": "==", "value": f'"{text}"', "format": formats[colour]}
            )
    if table == "history" and len(frame):
        # each task's months read as one block: a rule above the first month of every task (added after the
        # colours: LibreOffice applies only the first matching rule, and the category's colour matters more)
        sheet.conditional_format(2, 0, last_row, len(columns) - 1, {
            "type": "formula", "criteria": "=$A3<>$A2", "format": workbook.add_format({"top": 2, "top_color": "#1F4E79"})})
        sheet.freeze_panes(1, 3)
