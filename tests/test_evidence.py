"""佐证材料: a unit clerk names the evidence in a real LibreOffice and mails it with the photos and reports.

The sheet is the real split output; the clerk (tests/clerk, LibreOffice) types
the answers and the 佐证材料 cells; the e-mail is built here with real JPEG,
PDF and Word attachments and a program among them. Collect archives the
evidence per unit byte for byte and indexes it, refuses the program, warns
about the file a row names that never came, and the summary workbook lists
it all per task with links that open the archived files.
"""

from __future__ import annotations

import hashlib
import io
import os
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from clerk import FillJob, fill_workbooks, require_libreoffice
from hostile_corpus import program
from test_collect_support import UNIT, fill

from pyxl import cli, pipeline
from pyxl.common.period import Period
from pyxl.distribution import layout
from pyxl.returns import evidence
from pyxl.returns.archive import MAX_NAME_BYTES, read_ledger
from pyxl.workspace import Workspace

PERIOD = Period(2025, 6)
NOW = datetime(2025, 7, 3, 9, 30)
FINANCE = "czj@changqing.example"
# 区财政局's sheet: 序号 2 at Excel row 5, its target 2-1 at 6 (asks only the figure), 32, 86, 89 at 7-9; footer from 11
ANSWERS = {
    "H5": 45, "I5": "按计划推进", "J5": "一般公共预算收入同比增长4.2%", "K5": "无", "L5": "加强征管",
    "M5": "现场照片2张；验收报告.pdf",
    "G6": 4.2,
    "H7": 50, "I7": "按计划推进", "J7": "已申报专项债项目12个", "L7": "跟进审批", "M7": "专项债申报材料.docx",
    "H8": 50, "I8": "按计划推进", "J8": "开展风险排查", "L8": "持续排查", "M8": "风险排查台账.pdf",
    "H9": 50, "I9": "按计划推进", "J9": "压减一般性支出", "L9": "严控支出", "M9": "无",
    "B11": "张敏", "B12": "0531-87221234", "B13": date(2025, 7, 2),
}


def _jpeg(color: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
    return buffer.getvalue()


def _pdf(text: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(3, 2))
    figure.text(0.1, 0.5, text)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="pdf")
    return buffer.getvalue()


def _docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def mail(sender: str, received: str, attachments: list[tuple[str, bytes]]) -> bytes:
    message = EmailMessage()
    message["Received"] = f"from mx.changqing.example by mail.changqing.example; {received}"
    message["From"], message["To"], message["Subject"] = sender, "duchashi@changqing.example", "区财政局6月报表及佐证材料"
    message["Date"] = received
    message.set_content("附件是我局6月报表和佐证材料。")
    for name, data in attachments:
        maintype, subtype = {".jpg": ("image", "jpeg"), ".pdf": ("application", "pdf")}.get(Path(name).suffix, ("application", "octet-stream"))
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def sent_sheet(settings) -> Path:
    return next((settings.out_dir(PERIOD) / "分发").glob(f"*_{UNIT}.xlsx"))


@pytest.mark.libreoffice
def test_evidence_named_in_libreoffice_and_mailed_with_the_return_is_archived_indexed_and_listed(ws, tmp_path):
    require_libreoffice()
    returned = tmp_path / "区财政局6月报表.xlsx"
    fill_workbooks([FillJob(sent_sheet(ws), ANSWERS, [returned])])
    files = {
        "现场照片1.jpg": _jpeg((200, 30, 30)), "现场照片2.jpg": _jpeg((30, 200, 30)),
        "验收报告.pdf": _pdf("acceptance report"), "专项债申报材料.docx": _docx("专项债申报材料"),
    }
    bad = program("setup")
    (ws.inbox_dir / "区财政局.eml").write_bytes(mail(FINANCE, "Thu, 03 Jul 2025 08:10:00 +0800", [
        ("区财政局6月报表.xlsx", returned.read_bytes()), *files.items(), ("安装.exe", bad)]))

    result = pipeline.collect_returns(Workspace.load(ws), PERIOD, None, now=NOW)

    [unit_return] = result.data
    assert unit_return.unit == UNIT and unit_return.accepted
    assert {row.key: row.evidence for row in unit_return.rows} == {
        "2": "现场照片2张；验收报告.pdf", "2-1": "", "32": "专项债申报材料.docx", "86": "风险排查台账.pdf", "89": "无"}
    found = {(p.file.rsplit("!", 1)[-1], p.cell, p.code) for p in result.problems}
    assert found == {("安装.exe", None, "evidence-refused"), ("区财政局6月报表.xlsx", "M8", "evidence-missing")}
    assert result.exit_code == 1  # a program came in: the office acts on it
    assert f"佐证材料：本次收到 4 个文件（{UNIT}），已按单位原样归档在 returns/2025-06/佐证材料/。" in result.summary

    # archived per unit, byte for byte, indexed with size, hash, when and which return it came with
    folder = ws.returns_dir(PERIOD) / "佐证材料" / UNIT
    index = evidence.read_index(ws.returns_dir(PERIOD))
    assert sorted(entry.name for entry in index) == sorted(files)
    ledger = read_ledger(ws.returns_dir(PERIOD))
    sheet_line = next(line for line in ledger if line.unit == UNIT and line.status == "accepted")
    for entry in index:
        stored = ws.root / entry.file
        assert stored.parent == folder
        assert stored.read_bytes() == files[entry.name]
        assert entry.size == len(files[entry.name]) and entry.sha256 == hashlib.sha256(files[entry.name]).hexdigest()
        assert (entry.unit, entry.period, entry.received) == (UNIT, "2025-06", "2025-07-03 08:10:00")
        assert entry.came_with == sheet_line.file and entry.source == f"inbox/区财政局.eml!{entry.name}"
    # the program: never evidence, kept aside untouched with the other files received
    program_line = next(line for line in ledger if line.source.endswith("!安装.exe"))
    assert program_line.status == "rejected" and (ws.root / program_line.file).parent == ws.returns_dir(PERIOD)
    assert (ws.root / program_line.file).read_bytes() == bad
    assert not any(p.read_bytes() == bad for p in folder.iterdir())

    # collecting the same inbox again changes nothing
    again = pipeline.collect_returns(Workspace.load(ws), PERIOD, None, now=NOW)
    assert again.data == [] and evidence.read_index(ws.returns_dir(PERIOD)) == index

    # the summary lists the evidence per task, each file linked relative to the workbook
    consolidated = pipeline.consolidate_period(Workspace.load(ws), PERIOD, as_of=date(2025, 7, 4))
    table = consolidated.data.evidence
    listed = {(row.key, row.name, row.state) for row in table.itertuples(index=False)}
    assert listed == {("2", "现场照片1.jpg", "已收到"), ("2", "现场照片2.jpg", "已收到"), ("2", "验收报告.pdf", "已收到"),
                      ("32", "专项债申报材料.docx", "已收到"), ("86", "风险排查台账.pdf", "未收到")}
    assert {(p.cell, p.code) for p in consolidated.problems} == {("M8", "evidence-missing")}
    summary = ws.out_dir(PERIOD) / "汇总_2025-06.xlsx"
    sheet = openpyxl.load_workbook(summary)["佐证材料"]
    header = [cell.value for cell in sheet[1]]
    assert header[:5] == ["序号", "任务内容", "单位", "期次", "填报的佐证材料"]
    link_column = header.index("文件") + 1  # the file's name opens the archived copy
    links = [sheet.cell(r, link_column).hyperlink for r in range(2, sheet.max_row + 1)]
    targets = [link.target for link in links if link is not None]
    assert len(targets) == 4
    for target in targets:
        opened = (summary.parent / target.replace("\\", "/")).resolve()
        assert opened.parent == folder.resolve() and opened.read_bytes() in files.values()

    # the missing file comes later, alone, from the unit's own address: it is the unit's evidence and the warning goes
    late = _pdf("risk ledger")
    (ws.inbox_dir / "补发.eml").write_bytes(mail(FINANCE, "Fri, 04 Jul 2025 09:00:00 +0800", [("风险排查台账.pdf", late)]))
    pipeline.collect_returns(Workspace.load(ws), PERIOD, None, now=datetime(2025, 7, 4, 10, 0))
    consolidated = pipeline.consolidate_period(Workspace.load(ws), PERIOD, as_of=date(2025, 7, 4))
    assert not any(p.code == "evidence-missing" for p in consolidated.problems)
    assert ("86", "风险排查台账.pdf", "已收到") in {(r.key, r.name, r.state) for r in consolidated.data.evidence.itertuples(index=False)}
    came_alone = next(e for e in evidence.read_index(ws.returns_dir(PERIOD)) if e.name == "风险排查台账.pdf")
    assert came_alone.came_with == "" and (ws.root / came_alone.file).read_bytes() == late


def test_a_zip_of_return_and_photos_is_attributed_and_photos_from_strangers_are_not(ws, tmp_path):
    import zipfile

    returned = tmp_path / "r.xlsx"
    book = fill(openpyxl.load_workbook(sent_sheet(ws)))
    book.worksheets[0]["M5"] = "照片3张"
    book.save(returned)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("区财政局/报表.xlsx", returned.read_bytes())
        archive.writestr("区财政局/照片/1.jpg", _jpeg((1, 2, 3)))
        archive.writestr("区财政局/照片/2.jpg", _jpeg((4, 5, 6)))
        archive.writestr("区财政局/照片/2 - 副本.jpg", _jpeg((4, 5, 6)))  # the same photo twice: kept once
    (ws.inbox_dir / "区财政局.zip").write_bytes(packed.getvalue())
    (ws.inbox_dir / "陌生人.eml").write_bytes(mail("someone@mail.example", "Thu, 03 Jul 2025 08:00:00 +0800",
                                                 [("现场.jpg", _jpeg((7, 8, 9)))]))
    result = pipeline.collect_returns(Workspace.load(ws), PERIOD, None, now=NOW)
    found = {(p.file, p.cell, p.code) for p in result.problems}
    # two photos of the three named: a warning on the row; the stranger's photo is no unit's evidence
    assert found == {("inbox/区财政局.zip!区财政局/报表.xlsx", "M5", "evidence-missing"),
                     ("inbox/陌生人.eml!现场.jpg", None, "file-skipped")}
    index = evidence.read_index(ws.returns_dir(PERIOD))
    assert len(index) == 2 and {e.sha256 for e in index} == {hashlib.sha256(_jpeg(c)).hexdigest() for c in ((1, 2, 3), (4, 5, 6))}


def test_evidence_from_the_hostile_corpus_stays_inside_its_folder_whole_and_cut_by_bytes(ws, tmp_path):
    from hostile_corpus import EVIDENCE_LONG_NAME, HOSTILE, Base, write_case

    base = Base(tmp_path / "base")
    for case in HOSTILE:
        if case.name.startswith(("h38", "h39", "h40")):
            write_case(case, ws.inbox_dir, base)
    result = pipeline.collect_returns(Workspace.load(ws), PERIOD, None, now=NOW)
    assert result.problems == []
    folder = ws.returns_dir(PERIOD) / "佐证材料" / UNIT
    stored = {entry.name: ws.root / entry.file for entry in evidence.read_index(ws.returns_dir(PERIOD))}
    assert set(stored) == {"照片.jpg", EVIDENCE_LONG_NAME, "验收报告.docx"}
    assert all(path.parent == folder and len(path.name.encode("utf-8")) <= MAX_NAME_BYTES for path in stored.values())
    assert stored[EVIDENCE_LONG_NAME].suffix == ".jpg"
    # the Word report is kept whole: nothing inside it was unpacked or archived on its own
    with __import__("zipfile").ZipFile(stored["验收报告.docx"]) as document:
        assert "word/media/evil.exe" in document.namelist()
    assert not any("evil" in line.source for line in read_ledger(ws.returns_dir(PERIOD)))


def test_sheets_of_template_1_sent_before_the_upgrade_are_read_by_their_own_header(ws, tmp_path):
    def version_1(book, keep_identity: bool):
        sheet = book.worksheets[0]
        sheet.delete_cols(layout.COLUMNS.index("佐证材料") + 1)
        if keep_identity:
            ident = book[layout.IDENTITY_SHEET]
            for row in ident.iter_rows(min_col=1, max_col=2):
                if row[0].value == layout.ID_VERSION:
                    row[1].value = "1"
        else:
            del book[layout.IDENTITY_SHEET]
        return book

    for name, keep in (("旧表.xlsx", True), ("旧表无识别表.xlsx", False)):
        book = version_1(fill(openpyxl.load_workbook(sent_sheet(ws))), keep)
        book.save(ws.inbox_dir / name)
    result = pipeline.collect_returns(Workspace.load(ws), PERIOD, None, now=NOW)
    codes = {(p.file, p.code) for p in result.problems}
    assert codes == {("inbox/旧表无识别表.xlsx", "identity-missing")}  # no column-missing, no template-version
    assert all(r.accepted and all(row.evidence == "" for row in r.rows) for r in result.data)
    assert layout.TEMPLATE_VERSION == "2" and layout.columns_of("1") == layout.COLUMNS[:12]


def test_a_current_sheet_without_its_evidence_column_is_still_a_changed_header(ws):
    book = fill(openpyxl.load_workbook(sent_sheet(ws)))
    book.worksheets[0].delete_cols(layout.COLUMNS.index("佐证材料") + 1)
    book.save(ws.inbox_dir / "删列.xlsx")
    result = pipeline.collect_returns(Workspace.load(ws), PERIOD, None, now=NOW)
    assert {(p.cell, p.code) for p in result.problems} == {("M4", "column-missing")}


@pytest.mark.parametrize("name, data, refused", [
    ("现场照片.jpg", b"\xff\xd8\xff\xe0 photo", False),
    ("验收报告.PDF", b"%PDF-1.4", False),
    ("现场照片.jpg.exe", b"MZ", True),
    ("setup.EXE", b"MZ", True),
    ("照片.jpg", b"MZ\x90\x00 program", True),
    ("脚本.jpg", b"#!/bin/sh\nrm -rf /", True),
    ("报告.pdf   .scr", b"x", True),
    ("照片\u202egpj.exe", b"x", True),
    ("材料.docm", b"PK\x03\x04", True),
    ("快捷方式.lnk", b"L\x00\x00\x00\x01\x14\x02\x00", True),
    ("照片.", b"x", True),
    ("..\\..\\照片.png", b"\x89PNG", False),
])
def test_what_is_refused_as_evidence_by_name_or_content(name, data, refused):
    assert (evidence.refusal(name, data) is not None) is refused


def test_a_rows_words_are_matched_loosely_to_the_files():
    assert evidence.mentions("现场照片3张；验收报告.pdf、会议纪要.docx") == (["验收报告.pdf", "会议纪要.docx"], 3)
    assert evidence.mentions("照片 2 张, 图片1张") == ([], 3)
    assert evidence.mentions("见附件") == ([], 0)
    entry = evidence.EvidenceFile("returns/x/a.pdf", "2025年验收报告（盖章）.pdf", 1, "0" * 64, "", UNIT, "2025-06", "", "")
    assert evidence.files_for("验收报告.pdf", [entry]) == [entry]  # the stem is in the file's own name
    assert evidence.files_for("验收报告.PDF", [entry]) == [entry]
    assert evidence.files_for("会议纪要.docx", [entry]) == []


def test_the_command_line_collects_evidence_and_the_summary_names_it(ws, tmp_path, capsys):
    returned = tmp_path / "r.xlsx"
    book = fill(openpyxl.load_workbook(sent_sheet(ws)))
    book.worksheets[0]["M7"] = "申报材料.pdf"
    book.save(returned)
    (ws.inbox_dir / "报表.eml").write_bytes(mail(FINANCE, "Thu, 03 Jul 2025 08:10:00 +0800", [
        ("r.xlsx", returned.read_bytes()), ("申报材料.pdf", _pdf("x"))]))
    config = str(ws.root / "config.yaml")
    assert cli.main(["--config", config, "collect", "--period", "2025-06"]) == 0, capsys.readouterr()
    assert cli.main(["--config", config, "consolidate", "--period", "2025-06", "--as-of", "2025-07-04"]) in (0, 1)
    rows = list(openpyxl.load_workbook(ws.out_dir(PERIOD) / "汇总_2025-06.xlsx")["佐证材料"].values)
    assert [(r[0], r[2], r[5], r[8]) for r in rows[1:]] == [("32", UNIT, "申报材料.pdf", "已收到")]
    assert os.path.exists(ws.root / rows[1][9])


def test_the_live_master_gets_the_same_evidence_rows_as_the_summary(ws, tmp_path):
    from pyxl.excel import run_button
    from pyxl.master.memory import MemoryBook

    returned = tmp_path / "r.xlsx"
    book = fill(openpyxl.load_workbook(sent_sheet(ws)))
    book.worksheets[0]["M5"] = "验收报告.pdf；照片1张"
    book.save(returned)
    (ws.inbox_dir / "报表.eml").write_bytes(mail(FINANCE, "Thu, 03 Jul 2025 08:10:00 +0800", [
        ("r.xlsx", returned.read_bytes()), ("验收报告.pdf", _pdf("y")), ("现场.jpg", _jpeg((9, 9, 9)))]))
    pipeline.build_workbook(Workspace.load(ws), now=datetime(2025, 7, 1, 8, 0))
    master = MemoryBook.open(ws.workbook_path)
    run_button(master, "collect_returns", datetime(2025, 7, 3, 9, 0))
    run_button(master, "consolidate_period", datetime(2025, 7, 4, 9, 0))
    live = master.read_table("佐证材料")
    summary = [list(row) for row in openpyxl.load_workbook(ws.out_dir(PERIOD) / "汇总_2025-06.xlsx")["佐证材料"].values]
    assert live[0] == summary[0]
    column = live[0].index("文件")
    assert sorted((r[0], r[column]) for r in live[1:]) == sorted((r[0], r[column]) for r in summary[1:]) == [
        ("2", "现场.jpg"), ("2", "验收报告.pdf")]
    assert all((ws.root / r[live[0].index("存档位置")]).is_file() for r in live[1:])
