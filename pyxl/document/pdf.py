"""A duty document as a PDF with a text layer: its lines, and its ruled tables as rows, with pdfplumber.

Per page, the ruled tables are found from their lines and read cell by cell;
the text outside them is read line by line, in order down the page. A line
that fills the width of the text and runs on in the same size of type into
the next line is one paragraph broken by the layout: the two are joined (a
title over two lines reads whole). Inside a cell, a break is the layout's
too: the pieces are joined without a space (牵头责任单\n位 → 牵头责任单位).
A cell merged across the row (a section row) or down over several rows (a
lead unit over its tasks) is placed on the table's grid the same way as in
a .docx or a sheet. Page numbers (— 1 —) are dropped.

A PDF without any text is a scan (a picture of the paper): PyxlError says so
and what to ask for instead.
"""

from __future__ import annotations

import re
from pathlib import Path

from pyxl.common.errors import PyxlError
from pyxl.document.read import Line, table_line

_PAGE_NUMBER = re.compile(r"^[—–\-－]*\s*\d{1,4}\s*[—–\-－]*$|^第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?$")
_STARTS_ITEM = re.compile(r"^(?:[★▲●◆■※]|\d+\s*[.．、]|[一二三四五六七八九十]+\s*[、.．]|[（(]|第\s*[\d一二三四五六七八九十]+)")
_ENDS_SENTENCE = tuple("。；;：:！？!?")
_ASCII_END = re.compile(r"[A-Za-z0-9]$")
_ASCII_START = re.compile(r"^[A-Za-z0-9]")
# A gap the typesetting leaves between Chinese and Latin letters or digits (沁源县 2025 年) is read as a
# space by the text extraction; the document has none there
_GAP_BY_CJK = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])[ \t]+(?=[0-9A-Za-z%％])|(?<=[0-9A-Za-z%％])[ \t]+(?=[\u3000-\u9fff\uff00-\uffef])")


def _join(parts: list[str]) -> str:
    """Pieces of one cell or paragraph broken by the layout, joined as written."""
    text = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if text and _ASCII_END.search(text) and _ASCII_START.match(part):
            text += " "
        text += part
    return text


def _cell(value: str | None) -> str:
    return _GAP_BY_CJK.sub("", _join(value.split("\n"))) if value else ""


def _table_lines(table, number: int) -> list[Line]:
    extracted = table.extract()
    rows = table.rows
    width = max((len(row.cells) for row in rows), default=0)
    lefts = []
    for c in range(width):
        edges = [row.cells[c][0] for row in rows if c < len(row.cells) and row.cells[c] is not None]
        lefts.append(min(edges) if edges else None)
    x1 = table.bbox[2]
    lines = []
    for r, row in enumerate(rows):
        cells, spans = [], []
        for c in range(width):
            value = extracted[r][c] if c < len(extracted[r]) else None
            if value is not None or c >= len(row.cells) or row.cells[c] is not None:
                cells.append(_cell(value))
                spans.append(False)
                continue
            # no cell starts here: covered by a cell from the left (a span) or from above (merged down)
            left = lefts[c]
            right = next((edge for edge in lefts[c + 1 :] if edge is not None), x1)
            x = ((left if left is not None else table.bbox[0]) + right) / 2
            y = (row.bbox[1] + row.bbox[3]) / 2
            owner = next((b for b in table.cells if b[0] <= x <= b[2] and b[1] <= y <= b[3]), None)
            above = owner is not None and owner[1] < row.bbox[1] - 0.5
            column = next((i for i, edge in enumerate(lefts) if edge is not None and abs(edge - owner[0]) < 0.5), c) if owner else c
            if above and column == c:
                start = next((i for i, other in enumerate(rows) if abs(other.bbox[1] - owner[1]) < 0.5), None)
                cells.append(_cell(extracted[start][column]) if start is not None else "")
                spans.append(False)
            else:
                cells.append("")
                spans.append(True)
        if any(cells):
            lines.append(table_line(number + len(lines), cells, spans))
    return lines


def _text_lines(page) -> list[tuple[float, str, float, float]]:
    """(top, text, size, right edge) of the page's text lines outside its tables, page numbers dropped."""
    out = []
    for line in page.extract_text_lines(return_chars=True):
        text = _GAP_BY_CJK.sub("", line["text"].strip())
        if not text or _PAGE_NUMBER.match(text):
            continue
        sizes = [char.get("size", 0) for char in line["chars"]] or [0]
        out.append((line["top"], text, max(sizes), line["x1"]))
    return out


def _paragraphs(lines: list[tuple[float, str, float, float]]) -> list[tuple[float, str]]:
    """Lines joined where the layout broke a paragraph: full width, same type size, runs on."""
    if not lines:
        return []
    right = max(x1 for _, _, _, x1 in lines)
    out: list[tuple[float, list[str], float, float, float]] = []
    for top, text, size, x1 in lines:
        if out:
            first_top, parts, last_size, last_x1, last_top = out[-1]
            runs_on = (
                abs(size - last_size) < 0.6
                and top - last_top < 2.2 * max(size, 1)
                and last_x1 >= right - 2 * max(size, 1)
                and not parts[-1].endswith(_ENDS_SENTENCE)
                and not _STARTS_ITEM.match(text)
            )
            if runs_on:
                parts.append(text)
                out[-1] = (first_top, parts, size, x1, top)
                continue
        out.append((top, [text], size, x1, top))
    return [(top, _join(parts)) for top, parts, _, _, _ in out]


def pdf_lines(path: Path) -> list[Line]:
    """Lines of a PDF with a text layer (see the module's docstring)."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError

    path = Path(path)
    lines: list[Line] = []
    chars = 0
    pictures: list[int] = []  # pages that are only a picture: scanned
    pages = 0
    try:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                pages += 1
                chars += len(page.chars)
                if not page.chars and page.images:
                    pictures.append(page.page_number)
                tables = page.find_tables()
                outside = page
                for table in tables:
                    outside = outside.outside_bbox(table.bbox)
                blocks: list[tuple[float, object]] = [(top, text) for top, text in _paragraphs(_text_lines(outside))]
                blocks += [(table.bbox[1], table) for table in tables]
                for _, block in sorted(blocks, key=lambda pair: pair[0]):
                    if isinstance(block, str):
                        lines.append(Line(len(lines) + 1, block))
                    else:
                        lines.extend(_table_lines(block, len(lines) + 1))
                page.close()  # pdfplumber keeps each page's objects until closed: a long PDF stays small
    except (PDFSyntaxError, PDFPasswordIncorrect) as error:
        locked = isinstance(error, PDFPasswordIncorrect)
        why = "设有打开密码" if locked else "已损坏或不是 PDF 文件"
        raise PyxlError(f"{path.name} {why}，无法读取：请索要可直接打开的 PDF，或 Word/WPS 原件后重试。") from None
    except Exception as error:  # pdfminer raises many kinds on a damaged file; its words are English
        if isinstance(error, PyxlError):
            raise
        raise PyxlError(f"{path.name} 无法读取（PDF 文件可能已损坏）：请索要 Word/WPS 原件，或重新导出 PDF 后重试。") from None
    ask = "请向发文单位索要 Word/WPS 原件或可复制文字的 PDF，或先用 OCR 软件识别成文字后再导入。"
    if chars == 0:
        raise PyxlError(f"{path.name} 是扫描件（只有图片，没有文字层），无法读取其中的文字：{ask}")
    if pictures and 2 * len(pictures) >= pages:
        # a typed cover notice over a scanned 分工 table: reading only the notice would lose every task
        shown = "、".join(str(n) for n in pictures[:5]) + ("等" if len(pictures) > 5 else "")
        raise PyxlError(f"{path.name} 的第 {shown} 页是扫描件（只有图片，没有文字层），无法读取其中的文字：{ask}")
    return lines
