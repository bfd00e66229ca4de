"""A styles.xml met before is not parsed again, and never stands in for another one."""

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


def _with_styles(data: bytes, styles: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, styles if info.filename == "xl/styles.xml" else source.read(info))
    return out.getvalue()


def test_the_same_styles_read_again_give_the_same_percent_cells_and_other_styles_their_own():
    sheet_xml._STYLES_READ.clear()
    first = readers.read_book(_book("A1"))
    assert first.sheets[0].percent_cells == {"A1"}
    assert len(sheet_xml._STYLES_READ) == 1
    again = readers.read_book(_book("B1"))  # same styles.xml bytes, the percent cell elsewhere
    assert again.sheets[0].percent_cells == {"B1"}
    assert len(sheet_xml._STYLES_READ) == 1
    other = readers.read_book(_book("A1", extra_format="0.00%"))  # another styles.xml: parsed, its own answer
    assert other.sheets[0].percent_cells == {"A1", "C1"}
    assert len(sheet_xml._STYLES_READ) == 2


def test_a_styles_part_with_a_dtd_is_refused_even_after_clean_ones():
    clean = _book("A1")
    readers.read_book(clean)
    styles = zipfile.ZipFile(io.BytesIO(clean)).read("xl/styles.xml")
    declaration = styles.index(b"?>") + 2 if styles.startswith(b"<?xml") else 0
    hostile = styles[:declaration] + b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + styles[declaration:]
    refused = readers.read_book(_with_styles(clean, hostile))
    assert isinstance(refused, readers.Unreadable) and refused.code == "file-corrupt"
    assert readers.read_book(_with_styles(clean, hostile)) == refused  # and again: never kept
