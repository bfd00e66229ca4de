"""A styles.xml or relationships part met before is not parsed again, and never stands in for another one."""

from __future__ import annotations

import io
import zipfile

import openpyxl

from pyxl.common import sheet_xml
from pyxl.common import spreadsheets as readers


def _book(percent_cell: str, extra_format: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["B1"], sheet["C1"] = 0.6, 0.25, 7
    sheet[percent_cell].number_format = "0%"
    if extra_format:
        sheet["C1"].number_format = extra_format
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with_part(data: bytes, part: str, content: bytes, renamed: tuple[str, str] | None = None) -> bytes:
    """`data` with `part` holding `content` (and a part moved to another name, when `renamed`)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            name = renamed[1] if renamed and info.filename == renamed[0] else info.filename
            target.writestr(name, content if info.filename == part else source.read(info))
    return out.getvalue()


def _with_styles(data: bytes, styles: bytes) -> bytes:
    return _with_part(data, "xl/styles.xml", styles)


def _styles_kept() -> int:
    return sum(path == "xl/styles.xml" for path, _data in sheet_xml._PARTS_READ.found)


def test_the_same_styles_read_again_give_the_same_percent_cells_and_other_styles_their_own():
    sheet_xml._PARTS_READ.found.clear()
    first = readers.read_book(_book("A1"))
    assert first.sheets[0].percent_cells == {"A1"}
    assert _styles_kept() == 1
    again = readers.read_book(_book("B1"))  # same styles.xml bytes, the percent cell elsewhere
    assert again.sheets[0].percent_cells == {"B1"}
    assert _styles_kept() == 1
    other = readers.read_book(_book("A1", extra_format="0.00%"))  # another styles.xml: parsed, its own answer
    assert other.sheets[0].percent_cells == {"A1", "C1"}
    assert _styles_kept() == 2


def test_a_styles_part_with_a_dtd_is_refused_even_after_clean_ones():
    clean = _book("A1")
    readers.read_book(clean)
    styles = zipfile.ZipFile(io.BytesIO(clean)).read("xl/styles.xml")
    declaration = styles.index(b"?>") + 2 if styles.startswith(b"<?xml") else 0
    hostile = styles[:declaration] + b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + styles[declaration:]
    refused = readers.read_book(_with_styles(clean, hostile))
    assert isinstance(refused, readers.Unreadable) and refused.code == "file-corrupt"
    assert readers.read_book(_with_styles(clean, hostile)) == refused  # and again: never kept


def _with_dtd(part: bytes) -> bytes:
    declaration = part.index(b"?>") + 2 if part.startswith(b"<?xml") else 0
    return part[:declaration] + b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + part[declaration:]


def test_the_same_relationships_are_read_once_and_another_target_is_read_as_its_own():
    sheet_xml._PARTS_READ.found.clear()
    clean = _book("A1")
    first = readers.read_book(clean)
    kept = {path for path, _data in sheet_xml._PARTS_READ.found}
    assert kept == {"xl/styles.xml", "xl/_rels/workbook.xml.rels", "_rels/.rels"}  # workbook.xml names the sheet: not kept
    assert readers.read_book(_book("A1")) == first and len(sheet_xml._PARTS_READ.found) == 3
    # the same workbook with its sheet's part moved: new relationships bytes, read for themselves
    relationships = zipfile.ZipFile(io.BytesIO(clean)).read("xl/_rels/workbook.xml.rels")
    moved = relationships.replace(b"worksheets/sheet1.xml", b"worksheets/moved.xml")
    assert moved != relationships
    again = readers.read_book(_with_part(clean, "xl/_rels/workbook.xml.rels", moved,
                                         renamed=("xl/worksheets/sheet1.xml", "xl/worksheets/moved.xml")))
    assert again == first and len(sheet_xml._PARTS_READ.found) == 4
    # a part pointing nowhere (its bytes new): the sheet is not found, as before anything was kept
    nowhere = relationships.replace(b"worksheets/sheet1.xml", b"worksheets/none.xml")
    lost = readers.read_book(_with_part(clean, "xl/_rels/workbook.xml.rels", nowhere))
    assert lost != first


def test_relationships_with_a_dtd_are_refused_even_after_clean_ones():
    clean = _book("A1")
    readers.read_book(clean)
    relationships = zipfile.ZipFile(io.BytesIO(clean)).read("xl/_rels/workbook.xml.rels")
    refused = readers.read_book(_with_part(clean, "xl/_rels/workbook.xml.rels", _with_dtd(relationships)))
    assert isinstance(refused, readers.Unreadable) and refused.code == "file-corrupt"
    assert readers.read_book(_with_part(clean, "xl/_rels/workbook.xml.rels", _with_dtd(relationships))) == refused
    package = zipfile.ZipFile(io.BytesIO(clean)).read("_rels/.rels")  # left to calamine, never refused here: as before
    odd = readers.read_book(_with_part(clean, "_rels/.rels", _with_dtd(package)))
    assert odd == readers.read_book_calamine(_with_part(clean, "_rels/.rels", _with_dtd(package)))
