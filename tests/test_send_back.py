"""退回重报: the office sends a return back; the unit redoes the pre-filled sheet in LibreOffice and sends it again.

A real SMTP server on loopback receives the 退回 mail; the attached sheet is
read back as a unit clerk would see it, filled in a real LibreOffice, and
collected like any return. In between the return counts as 报表被退回 in the
judgement (回收情况, 预警, scores) with the office's note shown.
"""

from __future__ import annotations

import csv
import email
import email.policy
from datetime import date, datetime

import openpyxl
import pytest
import yaml
from clerk import FillJob, fill_workbooks, require_libreoffice
from test_collect_support import OTHER, UNIT, fill

from pyxl import cli, pipeline
from pyxl.common.config import load_settings
from pyxl.common.period import Period
from pyxl.demo.mailserver import LoopbackMailServer, MailRecorder
from pyxl.distribution import layout
from pyxl.excel import run_button
from pyxl.mail.ledger import KIND_SEND_BACK, LEDGER_NAME
from pyxl.master import rows as master
from pyxl.master.memory import MemoryBook
from pyxl.master.rows import SendBackRequest
from pyxl.returns import sendback
from pyxl.workspace import Workspace

PERIOD = Period(2025, 6)
COLLECTED = datetime(2025, 7, 2, 9, 0)
SENT_BACK = datetime(2025, 7, 2, 15, 0)
AS_OF = date(2025, 7, 3)  # before the due date (7月5日): 报表被退回, not yet 逾期未报
NOTE = "专项债进展写得过于简略，请补充已申报项目数和金额"


@pytest.fixture
def server():
    with LoopbackMailServer(MailRecorder()) as running:
        yield running.handler, running.port


@pytest.fixture
def office(ws, server):
    """The June workspace mailing through the loopback server, 区财政局's return (one error) and 区发展改革局's (clean) collected."""
    handler, port = server
    config = ws.root / "config.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["mail"].update({"host": "127.0.0.1", "port": port, "per_minute": 0, "timeout": 5})
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    settings = load_settings(config)
    sent = settings.out_dir(PERIOD) / "分发"
    book = fill(openpyxl.load_workbook(next(sent.glob(f"*_{UNIT}.xlsx"))))
    sheet = book.worksheets[0]
    sheet["H7"] = 150  # 完成进度 out of range: the check's error
    sheet["G6"] = "约4.2"  # read as 4.2, a hint
    sheet["M7"] = "专项债申报表.pdf"
    book.save(settings.inbox_dir / "区财政局.xlsx")
    fill(openpyxl.load_workbook(next(sent.glob(f"*_{OTHER}.xlsx")))).save(settings.inbox_dir / "发改局.xlsx")
    pipeline.collect_returns(Workspace.load(settings), PERIOD, None, now=COLLECTED)
    return settings, handler


def _attachment(message) -> tuple[str, bytes]:
    [part] = list(message.iter_attachments())
    return part.get_filename(), part.get_payload(decode=True)


def _body(message) -> str:
    return message.get_body(("plain",)).get_content()


def _returns(settings) -> dict[str, str]:
    judged = pipeline.consolidate_period(Workspace.load(settings), PERIOD, as_of=AS_OF).data
    return dict(zip(judged.returns["unit"], judged.returns["status"]))


@pytest.mark.libreoffice
def test_send_back_mails_each_cell_and_the_note_and_the_redone_sheet_is_collected(office, tmp_path, capsys):
    require_libreoffice()
    settings, handler = office
    config = str(settings.root / "config.yaml")
    assert _returns(settings)[UNIT] == "报表被退回"  # its own check failed already
    assert _returns(settings)[OTHER] == "按时报送"

    # a dry run writes the draft, sends nothing and records nothing
    assert cli.main(["--config", config, "send-back", "--period", "2025-06", "--unit", "区财政局", "--note", NOTE, "--dry-run"]) == 0
    assert handler.messages == []
    drafts = list((settings.out_dir(PERIOD) / "outbox").glob(f"{KIND_SEND_BACK}_*.eml"))
    assert len(drafts) == 1 and not (settings.returns_dir(PERIOD) / sendback.RECORD_NAME).exists()

    pipeline.send_back_returns(Workspace.load(settings), PERIOD, [SendBackRequest(UNIT, NOTE)], now=SENT_BACK)
    [(to, data)] = handler.messages
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert to == ["czj@changqing.example"]
    assert "退回重报" in message["Subject"] and UNIT in message["Subject"]
    body = _body(message)
    assert NOTE in body and "2025年7月2日" in body
    assert "单元格 H7：「完成进度(%)」是 150，不在 0 到 100 之间" in body  # the cell and what to fix
    assert "单元格 G6" in body and "单元格 M7" in body and "（提示，请核对）" in body  # the hints too, marked as hints
    assert "2025年7月9日前重新报送" in body  # five working days after the send-back
    name, sheet_bytes = _attachment(message)
    assert name.endswith("_区财政局_退回重报.xlsx")

    # the attached sheet: a fresh sheet for the unit, holding what it returned
    attached = tmp_path / name
    attached.write_bytes(sheet_bytes)
    book = openpyxl.load_workbook(attached)
    sheet = book.worksheets[0]
    assert sheet["J5"].value == "2 项目按计划推进" and sheet["M7"].value == "专项债申报表.pdf"
    assert sheet["G6"].value == 4.2 and sheet["H7"].value is None  # the figure read; the bad percentage left to redo
    assert "退回重报" in sheet["A3"].value
    assert (sheet["B11"].value, sheet["B12"].value, sheet["B13"].value) == ("张三", "0531-87221234", None)  # who filled it; a new date
    ident = {row[0].value: row[1].value for row in book[layout.IDENTITY_SHEET].iter_rows()}
    assert (ident[layout.ID_UNIT], ident[layout.ID_PERIOD], ident[layout.ID_VERSION]) == (UNIT, "2025-06", "2")

    # the send ledger has it; the return now counts as 退回 with the office's note
    with (settings.out_dir(PERIOD) / LEDGER_NAME).open(encoding="utf-8-sig", newline="") as handle:
        lines = [row for row in csv.DictReader(handle) if row["类型"] == KIND_SEND_BACK]
    assert [(l["单位"], l["结果"], l["附件"]) for l in lines] == [(UNIT, "成功", name)]
    judged = pipeline.consolidate_period(Workspace.load(settings), PERIOD, as_of=AS_OF).data
    flag = judged.flags[(judged.flags["unit"] == UNIT) & (judged.flags["flag"] == "报表被退回")]
    assert len(flag) == 1 and NOTE in flag.iloc[0]["reason"]
    assert NOTE in " ".join(judged.problems["message"])

    # re-running never mails the same return back twice
    pipeline.send_back_returns(Workspace.load(settings), PERIOD, [SendBackRequest(UNIT, NOTE)], now=SENT_BACK)
    assert len(handler.messages) == 1
    assert len(sendback.read_records(settings.returns_dir(PERIOD))) == 1

    # the clerk fixes the percentage in LibreOffice in the sheet that came back, and sends it again
    redone = settings.inbox_dir / "区财政局重报.xlsx"
    fill_workbooks([FillJob(attached, {"H7": 60, "J7": "已申报专项债项目12个、金额8.6亿元"}, [redone])])
    again = pipeline.collect_returns(Workspace.load(settings), PERIOD, None, now=datetime(2025, 7, 3, 10, 0))
    [new] = again.data
    assert new.unit == UNIT and new.accepted
    assert {(p.cell, p.code) for p in again.problems} == {("M7", "evidence-missing")}  # still no PDF, a hint
    assert _returns(settings)[UNIT] == "按时报送"
    judged = pipeline.consolidate_period(Workspace.load(settings), PERIOD, as_of=AS_OF).data
    assert not any(judged.problems["code"] == "sent-back")
    assert judged.leads.query("unit == @UNIT and number == '32'")["percent"].iloc[0] == 60


def test_a_clean_return_is_sent_back_with_the_office_note_only_and_a_note_is_needed(office):
    settings, handler = office
    workspace = Workspace.load(settings)
    result = pipeline.send_back_returns(workspace, PERIOD, [SendBackRequest(OTHER, "")], now=SENT_BACK)
    assert handler.messages == [] and result.attention
    assert f"{OTHER} 的报表没有校验问题：退回请写明退回意见" in " ".join(result.summary)

    pipeline.send_back_returns(Workspace.load(settings), PERIOD, [SendBackRequest(OTHER, "请附上项目照片")], now=SENT_BACK)
    [(to, data)] = handler.messages
    assert to == ["fgj@changqing.example"]
    assert "请附上项目照片" in _body(email.message_from_bytes(data, policy=email.policy.default))
    statuses = _returns(settings)
    assert statuses[OTHER] == "报表被退回"
    judged = pipeline.consolidate_period(Workspace.load(settings), PERIOD, as_of=AS_OF).data
    scores = judged.scores.set_index("unit")
    assert "报表被退回" in scores.loc[OTHER, "reasons"]
    # after the due date it counts as a unit that has not reported, as a failed check does
    late = pipeline.consolidate_period(Workspace.load(settings), PERIOD, as_of=date(2025, 7, 10)).data
    assert dict(zip(late.returns["unit"], late.returns["status"]))[OTHER] == "逾期未报"


def test_send_back_names_what_cannot_be_sent_back(office):
    settings, handler = office
    result = pipeline.send_back_returns(Workspace.load(settings), PERIOD,
                                        [SendBackRequest("区不存在局", "x"), SendBackRequest("区水务局", "x")], now=SENT_BACK)
    assert handler.messages == [] and result.attention
    text = " ".join(result.summary)
    assert "「区不存在局」不在单位名录中" in text and "区水务局 本期没有报送过报表" in text
    with pytest.raises(Exception, match="没有要退回的报表"):
        pipeline.send_back_returns(Workspace.load(settings), PERIOD, None, now=SENT_BACK)


def test_the_ribbon_button_sends_back_the_rows_of_its_sheet_and_writes_the_outcome(office):
    settings, handler = office
    pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 7, 1, 8, 0))
    book = MemoryBook.open(settings.workbook_path)

    # build-workbook makes the sheet empty; pressed as it is, the clerk is told how to fill it
    assert book.read_table(master.SHEET_SEND_BACK) == [list(master.SEND_BACK_HEADERS)]
    run_button(book, "send_back_returns", SENT_BACK)
    assert "每行填写一个要退回的单位" in book.alerts[-1] and handler.messages == []
    # a master from before the sheet existed: the button makes it
    del book.sheets[master.SHEET_SEND_BACK]
    run_button(book, "send_back_returns", SENT_BACK)
    assert book.read_table(master.SHEET_SEND_BACK) == [list(master.SEND_BACK_HEADERS)]

    book.write_table(master.SHEET_SEND_BACK, [list(master.SEND_BACK_HEADERS),
                                              [UNIT, NOTE, None, None],
                                              [OTHER, "请附上项目照片", "否", None],
                                              ["区水务局", "x", None, None]])
    book.answers = [True]
    run_button(book, "send_back_returns", SENT_BACK)
    assert "将退回 2 个单位的报表" in book.questions[-1]
    assert sorted(to[0] for to, _ in handler.messages) == ["czj@changqing.example", "fgj@changqing.example"]
    rows = book.read_table(master.SHEET_SEND_BACK)
    assert rows[1][3] == "2025-07-02 15:00 已退回" and rows[2][3] == "2025-07-02 15:00 已退回"
    assert rows[3][3].startswith("未退回：区水务局 本期没有报送过报表")
    # 附上校验问题 = 否: only the note, not the checks' problems
    other = next(m for to, m in handler.messages if to == ["fgj@changqing.example"])
    assert "需要修改的单元格" not in _body(email.message_from_bytes(other, policy=email.policy.default))

    # pressed again: every row has its outcome, nothing is sent
    run_button(book, "send_back_returns", SENT_BACK)
    assert len(handler.messages) == 2 and "没有待处理的行" in book.alerts[-1]
    # the CLI reads the same sheet from the saved master
    assert master.send_back_requests(Workspace.load(settings).saved.rows(master.SHEET_SEND_BACK)) == []
    # a rebuild keeps the office's rows and their outcomes, so nothing is sent twice
    book.save()
    pipeline.build_workbook(Workspace.load(settings), force=True, now=datetime(2025, 7, 3, 8, 0))
    def text(table):
        return [[cell or "" for cell in row] for row in table]

    assert text(Workspace.load(settings).saved.rows(master.SHEET_SEND_BACK)) == text(rows)
