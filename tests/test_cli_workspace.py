"""The CLI's monthly commands run with what the clerk set in the master's 设置 and 单位 sheets."""

from __future__ import annotations

import os
from datetime import datetime

import pytest

from pyxl import pipeline
from pyxl.cli import main
from pyxl.common.period import Period
from pyxl.master.memory import MemoryBook
from pyxl.master.rows import SHEET_SETTINGS, SHEET_UNITS
from pyxl.workspace import Workspace

NOW = datetime(2025, 7, 1, 9, 0)


@pytest.fixture
def built(settings, workspace):
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    return workspace


def _edit(workspace, sheet: str, change) -> None:
    """A clerk edits one sheet of the saved master and saves it (through the build path, as Excel would)."""
    book = MemoryBook.open(workspace / "workbook" / "Responsibilities.xlsm")
    rows = [list(row) for row in book.read_table(sheet)]
    change(rows)
    book.write_table(sheet, rows)
    book.save()


def test_period_set_in_the_master_is_the_cli_default(built, capsys):
    def to_may(rows):
        for row in rows:
            if row and row[0] == "当前期次":
                row[1] = "2025-05"

    _edit(built, SHEET_SETTINGS, to_may)
    assert main(["--config", str(built / "config.yaml"), "split"]) in (0, 1)
    assert (built / "out" / "2025-05" / "分发").is_dir()
    assert not (built / "out" / "2025-06").exists()


def test_a_bad_setting_in_the_master_stops_the_cli_naming_the_row(built, capsys):
    def bad_day(rows):
        for row in rows:
            if row and row[0] == "回收截止日":
                row[1] = 40

    _edit(built, SHEET_SETTINGS, bad_day)
    assert main(["--config", str(built / "config.yaml"), "split"]) == 2
    assert "回收截止日" in capsys.readouterr().err


def test_problems_of_the_unit_sheet_reach_the_split_result(built, settings):
    def duplicate_first_unit(rows):
        rows.append(list(rows[1]))

    _edit(built, SHEET_UNITS, duplicate_first_unit)
    result = pipeline.split_sheets(Workspace.load(settings), Period(2025, 6))
    assert any(p.sheet == SHEET_UNITS and p.code == "master-duplicate" for p in result.problems)


def test_collecting_only_paths_that_do_not_exist_cannot_run(built, capsys):
    assert main(["--config", str(built / "config.yaml"), "collect", "--period", "2025-06", "没有这个文件夹"]) == 2
    assert "没有这个文件夹" in capsys.readouterr().err


def test_as_of_defaults_to_the_month_after_a_past_period(built, capsys):
    import json

    assert main(["--config", str(built / "config.yaml"), "consolidate", "--period", "2025-06", "--json"]) in (0, 1)
    assert json.loads(capsys.readouterr().out)["as_of"] == "2025-07-31"


def test_an_indicator_staff_mark_annual_only_in_the_master_is_exempt_until_december(built, settings):
    def first_is_annual(rows):
        column = rows[0].index("是否仅年度考核")
        rows[1][column] = "是"

    _edit(built, "指标", first_is_annual)
    june = pipeline.consolidate_period(Workspace.load(settings), Period(2025, 6), as_of=NOW.date())
    lights = dict(zip(june.data.indicators["key"], june.data.indicators["light"]))
    assert lights["1-1"] == "exempt"
    assert lights["2-1"] == "none"  # not reported, and not exempt


def test_outputs_are_listed_once_and_a_folder_of_many_as_one_line_with_its_count(tmp_path):
    from pyxl.cli import _output_lines

    out = tmp_path / "out" / "2025-06"
    pages = [out / "任务历程" / f"任务_{n}.html" for n in range(1001)]
    notices = [out / "督办单" / f"单位{n}.docx" for n in range(3)]
    summary, bulletin = out / "汇总_2025-06.xlsx", out / "督查通报_2025-06.docx"
    lines = _output_lines([summary, *pages[:500], bulletin, *notices, *pages[500:], summary])
    assert lines == [
        str(summary),
        f"{out / '任务历程'}{os.sep}（1001 个文件）",  # where the folder's first file came
        str(bulletin),
        *map(str, notices),  # a few files are named one by one
    ]
