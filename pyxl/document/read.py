"""Reading a duty document into numbered lines, whatever format the office received it in.

A line is what the parser walks: a paragraph of text, or a table row split
into cells. This module holds the one dispatch by format (`FORMATS`); each
family reads in its own small module:

- .txt / .md: text here (UTF-8 or GBK/GB18030; `|` tables; tables copied one
  cell per line are put back together by `flat`);
- .docx here (paragraphs and tables, Word's numbering through `numbering`);
  .doc / .wps / .rtf / .odt converted to .docx through LibreOffice (`office`);
- .xlsx / .xlsm / .xls / .et / .ods: the 分工表 as a sheet (`sheets`);
- .pdf with a text layer: lines and ruled tables (`pdf`); a scan is named as such;
- .html / .htm: the document body of a saved web page, without the site (`web`).

Anything that makes the whole file unreadable raises PyxlError naming the file and what to do.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from lxml import etree

from pyxl.common.errors import PyxlError
from pyxl.document.numbering import Numbering, numbered_text

FORMAT_NAMES = ".docx/.doc/.wps/.pdf/.xlsx/.xls/.et/.ods/.html/.txt/.md"


@dataclass(frozen=True)
class Line:
    number: int  # 1-based line (text), paragraph or row (docx, pdf, html) or sheet row number
    text: str
    cells: tuple[str, ...] | None = None  # a table row, one entry per column of the table's grid
    merged: bool = False  # the row is one cell spanning the table's width (a section row)


def decode_text(data: bytes, name: str) -> str:
    """Text of a .txt/.md file: UTF-8 (with or without BOM), else GB18030, else detected."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise PyxlError(f"{name} 不是文本文件（像是二进制文件）：请选择责任分工文件（{FORMAT_NAMES}）。")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise PyxlError(f"{name} 无法识别文字编码：请用记事本或 WPS 另存为 UTF-8 编码的 .txt 文件后重试。")
    return str(best)


_SEPARATOR_CELL = re.compile(r"^:?-{2,}:?$")


def text_lines(text: str) -> list[Line]:
    """Lines of a text document; a line with `|` separators, or with tabs between cells, becomes a table row.

    A table copied out of a web page or a PDF arrives one cell per line: `flat`
    puts its rows back together.
    """
    from pyxl.document.flat import unflatten

    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if raw.strip(" \r\n").count("\t") >= 2:
            # a Word or Excel table pasted into a text file: one row a line, cells split by tabs
            cells = [c.strip() for c in raw.strip(" \r\n").split("\t")]
            lines.append(Line(number, " | ".join(c for c in cells if c), tuple(cells)))
        elif stripped.count("|") >= 2:
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if all(_SEPARATOR_CELL.match(c) or not c for c in cells):
                continue  # markdown's |---|---| row
            lines.append(Line(number, stripped, tuple(cells)))
        else:
            lines.append(Line(number, stripped))
    return unflatten(lines)


def table_line(number: int, cells: list[str], spans: list[bool] | None = None) -> Line:
    """A table row as a Line: `spans[i]` says grid column i is covered by a cell to its left.

    A row whose one cell covers every column is a merged row (a section).
    """
    merged = spans is not None and len(cells) > 1 and not spans[0] and all(spans[1:])
    if merged:
        cells = [cells[0]] + [""] * (len(cells) - 1)
    return Line(number, " | ".join(c for c in cells if c), tuple(cells), merged)


# A duty document is text: a thousand tasks are well under a megabyte. Anything this large is
# another file (or pictures): refused before it is read, as is a zip whose declared sizes say
# it would unpack to far more than it holds (the limits of spreadsheets someone gives us).
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


def _refuse_unsafe_zip(data: bytes, shown_name: str) -> None:
    """PyxlError when the .docx `data` would unpack to far more than it holds (a spreadsheet is screened in sheets.py)."""
    from pyxl.common.spreadsheets import check_zip

    refused = check_zip(data)
    if refused is not None and refused.code == "file-too-large":
        raise PyxlError(f"{shown_name} 无法安全读取：{refused.reason}。请确认选择了正确的责任分工文件，"
                        "在 Word 或 WPS 中打开后另存，再重试。")


def docx_lines(path: Path, shown_name: str | None = None) -> list[Line]:
    """Paragraphs and table rows of a .docx, with Word's automatic numbering shown as text."""
    data = path.read_bytes()  # read once: checked, then opened from memory
    _refuse_unsafe_zip(data, shown_name or path.name)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError):
        # python-docx's reason is English and technical (XMLSyntaxError: a part that is not well-formed XML, or
        # one whose entities libxml2 refuses to expand); the clerk needs only what to do
        raise PyxlError(
            f"{shown_name or path.name} 不是有效的 Word 文件（可能已损坏，或是改了扩展名的其他文件）：请在 Word 或 WPS 中打开并另存为 .docx 后重试。"
        ) from None
    # Word's automatic numbering is not in the text: render "1." / "一、" / "（一）" as Word shows them,
    # counting every paragraph in document order (body and table cells alike)
    numbering = Numbering(document)
    lines: list[Line] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            seen: dict[object, str] = {}  # cell element (kept alive here, so one proxy) → its text
            for row in block.rows:
                cells: list[str] = []
                spans: list[bool] = []
                previous = None
                for cell in row.cells:
                    # a merged cell comes back once per grid column: number its paragraphs once,
                    # and keep the grid's columns so that a header's column index fits every row
                    if cell._tc is previous:
                        cells.append("")
                        spans.append(True)
                        continue
                    previous = cell._tc
                    if cell._tc not in seen:
                        # an empty auto-numbered paragraph is the typical 序号 cell: its label is its text
                        parts = [numbered_text(numbering.label(p), p.text) for p in cell.paragraphs]
                        seen[cell._tc] = "\n".join(parts).strip()
                    # below its first row, a cell merged down reads again (a lead unit over its tasks)
                    cells.append(seen[cell._tc])
                    spans.append(False)
                lines.append(table_line(len(lines) + 1, cells, spans))
        else:
            label = numbering.label(block)
            # an empty numbered paragraph still takes its number (the next one shows it), but alone
            # it would become an empty task: leave it blank, so a gap in the numbers says so instead
            text = numbered_text(label, block.text) if block.text.strip() else block.text
            for part in text.split("\n"):
                lines.append(Line(len(lines) + 1, part.strip()))
    return lines


def _text(path: Path) -> list[Line]:
    return text_lines(decode_text(path.read_bytes(), path.name))


def _docx(path: Path) -> list[Line]:
    return docx_lines(path)


def _word_via_office(path: Path) -> list[Line]:
    from pyxl.document.office import converted

    with converted(path, "docx") as copy:
        return docx_lines(copy, path.name)


def _sheet(path: Path) -> list[Line]:
    from pyxl.document.sheets import sheet_lines

    return sheet_lines(path)


def _pdf(path: Path) -> list[Line]:
    from pyxl.document.pdf import pdf_lines

    return pdf_lines(path)


def _html(path: Path) -> list[Line]:
    from pyxl.document.web import html_lines

    return html_lines(path)


# The one dispatch by format: suffix → reader. Readers import their libraries lazily,
# so reading a .txt never loads the PDF or HTML machinery.
FORMATS: dict[str, Callable[[Path], list[Line]]] = {
    ".txt": _text,
    ".md": _text,
    ".docx": _docx,
    ".doc": _word_via_office,
    ".wps": _word_via_office,
    ".rtf": _word_via_office,
    ".odt": _word_via_office,
    ".xlsx": _sheet,
    ".xlsm": _sheet,
    ".xls": _sheet,
    ".et": _sheet,
    ".ods": _sheet,
    ".pdf": _pdf,
    ".html": _html,
    ".htm": _html,
}


def read_lines(path: Path) -> list[Line]:
    """The document's lines; PyxlError when it is missing, empty, unreadable or of another type."""
    path = Path(path)
    suffix = path.suffix.lower()
    reader = FORMATS.get(suffix)
    if reader is None:
        raise PyxlError(f"不支持的文件类型 {path.name}：请提供责任分工文件（{FORMAT_NAMES}）。")
    if not path.is_file():
        raise PyxlError(f"找不到责任分工文件 {path}：请检查路径，或在 config.yaml 的 paths.document 中设置。")
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise PyxlError(f"{path.name} 有 {size // (1 << 20)} MB，远大于责任分工文件（通常不到 1 MB，上限 "
                        f"{MAX_DOCUMENT_BYTES // (1 << 20)} MB）：请确认选择了正确的文件；带大量图片的，请另存为只有文字的 .docx 后重试。")
    if not path.read_bytes().strip():
        raise PyxlError(f"{path.name} 是空文件：请确认选择了正确的责任分工文件。")
    lines = reader(path)
    if not any(line.text for line in lines):
        raise PyxlError(f"{path.name} 没有任何文字内容：请确认选择了正确的责任分工文件。")
    return lines
