"""The hostile returns: files made the way an attacker, a broken mail client or a careless clerk makes them.

Each `Hostile` case places one thing in a folder (usually a file; a link, a
pipe or a folder link for the file-system cases) and says which problems a
collect must report for it: (where, cell, code), where `where` is what
follows the case's own path (`!inner.zip` for a member). The genuine part of
every case is the example's 区财政局 sheet filled in by the openpyxl clerk
(tests/test_collect_support.py), made unique per case, so no two cases share
bytes.

The corpus is made at test time (nothing big is committed). To look at the
files, regenerate them into a folder:

    .venv/bin/python tests/hostile_corpus.py /tmp/hostile

(with --xls it first remakes the two small .xls files kept in tests/data/hostile/,
which need LibreOffice).
"""

from __future__ import annotations

import gzip
import io
import os
import random
import sys
import warnings
import zipfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Callable

from test_collect_support import UNIT, filled, make_sent

Expected = set[tuple[str, "str | None", str]]

# ---------------------------------------------------------------- the genuine base


class Base:
    """The session's split output and a way to get a genuine, unique filled return."""

    def __init__(self, root: Path, sent=None) -> None:
        self.root = root
        self.sent = sent if sent is not None else make_sent(root / "sent")
        self.source = self.sent.files[UNIT]
        self._count = 0

    def genuine(self, note: str, change=None) -> bytes:
        """A genuine filled return of 区财政局, unique by `note` (typed into an input cell)."""
        self._count += 1
        target = self.root / "made" / f"{self._count}.xlsx"

        def edit(book):
            book.worksheets[0]["L5"] = f"继续推进（{note}）"
            if change is not None:
                change(book)

        filled(self.source, target, edit)
        return target.read_bytes()


def rezip(data: bytes, replace: dict[str, Callable[[bytes], bytes]], add: dict[str, bytes] | None = None) -> bytes:
    """The zip `data` with some members rewritten and others added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            body = old.read(info)
            new.writestr(info.filename, replace[info.filename](body) if info.filename in replace else body)
        for name, body in (add or {}).items():
            new.writestr(name, body)
    return out.getvalue()


def in_sheet_data(extra: bytes) -> Callable[[bytes], bytes]:
    """Insert `extra` at the end of a worksheet's <sheetData>."""
    return lambda xml: xml.replace(b"</sheetData>", extra + b"</sheetData>", 1)


def a_zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, body in members:
            archive.writestr(name, body)
    return out.getvalue()


def an_email(sender: str, date: str, attachments: list[tuple[str, bytes]], received: str | None = None) -> bytes:
    message = EmailMessage()
    if received:
        message["Received"] = received
    message["From"], message["To"], message["Subject"], message["Date"] = sender, "duchashi@changqing.example", "报表", date
    message.set_content("附件是我单位报表。")
    for name, body in attachments:
        message.add_attachment(body, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


SHEET = "xl/worksheets/sheet1.xml"
FINANCE_MAIL = "czj@changqing.example"


# ---------------------------------------------------------------- the cases


@dataclass
class Hostile:
    name: str  # the file (or link) name in the inbox
    make: Callable[[Base], bytes] | None  # bytes of the file; None when `place` makes it
    expected: Expected  # (where after the name, cell, code)
    place: Callable[[Path, Base], None] | None = None  # makes a non-file entry at the given path
    archived: bool = True  # whether the file itself must be in the archive
    genuine: int = 0  # how many genuine returns it carries (accepted)
    notes: list[str] = field(default_factory=list)


def far_cell(base: Base) -> bytes:
    return rezip(base.genuine("far"), {SHEET: in_sheet_data(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')})


def far_column(base: Base) -> bytes:
    return rezip(base.genuine("wide"), {SHEET: in_sheet_data(b'<row r="1000"><c r="CX1000" t="inlineStr"><is><t>x</t></is></c></row>')})


def million_rows(base: Base) -> bytes:
    rows = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%d</t></is></c></row>' % (r, r, r) for r in range(20, 1_000_020))
    return rezip(base.genuine("million"), {SHEET: in_sheet_data(rows)})


def huge_cell(base: Base) -> bytes:
    """40,000 characters in K7 (openpyxl itself cuts at 32,767, so the XML is written directly)."""
    chance = random.Random(12)
    text = "".join(chr(chance.randrange(0x4E00, 0x9FA5)) for _ in range(40_000)).encode("utf-8")

    def k7(xml: bytes) -> bytes:
        start = xml.index(b'r="K7"')
        first, last = xml.index(b"<t>", start) + 3, xml.index(b"</t>", start)
        return xml[:first] + text + xml[last:]

    return rezip(base.genuine("huge", lambda book: book.worksheets[0].__setitem__("K7", "占位")), {SHEET: k7})


def comment_full_of_cells(base: Base) -> bytes:
    # under 1 MB, so no ratio check sets it aside: the scan itself must stay linear
    return rezip(base.genuine("comment"), {SHEET: in_sheet_data(b"<!--" + b"<c>" * 300_000 + b"-->")})


def doctype_entities(base: Base) -> bytes:
    laughs = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    return rezip(base.genuine("entities"), {SHEET: lambda xml: laughs + xml.split(b"?>", 1)[-1] if xml.startswith(b"<?xml") else laughs + xml})


def _noise(size: int, seed: int) -> bytes:
    """Text that does not compress (so no ratio check sets the part aside), safe inside an XML comment."""
    chance = random.Random(seed)
    return bytes(chance.choice(b"abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(size))


def large_sheet(base: Base) -> bytes:
    """A genuine return whose sheet XML is over 1 MB (a comment of noise): read streamed, chunk by chunk."""
    return rezip(base.genuine("large sheet"), {SHEET: in_sheet_data(b"<!--" + _noise(1_300_000, 41) + b"-->")})


def large_sheet_doctype(base: Base) -> bytes:
    """The same, with a DTD before it: refused on the streamed path too."""
    laughs = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>'
    return rezip(base.genuine("large doctype"), {SHEET: lambda xml: laughs + in_sheet_data(b"<!--" + _noise(1_300_000, 42) + b"-->")(
        xml.split(b"?>", 1)[-1] if xml.startswith(b"<?xml") else xml)})


def cell_over_a_megabyte(base: Base) -> bytes:
    """One cell whose formula runs over 2.5 MB in a sheet read streamed: more than any cell holds, refused as it grows."""
    return rezip(base.genuine("megabyte cell"), {SHEET: in_sheet_data(b'<row r="40"><c r="A40"><f>' + _noise(2_500_000, 44) + b"</f></c></row>")})


def infinite_numbers(base: Base) -> bytes:
    """Number cells holding 1E+999 and NaN: readers give infinity and not-a-number, which no clerk reports."""
    def change(book):
        book.worksheets[0]["G5"] = 12.5
        book.worksheets[0]["H5"] = 37.5

    swap = {b"<v>12.5</v>": b"<v>1E+999</v>", b"<v>37.5</v>": b"<v>NaN</v>"}

    def edit(xml: bytes) -> bytes:
        for old, new in swap.items():
            assert xml.count(old) == 1, old
            xml = xml.replace(old, new)
        return xml

    return rezip(base.genuine("infinite", change), {SHEET: edit})


def nested_too_deep(base: Base) -> bytes:
    """Elements nested 300 deep inside the sheet data: no spreadsheet writes that; the XML parser stops at 256."""
    return rezip(base.genuine("deep xml"), {SHEET: in_sheet_data(b"<x>" * 300 + b"</x>" * 300)})


def broken_sheet_xml(base: Base) -> bytes:
    return rezip(base.genuine("broken xml"), {SHEET: lambda xml: xml[: len(xml) // 2]})


def too_many_sheets(base: Base) -> bytes:
    return base.genuine("sheets", lambda book: [book.create_sheet(f"S{i}") for i in range(60)])


def formula_strings(base: Base) -> bytes:
    def change(book):
        sheet = book.worksheets[0]
        for address, text in {"J5": "=1+1", "K5": "+1+1", "J6": "@SUM(1)", "K6": "-1+1", "J7": "\t=1+1"}.items():
            sheet[address] = text
            sheet[address].data_type = "s"

    return base.genuine("formulas", change)


def nested_zip_bomb(base: Base) -> bytes:
    """Inner zips of 150 members of 1 MiB zeros each: every member and every zip passes the per-zip checks."""
    with warnings.catch_warnings():  # the same member name 150 times: one problem line, not 150
        warnings.simplefilter("ignore", UserWarning)
        inner = a_zip([("x.bin", bytes(1 << 20))] * 150)
    return a_zip([(f"inner{i}.zip", inner) for i in range(1, 4)], zipfile.ZIP_STORED)


def many_entries(base: Base) -> bytes:
    return a_zip([(f"{i}.txt", b"x") for i in range(600)])


def deep_nesting(base: Base) -> bytes:
    data = base.genuine("deep")
    for level in range(5):
        data = a_zip([(f"level{level}.zip" if level else "区财政局.xlsx", data)])
    return data


def bad_crc(base: Base) -> bytes:
    data = bytearray(a_zip([("区财政局.xlsx", base.genuine("crc"))], zipfile.ZIP_STORED))
    data[100] ^= 0xFF  # inside the stored member: its CRC no longer matches
    return bytes(data)


def long_chinese_name(base: Base) -> bytes:
    return base.genuine("long name")


# 80 Chinese characters: 240 bytes in UTF-8, a legal name on its own, too long once the archive prefixes it
LONG_NAME = ("关于报送二〇二五年六月份政府工作报告重点工作推进情况及下一步工作打算的报告区财政局办公室经办人核对无误后请查收" * 2)[:80] + ".xlsx"


def zip_slip(base: Base) -> bytes:
    return a_zip([("../../../../etc/区财政局报表.xlsx", base.genuine("slip"))])


def zip_long_member(base: Base) -> bytes:
    return a_zip([("报表/" + "很长的文件名" * 30 + ".xlsx", base.genuine("long member"))])


def ods_far_cell(base: Base, rows: int = 1048000, columns: int = 1) -> bytes:
    """An .ods whose one value sits below `rows` empty rows, repeated over `columns` columns."""
    repeat = f' table:number-columns-repeated="{columns}"' if columns > 1 else ""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        '<office:body><office:spreadsheet><table:table table:name="S">'
        f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell/></table:table-row>'
        f'<table:table-row><table:table-cell{repeat} office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return out.getvalue()


def ods_wide_repeat(base: Base) -> bytes:
    return ods_far_cell(base, rows=3, columns=16000)


def broken_base64_mail(base: Base) -> bytes:
    return (
        "From: czj@changqing.example\r\nTo: duchashi@changqing.example\r\nSubject: report\r\n"
        "Date: Thu, 03 Jul 2025 10:00:00 +0800\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
        '--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="finance.xlsx"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + "!!!! not base64 @@@@ ~~~~\r\n" * 20 + "--B--\r\n"
    ).encode("ascii")


def truncated_mail(base: Base) -> bytes:
    message = an_email(FINANCE_MAIL, "Thu, 03 Jul 2025 10:00:00 +0800", [("区财政局.xlsx", base.genuine("cut mail"))])
    return message[: len(message) * 2 // 3]


def backslash_path_mail(base: Base) -> bytes:
    return an_email(FINANCE_MAIL, "Thu, 03 Jul 2025 10:00:00 +0800", [("..\\..\\Windows\\区财政局.xlsx", base.genuine("backslash"))])


def stranger_from_the_future(base: Base) -> bytes:
    """Someone else's mailbox, a Date decades ahead: it would win any "latest return" contest by its own word."""
    return an_email("someone@mail.example", "Fri, 01 Aug 2098 10:00:00 +0800", [("区财政局.xlsx", base.genuine("stranger"))],
                    received="from mx.example by mail.changqing.example; Thu, 03 Jul 2025 08:00:00 +0800")


# ---- 佐证材料 that come with a genuine return: programs refused, names never trusted
MAIL_DATE = "Thu, 03 Jul 2025 10:00:00 +0800"


def program(tag: str) -> bytes:
    """A Windows program's first bytes (never run: nothing here is ever opened), unique per case."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + b"This program cannot be run in DOS mode." + tag.encode("utf-8")


def photo(tag: str) -> bytes:
    """A JPEG's first bytes and some body, unique per case."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8 + tag.encode("utf-8") + b"\xff\xd9"


def return_with(base: Base, note: str, *attachments: tuple[str, bytes]) -> bytes:
    return an_email(FINANCE_MAIL, MAIL_DATE, [("区财政局.xlsx", base.genuine(note)), *attachments])


def zipped_with(base: Base, note: str, *members: tuple[str, bytes]) -> bytes:
    return a_zip([("区财政局.xlsx", base.genuine(note)), *members])


EVIDENCE_LONG_NAME = ("区财政局二〇二五年六月份重点工作推进情况现场照片及佐证材料请查收" * 3)[:70] + ".jpg"


# Nothing here writes .xls, so these two small files were made once by LibreOffice and are kept in
# tests/data/hostile/ (`make_xls` remakes them): a cell at A60000, and one at IV3.
XLS_FOLDER = Path(__file__).resolve().parent / "data" / "hostile"


def make_xls(folder: Path = XLS_FOLDER) -> None:
    """Remake tests/data/hostile/*.xls with LibreOffice (soffice must be installed)."""
    import subprocess
    import tempfile

    import openpyxl

    with tempfile.TemporaryDirectory() as work:
        for name, address in (("far_row", "A60000"), ("far_column", "IV3")):
            book = openpyxl.Workbook()
            book.active["A1"], book.active[address] = 1, 2
            book.save(Path(work) / f"{name}.xlsx")
            subprocess.run(["soffice", f"-env:UserInstallation=file://{work}/profile", "--headless", "--convert-to", "xls",
                            "--outdir", str(folder), str(Path(work) / f"{name}.xlsx")], check=False, timeout=120,
                           capture_output=True)


def place_link_outside(path: Path, base: Base) -> None:
    secret = base.root / "secret" / "机密.xlsx"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_bytes(b"SECRET " + base.genuine("secret"))
    path.symlink_to(secret)


def place_folder_link(path: Path, base: Base) -> None:
    folder = base.root / "elsewhere"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "区财政局.xlsx").write_bytes(base.genuine("folder link"))
    path.symlink_to(folder, target_is_directory=True)


def place_fifo(path: Path, base: Base) -> None:
    os.mkfifo(path)


HOSTILE: list[Hostile] = [
    # ---- bounded reading
    Hostile("h01_far_cell.xlsx", far_cell, {("", "XFD1048576", "sheet-too-large")}),
    Hostile("h02_far_column.xlsx", far_column, {("", "CX1000", "sheet-too-large")}),
    Hostile("h03_million_rows.xlsx", million_rows, {("", "A5001", "sheet-too-large")}),
    Hostile("h04_huge_cell.xlsx", huge_cell, {("", "K7", "cell-too-long")}),
    Hostile("h05_comment_full_of_cells.xlsx", comment_full_of_cells, set(), genuine=1),
    Hostile("h06_doctype_entities.xlsx", doctype_entities, {("", None, "file-corrupt")}),
    Hostile("h07_broken_sheet_xml.xlsx", broken_sheet_xml, {("", None, "file-corrupt")}),
    Hostile("h08_sixty_sheets.xlsx", too_many_sheets, {("", None, "sheet-too-large")}),
    Hostile("h09_ods_far_cell.ods", ods_far_cell, {("", "A1048001", "sheet-too-large")}),
    Hostile("h10_ods_wide_repeat.ods", ods_wide_repeat, {("", "WQJ4", "sheet-too-large")}),
    Hostile("h41_large_sheet.xlsx", large_sheet, set(), genuine=1),
    Hostile("h42_large_sheet_doctype.xlsx", large_sheet_doctype, {("", None, "file-corrupt")}),
    Hostile("h43_nested_too_deep.xlsx", nested_too_deep, {("", None, "file-corrupt")}),
    Hostile("h44_cell_over_a_megabyte.xlsx", cell_over_a_megabyte, {("", "A40", "cell-too-long")}),
    Hostile("h45_infinite_numbers.xlsx", infinite_numbers, {("", "G5", "value-not-number"), ("", "H5", "percent-not-number")}),
    Hostile("h29_far_row.xls", lambda b: (XLS_FOLDER / "far_row.xls").read_bytes(), {("", "A60000", "sheet-too-large")}),
    Hostile("h30_far_column.xls", lambda b: (XLS_FOLDER / "far_column.xls").read_bytes(), {("", "IV3", "sheet-too-large")}),
    # ---- archives
    Hostile("h11_nested_zip_bomb.zip", nested_zip_bomb,
            {("!inner1.zip!x.bin", None, "file-skipped"), ("!inner2.zip", None, "archive-too-large"),
             ("!inner3.zip", None, "archive-too-large")}),
    Hostile("h12_600_entries.zip", many_entries, {("", None, "archive-too-large")}),
    Hostile("h13_deep_nesting.zip", deep_nesting, {("!level4.zip!level3.zip!level2.zip", None, "archive-too-large")}),
    Hostile("h14_bad_crc.zip", bad_crc, {("", None, "archive-corrupt")}),
    Hostile("h15_zip_slip.zip", zip_slip, set(), genuine=1),
    Hostile("h16_zip_long_member.zip", zip_long_member, set(), genuine=1),
    # ---- names, mails
    Hostile(LONG_NAME, long_chinese_name, set(), genuine=1),
    Hostile("h18_broken_base64.eml", broken_base64_mail, {("!finance.xlsx", None, "file-not-spreadsheet")}),
    Hostile("h19_truncated.eml", truncated_mail, {("!区财政局.xlsx", None, "file-corrupt")}),
    Hostile("h20_backslash_path.eml", backslash_path_mail, set(), genuine=1),
    Hostile("h28_stranger_from_the_future.eml", stranger_from_the_future,
            {("!区财政局.xlsx", None, "sender-unverified"), ("!区财政局.xlsx", None, "date-doubtful")}),
    # ---- not spreadsheets at all
    Hostile("h21_html_saved_as.xls", lambda b: b"<html><body><table><tr><td>1</td></tr></table></body></html>",
            {("", None, "file-not-spreadsheet")}),
    Hostile("h22_csv_renamed.xlsx", lambda b: "序号,本期完成值\n2-1,=1+1\n".encode("gbk"), {("", None, "file-not-spreadsheet")}),
    Hostile("h23_gzip_renamed.xlsx", lambda b: gzip.compress(b"x" * 1000), {("", None, "file-not-spreadsheet")}),
    # ---- formula-like text (kept as text, warned)
    Hostile("h24_formula_strings.xlsx", formula_strings,
            {("", "J5", "formula-text"), ("", "K5", "formula-text"), ("", "J6", "formula-text"),
             ("", "K6", "formula-text"), ("", "J7", "formula-text")}, genuine=1),
    # ---- 佐证材料 beside a genuine return (pyxl.returns.evidence)
    Hostile("h31_program_as_evidence.eml", lambda b: return_with(b, "exe", ("安装程序.exe", program("h31"))),
            {("!安装程序.exe", None, "evidence-refused")}, genuine=1),
    Hostile("h32_double_extension.eml", lambda b: return_with(b, "double", ("现场照片.jpg.exe", program("h32"))),
            {("!现场照片.jpg.exe", None, "evidence-refused")}, genuine=1),
    Hostile("h33_program_named_photo.eml", lambda b: return_with(b, "renamed", ("照片1.jpg", program("h33"))),
            {("!照片1.jpg", None, "evidence-refused")}, genuine=1),
    Hostile("h34_right_to_left_name.eml", lambda b: return_with(b, "rtl", ("照片\u202egpj.scr", program("h34"))),
            {("!照片\u202egpj.scr", None, "evidence-refused")}, genuine=1),
    Hostile("h35_hidden_extension.eml", lambda b: return_with(b, "spaces", ("验收报告.pdf                .exe", program("h35"))),
            {("!验收报告.pdf                .exe", None, "evidence-refused")}, genuine=1),
    Hostile("h36_macro_document.zip", lambda b: zipped_with(b, "docm", ("汇报材料.docm", b"PK\x03\x04 macro h36")),
            {("!汇报材料.docm", None, "evidence-refused")}, genuine=1),
    Hostile("h37_shortcut.zip", lambda b: zipped_with(b, "lnk", ("现场照片.lnk", b"L\x00\x00\x00\x01\x14\x02\x00 h37")),
            {("!现场照片.lnk", None, "evidence-refused")}, genuine=1),
    # a photo whose member name climbs out of the folder: kept as evidence, inside the evidence folder
    Hostile("h38_evidence_path_traversal.zip", lambda b: zipped_with(b, "evidence slip", ("../../../../Windows/照片.jpg", photo("h38"))),
            set(), genuine=1),
    Hostile("h39_evidence_long_name.eml", lambda b: return_with(b, "longname", (EVIDENCE_LONG_NAME, photo("h39"))),
            set(), genuine=1),
    # a Word report is a zip inside: kept whole as evidence, never unpacked
    Hostile("h40_word_report_not_unpacked.zip",
            lambda b: zipped_with(b, "docx", ("验收报告.docx", a_zip([("word/document.xml", b"<w:document/> h40"),
                                                                    ("word/media/evil.exe", program("h40"))]))),
            set(), genuine=1),
    # ---- the file system
    Hostile("h25_link_outside.xlsx", None, {("", None, "file-not-regular")}, place=place_link_outside, archived=False),
    Hostile("h26_folder_link", None, {("", None, "file-not-regular")}, place=place_folder_link, archived=False),
    Hostile("h27_pipe.xlsx", None, {("", None, "file-not-regular")}, place=place_fifo, archived=False),
]


def write_case(case: Hostile, folder: Path, base: Base) -> Path:
    """Put `case` into `folder`; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / case.name
    if case.place is not None:
        case.place(path, base)
    else:
        path.write_bytes(case.make(base))
    return path


def main(argv: list[str]) -> int:
    """Write every hostile case into the folder named on the command line."""
    if len([a for a in argv if a != "--xls"]) != 1:
        print("用法：python tests/hostile_corpus.py [--xls] 输出文件夹", file=sys.stderr)
        return 2
    target = Path(argv[0])
    if "--xls" in argv:  # remake the two .xls kept in tests/data/hostile/ (needs LibreOffice)
        make_xls()
        argv = [a for a in argv if a != "--xls"]
        target = Path(argv[0])
    base = Base(target / ".base")
    for case in HOSTILE:
        write_case(case, target / "inbox", base)
    print(f"已写出 {len(HOSTILE)} 个异常文件到 {target / 'inbox'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
