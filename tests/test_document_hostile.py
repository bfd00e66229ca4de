"""The duty document as an attacker (or a careless save) makes it: every reader refuses in one Chinese line.

Each case is run as the clerk runs it, `pyxl parse <file>` in its own
process: a reader that let python-calamine build a grid out to XFD1048576
would end the process with an abort, which a test in this process could not
even report.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

TASK = "1.地区生产总值增长6%。（牵头单位：区发展改革局；责任单位：区统计局）"


def _far_cell(folder: Path, cell: str) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["序号", "任务", "牵头单位", "责任单位"])
    sheet.append([1, "地区生产总值增长6%。", "区发展改革局", "区统计局"])
    sheet[cell] = "误操作"
    path = folder / f"分工表_{cell}.xlsx"
    book.save(path)
    return path


def _ods_far_row(folder: Path) -> Path:
    """An .ods whose one more value sits below a million empty rows (repeated rows cost the file nothing)."""
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="{office}" xmlns:table="{table}" '
        f'xmlns:text="{text}" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="分工">'
        f'<table:table-row><table:table-cell office:value-type="string"><text:p>{TASK}</text:p></table:table-cell></table:table-row>'
        '<table:table-row table:number-rows-repeated="1048000"><table:table-cell/></table:table-row>'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>误操作</text:p></table:table-cell></table:table-row>'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    path = folder / "分工表.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest='
                         '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>', zipfile.ZIP_DEFLATED)
    return path


def _docx_with(folder: Path, name: str, change) -> Path:
    base = folder / "base.docx"
    document = docx.Document()
    document.add_paragraph(TASK)
    document.save(base)
    path = folder / name
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            data = source.read(info)
            copy.writestr(info.filename, change(data) if info.filename == "word/document.xml" else data)
    return path


def _docx_bomb(folder: Path) -> Path:
    """400 MB of one letter in a paragraph: a 400 KB file."""
    return _docx_with(folder, "炸弹.docx", lambda xml: xml.replace(
        b"</w:body>", b"<w:p><w:r><w:t>" + b"x" * (400 << 20) + b"</w:t></w:r></w:p></w:body>"))


def _docx_laughs(folder: Path) -> Path:
    """Entities that expand ten times at each of eight levels (libxml2 refuses to amplify them)."""
    entities = '<!ENTITY a "一二三四五六七八九十">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))

    def change(xml: bytes) -> bytes:
        head, rest = xml.decode().split("?>", 1)
        return (head + "?><!DOCTYPE w:document [" + entities + "]>"
                + rest.replace("</w:body>", "<w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body>")).encode()

    return _docx_with(folder, "实体.docx", change)


def _huge_text(folder: Path) -> Path:
    path = folder / "分工.txt"
    with path.open("wb") as handle:
        handle.write(TASK.encode())
        handle.truncate(60 << 20)  # 60 MB, sparse: nothing is written to disk
    return path


def _deep_page(folder: Path) -> Path:
    path = folder / "分工.html"
    path.write_text("<html><body>" + "<div>" * 20000 + TASK + "</div>" * 20000 + "</body></html>", encoding="utf-8")
    return path


def _garbage_pdf(folder: Path) -> Path:
    path = folder / "分工.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" + bytes(range(256)) * 64)
    return path


CASES = [
    pytest.param(lambda f: _far_cell(f, "XFD1048576"), ["工作表「Sheet」在 XFD1048576 有内容", "超出读取上限"], id="xlsx-far-cell"),
    pytest.param(lambda f: _far_cell(f, "EZ2"), ["EZ2 有内容"], id="xlsx-far-column"),
    pytest.param(_ods_far_row, ["工作表「分工」", "超出读取上限"], id="ods-far-row"),
    pytest.param(_docx_bomb, ["炸弹.docx 无法安全读取", "压缩炸弹"], id="docx-zip-bomb"),
    pytest.param(_docx_laughs, ["实体.docx 不是有效的 Word 文件"], id="docx-entities"),
    pytest.param(_huge_text, ["分工.txt 有 60 MB", "上限 50 MB"], id="text-too-large"),
    pytest.param(_deep_page, ["分工.html 的网页结构异常", "嵌套超过 256 层"], id="html-nested-deep"),
    pytest.param(_garbage_pdf, ["分工.pdf 无法读取"], id="pdf-garbage"),
]


@pytest.mark.parametrize("make, words", CASES)
def test_a_hostile_duty_document_is_refused_in_one_chinese_line(workspace, tmp_path, make, words):
    path = make(tmp_path)
    done = subprocess.run([sys.executable, "-m", "pyxl.cli", "--config", str(workspace / "config.yaml"), "parse", str(path)],
                          capture_output=True, text=True, timeout=120)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert len(lines) == 1 and "程序内部错误" not in lines[0] and "Traceback" not in done.stderr, done.stderr
    assert all(word in lines[0] for word in words), lines[0]
