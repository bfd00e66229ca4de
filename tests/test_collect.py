"""Collect as the office uses it: an inbox of returns, zips and saved e-mails, run again and again."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from test_collect_support import OTHER, PERIOD, UNIT, filled, make_sent

from pyxl import cli, pipeline
from pyxl.common.period import Period
from pyxl.common.values import read_number
from pyxl.returns import collect
from pyxl.returns.archive import LEDGER_NAME, read_ledger
from pyxl.workspace import Workspace

NOW = datetime(2025, 7, 3, 9, 0)




def sent_file(settings, unit):
    return next(p for p in (settings.out_dir(PERIOD) / "分发").glob("*.xlsx") if p.name.endswith(f"_{unit}.xlsx"))


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def mail(sender: str, date: str, attachments: dict[str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"], message["Date"] = sender, "duchashi@changqing.example", "报表", date
    message.set_content("见附件")
    for name, data in attachments.items():
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


def test_inbox_of_files_zips_and_mails_is_archived_validated_and_rerun_changes_nothing(ws):
    inbox = ws.inbox_dir
    finance = filled(sent_file(ws, UNIT), inbox / "财政局6月.xlsx")
    # a zip made by Windows' own tool: GBK names without the UTF-8 flag
    other = filled(sent_file(ws, OTHER), ws.root / "tmp" / "发改.xlsx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ABCDEFGHIJ.xlsx", other.read_bytes())
    gbk = "发改局报表.xlsx".encode("gbk")
    assert len(gbk) == len(b"ABCDEFGHIJ.xlsx")
    (inbox / "打包.zip").write_bytes(buffer.getvalue().replace(b"ABCDEFGHIJ.xlsx", gbk))
    # a saved e-mail from the unit's own address, with a WPS .et attachment
    town = filled(sent_file(ws, "文昌街道"), ws.root / "tmp" / "文昌.xlsx")
    (inbox / "文昌街道.eml").write_bytes(mail("wenchang@changqing.example", "Thu, 03 Jul 2025 08:15:00 +0800", {"文昌街道报表.et": town.read_bytes()}))
    (inbox / "~$财政局6月.xlsx").write_bytes(b"lock")  # Excel's lock file: never an input
    before = snapshot(inbox)

    result = pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=NOW)
    assert result.exit_code == 0, [(p.file, p.code) for p in result.problems]
    units = {r.unit: r for r in result.data}
    assert set(units) == {UNIT, OTHER, "文昌街道"}
    assert all(r.accepted for r in result.data)
    assert units[OTHER].source == "inbox/打包.zip!发改局报表.xlsx"
    assert units["文昌街道"].received == datetime(2025, 7, 3, 8, 15)  # the e-mail's Date (no Received header), China time
    rows = {r.key: r for r in units[UNIT].rows}
    # task 2's only target repeats its text: the figure on the （同上） row, progress and status on the task row
    assert (rows["2-1"].value, rows["2"].percent, rows["2"].status) == (3400, 50, "按计划推进")
    assert (rows["2-1"].percent, rows["2-1"].status) == (None, None)
    assert units[UNIT].filled_by == "张三"

    returns_dir = ws.returns_dir(PERIOD)
    ledger = read_ledger(returns_dir)
    assert sorted(e.status for e in ledger) == ["accepted", "accepted", "accepted", "container", "container"]
    assert next(e for e in ledger if e.unit == "文昌街道").sender == "wenchang@changqing.example"
    for entry in ledger:  # byte for byte, named by content
        data = (ws.root / entry.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry.sha256
        assert Path(entry.file).name.startswith(entry.sha256[:16] + "_")
    assert (ws.root / next(e.file for e in ledger if e.unit == UNIT)).read_bytes() == finance.read_bytes()
    assert snapshot(inbox) == before

    archive_before = snapshot(returns_dir)
    again = pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=datetime(2025, 7, 9))
    assert again.exit_code == 0 and again.data == []
    assert snapshot(returns_dir) == archive_before
    assert snapshot(inbox) == before


def test_newer_return_supersedes_older_and_both_stay(ws):
    source = sent_file(ws, UNIT)
    first = filled(source, ws.root / "a" / "v1.xlsx")
    second = filled(source, ws.root / "b" / "v2.xlsx", lambda b: b.worksheets[0].__setitem__("G6", 3600))
    returns_dir = ws.returns_dir(PERIOD)
    pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), [first], now=datetime(2025, 7, 2))
    pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), [second], now=datetime(2025, 7, 3))
    states = {e.sha256: e.status for e in read_ledger(returns_dir)}
    assert sorted(states.values()) == ["accepted", "superseded"]
    current = collect.read_archive(returns_dir, ws.root, None, ws.unit_directory())
    assert [r.unit for r in current] == [UNIT]
    assert next(r.value for r in current[0].rows if r.key == "2-1") == 3600
    assert len(list(returns_dir.glob("*.xlsx"))) == 2

    # an older e-mail collected later does not replace the newer return
    old_mail = ws.root / "c" / "old.eml"
    old_mail.parent.mkdir()
    old_data = filled(source, ws.root / "c" / "v0.xlsx", lambda b: b.worksheets[0].__setitem__("G6", 1000)).read_bytes()
    old_mail.write_bytes(mail("czj@changqing.example", "Tue, 01 Jul 2025 08:00:00 +0800", {"v0.xlsx": old_data}))
    pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), [old_mail], now=datetime(2025, 7, 4))
    current = collect.read_archive(returns_dir, ws.root, None, ws.unit_directory())
    assert next(r.value for r in current[0].rows if r.key == "2-1") == 3600
    assert read_ledger(returns_dir)[-1].status == "superseded"


def test_a_wrong_period_file_does_not_supersede_the_units_return(ws, tmp_path):
    good = filled(sent_file(ws, UNIT), ws.root / "a" / "good.xlsx")
    pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), [good], now=datetime(2025, 7, 2))
    may = make_sent(tmp_path / "may", period="2025-05", only=[UNIT])
    old = filled(may.files[UNIT], ws.root / "b" / "may.xlsx")
    result = pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), [old], now=datetime(2025, 7, 3))
    assert result.exit_code == 1 and [p.code for p in result.problems] == ["period-mismatch"]
    current = collect.read_archive(ws.returns_dir(PERIOD), ws.root, None, ws.unit_directory())
    assert [(r.source, r.accepted) for r in current] == [("a/good.xlsx", True)]


def test_read_archive_gives_the_same_answer_as_collect(ws):
    bad = filled(sent_file(ws, UNIT), ws.inbox_dir / "bad.xlsx", lambda b: b.worksheets[0].__setitem__("H7", 150))
    result = pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=NOW)
    duty = Workspace.load(ws).duty
    first = collect.read_archive(ws.returns_dir(PERIOD), ws.root, duty, ws.unit_directory())
    second = collect.read_archive(ws.returns_dir(PERIOD), ws.root, duty, ws.unit_directory())
    assert first == second
    assert [(p.file, p.cell, p.code) for p in first[0].problems] == [(p.file, p.cell, p.code) for p in result.problems]
    assert first[0].accepted is False and first[0].file.startswith("returns/2025-06/")
    assert bad.exists()


def test_cli_exit_codes(ws, capsys):
    config = str(ws.root / "config.yaml")
    assert cli.main(["--config", config, "collect", "--period", "2025-06"]) == 0
    filled(sent_file(ws, UNIT), ws.inbox_dir / "x.xlsx", lambda b: b.worksheets[0].__setitem__("I9", "进行中"))
    assert cli.main(["--config", config, "collect", "--period", "2025-06"]) == 1
    assert "status-invalid" in capsys.readouterr().out
    shutil.rmtree(ws.inbox_dir)
    assert cli.main(["--config", config, "collect", "--period", "2025-06"]) == 2
    assert "收件箱" in capsys.readouterr().err
    (ws.returns_dir(PERIOD) / LEDGER_NAME).write_text("乱写的内容\n", encoding="utf-8")
    assert cli.main(["--config", config, "collect", "--period", "2025-06", str(ws.root / "out")]) == 2


@pytest.mark.parametrize(
    "typed, unit, expected, noted",
    [
        (1200, "", 1200, False),
        ("1,200", "", 1200, True),
        ("１，２００", "", 1200, True),
        ("1.2万", "", 12000, True),
        ("约60%", "%", 60, True),
        ("3.5亿元", "万元", 35000, True),
        ("12.5亿元", "亿元", 12.5, True),
        ("-2.5", "%", -2.5, False),
        ("  3400 ", "", 3400, False),
        ("增长5.2%", "%", 5.2, True),
    ],
)
def test_numbers_are_read_as_a_person_means_them(typed, unit, expected, noted):
    reading = read_number(typed, unit)
    assert not reading.error and reading.value == expected
    assert (reading.note is not None) is noted


@pytest.mark.parametrize("typed", ["正在统计", "1200-1300", "二〇二五", True, "=1+1"])
def test_what_is_not_a_number_is_an_error(typed):
    assert read_number(typed).error


@pytest.mark.libreoffice
def test_returns_filled_in_libreoffice_are_collected_with_their_values(ws):
    from clerk import FillJob, fill_workbooks, require_libreoffice

    require_libreoffice()
    saved = [ws.inbox_dir / f"财政局{suffix}" for suffix in (".xlsx", ".xls", ".ods")]
    values = {"G6": 3400.5, "H5": 48, "I5": "按计划推进", "J5": "=HYPERLINK(\"x\") 照常推进", "I9": "已完成", "B11": "李四"}
    fill_workbooks([FillJob(sent_file(ws, UNIT), values, saved)])
    outcome = collect.collect(saved, returns_dir=ws.returns_dir(PERIOD), workspace=ws.root, period=PERIOD,
                              duty=Workspace.load(ws).duty, directory=ws.unit_directory(), now=NOW)
    assert len(outcome.returns) == 3
    for unit_return in outcome.returns:
        assert unit_return.unit == UNIT and unit_return.accepted, unit_return.problems
        rows = {r.key: r for r in unit_return.rows}
        assert (rows["2-1"].value, rows["2"].percent, rows["2"].status) == (3400.5, 48, "按计划推进")
        assert rows["2"].progress == "=HYPERLINK(\"x\") 照常推进"
        assert rows["89"].status == "已完成"
        assert unit_return.filled_by == "李四"


def test_ledger_opened_in_excel_never_runs_what_a_sender_wrote(ws):
    """Sender addresses and a sheet's period come from outside: in 回收记录.csv they stay text."""
    source = sent_file(ws, UNIT)

    def tampered_period(book):
        ident = book["pyxl_id"]
        row = next(r for r in range(1, 10) if ident.cell(r, 1).value == "期次")
        ident.cell(row, 2).value = "=1+2"
        ident.cell(row, 2).data_type = "s"

    bad = filled(source, ws.root / "tmp" / "bad.xlsx", tampered_period)
    good = filled(source, ws.root / "tmp" / "good.xlsx")
    (ws.inbox_dir / "a.eml").write_bytes(mail("=1+2@evil.example", "Thu, 03 Jul 2025 10:00:00 +0800", {"a.xlsx": bad.read_bytes()}))
    (ws.inbox_dir / "b.eml").write_bytes(mail("-2+3@evil.example", "Thu, 03 Jul 2025 11:00:00 +0800", {"b.xlsx": good.read_bytes()}))
    pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=NOW)

    path = ws.returns_dir(PERIOD) / LEDGER_NAME
    import csv as csv_module

    cells = [cell for row in csv_module.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))) for cell in row]
    assert cells and not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    ledger = read_ledger(ws.returns_dir(PERIOD))  # read back exactly as received
    assert {e.sender for e in ledger} == {"=1+2@evil.example", "-2+3@evil.example"}
    assert "=1+2" in {e.period for e in ledger}


def test_a_percentage_typed_with_its_sign_reads_as_the_clerk_sees_it(ws):
    """Excel and WPS store "60%" typed into a number cell as 0.6 shown as 60%: that is 60, not 0.6."""
    def typed_with_percent_sign(book):
        sheet = book.worksheets[0]
        for address, value, shown in (("H7", 0.6, "0%"), ("G6", 0.038, "0.0%"), ("H6", 0.455, "0.00%")):
            sheet[address] = value
            sheet[address].number_format = shown

    path = filled(sent_file(ws, UNIT), ws.inbox_dir / "pct.xlsx", typed_with_percent_sign)
    result = pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=NOW)
    assert [(p.cell, p.code) for p in result.problems] == []
    [unit_return] = result.data
    rows = {r.key: r for r in unit_return.rows}
    assert rows["32"].percent == 60 and rows["2-1"].percent == 45.5
    assert rows["2-1"].value == 3.8 and rows["2-1"].value_text == "3.8%"  # 一般公共预算收入增长 4%: a rate in %
    assert rows["2"].percent == 50  # a plain number next to them is untouched
    assert path.exists()


@pytest.mark.parametrize("typed", ["无", "—", "／", "-", "暂无"])
def test_a_dash_or_none_in_a_number_cell_is_read_as_nothing_to_report(ws, typed):
    """On a task row 本期完成值 is optional: 无 or — means blank, said as a warning, and the return is used."""
    filled(sent_file(ws, UNIT), ws.inbox_dir / "x.xlsx", lambda b: (b.worksheets[0].__setitem__("G7", typed),
                                                                     b.worksheets[0].__setitem__("H8", typed)))
    result = pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=NOW)
    assert [(p.cell, p.code) for p in result.problems] == [("G7", "value-interpreted"), ("H8", "value-interpreted")]
    assert "按未填写读取" in result.problems[0].message
    [unit_return] = result.data
    rows = {r.key: r for r in unit_return.rows}
    assert unit_return.accepted and rows["32"].value is None and rows["86"].percent is None


def test_files_windows_and_macos_leave_behind_are_not_returns(ws):
    (ws.inbox_dir / "Thumbs.db").write_bytes(b"\x00thumbs")
    (ws.inbox_dir / "desktop.ini").write_text("[.ShellClassInfo]\n", encoding="utf-8")
    (ws.inbox_dir / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("报表/Thumbs.db", b"x")
        archive.writestr("报表/财政局.xlsx", filled(sent_file(ws, UNIT), ws.root / "tmp" / "f.xlsx").read_bytes())
    (ws.inbox_dir / "打包.zip").write_bytes(buffer.getvalue())
    result = pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=NOW)
    assert result.exit_code == 0, [(p.file, p.code) for p in result.problems]
    assert sorted(e.source for e in read_ledger(ws.returns_dir(PERIOD))) == ["inbox/打包.zip", "inbox/打包.zip!报表/财政局.xlsx"]


def test_every_problem_is_listed_in_a_csv_that_excel_opens_as_text(ws, capsys):
    def broken(book):
        sheet = book.worksheets[0]
        sheet.title = "=1+2"  # a legal sheet name in Excel
        for row in range(5, 10):
            sheet.cell(row, 9).value = "进行中"

    filled(sent_file(ws, UNIT), ws.inbox_dir / "-财政局.xlsx", broken)
    config = str(ws.root / "config.yaml")
    assert cli.main(["--config", config, "collect", "--period", "2025-06"]) == 1
    path = ws.out_dir(PERIOD) / "回收问题_2025-06.csv"
    assert "回收问题_2025-06.csv" in capsys.readouterr().out

    import csv as csv_module

    rows = list(csv_module.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["代码", "说明", "文件"]
    codes = sorted(row[0] for row in rows[1:])
    assert codes == ["sheet-renamed"] + ["status-invalid"] * 5
    assert not [c for row in rows for c in row if c[:1] in ("=", "+", "-", "@")]
    assert {row[3] for row in rows[1:]} == {"'=1+2"}  # shown as =1+2 in Excel, as text

    before = path.read_bytes()
    assert cli.main(["--config", config, "collect", "--period", "2025-06"]) == 0  # nothing new
    assert path.read_bytes() == before  # what is still to be fixed stays listed


def test_last_months_mail_left_in_the_inbox_is_not_collected_again_next_month(ws):
    inbox = ws.inbox_dir
    june = filled(sent_file(ws, UNIT), ws.root / "tmp" / "6月.xlsx").read_bytes()
    (inbox / "财政局6月.eml").write_bytes(mail("czj@changqing.example", "Thu, 03 Jul 2025 10:00:00 +0800", {"6月.xlsx": june}))
    assert pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=NOW).exit_code == 0

    july = pipeline.collect_returns(Workspace.load(ws), Period(2025, 7), None, now=datetime(2025, 8, 3, 9, 0))
    assert july.exit_code == 0 and july.problems == []
    assert any("以前的期次" in line and "2 个文件" in line for line in july.summary)  # the mail and its sheet
    assert [p.name for p in ws.returns_dir(Period(2025, 7)).iterdir()] == [LEDGER_NAME]

    # a June sheet a unit sends again as its July return is still a wrong-period return
    resent = filled(sent_file(ws, UNIT), ws.root / "tmp" / "重发.xlsx", lambda b: b.worksheets[0].__setitem__("G6", 1))
    again = pipeline.collect_returns(Workspace.load(ws), Period(2025, 7), [resent], now=datetime(2025, 8, 3, 10, 0))
    assert [p.code for p in again.problems] == ["period-mismatch"]
