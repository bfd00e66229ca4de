"""End to end on the bundled example: split → a clerk fills the sheets with openpyxl → collect → consolidate."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest
from test_collect_support import data_rows

from pyxl import pipeline
from pyxl.cli import main
from pyxl.common.config import load_settings
from pyxl.common.period import Period
from pyxl.example import example_config, use_example_document
from pyxl.workspace import Workspace

JUNE = Period(2025, 6)
FINANCE = "区财政局"  # leads task 2: 一般公共预算收入增长 4%（力争实现 4.5%）
DEVELOPMENT = "区发展改革局"  # leads task 1: 地区生产总值增长 5.6%
AS_OF = date(2025, 7, 10)


def _fill(source, target, values: dict[str, dict[int, object]]):
    """Type into the unlocked input cells of the rows named in `values` (序号 → {column: value})."""
    book = openpyxl.load_workbook(source)
    sheet = book.worksheets[0]
    rows = data_rows(sheet)
    for key, cells in values.items():
        for column, value in cells.items():
            cell = sheet.cell(rows[key], column)
            assert cell.protection.locked is False, cell.coordinate
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # typed as text ('=cmd… in Excel); openpyxl would make it a formula
    book.save(target)


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """A workspace where two units returned June's sheets and nobody else did."""
    root = tmp_path_factory.mktemp("month") / "工作目录"
    root.mkdir()
    shutil.copy(example_config(), root / "config.yaml")
    use_example_document(root)
    settings = load_settings(root / "config.yaml")
    split = pipeline.split_sheets(Workspace.load(settings), JUNE, units=[FINANCE, DEVELOPMENT])
    sent = {p.name: p for p in (settings.out_dir(JUNE) / "分发").glob("*.xlsx")}
    finance = next(p for name, p in sent.items() if FINANCE in name)
    development = next(p for name, p in sent.items() if DEVELOPMENT in name)
    inbox = settings.inbox_dir
    inbox.mkdir(exist_ok=True)
    _fill(finance, inbox / "财政局6月.xlsx", {
        "2": {8: 50, 9: "按计划推进", 10: "=cmd|' /C calc'!A0", 11: "收入结构待优化"},
        "2-1": {7: 3.8},
    })
    _fill(development, inbox / "发改局6月.xlsx", {"1": {8: 55, 9: "按计划推进", 10: "一季度增长5.8%"}, "1-1": {7: 5.9}})
    collected = pipeline.collect_returns(Workspace.load(settings), JUNE, None, now=datetime(2025, 7, 4, 16, 0))
    result = pipeline.consolidate_period(Workspace.load(settings), JUNE, AS_OF)
    return settings, split, collected, result


def test_returned_values_land_in_the_indicator_table(month):
    settings, _, collected, result = month
    consolidation = result.data
    indicators = consolidation.indicators.set_index("key")
    assert indicators.loc["2-1", "reported"] == 3.8 and indicators.loc["2-1", "reported_by"] == FINANCE
    assert (indicators.loc["2-1", "expected"], indicators.loc["2-1", "light"]) == (4, "yellow")
    assert indicators.loc["2-1", "stretch_met"] is False or indicators.loc["2-1", "stretch_met"] == False  # noqa: E712
    assert (indicators.loc["1-1", "reported"], indicators.loc["1-1", "light"]) == (5.9, "green")
    tasks = consolidation.tasks.set_index("number")
    assert (tasks.loc["2", "lead_status"], tasks.loc["2", "lead_percent"], tasks.loc["2", "category"]) == ("按计划推进", 50, "达序时进度")
    assert tasks.loc["2", "lead_progress"] == "=cmd|' /C calc'!A0"
    assert tasks.loc["1", "category"] == "超序时进度"
    returns = consolidation.returns.set_index("unit")
    assert returns.loc[FINANCE, "accepted"] is True or returns.loc[FINANCE, "accepted"] == True  # noqa: E712
    assert returns.loc[FINANCE, "late"] == False  # noqa: E712
    assert len(returns) > 10 and not returns.drop([FINANCE, DEVELOPMENT])["returned"].any()
    flags = consolidation.flags
    assert {"逾期未报", "指标滞后"} <= set(flags["flag"])
    assert FINANCE not in set(flags.loc[flags["flag"] == "逾期未报", "unit"])
    assert result.attention and result.exit_code == 1


def test_summary_workbook_is_written_and_keeps_text_as_text(month):
    settings, _, _, result = month
    path = settings.out_dir(JUNE) / "汇总_2025-06.xlsx"
    assert result.outputs[0] == path  # then the problems CSV, the same rows as the 问题 sheet
    book = openpyxl.load_workbook(path)
    cells = [c for row in book["任务进度"].iter_rows() for c in row if c.value == "=cmd|' /C calc'!A0"]
    assert cells and all(c.data_type == "s" for c in cells)
    assert any("汇总" in line and "重点任务" in line for line in result.summary)


def test_rerunning_consolidate_gives_identical_tables(month):
    settings, _, _, result = month
    again = pipeline.consolidate_period(Workspace.load(settings), JUNE, AS_OF).data
    for name in ("tasks", "indicators", "returns", "flags", "problems"):
        pd.testing.assert_frame_equal(getattr(result.data, name), getattr(again, name))


def test_rerunning_consolidate_rewrites_the_same_bytes(month):
    settings, *_ = month
    path = settings.out_dir(JUNE) / "汇总_2025-06.xlsx"
    pipeline.consolidate_period(Workspace.load(settings), JUNE, AS_OF)
    first = path.read_bytes()
    # dated by the as-of date, never by the clock (a re-run a second later would differ)
    assert openpyxl.load_workbook(path).properties.created == datetime(2025, 7, 10)
    pipeline.consolidate_period(Workspace.load(settings), JUNE, AS_OF)
    assert path.read_bytes() == first


def test_cli_json_prints_the_same_tables(month, capsys):
    settings, _, _, result = month
    code = main(["--config", str(settings.root / "config.yaml"), "consolidate", "--period", "2025-06", "--as-of", "2025-07-10", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert data["due_date"] == "2025-07-07" and len(data["tasks"]) == len(result.data.tasks)
    assert next(r for r in data["indicators"] if r["key"] == "2-1")["reported"] == 3.8


def test_month_collects_consolidates_reports_and_drafts_reminders(month):
    settings, *_ = month
    result = pipeline.run_month(Workspace.load(settings), JUNE, AS_OF, now=datetime(2025, 7, 10, 9, 0), dry_run=True)
    names = {p.name for p in result.outputs}
    assert "汇总_2025-06.xlsx" in names
    assert any(name.startswith("督查通报") for name in names)
    assert result.exit_code == 1  # overdue units and lagging indicators to act on
    assert result.data.indicators.set_index("key").loc["2-1", "reported"] == 3.8


def test_exit_code_is_0_when_clean_and_1_for_a_yellow_flag_alone(tmp_path):
    root = tmp_path / "工作目录"
    root.mkdir()
    shutil.copy(example_config(), root / "config.yaml")
    use_example_document(root)
    settings = load_settings(root / "config.yaml")
    january, as_of = Period(2025, 1), date(2025, 1, 25)  # before the due date, no deadline passed yet
    clean = pipeline.consolidate_period(Workspace.load(settings), january, as_of)
    assert clean.data.flags.empty and clean.exit_code == 0

    pipeline.split_sheets(Workspace.load(settings), january, units=[DEVELOPMENT])
    [sent] = (settings.out_dir(january) / "分发").glob("*.xlsx")
    settings.inbox_dir.mkdir(exist_ok=True)
    _fill(sent, settings.inbox_dir / "发改局1月.xlsx", {"1": {8: 10, 9: "按计划推进", 10: "一月开局平稳"}, "1-1": {7: 5.0}})
    assert pipeline.collect_returns(Workspace.load(settings), january, None, now=datetime(2025, 2, 1, 9, 0)).exit_code == 0
    result = pipeline.consolidate_period(Workspace.load(settings), january, as_of)
    assert list(zip(result.data.flags["flag"], result.data.flags["level"])) == [("指标滞后", "yellow")]  # 5.0 against 5.6
    assert result.exit_code == 1
