"""Reading a duty document into numbered lines: .txt/.md (UTF-8 or GBK/GB18030) and .docx.

A line is what the parser walks: a paragraph of text, or a table row split
into cells (a .docx table, or text with `|` separators). Anything that makes
the whole file unreadable raises PyxlError naming the file and what to do.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table

from pyxl.common.errors import PyxlError
from pyxl.document.numbering import Numbering, numbered_text

SUPPORTED = (".txt", ".md", ".docx")


@dataclass(frozen=True)
class Line:
    number: int  # 1-based line (text) or paragraph/row (docx) number
    text: str
    cells: tuple[str, ...] | None = None  # a table row


def decode_text(data: bytes, name: str) -> str:
    """Text of a .txt/.md file: UTF-8 (with or without BOM), else GB18030, else detected."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise PyxlError(f"{name} 不是文本文件（像是二进制文件）：请选择责任分工的 .txt、.md 或 .docx 文件。")
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
    """Lines of a text document; a line with `|` separators becomes a table row."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.count("|") >= 2:
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if all(_SEPARATOR_CELL.match(c) or not c for c in cells):
                continue  # markdown's |---|---| row
            lines.append(Line(number, stripped, tuple(cells)))
        else:
            lines.append(Line(number, stripped))
    return lines


def _docx_lines(path: Path) -> list[Line]:
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError):
        # python-docx's reason is English and technical; the clerk needs only what to do
        raise PyxlError(
            f"{path.name} 不是有效的 Word 文件（可能已损坏，或是改了扩展名的其他文件）：请在 Word 或 WPS 中打开并另存为 .docx 后重试。"
        ) from None
    # Word's automatic numbering is not in the text: render "1." / "一、" / "（一）" as Word shows them,
    # counting every paragraph in document order (body and table cells alike)
    numbering = Numbering(document)
    lines: list[Line] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                previous = None
                for cell in row.cells:
                    # a merged cell comes back once per grid column: keep it once
                    if cell._tc is previous:
                        continue
                    previous = cell._tc
                    # an empty auto-numbered paragraph is the typical 序号 cell: its label is its text
                    parts = [numbered_text(numbering.label(p), p.text) for p in cell.paragraphs]
                    cells.append("\n".join(parts).strip())
                lines.append(Line(len(lines) + 1, " | ".join(cells), tuple(cells)))
        else:
            label = numbering.label(block)
            # an empty numbered paragraph still takes its number (the next one shows it), but alone
            # it would become an empty task: leave it blank, so a gap in the numbers says so instead
            text = numbered_text(label, block.text) if block.text.strip() else block.text
            for part in text.split("\n"):
                lines.append(Line(len(lines) + 1, part.strip()))
    return lines


def read_lines(path: Path) -> list[Line]:
    """The document's lines; PyxlError when it is missing, empty, binary or of another type."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        hint = "请在 Word 或 WPS 中另存为 .docx 后重试" if suffix in (".doc", ".wps", ".pdf", ".rtf") else "请提供 .txt、.md 或 .docx 文件"
        raise PyxlError(f"不支持的文件类型 {path.name}：{hint}。")
    if not path.is_file():
        raise PyxlError(f"找不到责任分工文件 {path}：请检查路径，或在 config.yaml 的 paths.document 中设置。")
    data = path.read_bytes()
    if not data.strip():
        raise PyxlError(f"{path.name} 是空文件：请确认选择了正确的责任分工文件。")
    if suffix == ".docx":
        lines = _docx_lines(path)
    else:
        lines = text_lines(decode_text(data, path.name))
    if not any(line.text for line in lines):
        raise PyxlError(f"{path.name} 没有任何文字内容：请确认选择了正确的责任分工文件。")
    return lines
