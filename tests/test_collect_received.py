"""When a return handed over as a file was received: the office's word, else the file's time, else now.

An e-mail records when it arrived; a file saved into the inbox does not. A
clerk who collects the inbox after the due date must not see every unit
counted 逾期报送 (and lose points) because of when the collect ran.
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date, datetime

import pytest
from test_collect import mail, sent_file
from test_collect_support import OTHER, PERIOD, UNIT, filled

from pyxl import cli, pipeline
from pyxl.common.period import Period
from pyxl.mail.ledger import KIND_SEND, LEDGER_NAME, RESULT_OK, Ledger, LedgerLine
from pyxl.returns.archive import read_ledger
from pyxl.workspace import Workspace

AFTER_DUE = datetime(2025, 7, 9, 10, 0)  # the example's returns are due on 2025-07-07 (a Monday)


def dated(path, moment: datetime):
    os.utime(path, (moment.timestamp(), moment.timestamp()))
    return path


def stamps(ws) -> dict[str, str]:
    return {entry.unit: entry.received for entry in read_ledger(ws.returns_dir(PERIOD)) if entry.unit}


def report_states(ws, as_of: date) -> dict[str, str]:
    workspace = Workspace.load(ws)
    result = pipeline.consolidate_period(workspace, Period(2025, 6), as_of=as_of)
    table = result.data.returns
    return dict(zip(table["unit"], table["status"]))


def test_a_file_saved_before_the_due_date_is_on_time_when_collected_after_it(ws):
    due = ws.due_date(Period(2025, 6))
    assert due < AFTER_DUE.date()
    dated(filled(sent_file(ws, UNIT), ws.inbox_dir / "财政.xlsx"), datetime(2025, 7, 4, 16, 30))
    dated(filled(sent_file(ws, OTHER), ws.inbox_dir / "发改.xlsx"), datetime(2025, 7, 8, 9, 0))  # really late

    result = pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=AFTER_DUE)

    assert stamps(ws) == {UNIT: "2025-07-04 16:30:00", OTHER: "2025-07-08 09:00:00"}
    states = report_states(ws, AFTER_DUE.date())
    assert (states[UNIT], states[OTHER]) == ("按时报送", "逾期报送")
    # the clerk is told how the files were dated and what to do if that is wrong
    said = "\n".join(result.summary)
    assert "按文件的修改时间 2 份" in said and "1 份晚于报送截止 2025-07-07" in said and "--received" in said


def test_a_file_time_that_cannot_be_true_gives_way_to_the_time_of_collecting(ws):
    dated(filled(sent_file(ws, UNIT), ws.inbox_dir / "财政.xlsx"), datetime(2025, 7, 20))  # after now: a wrong clock
    pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=AFTER_DUE)
    assert stamps(ws) == {UNIT: "2025-07-09 10:00:00"}


def test_a_file_time_before_the_sheets_went_out_gives_way_too(ws):
    # the sheets were mailed on 2025-07-01 (as `pyxl send` records it): no return came before
    Ledger(ws.out_dir(PERIOD) / LEDGER_NAME).append(LedgerLine(
        KIND_SEND, PERIOD, UNIT, "czj@changqing.example", "x.xlsx", "", "2025-07-01 09:00:00", RESULT_OK, "250 Ok"))
    dated(filled(sent_file(ws, UNIT), ws.inbox_dir / "财政.xlsx"), datetime(2025, 6, 20))
    dated(filled(sent_file(ws, OTHER), ws.inbox_dir / "发改.xlsx"), datetime(2025, 7, 2, 8, 0))
    pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=AFTER_DUE)
    assert stamps(ws) == {UNIT: "2025-07-09 10:00:00", OTHER: "2025-07-02 08:00:00"}


def test_the_office_states_when_it_received_the_files(ws):
    dated(filled(sent_file(ws, UNIT), ws.inbox_dir / "财政.xlsx"), datetime(2025, 7, 8, 9, 0))
    # a zip of returns: its members were received with it
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("发改.xlsx", filled(sent_file(ws, OTHER), ws.root / "tmp" / "发改.xlsx").read_bytes())
    (ws.inbox_dir / "打包.zip").write_bytes(buffer.getvalue())
    # an e-mail keeps its own arrival time whatever the office says of the loose files
    town = filled(sent_file(ws, "文昌街道"), ws.root / "tmp" / "文昌.xlsx")
    (ws.inbox_dir / "文昌街道.eml").write_bytes(
        mail("wenchang@changqing.example", "Tue, 08 Jul 2025 08:15:00 +0800", {"文昌街道报表.xlsx": town.read_bytes()}))

    result = pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=AFTER_DUE,
                                      received_at=datetime(2025, 7, 7))
    assert stamps(ws) == {UNIT: "2025-07-07 00:00:00", OTHER: "2025-07-07 00:00:00", "文昌街道": "2025-07-08 08:15:00"}
    states = report_states(ws, AFTER_DUE.date())
    assert (states[UNIT], states[OTHER], states["文昌街道"]) == ("按时报送", "按时报送", "逾期报送")
    assert not any("--received" in line for line in result.summary)  # none of the loose files is late: nothing to say


def test_a_zip_member_takes_the_zips_file_time(ws):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("发改.xlsx", filled(sent_file(ws, OTHER), ws.root / "tmp" / "发改.xlsx").read_bytes())
    (ws.inbox_dir / "打包.zip").write_bytes(buffer.getvalue())
    dated(ws.inbox_dir / "打包.zip", datetime(2025, 7, 5, 11, 0))
    pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=AFTER_DUE)
    assert stamps(ws) == {OTHER: "2025-07-05 11:00:00"}


def test_the_command_line_takes_the_received_date_and_refuses_one_in_the_future(ws, capsys):
    dated(filled(sent_file(ws, UNIT), ws.inbox_dir / "财政.xlsx"), datetime(2025, 7, 8, 9, 0))
    config = str(ws.root / "config.yaml")
    assert cli.main(["--config", config, "collect", "--period", PERIOD, "--received", "2099-01-01"]) == cli.EXIT_FAILED
    assert "在现在之后" in capsys.readouterr().err
    assert not read_ledger(ws.returns_dir(PERIOD))
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--config", config, "collect", "--period", PERIOD, "--received", "2025-7-5"])
    assert stopped.value.code == cli.EXIT_FAILED and "格式不对" in capsys.readouterr().err
    assert cli.main(["--config", config, "collect", "--period", PERIOD, "--received", "2025-07-05 16:30"]) == 0
    assert stamps(ws) == {UNIT: "2025-07-05 16:30:00"}
    # the monthly run collects the same way
    dated(filled(sent_file(ws, OTHER), ws.inbox_dir / "发改.xlsx"), datetime(2025, 7, 8, 9, 0))
    assert cli.main(["--config", config, "month", "--period", PERIOD, "--as-of", "2025-07-10", "--received", "2025-07-06"]) in (0, 1)
    assert stamps(ws) == {UNIT: "2025-07-05 16:30:00", OTHER: "2025-07-06 00:00:00"}
