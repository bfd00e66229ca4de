"""The 仪表盘 sheet: native charts whose series point at cells holding the consolidated numbers."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
import xlsxwriter
from openpyxl.utils import range_boundaries
from test_report import sample_consolidation

from pyxl.common.model import CATEGORIES
from pyxl.outputs.dashboard import SHEET_NAME, add_dashboard, dashboard_tables

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


@pytest.fixture(scope="module")
def consolidation():
    return sample_consolidation()


@pytest.fixture(scope="module")
def saved(tmp_path_factory, consolidation) -> Path:
    path = tmp_path_factory.mktemp("dash") / "汇总_2025-06.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    workbook.add_worksheet("任务进度").write_string(0, 0, "序号")  # a table sheet, as the summary writes first
    add_dashboard(workbook, consolidation)
    workbook.close()
    return path


def _charts(path: Path) -> dict[str, list[dict]]:
    """Chart type → its series, each with the formulas of name, categories and values."""
    charts: dict[str, list[dict]] = {}
    with zipfile.ZipFile(path) as archive:
        for name in sorted(n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)):
            root = ElementTree.fromstring(archive.read(name))
            plot = root.find(f"{C}chart/{C}plotArea")
            for kind in ("doughnutChart", "pieChart", "barChart", "lineChart"):
                node = plot.find(f"{C}{kind}")
                if node is None:
                    continue
                if kind == "barChart":
                    direction = node.find(f"{C}barDir").get("val")
                    grouping = node.find(f"{C}grouping").get("val")
                    kind = f"{direction}-{grouping}"
                series = []
                for ser in node.findall(f"{C}ser"):
                    series.append(
                        {
                            "name": ser.findtext(f"{C}tx/{C}strRef/{C}f"),
                            "categories": ser.findtext(f"{C}cat/{C}strRef/{C}f") or ser.findtext(f"{C}cat/{C}numRef/{C}f"),
                            "values": ser.findtext(f"{C}val/{C}numRef/{C}f"),
                        }
                    )
                charts[kind] = series
    return charts


def _cells(book, formula: str) -> list:
    sheet, _, reference = formula.rpartition("!")
    sheet = sheet.strip("'")
    min_col, min_row, max_col, max_row = range_boundaries(reference.replace("$", ""))
    rows = book[sheet].iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col, values_only=True)
    return [value for row in rows for value in row]


def test_three_native_charts_on_the_dashboard_sheet(saved):
    with zipfile.ZipFile(saved) as archive:
        names = archive.namelist()
    assert len([n for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]) == 3
    assert not [n for n in names if n.startswith("xl/media/")]  # charts, not pictures
    charts = _charts(saved)
    assert set(charts) == {"doughnutChart", "bar-stacked", "col-clustered", "lineChart"}  # the line shares a chart
    book = openpyxl.load_workbook(saved)
    assert book.sheetnames == ["任务进度", SHEET_NAME]


def test_category_shares_series_holds_the_task_counts(saved, consolidation):
    book = openpyxl.load_workbook(saved)
    (series,) = _charts(saved)["doughnutChart"]
    assert series["values"].startswith(f"{SHEET_NAME}!") or series["values"].startswith(f"'{SHEET_NAME}'!")
    labels = _cells(book, series["categories"])
    values = _cells(book, series["values"])
    assert labels == list(CATEGORIES)
    assert values == [int((consolidation.tasks["category"] == c).sum()) for c in CATEGORIES]


def test_units_by_category_series_hold_each_units_counts(saved, consolidation):
    book = openpyxl.load_workbook(saved)
    series = _charts(saved)["bar-stacked"]
    assert [_cells(book, s["name"])[0] for s in series] == list(CATEGORIES)
    units = _cells(book, series[0]["categories"])
    assert set(units) == {u for cell in consolidation.tasks["lead_units"] for u in cell}
    for s in series:
        category = _cells(book, s["name"])[0]
        for unit, value in zip(units, _cells(book, s["values"])):
            expected = sum(
                1 for row in consolidation.tasks.itertuples() if unit in row.lead_units and row.category == category
            )
            assert value == expected, (unit, category)


def test_key_indicators_against_schedule(saved, consolidation):
    book = openpyxl.load_workbook(saved)
    (done,) = _charts(saved)["col-clustered"]
    (schedule,) = _charts(saved)["lineChart"]  # 序时进度: a line across the columns, in the same chart
    assert _cells(book, done["name"]) == ["完成年度目标(%)"] and _cells(book, schedule["name"]) == ["序时进度(%)"]
    labels = _cells(book, done["categories"])
    # first-section targets with a value and a positive 序时目标: 1-1, 2-1, 3-1, 3-2
    key = consolidation.indicators[consolidation.indicators["key"].isin(["1-1", "2-1", "3-1", "3-2"])]
    assert labels == [f"{r.metric}（{r.unit}）" for r in key.itertuples()]
    assert _cells(book, done["values"]) == [round(r.reported / r.target * 100, 1) for r in key.itertuples()]
    # the 序时进度 line at each target's share of the year due by now: 100 for growth rates, 50.0 for 重点项目投资 in June
    assert _cells(book, schedule["values"]) == [round(r.expected / r.target * 100, 1) for r in key.itertuples()]
    assert _cells(book, schedule["values"])[-1] == 50.0


def test_dashboard_tables_are_what_the_sheet_shows(consolidation):
    tables = dashboard_tables(consolidation)
    assert list(tables) == ["类别分布", "各单位任务类别", "主要指标序时完成"]
    counts = tables["类别分布"]
    assert counts["任务数"].sum() == len(consolidation.tasks)
    assert counts["占比"].sum() == pytest.approx(1.0)
    units = tables["各单位任务类别"]
    assert list(units.columns) == ["单位", *CATEGORIES, "合计"]
    # annual-only and unreported targets have no bar
    assert "一网通办率（%）" not in set(tables["主要指标序时完成"]["指标"])


def test_empty_consolidation_still_gives_a_dashboard(tmp_path, consolidation):
    from pyxl.common.model import Consolidation

    empty = Consolidation(
        **{
            **consolidation.__dict__,
            "tasks": consolidation.tasks.iloc[0:0],
            "indicators": consolidation.indicators.iloc[0:0],
        }
    )
    path = tmp_path / "empty.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    add_dashboard(workbook, empty)
    workbook.close()
    assert "doughnutChart" in _charts(path)


def test_charts_do_not_cover_each_other(saved):
    """Each chart's anchor box (from the drawing) is disjoint from the others'."""
    X = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
    with zipfile.ZipFile(saved) as archive:
        drawing = next(n for n in archive.namelist() if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n))
        root = ElementTree.fromstring(archive.read(drawing))
    boxes = []
    for anchor in root:
        start, end = anchor.find(f"{X}from"), anchor.find(f"{X}to")
        boxes.append(tuple(int(node.findtext(f"{X}{axis}")) for node in (start, end) for axis in ("col", "row")))
    assert len(boxes) == 3
    for i, (c1, r1, c2, r2) in enumerate(boxes):
        for d1, s1, d2, s2 in boxes[i + 1 :]:
            assert c2 < d1 or d2 < c1 or r2 < s1 or s2 < r1, (boxes[i], (d1, s1, d2, s2))
