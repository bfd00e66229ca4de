"""The 发送/预览邮件 button: drafts first, then a question with the real counts, mail only on yes.

The master is built from the example, the clerk edits addresses in the live
单位 sheet, and the mail goes to a real SMTP server on loopback (aiosmtpd).
"""

from __future__ import annotations

import csv
from datetime import datetime

import pytest
import yaml

from pyxl import pipeline
from pyxl.common.config import Settings, load_settings
from pyxl.common.period import Period
from pyxl.demo.mailserver import LoopbackMailServer, MailRecorder
from pyxl.distribution.layout import MANIFEST_NAME
from pyxl.excel import run_button
from pyxl.mail.ledger import LEDGER_NAME
from pyxl.master import rows as master
from pyxl.master.memory import MemoryBook
from pyxl.workspace import Workspace

NOW = datetime(2025, 6, 28, 9, 30)
PERIOD = Period(2025, 6)
NO_ADDRESS = "区水务局"
TWO_ADDRESSES = {"区教育体育局": ["jtj@changqing.example", "jtj-bgs@changqing.example"]}


@pytest.fixture
def server():
    with LoopbackMailServer(MailRecorder()) as running:
        yield running.handler, running.port


@pytest.fixture
def ready(settings: Settings, server) -> tuple[Settings, MemoryBook]:
    """Mail pointed at the loopback server; the master built; the clerk's address edits in 单位; sheets split."""
    _, port = server
    config = settings.root / "config.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["mail"].update({"host": "127.0.0.1", "port": port, "per_minute": 0, "timeout": 5})
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    settings = load_settings(config)
    pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 6, 1, 8, 0, 0))
    book = MemoryBook.open(settings.workbook_path)
    units = book.read_table(master.SHEET_UNITS)
    column = units[0].index("邮箱")
    for row in units[1:]:
        if row[0] == NO_ADDRESS:
            row[column] = None
        if row[0] in TWO_ADDRESSES:
            row[column] = master.join_list(TWO_ADDRESSES[row[0]])
    book.write_table(master.SHEET_UNITS, units)
    run_button(book, "split_sheets", NOW)
    return settings, book


def _expected(settings: Settings, book: MemoryBook, already: set[str] = frozenset()) -> tuple[list[str], int]:
    """Units to mail and the number of addresses, from the manifest and the live 单位 sheet (not from the mail code)."""
    with (settings.out_dir(PERIOD) / "分发" / MANIFEST_NAME).open(encoding="utf-8-sig", newline="") as handle:
        units = [row["单位"] for row in csv.DictReader(handle)]
    rows = book.read_table(master.SHEET_UNITS)
    column = rows[0].index("邮箱")
    addresses = {row[0]: master.split_list(row[column]) for row in rows[1:] if row[0]}
    mailed = [u for u in units if addresses.get(u) and u not in already]
    return mailed, sum(len(addresses[u]) for u in mailed)


def test_no_writes_the_drafts_asks_with_the_counts_and_sends_nothing(ready, server):
    settings, book = ready
    handler, _ = server
    mailed, addresses = _expected(settings, book)
    units = len(mailed)
    book.answers = [False]
    run_button(book, "send_sheets", NOW)
    question = book.questions[-1]
    assert f"将向 {units} 个单位发送 {units} 封邮件（收件地址 {addresses} 个）" in question
    assert f"没有邮箱、不会发送 1 个单位：{NO_ADDRESS}" in question
    assert units > 40 and addresses == units + 1  # the unit with two addresses counts twice
    assert handler.messages == []
    assert not (settings.out_dir(PERIOD) / LEDGER_NAME).exists()
    drafts = list((settings.out_dir(PERIOD) / "outbox").glob("*.eml"))
    assert len(drafts) == units + 1  # the unit without an address gets a draft to fill in by hand
    assert "已取消发送" in book.alerts[-1]
    assert any(text and "正在生成草稿" in text for text in book.statuses)
    assert book.statuses[-1] is None


def test_yes_sends_each_unit_its_sheet_with_progress_in_the_status_bar(ready, server):
    settings, book = ready
    handler, _ = server
    mailed, addresses = _expected(settings, book)
    units = len(mailed)
    book.answers = [True]
    result = run_button(book, "send_sheets", NOW)
    assert sorted(_unit_of(message) for _, message in handler.received()) == sorted(mailed) == sorted(result.data.sent)
    assert sum(len(to) for to, _ in handler.messages) == addresses
    assert any(text and "正在发送" in text for text in book.statuses)
    assert "本次发出" in book.alerts[-1]

    # pressed again: everything went out, nothing to ask, nothing sent twice
    book.answers = [True]
    asked = len(book.questions)
    run_button(book, "send_sheets", NOW)
    assert len(book.questions) == asked and "没有需要发送的邮件" in book.alerts[-1]
    assert len(handler.messages) == units


def _unit_of(message) -> str:
    """The unit a message went to, from its attachment (NN_<unit>.xlsx)."""
    [part] = list(message.iter_attachments())
    return part.get_filename().split("_", 1)[1][: -len(".xlsx")]


def test_units_already_sent_are_named_and_not_counted(ready, server):
    settings, book = ready
    handler, _ = server
    first = "区财政局"
    pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW, units=[first])
    assert len(handler.messages) == 1
    mailed, addresses = _expected(settings, book, already={first})
    units = len(mailed)
    book.answers = [False]
    run_button(book, "send_sheets", NOW)
    question = book.questions[-1]
    assert f"将向 {units} 个单位发送 {units} 封邮件（收件地址 {addresses} 个）" in question
    assert f"此前已发送、不再发送 1 个单位：{first}" in question
    assert len(handler.messages) == 1
