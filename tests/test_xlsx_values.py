"""read_book decodes an .xlsx's values in the screen's own pass; the Book must be python-calamine's.

The contract of `pyxl.common.xlsx_values`: for every .xlsx the tests can
make, `read_book` (values decoded from the screen's XML) and
`read_book_calamine` (values read by python-calamine, as before) give equal
Books — same sheets in the same order, same visibility, same rows, and each
value of the same type (True == 1.0 and a date equal to nothing else would
otherwise hide a difference). Files written by XlsxWriter, openpyxl and a
real LibreOffice; hand-made parts with every cell shape the decoder takes or
leaves to calamine; random date serials; and the hostile corpus. Where a file
is one the decoder must read itself, the test also checks it did (and did not
quietly hand it to calamine).
"""

from __future__ import annotations

import io
import random
import zipfile
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest
import xlsxwriter
from hostile_corpus import HOSTILE, Base
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from test_collect_support import UNIT, make_sent

from pyxl.common import sheet_xml, xlsx_values
from pyxl.common.spreadsheets import Unreadable, read_book, read_book_calamine, screen


def typed(book):
    """A Book as plain data in which a value's type counts (1.0, True and '' all differ; a float by its repr, so NaN is NaN)."""
    if isinstance(book, Unreadable):
        return ("unreadable", book.code, book.sheet, book.cell)
    return [(sheet.name, sheet.visible, [[(type(v).__name__, repr(v) if isinstance(v, float) else v) for v in row] for row in sheet.rows],
             sheet.uncached_formulas, sheet.percent_cells) for sheet in book.sheets]


def assert_same(data: bytes, decoded: bool | None = True) -> None:
    """read_book equals python-calamine's Book; `decoded`: whether the values must come from the screen's pass."""
    assert typed(read_book(data)) == typed(read_book_calamine(data))
    if decoded is not None:
        screened = screen(data)
        assert not isinstance(screened, Unreadable)
        assert screened.xlsx.decoded() is decoded


# ---------------------------------------------------------------- written by XlsxWriter


def xlsxwriter_book(date_1904: bool = False) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "date_1904": date_1904})
    formats = {code: book.add_format({"num_format": code}) for code in (
        "yyyy-mm-dd", 'yyyy"年"m"月"d"日"', "hh:mm:ss", "yyyy-mm-dd hh:mm", "[h]:mm:ss", "0%", "0.00%", "0.0",
        '"日期"yyyy-mm-dd', "m/d/yy", "mmm-yy", '0.00" 万元"', "@")}
    sheet = book.add_worksheet("填报")
    sheet.write_string(0, 0, "序号")
    sheet.write_string(0, 1, "  前后有空格  ")
    sheet.write_string(0, 2, "两行\n文字")
    sheet.write_string(0, 3, "控制符\x01与_x0041_")
    sheet.write_number(1, 0, 3400)
    sheet.write_number(1, 1, -0.25)
    sheet.write_number(1, 2, 1e-10)
    sheet.write_number(1, 3, 12345678901234.5)
    sheet.write_datetime(2, 0, datetime(2025, 7, 3), formats["yyyy-mm-dd"])
    sheet.write_datetime(2, 1, datetime(2025, 7, 3), formats['yyyy"年"m"月"d"日"'])
    sheet.write_datetime(2, 2, datetime(2025, 7, 3, 9, 30, 15, 250000), formats["yyyy-mm-dd hh:mm"])
    sheet.write_datetime(2, 3, time(17, 45, 30), formats["hh:mm:ss"])
    sheet.write_datetime(2, 4, timedelta(days=2, hours=3), formats["[h]:mm:ss"])
    sheet.write_datetime(2, 5, datetime(1900, 1, 15), formats["m/d/yy"])
    sheet.write_datetime(2, 6, datetime(1900, 3, 1), formats["mmm-yy"])
    sheet.write_datetime(2, 7, datetime(2025, 7, 3), formats['"日期"yyyy-mm-dd'])
    sheet.write_number(3, 0, 0.6, formats["0%"])
    sheet.write_number(3, 1, 0.125, formats["0.00%"])
    sheet.write_number(3, 2, 45000, formats["0.0"])
    sheet.write_number(3, 3, 45000, formats['0.00" 万元"'])
    sheet.write_number(3, 4, 45000, formats["@"])
    sheet.write_boolean(4, 0, True)
    sheet.write_boolean(4, 1, False)
    sheet.write_formula(4, 2, "=1+1", None, 2)
    sheet.write_formula(4, 3, "=A1&\"x\"", None, "序号x")
    sheet.write_formula(4, 4, "=NA()", None, "#N/A")
    sheet.write_formula(4, 5, "=1/0", None, "#DIV/0!")
    sheet.write_formula(4, 6, '=""', None, "")
    sheet.write_formula(4, 7, "=TODAY()", formats["yyyy-mm-dd"], 45841)
    bold = book.add_format({"bold": True})
    sheet.write_rich_string(5, 0, "普通", bold, "加粗 ", "结尾")
    sheet.write_url(5, 1, "https://example.org", string="链接")
    sheet.write_blank(6, 0, None, bold)  # a styled empty cell: no value, no extent
    sheet.write_blank(40, 30, None, bold)
    sheet.write_string(7, 9, "远处")
    sheet.write_array_formula(8, 0, 8, 0, "{=SUM(B2:C2)}", None, -0.25)
    hidden = book.add_worksheet("隐藏")
    hidden.write_string(2, 3, "从 D3 开始")
    hidden.hide()
    chart = book.add_chart({"type": "column"})
    chart.add_series({"values": "=填报!$A$2:$D$2"})
    book.add_chartsheet("图表").set_chart(chart)
    book.add_worksheet("空表")
    book.close()
    return out.getvalue()


@pytest.mark.parametrize("date_1904", [False, True], ids=["1900", "1904"])
def test_xlsxwriter_books_read_as_calamine_reads_them(date_1904):
    data = xlsxwriter_book(date_1904)
    assert_same(data)
    book = read_book(data)
    assert [s.name for s in book.sheets] == ["填报", "隐藏", "空表"]  # the chart sheet is no worksheet
    assert book.sheets[0].value(3, 2) == date(2025, 7, 3) and book.sheets[0].value(5, 1) is True


# ---------------------------------------------------------------- written by openpyxl


def openpyxl_book(date_1904: bool = False) -> bytes:
    book = openpyxl.Workbook()
    if date_1904:
        book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    sheet.title = "填报"
    sheet["B3"] = datetime(2025, 7, 3, 12, 0)
    sheet["C3"] = date(2025, 7, 3)
    sheet["D3"] = time(8, 15)
    sheet["E3"] = timedelta(hours=36, minutes=30)
    sheet["F3"] = datetime(2025, 7, 3)
    sheet["F3"].number_format = 'yyyy"年"m"月"d"日"'
    sheet["G3"] = 0.48
    sheet["G3"].number_format = "0%"
    sheet["B4"], sheet["C4"], sheet["D4"] = True, "#N/A", "=SUM(1,2)"  # a formula without a cached value
    sheet["E4"] = CellRichText("富", TextBlock(InlineFont(b=True), " 文本 "), "结束")
    sheet["F4"] = "  留着空格  "
    sheet["G4"] = 7
    sheet["G4"].number_format = "[$-804]yyyy年m月d日"
    sheet["B5"].style = "Percent"  # styled, no value
    hidden = book.create_sheet("很隐藏")
    hidden["A1"] = "看不见"
    hidden.sheet_state = "veryHidden"
    book.create_sheet("公式").append(["=1+1", "=A1*2"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("date_1904", [False, True], ids=["1900", "1904"])
def test_openpyxl_books_read_as_calamine_reads_them(date_1904):
    data = openpyxl_book(date_1904)
    assert_same(data)
    assert read_book(data).sheets[2].rows == []  # formulas only, none calculated: no cells


# ---------------------------------------------------------------- hand-made parts

_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">{pr}<sheets>{sheets}</sheets></workbook>')
_RELATIONSHIP = '<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}" Target="{target}"/>'
_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


_PACKAGE = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>')


def hand_made(sheet_data: str, shared: str | None = None, styles: str | None = None, workbook_pr: str = "",
              state: str | None = None, target: str = "worksheets/sheet1.xml", worksheet: str | None = None,
              package: str | None = _PACKAGE) -> bytes:
    """A one-sheet .xlsx from the given XML pieces (what a program other than the usual ones might write)."""
    sheet = f'<sheet name="S" sheetId="1"{f" state={state!r}" if state else ""} r:id="rId1"/>'
    relationships = _RELATIONSHIP.format(n=1, kind="worksheet", target=target)
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                               '<Default Extension="xml" ContentType="application/xml"/></Types>',
        "xl/workbook.xml": _WORKBOOK.format(pr=workbook_pr, sheets=sheet),
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships '
                                      f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{relationships}</Relationships>',
        "xl/worksheets/sheet1.xml": worksheet or f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_MAIN}><sheetData>{sheet_data}</sheetData></worksheet>',
    }
    if package is not None:
        parts["_rels/.rels"] = package
    if shared is not None:
        parts["xl/sharedStrings.xml"] = f'<?xml version="1.0" encoding="UTF-8"?><sst {_MAIN}>{shared}</sst>'
    if styles is not None:
        parts["xl/styles.xml"] = f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {_MAIN}>{styles}</styleSheet>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode("utf-8"))
    return out.getvalue()


def row(*cells: str, r: int = 1) -> str:
    return f'<row r="{r}">{"".join(cells)}</row>'


STRINGS = ('<si><t>零</t></si><si><t xml:space="preserve">  留空格 </t></si><si><t>\n 去掉 \t</t></si>'
           '<si><r><t>富</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 文本 </t></r></si>'
           '<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh><phoneticPr fontId="1"/></si>'
           '<si/><si><t/></si><si><t>a_x000D_b_x005F_x0041__xD800_</t></si><si><t>a &amp; b &lt;c&gt;</t></si>'
           '<si><t>一</t><t>二</t></si><si><r><t>三</t></r><t>四</t></si>')
STYLES = ('<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
          '<numFmt numFmtId="165" formatCode="#,##0*y"/><numFmt numFmtId="14" formatCode="0.00"/></numFmts>'
          '<cellXfs count="8"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="14"/>'
          '<xf numFmtId="22"/><xf numFmtId="46"/><xf numFmtId="57"/><xf numFmtId="9"/></cellXfs>')

# (what the sheet holds, whether the decoder reads it itself)
SHAPES = {
    "shared strings": (row(*(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(11))), True),
    "inline strings": (row('<c r="A1" t="inlineStr"><is><t> 去掉 </t></is></c>',
                           '<c r="B1" t="inlineStr"><is><r><t>富</t></r><r><t xml:space="preserve"> 文 </t></r></is></c>',
                           '<c r="C1" t="inlineStr"><is/></c>', '<c r="D1" t="inlineStr"><is><t>_x0041_</t></is></c>',
                           '<c r="E1" t="inlineStr"><is><t xml:space="preserve"> 留 </t></is></c>'), True),
    "formula results": (row('<c r="A1" t="str"><f>A2</f><v> 不去空格 </v></c>', '<c r="B1" t="str"><f>""</f><v/></c>',
                            '<c r="C1" t="b"><v>0</v></c>', '<c r="D1" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
                            '<c r="E1"><f>1+1</f></c>', '<c r="F1" t="str"><v>_x000D_</v></c>'), True),
    "an error at the far end widens the grid": (row('<c r="A1"><v>1</v></c>', '<c r="H9" t="e"><v>#REF!</v></c>', r=9), True),
    "numbers and styles": (row(*(f'<c r="{chr(65 + i)}1" s="{i}"><v>45000.75</v></c>' for i in range(8)),
                               '<c r="I1" s="99"><v>45000</v></c>', '<c r="J1"><v>-1.5E-3</v></c>', '<c r="K1"><v>.5</v></c>'), True),
    "dates near the start of 1900": (row(*(f'<c r="{chr(65 + i)}1" s="1"><v>{v}</v></c>'
                                          for i, v in enumerate([0, 0.5, 1, 59, 60, 60.5, 61, -1, 2958465, 2958466, 3e6]))), True),
    "elapsed times": (row(*(f'<c r="{chr(65 + i)}1" s="5"><v>{v}</v></c>' for i, v in enumerate([0, 0.3, 1.25, 45000.5, -0.5]))), True),
    "cells out of order, repeated, empty": (row('<c r="C2"><v>3</v></c>', '<c r="A2"><v>1</v></c>', '<c r="C2"><v>4</v></c>',
                                                '<c r="C2" s="1"/>', '<c r="D2"><v></v></c>', r=2), True),
    "nothing but styles": (row('<c r="A1" s="1"/>', '<c r="B7" s="2"/>'), True),
    "a cell without r=": (row('<c r="A1"><v>1</v></c>', "<c><v>2</v></c>"), False),
    "an empty cell named as no cell is": (row('<c r="A1"><v>1</v></c>', '<c r="B0" s="1"/>'), False),  # calamine refuses it
    "an ISO date cell": (row('<c r="A1" t="d"><v>2025-07-03</v></c>'), False),
    "a number with spaces, untyped": (row('<c r="A1"><v> 12 </v></c>'), False),
    "text in an untyped cell": (row('<c r="A1"><v>abc</v></c>'), False),
    "a style written oddly": (row('<c r="A1" s="+1"><v>45000</v></c>'), False),
    "a formula after its value": (row('<c r="A1"><v>3</v><f>1+2</f></c>'), False),
    "an inline string with a value": (row('<c r="A1" t="inlineStr"><v>1</v><is><t>x</t></is></c>'), False),
    "an element calamine refuses": (row('<c r="A1"><extLst/></c>'), False),
    "an error calamine does not know": (row('<c r="A1" t="e"><v>#GETTING_DATA</v></c>'), False),
    "a boolean written as 2": (row('<c r="A1" t="b"><v>2</v></c>'), False),
    "a shared string that is not there": (row('<c r="A1" t="s"><v>99</v></c>'), False),
    "a shared string by an index with a leading zero": (row('<c r="A1" t="s"><v>03</v></c>'), True),
    "an unknown cell type": (row('<c r="A1" t="zz"><v>1</v></c>'), False),
    "a value holding an element": (row('<c r="A1"><v>1<x/>2</v></c>'), False),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_cell_shape_reads_as_calamine_reads_it(shape):
    sheet_data, decoded = SHAPES[shape]
    assert_same(hand_made(sheet_data, STRINGS, STYLES), decoded)


def test_a_text_too_long_for_a_cell_is_refused_however_its_index_is_written():
    data = hand_made(row('<c r="A1" t="s"><v>01</v></c>'), f"<si><t>a</t></si><si><t>{'长' * 32768}</t></si>")
    assert_same(data, None)
    assert read_book(data).code == "cell-too-long"


@pytest.mark.parametrize("shared", ["<si><t>a<b/>c</t></si>", "<si><t>a</t><si><t>b</t></si><t>c</t></si><si><t>d</t></si>",
                                    "<si><t>a</t><rPh><rPh><t>b</t></rPh><t>c</t></rPh></si>"],
                         ids=["an element in a run", "a string in a string", "a phonetic run in another"])
def test_shared_strings_of_odd_shapes_are_left_to_calamine(shared):
    assert_same(hand_made(row('<c r="A1" t="s"><v>0</v></c>', '<c r="B1" t="s"><v>1</v></c>'), shared), False)


@pytest.mark.parametrize("inline", ["<is><t>a</t><is><t>b</t></is><t>c</t></is>", "<is><rPh><rPh><t>b</t></rPh><t>c</t></rPh><t>d</t></is>"],
                         ids=["a string in a string", "a phonetic run in another"])
def test_inline_strings_of_odd_shapes_are_left_to_calamine(inline):
    assert_same(hand_made(row(f'<c r="A1" t="inlineStr">{inline}</c>')), False)


@pytest.mark.parametrize("workbook_pr", ['<workbookPr date1904="1"/>', '<workbookPr date1904="true"/>',
                                         '<workbookPr date1904="false"/>', "<workbookPr/>"])
def test_the_date_system_is_read_as_calamine_reads_it(workbook_pr):
    sheet_data = row(*(f'<c r="{chr(65 + i)}1" s="{s}"><v>{v}</v></c>'
                       for i, (s, v) in enumerate([(1, 0), (1, 0.5), (1, 1), (4, 45000.25), (5, 1.5), (6, 400)])))
    assert_same(hand_made(sheet_data, None, STYLES, workbook_pr))


@pytest.mark.parametrize("state, decoded", [("hidden", True), ("veryHidden", True), ("visible", True), ("shown", False)])
def test_sheet_states_are_read_as_calamine_reads_them(state, decoded):
    assert_same(hand_made(row('<c r="A1"><v>1</v></c>'), state=state), decoded)


@pytest.mark.parametrize("target, decoded", [("/xl/worksheets/sheet1.xml", True), ("worksheets/../worksheets/sheet1.xml", None),
                                             ("worksheets/missing.xml", None)])
def test_sheet_targets_calamine_resolves_otherwise_are_left_to_it(target, decoded):
    assert_same(hand_made(row('<c r="A1"><v>1</v></c>'), target=target), decoded)


_B2 = row('<c r="B2"><v>1</v></c>', r=2)
_A1 = row('<c r="A1"><v>1</v></c>')
_HEAD = f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_MAIN}>'


@pytest.mark.parametrize("package", [None, _PACKAGE.replace("officeDocument\" ", "other\" "),
                                     _PACKAGE.replace("xl/workbook.xml", "xl/workbook.bin"), "<Relationships"])
def test_a_package_that_does_not_name_its_workbook_as_excel_does_is_left_to_calamine(package):
    assert_same(hand_made(row('<c r="A1"><v>1</v></c>'), package=package), False)


@pytest.mark.parametrize("worksheet", [
    f'{_HEAD}<dimension ref="A1:B2"/><sheetData>{_B2}</sheetData></worksheet>',
    f'{_HEAD}<dimension ref="a1:b2"/><sheetData>{_B2}</sheetData></worksheet>',
    f"{_HEAD}<sheetData/></worksheet>",
    f"{_HEAD}</worksheet>",
    f'{_HEAD}<sheetData>{_A1}</sheetData><extLst><c r="B1"><v>2</v></c></extLst></worksheet>',
    f'<?xml version="1.0" encoding="ISO-8859-1"?><worksheet {_MAIN}><sheetData>{_A1}</sheetData></worksheet>',
], ids=["dimension", "odd dimension", "empty", "no sheetData", "a cell outside sheetData", "latin-1"])
def test_worksheet_layouts_are_read_as_calamine_reads_them(worksheet):
    assert_same(hand_made("", worksheet=worksheet), None)


# ---------------------------------------------------------------- date serials at random


@pytest.mark.parametrize("date_1904", [False, True], ids=["1900", "1904"])
def test_random_serials_under_every_date_format_read_as_calamine_reads_them(date_1904):
    chance = random.Random(15)
    serials = [chance.uniform(0, 80000) for _ in range(150)] + [chance.uniform(0, 2) for _ in range(50)]
    serials += [round(chance.uniform(0, 80000) * 86400000 + 0.5) / 86400000 for _ in range(50)]  # on a half millisecond
    serials += [float(chance.randrange(0, 3_000_000)) for _ in range(50)]
    cells = [f'<c r="{xlsxwriter.utility.xl_col_to_name(c)}{r + 1}" s="{s}"><v>{v!r}</v></c>'
             for r, v in enumerate(serials) for c, s in enumerate((1, 4, 5, 6))]
    assert_same(hand_made("".join(row(*cells[i:i + 4], r=i // 4 + 1) for i in range(0, len(cells), 4)),
                          None, STYLES, '<workbookPr date1904="1"/>' if date_1904 else ""))


@pytest.mark.parametrize("code, kind", [
    ("yyyy-mm-dd", xlsx_values.DATE), ('"日期"0', xlsx_values.OTHER), ("[h]:mm", xlsx_values.DURATION),
    ("[Red]0.00", xlsx_values.OTHER), ("AM/PM", xlsx_values.DATE), ("0;yyyy", xlsx_values.OTHER), ("\\d0", xlsx_values.OTHER),
    ("_d0", xlsx_values.OTHER), ("*d0", xlsx_values.OTHER), ("aaa", xlsx_values.OTHER), ("[ss].0", xlsx_values.DURATION),
    ("[$-804]aaaa", xlsx_values.OTHER), ("e", xlsx_values.OTHER), ("General", xlsx_values.OTHER),
])
def test_number_format_codes_are_classed_as_calamine_classes_them(code, kind):
    assert xlsx_values.format_kind(code) == kind
    escaped = code.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    styles = f'<numFmts><numFmt numFmtId="164" formatCode="{escaped}"/></numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs>'
    assert_same(hand_made(row('<c r="A1" s="1"><v>45000.5</v></c>', '<c r="B1" s="1"><v>0.25</v></c>'), None, styles))


# ---------------------------------------------------------------- the hostile corpus


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return Base(tmp_path_factory.mktemp("values"))


@pytest.mark.parametrize("case", [c for c in HOSTILE if c.make is not None], ids=lambda c: c.name)
def test_hostile_files_read_as_calamine_reads_them(case, base):
    assert_same(case.make(base), None)


def test_a_genuine_return_is_decoded_by_the_screen(base):
    assert_same(base.genuine("genuine"))


def test_the_sheets_split_writes_are_decoded_by_the_screen(base):
    for path in base.sent.files.values():  # read back for their identity sheets and locked cells
        assert_same(path.read_bytes())


# ---------------------------------------------------------------- filled in LibreOffice


@pytest.mark.libreoffice
def test_books_saved_by_libreoffice_read_as_calamine_reads_them(tmp_path):
    from clerk import FillJob, fill_workbooks, require_libreoffice

    require_libreoffice()
    sent = make_sent(tmp_path / "sent")
    general = tmp_path / "general.xlsx"
    general.write_bytes(xlsxwriter_book())
    values = {"G6": 3400.5, "H5": 48, "I5": "  按计划推进 ", "J5": "=HYPERLINK(\"x\") 照常推进", "K5": {"date": "2025-07-03"},
              "B11": "李四"}
    saved = [tmp_path / "unit.xlsx", tmp_path / "general-saved.xlsx"]
    fill_workbooks([FillJob(sent.files[UNIT], values, [saved[0]]),
                    FillJob(general, {"A12": 0.5, "B12": "文字", "C12": {"date": "1900-02-01"}}, [saved[1]], sheet="填报")])
    for path in saved:
        assert_same(path.read_bytes())
        archive = zipfile.ZipFile(path)
        assert_shared_strings_agree(archive, quick=True)  # LibreOffice writes every string as runs: the usual shape


# ---------------------------------------------------------------- the shared strings, two ways

def assert_shared_strings_agree(archive: zipfile.ZipFile, quick: bool | None = None) -> None:
    """The libxml2 reading of sharedStrings.xml (long indices, strings) equals the expat one, budget spent included.

    `quick`: whether the part must be of the usual shape, read by libxml2 (True) or left to expat (False).
    """
    budgets = [[sheet_xml.MAX_UNPACKED_BYTES], [sheet_xml.MAX_UNPACKED_BYTES]]
    streamed = sheet_xml._streamed_shared_strings
    calls = []
    sheet_xml._streamed_shared_strings = lambda *args: calls.append(args) or streamed(*args)
    try:
        first = sheet_xml._shared_strings(archive, budgets[0])
    finally:
        sheet_xml._streamed_shared_strings = streamed
    assert first == streamed(archive, budgets[1]) and budgets[0] == budgets[1]
    if quick is not None:
        assert (not calls) is quick


def _strings_part(inside: str, sst: str = f"<sst {_MAIN}>", close: str = "</sst>") -> zipfile.ZipFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8"?>{sst}{inside}{close}'.encode("utf-8"))
    return zipfile.ZipFile(out)


_RUN = '<r><rPr><b val="true"/><sz val="11"/><rFont val="宋体"/></rPr><t xml:space="preserve">{}</t></r>'
SHARED_PARTS = {
    "the test strings": (STRINGS, True),
    "runs as LibreOffice writes them": ("".join(f"<si>{_RUN.format('甲')}{_RUN.format(t)}</si>" for t in ("乙", " 丙 ", "丁\n", "_x0041_", "a_x", "0041_")), True),
    "an escape split over two runs": (f"<si>{_RUN.format('_x00')}{_RUN.format('41_')}</si>", True),
    "a comment and CDATA in a run": ("<si><t>前<!-- 注 -->后</t></si><si><t><![CDATA[<甲>]]> 乙</t></si>", True),
    "a run outside any run list": ("<si><t>甲</t><x><t>乙</t></x></si>", True),
    "a phonetic run": ("<si><t>漢字</t><rPh sb=\"0\" eb=\"2\"><t>かんじ</t></rPh></si><si><t>乙</t></si>", True),
    "an element in a run": ("<si><t>a<b/>c</t></si><si><t>d</t></si>", True),
    "a phonetic run in another": ("<si><t>a</t><rPh><rPh><t>b</t></rPh><t>c</t></rPh></si>", True),
    "a string in a string": ("<si><t>a</t><si><t>b</t></si><t>c</t></si><si><t>d</t></si>", False),
    "a run between the strings": ("<si><t>a</t></si><t>stray</t><si><t>b</t></si>", False),
    "another namespace inside": ('<si><t>a</t></si><si xmlns="urn:other"><t>b</t></si>', False),
    "a prefixed run": ('<si xmlns:x="urn:other"><x:t>b</x:t><t>c</t></si>', False),
    "a run of the xml namespace": ("<si><xml:t>b</xml:t><t>c</t></si>", False),
    "a string too long": (f"<si><t>短</t></si><si>{_RUN.format('长' * 20000)}{_RUN.format('长' * 20000)}</si><si><t>{'长' * 32767}</t></si>", True),
    "too long by white space between runs": (f"<si><r><t>a</t></r>{' ' * 32768}<r><t>b</t></r></si>", True),
    "too long with phonetic runs": (f"<si><t>{'长' * 30000}</t><rPh><t>{'长' * 3000}</t></rPh></si>", True),
    "nothing": ("", True),
}


@pytest.mark.parametrize("shape", list(SHARED_PARTS))
def test_shared_strings_read_by_libxml2_equal_the_expat_reading(shape):
    inside, quick = SHARED_PARTS[shape]
    assert_shared_strings_agree(_strings_part(inside), quick)


_MAIN_PREFIXED = ('<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">', "</x:sst>")


@pytest.mark.parametrize(("sst", "inside"), [(('<sst xmlns="urn:other">', "</sst>"), "<si><t>a</t></si>"),
                                             (("<sst>", "</sst>"), "<si><t>a</t></si>"),
                                             ((f"<!DOCTYPE sst><sst {_MAIN}>", "</sst>"), "<si><t>a</t></si>"),
                                             (_MAIN_PREFIXED, "<si><t>a</t></si>"), (_MAIN_PREFIXED, "<x:si><t>a</t></x:si>")],
                         ids=["another namespace", "no namespace", "a DTD", "its namespace by a prefix, the strings in none",
                              "its namespace by a prefix, the runs in none"])
def test_a_shared_strings_part_of_another_kind_is_read_by_expat(sst, inside):
    assert_shared_strings_agree(_strings_part(inside, *sst), quick=False)


def test_a_text_met_again_is_the_same_string_and_a_file_of_endless_texts_keeps_few(monkeypatch):
    # a task's text, in two units' returns: one string object, so the month's parsed returns hold it once
    monkeypatch.setattr(sheet_xml, "_TEXTS", {})
    task = row('<c r="A1" t="inlineStr"><is><t>推动项目早日竣工投产</t></is></c>')
    first, second = (read_book(hand_made(task)).sheets[0].rows[0][0] for _ in range(2))
    assert first == second == "推动项目早日竣工投产" and first is second
    saved_by_excel = hand_made(row('<c r="A1" t="s"><v>0</v></c>'), "<si><t>推动项目早日竣工投产</t></si>")  # shared strings
    assert read_book(saved_by_excel).sheets[0].rows[0][0] is first
    # a hostile file's thousands of texts, and one very long: read as they are, kept only up to the bounds
    monkeypatch.setattr(sheet_xml, "_TEXTS_KEPT", 8)
    many = "".join(row(f'<c r="A{n}" t="inlineStr"><is><t>文本{n}</t></is></c>', r=n) for n in range(1, 41))
    long = "长" * (sheet_xml._TEXT_KEPT_LONGEST + 1)
    book = read_book(hand_made(many + row(f'<c r="B41" t="inlineStr"><is><t>{long}</t></is></c>', r=41)))
    assert [r[0] for r in book.sheets[0].rows[:40]] == [f"文本{n}" for n in range(1, 41)] and book.sheets[0].rows[40][1] == long
    assert len(sheet_xml._TEXTS) == 8 and long not in sheet_xml._TEXTS
