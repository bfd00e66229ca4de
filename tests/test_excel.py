"""The ribbon buttons, pressed through the in-memory workbook adapter on a real built master."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pyxl import pipeline
from pyxl.common.config import Settings
from pyxl.common.model import SHEET_NAMES
from pyxl.excel import STEPS, find_config, run_button
from pyxl.master import rows as master
from pyxl.master.build import ribbon_buttons
from pyxl.master.memory import MemoryBook
from pyxl.workspace import Workspace

NOW = datetime(2025, 7, 10, 9, 0, 0)


@pytest.fixture
def book(settings: Settings) -> MemoryBook:
    pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 7, 1, 8, 0, 0))
    return MemoryBook.open(settings.workbook_path)


def _log(settings: Settings) -> Path:
    return settings.root / "logs" / "pyxl.log"


def test_every_ribbon_button_has_a_step():
    assert [b.id for b in ribbon_buttons()] == list(STEPS)


@pytest.mark.parametrize("button", [b.id for b in ribbon_buttons()])
def test_each_button_ends_in_one_message_and_never_in_a_bug(settings, book, button):
    book.answers = [False]  # 导入: keep the tables; 发送: drafts only
    run_button(book, button, NOW)
    assert len(book.alerts) == 1 and book.alerts[0].strip()
    assert "程序内部错误" not in book.alerts[0], _log(settings).read_text(encoding="utf-8")
    assert not _log(settings).exists()
    assert book.statuses[-1] is None  # the status bar is given back to Excel
    assert book.saves >= 1  # saved first, so the pipeline saw the staff's edits


def test_import_asks_before_overwriting_and_writes_both_tables(settings, book):
    tasks = book.read_table(master.SHEET_TASKS)
    tasks[1][7] = "工作人员的备注"
    book.write_table(master.SHEET_TASKS, tasks)

    book.answers = [False]
    run_button(book, "parse_document", NOW)
    assert "覆盖" in book.questions[0]
    assert book.read_table(master.SHEET_TASKS)[1][7] == "工作人员的备注"
    assert book.alerts == ["已取消导入，工作簿未改动。"]

    book.answers = [True]
    result = run_button(book, "parse_document", NOW)
    assert book.read_table(master.SHEET_TASKS)[1][7] is None
    assert len(book.read_table(master.SHEET_TASKS)) == 1 + len(result.data.tasks)
    problems = book.read_table(SHEET_NAMES["problems"])
    assert problems[0][0] == "代码" and len(problems) == 1 + len(result.problems)
    # what the button wrote is in the saved file the CLI reads
    assert Workspace.load(settings).duty.tasks[0].note == ""


def test_button_saves_the_staff_edits_before_the_step_reads_the_file(settings, book):
    tasks = book.read_table(master.SHEET_TASKS)
    tasks[1][7] = "先保存再运行"
    book.write_table(master.SHEET_TASKS, tasks)
    run_button(book, "open_output_folder", NOW)
    assert Workspace.load(settings).duty.tasks[0].note == "先保存再运行"


def test_the_period_comes_from_the_live_settings_sheet(settings, book):
    values = book.read_table(master.SHEET_SETTINGS)
    next(row for row in values if row[0] == "当前期次")[1] = "2025-09"
    book.write_table(master.SHEET_SETTINGS, values)
    run_button(book, "open_output_folder", NOW)
    assert book.opened == [settings.root / "out" / "2025-09"]

    next(row for row in values if row[0] == "当前期次")[1] = None
    book.write_table(master.SHEET_SETTINGS, values)
    settings_without_period = settings.root / "config.yaml"
    text = settings_without_period.read_text(encoding="utf-8").replace('current: "2025-06"', 'current: ""')
    settings_without_period.write_text(text, encoding="utf-8")
    run_button(book, "split_sheets", NOW)
    assert "当前期次" in book.alerts[-1]


def test_consolidation_tables_go_into_their_sheets_whole(settings, book):
    result = run_button(book, "consolidate_period", NOW)
    for name, frame in result.data.labelled().items():
        rows = book.read_table(name)
        assert rows[0] == [str(c) for c in frame.columns], name
        assert len(rows) == 1 + len(frame), name
    # nothing came back yet: every unit is 未报送, the lights are not coloured green/yellow/red
    assert SHEET_NAMES["indicators"] not in book.marks
    saved = MemoryBook.open(settings.workbook_path)
    assert saved.read_table(SHEET_NAMES["returns"]) == book.read_table(SHEET_NAMES["returns"])
    assert Workspace.load(settings).duty.tasks  # the data sheets survived the save


def test_split_then_preview_mail_reports_progress_in_the_status_bar(settings, book):
    run_button(book, "split_sheets", NOW)
    assert "生成了填报表" in book.alerts[-1]
    book.answers = [False]
    run_button(book, "send_sheets", NOW)
    assert "封邮件" in book.questions[-1]  # the counts are checked in test_excel_send.py
    assert any(text and "正在生成草稿" in text for text in book.statuses)
    assert list((settings.out_dir("2025-06")).rglob("*.eml"))


def test_unknown_button_and_missing_config_are_messages(settings, book, tmp_path):
    run_button(book, "no_such_step", NOW)
    assert "没有对应的功能" in book.alerts[-1]
    stray = MemoryBook(tmp_path / "别处" / "Responsibilities.xlsm", dict(book.sheets))
    run_button(stray, "split_sheets", NOW)
    assert "config.yaml" in stray.alerts[-1]
    with pytest.raises(Exception, match="config.yaml"):
        find_config(tmp_path)


def test_an_unexpected_error_is_logged_and_the_message_says_where(settings, book):
    # The workbook's file name is taken by a folder: saving fails with an OSError, which is no PyxlError.
    blocked = settings.root / "workbook" / "被占用.xlsm"
    blocked.mkdir()
    book.path = blocked
    run_button(book, "open_output_folder", NOW)
    assert "程序内部错误" in book.alerts[-1] and str(_log(settings)) in book.alerts[-1]
    assert "Traceback" in _log(settings).read_text(encoding="utf-8")
    assert book.statuses[-1] is None
