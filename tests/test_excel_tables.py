"""What the ribbon writes besides the period's tables: the 仪表盘 with native charts, and one sheet per unit."""

from __future__ import annotations

import csv
from datetime import date, datetime

import yaml
from openpyxl.utils.cell import range_boundaries
from test_report import sample_consolidation

from pyxl import pipeline
from pyxl.common.config import Settings, load_settings
from pyxl.common.model import CATEGORIES, HISTORY_COLUMNS, REPLY_COLUMNS, SHEET_NAMES, SUMMARY_SHEETS, ReturnRow
from pyxl.common.units import UnitIndex
from pyxl.distribution import layout
from pyxl.distribution.split import build_unit_rows
from pyxl.distribution.unit_sheet import sheet_name_for, write_unit_workbook
from pyxl.excel import run_button, write_consolidation
from pyxl.master import rows as master
from pyxl.master.live import master_sheet_name, unit_sheet_rows
from pyxl.master.memory import MemoryBook
from pyxl.outputs.dashboard import SHEET_NAME, TABLE_CATEGORIES, TABLE_INDICATORS, TABLE_UNITS, dashboard_tables
from pyxl.workspace import Workspace

NOW = datetime(2025, 7, 10, 9, 0, 0)


def _book(settings: Settings) -> MemoryBook:
    pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 7, 1, 8, 0, 0))
    return MemoryBook.open(settings.workbook_path)


def _plotted(book: MemoryBook, spec) -> tuple[list[str], dict[str, list[float]]]:
    """What Excel would plot for a chart: category labels, and series name → values (series in columns)."""
    categories = [row[0] for row in book.values(SHEET_NAME, spec.categories)]
    block = book.values(SHEET_NAME, spec.source)
    series = {name: [row[i] for row in block[1:]] for i, name in enumerate(block[0])}
    # the categories sit on the same rows as the values, below the series names
    assert range_boundaries(spec.categories)[1] == range_boundaries(spec.source)[1] + 1
    assert range_boundaries(spec.categories)[3] == range_boundaries(spec.source)[3]
    return categories, series


# ---------------------------------------------------------------- the dashboard


def test_dashboard_charts_plot_the_consolidated_numbers(tmp_path):
    consolidation = sample_consolidation()
    book = MemoryBook(tmp_path / "Responsibilities.xlsm", {})
    write_consolidation(book, consolidation)
    tables = dashboard_tables(consolidation)
    charts = {spec.kind: spec for spec in book.charts[SHEET_NAME]}
    assert sorted(charts) == ["bar_stacked", "column", "pie"]
    assert all(spec.title for spec in charts.values())

    categories, series = _plotted(book, charts["pie"])
    counts = tables[TABLE_CATEGORIES]
    assert categories == list(counts["类别"]) == list(CATEGORIES)
    assert series == {"任务数": [int(v) for v in counts["任务数"]]}

    units, series = _plotted(book, charts["bar_stacked"])
    table = tables[TABLE_UNITS]
    assert units == list(table["单位"])
    assert list(series) == list(CATEGORIES)  # 合计 is no series: it would double every bar
    for category in CATEGORIES:
        assert series[category] == [int(v) for v in table[category]]

    names, series = _plotted(book, charts["column"])
    indicators = tables[TABLE_INDICATORS]
    assert len(indicators) and names == list(indicators["指标"])
    assert series == {
        "完成年度目标(%)": list(indicators["完成年度目标(%)"]),
        "序时进度(%)": list(indicators["序时进度(%)"]),  # each target's share due by now: 50.0 for a June cumulative one
    }
    # the shares are readable as percentages in a sheet without number formats
    rows = book.read_table(SHEET_NAME)
    header = next(i for i, row in enumerate(rows) if row and row[0] == "类别")
    assert rows[header][2] == "占比(%)"
    assert [row[2] for row in rows[header + 1:header + 1 + len(counts)]] == [round(s * 100, 1) for s in counts["占比"]]


def test_rewriting_the_dashboard_replaces_its_charts(tmp_path):
    book = MemoryBook(tmp_path / "Responsibilities.xlsm", {})
    write_consolidation(book, sample_consolidation())
    write_consolidation(book, sample_consolidation())
    assert len(book.charts[SHEET_NAME]) == 3


def test_consolidate_button_writes_the_dashboard_sheet_and_its_charts(settings):
    book = _book(settings)
    result = run_button(book, "consolidate_period", NOW)
    assert SHEET_NAME in book.sheets and book.read_table(SHEET_NAME)[0][0].startswith("2025年重点工作推进情况仪表盘")
    kinds = [spec.kind for spec in book.charts[SHEET_NAME]]
    # nothing returned yet: no indicator can be compared with 序时进度, so no column chart, and the sheet says why
    assert len(dashboard_tables(result.data)[TABLE_INDICATORS]) == 0
    assert kinds == ["pie", "bar_stacked"]
    assert any(row and "暂无" in str(row[0]) for row in book.read_table(SHEET_NAME))
    units, series = _plotted(book, book.charts[SHEET_NAME][1])
    table = dashboard_tables(result.data)[TABLE_UNITS]
    assert units == list(table["单位"]) and sum(map(sum, series.values())) == int(table["合计"].sum())
    # the sheet is saved with the book, beside the period's tables
    saved = MemoryBook.open(settings.workbook_path)
    assert saved.read_table(SHEET_NAME) == book.read_table(SHEET_NAME)
    assert saved.read_table(SHEET_NAMES["tasks"]) == book.read_table(SHEET_NAMES["tasks"])
    # each task's months (任务历程) and last month's 督办单 replies are in the live master too, as in the summary
    history = book.read_table(SUMMARY_SHEETS["history"])
    assert history[0] == list(HISTORY_COLUMNS.values())
    assert len(history) - 1 == len(result.data.history) and {str(row[0]) for row in history[1:]} == set(result.data.history["number"].astype(str))
    assert book.read_table(SUMMARY_SHEETS["replies"])[0] == list(REPLY_COLUMNS.values())


# ---------------------------------------------------------------- one sheet per unit


def _master_sheets(settings: Settings, on: bool) -> Settings:
    config = settings.root / "config.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["split"]["master_sheets"] = on
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_settings(config)


def test_split_button_places_one_sheet_per_unit_when_the_setting_is_on(settings):
    settings = _master_sheets(settings, True)
    book = _book(settings)
    before = set(book.sheets)
    run_button(book, "split_sheets", NOW)

    duty = Workspace.load(settings).duty
    index = UnitIndex(Workspace.load(settings).directory)
    with (settings.out_dir("2025-06") / "分发" / layout.MANIFEST_NAME).open(encoding="utf-8-sig", newline="") as handle:
        units = [row["单位"] for row in csv.DictReader(handle)]
    # every unit of the directory that owns a task (groups expanded) has a file, and a sheet
    owners = [row[0] for row in book.read_table(master.SHEET_UNITS)[1:] if row[0] and build_unit_rows(duty, index, row[0])]
    assert set(owners) <= set(units) and len(units) > 40
    added = set(book.sheets) - before
    assert added == {sheet_name_for(unit) for unit in units} | {SHEET_NAMES["problems"]}
    assert f"已在主控工作簿中写入 {len(units)} 张单位表" in book.alerts[-1]

    for unit in units:
        rows = book.read_table(sheet_name_for(unit))
        expected = build_unit_rows(duty, index, unit)
        assert rows[0] == list(layout.COLUMNS), unit
        assert len(rows) == 1 + len(expected), unit
        for got, want in zip(rows[1:], expected):
            assert [cell or "" for cell in got[:6]] == list(want.locked_values), unit
            assert got[6:] == [None] * len(layout.INPUT_COLUMNS), unit  # nothing returned before June
    # the unit sheets are in the saved master, and the pipeline still reads its own sheets
    assert set(MemoryBook.open(settings.workbook_path).sheets) >= added
    assert Workspace.load(settings).duty.tasks


def test_split_button_leaves_the_master_alone_when_the_setting_is_off(settings):
    settings = _master_sheets(settings, False)
    book = _book(settings)
    before = set(book.sheets)
    run_button(book, "split_sheets", NOW)
    assert set(book.sheets) - before == {SHEET_NAMES["problems"]}
    assert "张单位表" not in book.alerts[-1] and "生成了填报表" in book.alerts[-1]


def test_a_unit_named_like_a_master_sheet_gets_no_sheet():
    assert master_sheet_name("设置") is None and master_sheet_name("仪表盘") is None
    assert master_sheet_name("区财政局") == "区财政局"
    assert master_sheet_name("区/县:财政局") == sheet_name_for("区/县:财政局")


def test_a_unit_sheet_shows_the_answers_its_workbook_was_prefilled_with(settings, tmp_path):
    duty = Workspace.load(settings).duty
    unit = "区财政局"
    rows = build_unit_rows(duty, UnitIndex(settings.unit_directory()), unit)
    at = next(i for i, row in enumerate(rows) if row.asks == layout.INPUT_COLUMNS)  # a row asking every column
    first = rows[at]
    previous = {first.key: ReturnRow(first.key, first.task_number, None, value=12.5, percent=40.0, status="按计划推进",
                                     progress="已完成招标", issues="", next_steps="七月开工")}
    path = tmp_path / "01_区财政局.xlsx"
    write_unit_workbook(path, unit, "2025-07", rows, date(2025, 8, 5), previous=previous)
    sheet = unit_sheet_rows(path, unit, rows)
    assert len(sheet) == 1 + len(rows)
    # last month's 佐证材料 and a request for a new deadline are never repeated in a new month's sheet
    assert sheet[1 + at][6:] == [12.5, 40.0, "按计划推进", "已完成招标", None, "七月开工", None, None, None]
    assert all(row[6:] == [None] * len(layout.INPUT_COLUMNS) for i, row in enumerate(sheet[1:]) if i != at)


def test_the_live_master_shows_the_judgement_in_words(tmp_path):
    """What the ribbon writes reads like the summary workbook: 红/绿/待核实, 不低于, 是/否, the 单位情况 sheet."""
    book = MemoryBook(path=tmp_path / "Responsibilities.xlsm", sheets={})
    consolidation = sample_consolidation()
    write_consolidation(book, consolidation)
    indicators = book.read_table(SHEET_NAMES["indicators"])
    header = indicators[0]
    lights = {row[header.index("灯号")] for row in indicators[1:]}
    assert lights <= {"绿", "黄", "红", "待核实", "年度考核", "未报送"} and "红" in lights
    assert {row[header.index("比较")] for row in indicators[1:]} == {"不低于"}
    units = book.read_table(SHEET_NAMES["units"])
    assert len(units) - 1 == len(consolidation.units)
    assert [row[units[0].index("督办级别")] or "" for row in units[1:]] == list(consolidation.units["notice_level"])
