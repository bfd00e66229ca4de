"""Who sent it, and when: a doubtful return waits (待确认) and never displaces the unit's own until the office confirms it."""

from __future__ import annotations

from datetime import datetime

import pytest
from hostile_corpus import an_email
from test_collect_support import PERIOD, UNIT, filled

from pyxl import cli, pipeline
from pyxl.common.errors import PyxlError
from pyxl.common.period import Period
from pyxl.mail.ledger import KIND_SEND, RESULT_OK, Ledger, LedgerLine
from pyxl.returns import collect, confirm
from pyxl.returns.archive import read_ledger
from pyxl.workspace import Workspace

JUNE = Period(2025, 6)




def _return(settings, value, name):
    source = next((settings.out_dir(PERIOD) / "分发").glob(f"*_{UNIT}.xlsx"))
    return filled(source, settings.root / "made" / name, lambda book: book.worksheets[0].__setitem__("G6", value)).read_bytes()


def _current(settings):
    workspace = Workspace.load(settings)
    return {r.unit: r for r in collect.read_archive(settings.returns_dir(PERIOD), settings.root, workspace.duty,
                                                    workspace.directory, settings.distribution_dir(PERIOD))}


def _value(unit_return):
    return next(row.value for row in unit_return.rows if row.key == "2-1")


def test_a_stranger_cannot_displace_the_units_return_until_the_office_confirms(ws, capsys):
    inbox = ws.inbox_dir
    own = an_email("czj@changqing.example", "Wed, 02 Jul 2025 09:00:00 +0800", [("区财政局.xlsx", _return(ws, 3400, "own.xlsx"))],
                   received="from a by mx.changqing.example; Wed, 02 Jul 2025 09:01:00 +0800")
    (inbox / "1_own.eml").write_bytes(own)
    assert pipeline.collect_returns(Workspace.load(ws), JUNE, None, now=datetime(2025, 7, 2, 10, 0)).exit_code == 0

    # a stranger's mail, its Date far ahead, received (by our server's stamp) after the unit's own
    forged = an_email("someone@mail.example", "Sun, 31 Aug 2025 23:59:00 +0800", [("区财政局.xlsx", _return(ws, 999999, "x.xlsx"))],
                      received="from b by mx.changqing.example; Thu, 03 Jul 2025 08:00:00 +0800")
    (inbox / "2_forged.eml").write_bytes(forged)
    result = pipeline.collect_returns(Workspace.load(ws), JUNE, None, now=datetime(2025, 7, 3, 9, 0))
    assert result.exit_code == 1
    assert {(p.file, p.code) for p in result.problems} == {
        ("inbox/2_forged.eml!区财政局.xlsx", "sender-unverified"), ("inbox/2_forged.eml!区财政局.xlsx", "date-doubtful")}
    assert any("待确认 1 份" in line for line in result.summary)
    states = {line.source: line for line in read_ledger(ws.returns_dir(PERIOD))}
    assert states["inbox/2_forged.eml!区财政局.xlsx"].status == "pending"
    assert states["inbox/2_forged.eml!区财政局.xlsx"].received == "2025-07-03 08:00:00"  # our server's stamp, not its Date
    assert _value(_current(ws)[UNIT]) == 3400  # the unit's own return still counts

    # the unit's genuine correction comes later: it counts, and is never superseded by the waiting one
    (inbox / "3_correction.xlsx").write_bytes(_return(ws, 3500, "c.xlsx"))
    pipeline.collect_returns(Workspace.load(ws), JUNE, None, now=datetime(2025, 7, 4, 9, 0))
    assert _value(_current(ws)[UNIT]) == 3500

    # listing changes nothing; confirming makes it count by its received time (earlier than the correction)
    config = str(ws.root / "config.yaml")
    assert cli.main(["--config", config, "confirm", "--period", PERIOD]) == 1
    assert "2_forged.eml" in capsys.readouterr().out
    assert [e.status for e in confirm.pending_returns(ws.returns_dir(PERIOD), PERIOD)] == ["pending"]
    with pytest.raises(PyxlError, match="没有待确认"):
        pipeline.confirm_returns(Workspace.load(ws), JUNE, ["区发展改革局"])
    assert cli.main(["--config", config, "confirm", "--period", PERIOD, "--unit", UNIT]) == 0
    assert confirm.pending_returns(ws.returns_dir(PERIOD), PERIOD) == []
    current = _current(ws)[UNIT]
    assert _value(current) == 3500 and current.problems == []
    ledger = read_ledger(ws.returns_dir(PERIOD))
    assert [line.status for line in ledger if line.source == "inbox/2_forged.eml!区财政局.xlsx"][-1] == "superseded"


def test_a_mail_received_before_the_sheet_was_sent_waits(ws):
    out = ws.out_dir(PERIOD)
    Ledger(out / "发送记录.csv").append(LedgerLine(KIND_SEND, PERIOD, UNIT, "czj@changqing.example", "x.xlsx", "",
                                                  "2025-07-01T10:00:00", RESULT_OK, "250 ok"))
    early = an_email("czj@changqing.example", "Fri, 20 Jun 2025 09:00:00 +0800", [("区财政局.xlsx", _return(ws, 3400, "e.xlsx"))],
                     received="from a by mx.changqing.example; Fri, 20 Jun 2025 09:01:00 +0800")
    (ws.inbox_dir / "early.eml").write_bytes(early)
    result = pipeline.collect_returns(Workspace.load(ws), JUNE, None, now=datetime(2025, 7, 3, 9, 0))
    assert {(p.file, p.code) for p in result.problems} == {("inbox/early.eml!区财政局.xlsx", "date-doubtful")}
    assert UNIT not in _current(ws)


def test_the_ribbon_button_lists_asks_and_confirms(ws, settings_book):
    from pyxl.excel import run_button

    book = settings_book(ws)
    forged = an_email("someone@mail.example", "Thu, 03 Jul 2025 08:00:00 +0800", [("区财政局.xlsx", _return(ws, 3400, "r.xlsx"))])
    (ws.inbox_dir / "stranger.eml").write_bytes(forged)
    run_button(book, "collect_returns", datetime(2025, 7, 3, 9, 0))
    assert "待确认 1 份" in book.alerts[-1]

    book.answers = [False]
    run_button(book, "confirm_returns", datetime(2025, 7, 3, 9, 5))
    assert "stranger.eml" in book.questions[-1] and "未改动" in book.alerts[-1]
    assert len(confirm.pending_returns(ws.returns_dir(PERIOD), PERIOD)) == 1

    book.answers = [True]
    run_button(book, "confirm_returns", datetime(2025, 7, 3, 9, 6))
    assert "已确认 1 份" in book.alerts[-1]
    assert confirm.pending_returns(ws.returns_dir(PERIOD), PERIOD) == []
    assert _value(_current(ws)[UNIT]) == 3400


@pytest.fixture
def settings_book():
    from pyxl.master.memory import MemoryBook

    def make(settings):
        pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 7, 1, 8, 0, 0))
        return MemoryBook.open(settings.workbook_path)

    return make
