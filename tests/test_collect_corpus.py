"""The bad-return corpus: one defect per file, each made from the real split output.

How each file is made is in its `Case`: most start from the example's 区财政局
sheet (rows 2, 2-1, 32, 86, 89 at Excel rows 5-9), filled in by the openpyxl
clerk (tests/test_collect_support.py), then broken in one way; a few are
written by the real split writer with one wrong argument, or are raw bytes
(renamed PDF, truncated zip, zip bomb, encrypted workbook). All are collected
in one run from one inbox, and every file's problems must be exactly the
expected (file, cell, code) tuples.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
from test_collect_support import OTHER, PERIOD, UNIT, filled, make_sent

from pyxl.distribution.unit_sheet import SheetRow, write_unit_workbook
from pyxl.returns import collect

NOW = datetime(2025, 7, 3, 9, 30)
HEADER = 4
FIRST, TARGET, LAST = 5, 6, 9  # Excel rows of 序号 2, 2-1 and 89 in 区财政局's sheet


@dataclass
class Case:
    name: str  # file name in the inbox
    make: Callable[[Path, "Corpus"], bytes]  # the file's bytes
    expected: set[tuple[str | None, str]]  # (cell, code); file is the inbox path
    accepted: bool = False
    reply: bool = False  # a 督办回执: recorded as a reply, never counted as a monthly return


class Corpus:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.sent = make_sent(root)
        self.may = make_sent(root / "may", period="2025-05", only=[UNIT])
        self.source = self.sent.files[UNIT]

    def edited(self, change=None) -> bytes:
        target = self.root / "tmp.xlsx"
        filled(self.source, target, change)
        return target.read_bytes()


def sheet(book):
    return book.worksheets[0]


def set_cell(address: str, value, as_text: bool = False):
    def change(book):
        cell = sheet(book)[address]
        cell.value = value
        if as_text:
            cell.data_type = "s"  # openpyxl would otherwise write a string starting with = as a formula

    return change


def swap_rows(book):
    ws = sheet(book)
    for c in range(1, 13):
        a, b = ws.cell(8, c), ws.cell(9, c)
        a.value, b.value = b.value, a.value


def swap_columns(book):
    ws = sheet(book)
    for r in range(HEADER, LAST + 1):
        a, b = ws.cell(r, 10), ws.cell(r, 11)
        a.value, b.value = b.value, a.value


def drop_identity(book):
    del book["pyxl_id"]


def drop_identity_and_unit(book):
    del book["pyxl_id"]
    sheet(book).unmerge_cells("A2:F2")
    sheet(book)["A2"] = None


def identity_value(key: str, value: str):
    def change(book):
        ws = book["pyxl_id"]
        for r in range(1, 10):
            if ws.cell(r, 1).value == key:
                ws.cell(r, 2).value = value

    return change


def written_by_split(unit: str, rows: list[SheetRow]) -> Callable[[Path, Corpus], bytes]:
    def make(root: Path, corpus: Corpus) -> bytes:
        path = root / "split.xlsx"
        write_unit_workbook(path, unit, PERIOD, rows, date(2025, 7, 5), year=2025)
        book = openpyxl.load_workbook(path)
        book.worksheets[0]["H5"] = 40
        book.save(path)
        return path.read_bytes()

    return make


def zip_bomb_xlsx(root: Path, corpus: Corpus) -> bytes:
    """A real return plus one 30 MB run of zeros that packs into a few KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(corpus.edited())) as good, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in good.infolist():
            out.writestr(info, good.read(info))
        out.writestr("xl/media/padding.bin", bytes(30 * 1024 * 1024))
    return buffer.getvalue()


def zip_bomb_archive(root: Path, corpus: Corpus) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("区财政局.xlsx", bytes(300 * 1024 * 1024))
    return buffer.getvalue()


def encrypted(root: Path, corpus: Corpus) -> bytes:
    """The filled return with an opening password, as Excel's 'Encrypt with password' makes it."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(corpus.edited())).encrypt("123456", out)
    return out.getvalue()


def mail_from(sender: str, attachment: bytes, name: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "duchashi@changqing.example"
    message["Subject"] = "区财政局6月报表"
    message["Date"] = "Thu, 03 Jul 2025 10:00:00 +0800"
    message.set_content("附件是我单位报表。")
    message.add_attachment(attachment, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


def replied(change=None, answers=True):
    """A 督办回执 of 区财政局 as report writes it, answered by its head (openpyxl), then `change`d."""
    from pyxl.distribution.notice_reply import ReplyItem, write_reply_workbook

    def make(root: Path, corpus: Corpus) -> bytes:
        path = root / "reply.xlsx"
        write_reply_workbook(path, unit=UNIT, period=PERIOD, number="督办〔2025〕6-01号", reply_by=date(2025, 7, 17),
                             items=[ReplyItem("1", "任务2：一般公共预算收入增长4%（欠序时进度）：完成进度20.0%。"),
                                    ReplyItem("2", "指标2-1：一般公共预算收入（指标滞后，红色）：本期完成1.2%。")],
                             office="长清区人民政府督查室", key=None)
        book = openpyxl.load_workbook(path)
        if answers:
            for row in (6, 7):
                book["督办回执"][f"C{row}"] = "已召开专题会议研究，落实专人跟进"
                book["督办回执"][f"D{row}"] = "加快组织收入入库"
                book["督办回执"][f"E{row}"] = datetime(2025, 9, 30)
        if change is not None:
            change(book)
        book.save(path)
        return path.read_bytes()

    return make


def drop_reply_kind(book):
    ws = book["pyxl_id"]
    ws.delete_rows(1)


A = "A"
CASES = [
    # ---- who and when
    Case("c01_wrong_period.xlsx", lambda root, c: (filled(c.may.files[UNIT], root / "m.xlsx"), (root / "m.xlsx").read_bytes())[1],
         {(None, "period-mismatch")}),
    Case("c02_unknown_unit.xlsx",
         written_by_split("区外星局", [SheetRow("32", "32", None, "抢抓国家一揽子增量政策机遇", "牵头")]),
         {(None, "unit-unknown")}),
    Case("c03_sent_by_other.eml", lambda root, c: mail_from("fgj@changqing.example", c.edited(), "02_区财政局.xlsx"),
         {(None, "sent-by-other-unit")}),
    Case(f"c04_{OTHER}.xlsx", lambda root, c: c.edited(set_cell("K5", "资金缺口")), {(None, "file-names-other-unit")}, accepted=True),
    Case("c05_identity_gone.xlsx", lambda root, c: c.edited(drop_identity), {("A2", "identity-missing")}, accepted=True),
    Case("c06_identity_and_unit_gone.xlsx", lambda root, c: c.edited(drop_identity_and_unit), {("A2", "unit-unrecognised")}),
    Case("c07_old_template.xlsx", lambda root, c: c.edited(identity_value("模板版本", "0")), {(None, "template-version")}, accepted=True),
    Case("c08_task_unknown.xlsx",
         written_by_split(UNIT, [SheetRow("999", "999", None, "不存在的任务", "牵头")]),
         {("A5", "task-unknown")}),
    # ---- structure
    Case("c09_task_text_changed.xlsx", lambda root, c: c.edited(set_cell("B7", "改过的任务内容")), {("B7", "locked-changed")}),
    Case("c10_target_changed.xlsx", lambda root, c: c.edited(set_cell("E6", "增长3%")), {("E6", "locked-changed")}),
    Case("c11_role_changed.xlsx", lambda root, c: c.edited(set_cell("C8", "责任")), {("C8", "locked-changed")}),
    Case("c12_row_deleted.xlsx", lambda root, c: c.edited(lambda b: sheet(b).delete_rows(8)), {(None, "row-deleted")}),
    Case("c13_row_inserted.xlsx",
         lambda root, c: c.edited(lambda b: (sheet(b).insert_rows(8), sheet(b).__setitem__("A8", "90"), sheet(b).__setitem__("J8", "新增"))),
         {("A8", "row-inserted")}),
    Case("c14_row_without_key.xlsx",
         lambda root, c: c.edited(lambda b: (sheet(b).insert_rows(8), sheet(b).__setitem__("J8", "补充说明"))),
         {("A8", "row-inserted")}),
    Case("c15_rows_reordered.xlsx", lambda root, c: c.edited(swap_rows), {("A8", "row-reordered")}, accepted=True),
    Case("c16_columns_moved.xlsx", lambda root, c: c.edited(swap_columns), {("K4", "column-moved")}, accepted=True),
    Case("c17_column_renamed.xlsx", lambda root, c: c.edited(set_cell("G4", "完成值")), {("G4", "column-missing")}),
    Case("c18_sheet_renamed.xlsx", lambda root, c: c.edited(lambda b: setattr(sheet(b), "title", "Sheet1")),
         {(None, "sheet-renamed")}, accepted=True),
    # ---- values
    Case("c19_value_text.xlsx", lambda root, c: c.edited(set_cell("G6", "正在统计")), {("G6", "value-not-number")}),
    Case("c20_value_commas.xlsx", lambda root, c: c.edited(set_cell("G6", "1,200")), {("G6", "value-interpreted")}, accepted=True),
    Case("c21_value_wan.xlsx", lambda root, c: c.edited(set_cell("G6", "1.2万")), {("G6", "value-interpreted")}, accepted=True),
    Case("c22_value_about_percent.xlsx", lambda root, c: c.edited(set_cell("G6", "约60%")), {("G6", "value-interpreted")}, accepted=True),
    Case("c23_value_full_width.xlsx", lambda root, c: c.edited(set_cell("G6", "１２００")), {("G6", "value-interpreted")}, accepted=True),
    Case("c24_percent_over.xlsx", lambda root, c: c.edited(set_cell("H7", 150)), {("H7", "percent-out-of-range")}),
    Case("c25_percent_negative.xlsx", lambda root, c: c.edited(set_cell("H7", -5)), {("H7", "percent-out-of-range")}),
    Case("c26_percent_words.xlsx", lambda root, c: c.edited(set_cell("H7", "大部分")), {("H7", "percent-not-number")}),
    Case("c27_status_outside.xlsx", lambda root, c: c.edited(set_cell("I9", "进行中")), {("I9", "status-invalid")}),
    Case("c28_formula_no_value.xlsx", lambda root, c: c.edited(set_cell("G6", "=3000+400")), {("G6", "formula-no-value")}),
    Case("c29_hyperlink_text.xlsx", lambda root, c: c.edited(set_cell("J7", '=HYPERLINK("http://x.example","点击")', True)),
         {("J7", "formula-text")}, accepted=True),
    Case("c30_dde_text.xlsx", lambda root, c: c.edited(set_cell("K7", "=cmd|' /C calc'!A0", True)), {("K7", "formula-text")}, accepted=True),
    Case("c31_empty.xlsx", lambda root, c: c.source.read_bytes(), {(None, "return-empty")}),
    # ---- untrusted files
    Case("c32_pdf_renamed.xlsx", lambda root, c: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", {(None, "file-not-spreadsheet")}),
    Case("c33_truncated.xlsx", lambda root, c: c.edited()[:3000], {(None, "file-corrupt")}),
    Case("c34_zip_bomb.xlsx", zip_bomb_xlsx, {(None, "file-too-large")}),
    Case("c35_password.xlsx", encrypted, {(None, "file-encrypted")}),
    Case("c36_zero_bytes.xlsx", lambda root, c: b"", {(None, "file-not-spreadsheet")}),
    Case("c37_broken.zip", lambda root, c: c.edited()[:2000], {(None, "archive-corrupt")}),
    Case("c38_bomb.zip", zip_bomb_archive, {(None, "archive-too-large")}),
    Case("c39_not_a_sheet.docx", lambda root, c: b"PK\x03\x04 not really a document", {(None, "file-skipped")}),
    # ---- replies to 督办单 (回执): recognised by content, never read as a monthly return
    Case("r01_reply.xlsx", replied(), set(), accepted=True, reply=True),
    Case("r02_reply_item_changed.xlsx", replied(set_cell("B6", "（此项已办结，删去）")), {("B6", "reply-forged")}, reply=True),
    Case("r03_reply_other_unit.xlsx", replied(identity_value("单位", OTHER)), {("B6", "reply-forged")}, reply=True),
    Case("r04_reply_unit_unknown.xlsx", replied(identity_value("单位", "区外星局")), {(None, "reply-unit-unknown")}, reply=True),
    Case("r05_reply_row_deleted.xlsx", replied(lambda b: sheet(b).delete_rows(7)), {("A6", "reply-rows-changed")}, reply=True),
    Case("r06_reply_unanswered.xlsx", replied(answers=False), {("C6", "reply-empty")}, reply=True),
    Case("r07_reply_one_result_missing.xlsx", replied(set_cell("C7", None)), {("C7", "reply-result-missing")}, reply=True),
    Case("r08_reply_date_words.xlsx", replied(set_cell("E6", "月底前")), {("E6", "reply-date-invalid")}, reply=True),
    Case("r09_reply_date_text.xlsx", replied(set_cell("E6", "2025年9月30日")), {("E6", "reply-date-interpreted")}, accepted=True, reply=True),
    Case("r10_reply_dde_text.xlsx", replied(set_cell("C6", "=cmd|' /C calc'!A0", True)), {("C6", "reply-formula-text")},
         accepted=True, reply=True),
    Case("r11_reply_kind_dropped.xlsx", replied(drop_reply_kind), {(None, "table-not-found")}),
    Case("r12_reply_from_stranger.eml", lambda root, c: mail_from("stranger@qq.example", replied(set_cell("D7", "另函报送"))(root, c),
                                                                          "02_区财政局.xlsx"),
         {(None, "reply-sender-unverified")}, accepted=True, reply=True),
]


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    corpus = Corpus(root)
    inbox = root / "inbox"
    inbox.mkdir()
    for case in CASES:
        (inbox / case.name).write_bytes(case.make(root, corpus))
    outcome = collect.collect([inbox], returns_dir=root / "returns" / PERIOD, workspace=root, period=PERIOD,
                              duty=corpus.sent.duty, directory=corpus.sent.directory, now=NOW, sent_dir=corpus.sent.folder)
    return root, corpus, outcome


def test_corpus_is_large_enough():
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_defect_is_reported_where_it_is(corpus_run, case):
    root, corpus, outcome = corpus_run
    file = f"inbox/{case.name}"
    found = {(p.file, p.cell, p.code) for p in outcome.problems if p.file == file or p.file.startswith(file + "!")}
    if case.name.endswith(".eml"):
        file = f"{file}!02_区财政局.xlsx"
    assert found == {(file, cell, code) for cell, code in case.expected}
    returns = [r for r in [*outcome.returns, *outcome.replies] if r.source == file]
    if returns:
        assert returns[0].accepted is case.accepted
    # a 回执 whose kind was dropped is read as a (broken) monthly return
    assert [r.source for r in outcome.replies].count(file) == (1 if case.reply else 0)


def test_what_was_read_is_what_a_person_meant(corpus_run):
    _, _, outcome = corpus_run
    value = {r.source: row.value for r in outcome.returns for row in r.rows if row.key == "2-1"}
    assert value["inbox/c20_value_commas.xlsx"] == 1200
    assert value["inbox/c21_value_wan.xlsx"] == 12000
    assert value["inbox/c22_value_about_percent.xlsx"] == 60
    assert value["inbox/c23_value_full_width.xlsx"] == 1200
    reply = next(r for r in outcome.replies if r.source == "inbox/r01_reply.xlsx")
    assert (reply.unit, reply.period, reply.number, reply.reply_by) == (UNIT, PERIOD, "督办〔2025〕6-01号", date(2025, 7, 17))
    assert [(a.key, a.result, a.done_by) for a in reply.answers] == [
        ("1", "已召开专题会议研究，落实专人跟进", date(2025, 9, 30)), ("2", "已召开专题会议研究，落实专人跟进", date(2025, 9, 30))]
    read_as = next(r for r in outcome.replies if r.source == "inbox/r09_reply_date_text.xlsx")
    assert read_as.answers[0].done_by == date(2025, 9, 30)
    texts = {r.source: row.progress for r in outcome.returns for row in r.rows if row.key == "32"}
    assert texts["inbox/c29_hyperlink_text.xlsx"].startswith("=HYPERLINK(")  # kept as text, never dropped


def test_every_file_is_archived_and_recorded_once(corpus_run):
    root, _, outcome = corpus_run
    from pyxl.returns.archive import read_ledger

    ledger = read_ledger(root / "returns" / PERIOD)
    sources = [e.source for e in ledger]
    for case in CASES:
        assert f"inbox/{case.name}" in sources
        archived = [e for e in ledger if e.source == f"inbox/{case.name}"][0]
        assert (root / archived.file).read_bytes() == (root / "inbox" / case.name).read_bytes()
