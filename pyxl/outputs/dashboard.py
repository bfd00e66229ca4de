"""The 仪表盘 sheet: native Excel charts over the consolidated tables.

`dashboard_tables` gives the chart data as plain tables (the ribbon writes
them into the live master through xlwings); `add_dashboard` writes the same
tables onto a 仪表盘 sheet of an XlsxWriter workbook and draws native charts
over those cells, so leadership can restyle or copy them in Excel. Both count
through pyxl.outputs.counting's functions: the bulletin and the dashboard cannot differ.
"""

from __future__ import annotations

import math

import pandas as pd

from pyxl.common.model import CATEGORIES, Consolidation
from pyxl.outputs.charts import CATEGORY_COLORS
from pyxl.outputs.counting import category_counts, key_indicators, unit_categories

SHEET_NAME = "仪表盘"
TABLE_CATEGORIES = "类别分布"
TABLE_UNITS = "各单位任务类别"
TABLE_INDICATORS = "主要指标序时完成"
# The chart drawn over each table, in the xlsx summary and in the live master alike.
CHART_TITLES = {
    TABLE_CATEGORIES: "重点任务类别分布",
    TABLE_INDICATORS: "主要经济指标完成序时目标情况",
    TABLE_UNITS: "各牵头单位任务推进情况",
}
NO_INDICATOR_DATA = "主要经济指标本期暂无可与序时目标比较的报送数据。"


PERCENT_DONE = "完成年度目标(%)"
PERCENT_DUE = "序时进度(%)"


def _share_of_target(value: object, target: object) -> float | None:
    """`value` as a percentage of the year's target, to one decimal (None when it has no meaning)."""
    try:
        value, target = float(value), float(target)
    except (TypeError, ValueError):
        return None
    if math.isnan(value) or math.isnan(target) or target <= 0:
        return None
    return round(value / target * 100, 1)


def dashboard_tables(consolidation: Consolidation) -> dict[str, pd.DataFrame]:
    """The dashboard's chart data with Chinese headers, in sheet order.

    - 类别分布: 类别, 任务数, 占比 (0–1);
    - 各单位任务类别: 单位, one column per category, 合计 (most tasks first);
    - 各单位任务类别: 单位, one column per category, 合计 — each lead unit credited only
      with its own reports (the judgement's 单位情况), most tasks first;
    - 主要指标序时完成: 指标, 本期完成值, 序时目标, 完成年度目标(%), 序时进度(%) — the key
      (first-section) targets that are not annual-only, not contested and have a positive
      target; the 序时进度 is each target's 序时目标 as a share of the year's target
      (50.0 in June for a cumulative target, 100 for a growth rate compared directly).
    """
    counts = category_counts(consolidation.tasks).rename(columns={"category": "类别", "count": "任务数", "share": "占比"})
    units = unit_categories(consolidation.units).reset_index().rename(columns={"unit": "单位"})
    rows = []
    for row in key_indicators(consolidation).itertuples(index=False):
        if row.light in ("exempt", "disputed"):
            continue
        done, due = _share_of_target(row.reported, row.target), _share_of_target(row.expected, row.target)
        if done is None or due is None:
            continue
        rows.append(
            {
                "指标": f"{row.metric}（{row.unit}）" if isinstance(row.unit, str) and row.unit else str(row.metric),
                "本期完成值": float(row.reported),
                "序时目标": float(row.expected),
                PERCENT_DONE: done,
                PERCENT_DUE: due,
            }
        )
    indicators = pd.DataFrame(rows, columns=["指标", "本期完成值", "序时目标", PERCENT_DONE, PERCENT_DUE])
    return {TABLE_CATEGORIES: counts, TABLE_UNITS: units, TABLE_INDICATORS: indicators}


def dashboard_heading(consolidation: Consolidation) -> str:
    """The 仪表盘's first line: the year, the period and the share of the year gone by."""
    year, _, month = str(consolidation.period).partition("-")
    label = f"{year}年{int(month)}月" if month.isdigit() else str(consolidation.period)
    return f"{consolidation.year}年重点工作推进情况仪表盘（{label}，序时进度{consolidation.schedule_fraction:.1%}）"


def _write_table(worksheet, row: int, title: str, table: pd.DataFrame, formats: dict) -> int:
    """Write a titled table at `row` (0-based, column A); return the row after it."""
    worksheet.write_string(row, 0, title, formats["title"])
    for column, header in enumerate(table.columns):
        worksheet.write_string(row + 1, column, str(header), formats["header"])
    for offset, values in enumerate(table.itertuples(index=False), start=row + 2):
        for column, value in enumerate(values):
            if isinstance(value, str):
                worksheet.write_string(offset, column, value)
            elif value is None or (isinstance(value, float) and math.isnan(value)):
                worksheet.write_blank(offset, column, None)
            else:
                number_format = formats["percent"] if table.columns[column] == "占比" else None
                worksheet.write_number(offset, column, float(value), number_format)
    return row + 2 + len(table) + 2


def add_dashboard(workbook, consolidation: Consolidation) -> None:
    """Add a 仪表盘 sheet with native charts to an XlsxWriter workbook.

    The chart data is written on the dashboard sheet itself (columns A–I), so
    the charts do not depend on the layout of the table sheets; the charts sit
    to the right of it: category shares (doughnut), key indicators against
    序时进度 (clustered columns) and units by category (stacked bars).
    """
    tables = dashboard_tables(consolidation)
    sheet = workbook.add_worksheet(SHEET_NAME)
    formats = {
        "heading": workbook.add_format({"bold": True, "font_size": 14}),
        "title": workbook.add_format({"bold": True}),
        "header": workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
        "percent": workbook.add_format({"num_format": "0.0%"}),
    }
    sheet.write_string(0, 0, dashboard_heading(consolidation), formats["heading"])
    sheet.set_column(0, 0, 24)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)  # printed for a meeting: one page wide
    sheet.set_column(1, 8, 11)

    starts = {}
    row = 2
    for name, table in tables.items():
        starts[name] = row
        row = _write_table(sheet, row, name, table, formats)

    # Category shares: one point per category, coloured as in the bulletin.
    first = starts[TABLE_CATEGORIES] + 2
    last = first + len(CATEGORIES) - 1
    doughnut = workbook.add_chart({"type": "doughnut"})
    doughnut.add_series(
        {
            "name": "任务数",
            "categories": [SHEET_NAME, first, 0, last, 0],
            "values": [SHEET_NAME, first, 1, last, 1],
            "points": [{"fill": {"color": CATEGORY_COLORS[c]}} for c in CATEGORIES],
            "data_labels": {"value": True, "percentage": False},
        }
    )
    doughnut.set_title({"name": CHART_TITLES[TABLE_CATEGORIES]})
    sheet.insert_chart(2, 10, doughnut, {"x_scale": 1.1, "y_scale": 1.1})

    # Key indicators as a share of the year's target, against the 序时进度 line (50.0 in June).
    indicators = tables[TABLE_INDICATORS]
    if len(indicators):
        first = starts[TABLE_INDICATORS] + 2
        last = first + len(indicators) - 1
        columns = workbook.add_chart({"type": "column"})
        columns.add_series(
            {
                "name": [SHEET_NAME, first - 1, 3],
                "categories": [SHEET_NAME, first, 0, last, 0],
                "values": [SHEET_NAME, first, 3, last, 3],
                "fill": {"color": "#1F77B4"},
                "data_labels": {"value": True},
            }
        )
        # 序时进度 (each target's share of the year due by now): drawn as a line it reads as the bar to reach.
        schedule = workbook.add_chart({"type": "line"})
        schedule.add_series(
            {
                "name": [SHEET_NAME, first - 1, 4],
                "categories": [SHEET_NAME, first, 0, last, 0],
                "values": [SHEET_NAME, first, 4, last, 4],
                "line": {"color": "#C62828", "width": 2, "dash_type": "dash"},
                "marker": {"type": "none"},
            }
        )
        columns.combine(schedule)
        columns.set_title({"name": CHART_TITLES[TABLE_INDICATORS]})
        columns.set_y_axis({"name": "占年度目标(%)", "min": 0})
        columns.set_legend({"position": "bottom"})
        sheet.insert_chart(2, 19, columns, {"x_scale": 1.4, "y_scale": 1.5})
    else:
        sheet.write_string(2, 19, NO_INDICATOR_DATA, formats["title"])

    # Units by category: stacked horizontal bars, the unit with most tasks on top.
    units = tables[TABLE_UNITS]
    if len(units):
        first = starts[TABLE_UNITS] + 2
        last = first + len(units) - 1
        bars = workbook.add_chart({"type": "bar", "subtype": "stacked"})
        for offset, category in enumerate(CATEGORIES, start=1):
            bars.add_series(
                {
                    "name": [SHEET_NAME, first - 1, offset],
                    "categories": [SHEET_NAME, first, 0, last, 0],
                    "values": [SHEET_NAME, first, offset, last, offset],
                    "fill": {"color": CATEGORY_COLORS[category]},
                    "gap": 50,
                }
            )
        bars.set_title({"name": CHART_TITLES[TABLE_UNITS]})
        # Category axis of a bar chart: first row on top, values axis kept at the bottom.
        bars.set_y_axis({"reverse": True, "crossing": "max"})
        bars.set_x_axis({"min": 0, "major_unit": max(1, math.ceil(units["合计"].max() / 10))})
        bars.set_legend({"position": "bottom"})
        bars.set_size({"width": 900, "height": max(320, 22 * len(units) + 120)})
        sheet.insert_chart(26, 10, bars)  # below the indicator chart (rows 2–24)
