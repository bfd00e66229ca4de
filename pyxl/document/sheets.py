"""The 分工表 as a spreadsheet: .xlsx/.xlsm, .xls, .et (WPS 表格) and .ods, read with calamine.

Offices often keep the duty table as a sheet: a title row merged across the
table, a header (序号 | 目标与任务 | 分管县领导 | 牵头责任单位 | 责任单位 …),
section rows merged across the table, and a unit cell merged down over the
tasks it leads. Each row becomes a Line with one cell per column; a section
row is marked merged; a cell merged down is read in every row it covers; rows
above the header are plain text (the title). Every visible sheet with a task
header is read, in order; without one, the first sheet with content.

python-calamine reads all four formats (a WPS .et is the Excel 97 format
under another name); a file it cannot open is converted through LibreOffice.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time
from pathlib import Path

from python_calamine import CalamineWorkbook

from pyxl.common.errors import PyxlError
from pyxl.common.spreadsheets import MAX_COLUMNS, MAX_ROWS, Unreadable, screen
from pyxl.document.labels import column_map
from pyxl.document.read import Line, table_line

_HEADER_SEARCH_ROWS = 30


def cell_text(value: object) -> str:
    """A cell as the clerk sees it: 1 not 1.0, a date as 2025年6月30日."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    if isinstance(value, datetime) and value.time() == time(0):
        value = value.date()
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value).strip()


def _open(path: Path, shown: Path):
    """The workbook at `path` (`shown` is the file the clerk chose), screened first; None when calamine cannot open it."""
    data = path.read_bytes()
    screened = screen(data)
    if isinstance(screened, Unreadable) and screened.code not in ("file-corrupt", "file-not-spreadsheet"):
        raise PyxlError(_refusal(shown, screened))  # broken or not a spreadsheet: said below, or converted first
    if isinstance(screened, Unreadable):
        return None
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:  # calamine's errors are English and of many kinds: the file is unreadable to it
        return None


def _refusal(path: Path, refused: Unreadable) -> str:
    if refused.code == "sheet-too-large" and refused.cell:
        return (f"{path.name} 的工作表「{refused.sheet}」在 {refused.cell} 有内容，超出读取上限（{MAX_ROWS} 行、{MAX_COLUMNS} 列）："
                "多半是误操作留在远处的内容。请在 Excel 或 WPS 中删除它（或把责任分工表复制到新工作簿）后另存，再重试。")
    if refused.code == "file-encrypted":
        return f"{path.name} 设置了打开密码，无法读取：请在 Excel 或 WPS 中取消密码后另存，再重试。"
    return f"{path.name} 无法安全读取：{refused.reason}。请在 Excel 或 WPS 中打开并另存为 .xlsx 后重试。"


def sheet_lines(path: Path) -> list[Line]:
    """Lines of the duty table's sheet(s) (see the module's docstring).

    Screened first as every spreadsheet someone gives us (`pyxl.common.spreadsheets.screen`):
    a cell far away or a zip bomb is refused in one line instead of exhausting memory.
    """
    path = Path(path)
    book = _open(path, path)
    if book is None and path.suffix.lower() in (".et", ".xls", ".ods"):
        from pyxl.document.office import converted

        with converted(path, "xlsx") as copy:
            book = _open(copy, path)
            if book is not None:
                return _book_lines(book)
    if book is None:
        raise PyxlError(
            f"{path.name} 不是有效的表格文件（可能已损坏，或是改了扩展名的其他文件）：请在 Excel 或 WPS 中打开并另存为 .xlsx 后重试。"
        )
    return _book_lines(book, path if path.suffix.lower() == ".ods" else None)


_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def _ods_merged_ranges(path: Path) -> dict[str, list[tuple[tuple[int, int], tuple[int, int]]]]:
    """Merged cells of each sheet of an .ods (calamine reports them only for Excel files).

    An .ods marks a merged cell with table:number-rows-spanned / number-columns-spanned;
    rows and cells may stand for several (number-rows-repeated / number-columns-repeated).
    """
    import zipfile
    from xml.etree import ElementTree

    def attribute(element, name: str, default: int = 1) -> int:
        try:
            return int(element.get(f"{{{_TABLE}}}{name}", default))
        except ValueError:
            return default

    ranges: dict[str, list] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            root = ElementTree.fromstring(archive.read("content.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return ranges
    for table in root.iter(f"{{{_TABLE}}}table"):
        found = ranges.setdefault(table.get(f"{{{_TABLE}}}name", ""), [])
        r = 0
        for row in table.iter(f"{{{_TABLE}}}table-row"):
            repeat = min(attribute(row, "number-rows-repeated"), 10_000)
            c = 0
            for cell in row:
                if cell.tag not in (f"{{{_TABLE}}}table-cell", f"{{{_TABLE}}}covered-table-cell"):
                    continue
                rows_spanned = attribute(cell, "number-rows-spanned")
                columns_spanned = attribute(cell, "number-columns-spanned")
                if rows_spanned > 1 or columns_spanned > 1:
                    found.append(((r, c), (r + rows_spanned - 1, c + columns_spanned - 1)))
                c += min(attribute(cell, "number-columns-repeated"), 16_384)
            r += repeat
    return ranges


def _book_lines(book, ods: Path | None = None) -> list[Line]:
    tables: list[list[Line]] = []
    first_with_content: list[Line] | None = None
    ods_ranges = _ods_merged_ranges(ods) if ods is not None else {}
    for meta in book.sheets_metadata:
        if "Visible" not in str(meta.visible) or "WorkSheet" not in str(meta.typ):
            continue
        sheet = book.get_sheet_by_name(meta.name)
        ranges = getattr(sheet, "merged_cell_ranges", None) or ods_ranges.get(meta.name, [])
        lines, has_header = _sheet_lines(sheet.to_python(skip_empty_area=False), ranges)
        if has_header:
            tables.append(lines)
        elif first_with_content is None and any(line.text for line in lines):
            first_with_content = lines
    if tables:
        return [line for lines in tables for line in lines]
    return first_with_content or []


def _sheet_lines(rows: list[list], ranges) -> tuple[list[Line], bool]:
    texts = [[cell_text(v) for v in row] for row in rows]
    width = max((len(row) for row in texts), default=0)
    for row in texts:
        row.extend([""] * (width - len(row)))
    covered: dict[tuple[int, int], bool] = {}  # (row, col) → covered from the left (True) or from above (False)
    full_rows: set[int] = set()
    for (r0, c0), (r1, c1) in ranges:
        across = c0 == 0 and c1 >= width - 1
        if across:
            full_rows.add(r0)
        for r in range(r0, min(r1, len(texts) - 1) + 1):
            for c in range(c0, min(c1, width - 1) + 1):
                if (r, c) == (r0, c0):
                    continue
                if across or c != c0:
                    covered[(r, c)] = True  # covered from the left: the value is the first column's
                else:
                    covered[(r, c)] = False
                    texts[r][c] = texts[r0][c0]  # a unit merged down over the tasks it leads
        # the rows below a section row merged over several rows carry nothing of their own
        if across:
            for r in range(r0 + 1, min(r1, len(texts) - 1) + 1):
                texts[r] = [""] * width
    header = next((r for r in range(min(len(texts), _HEADER_SEARCH_ROWS)) if column_map(texts[r])), None)
    lines: list[Line] = []
    for r, cells in enumerate(texts):
        if not any(cells):
            continue
        distinct = [c for c in dict.fromkeys(cells) if c]
        if header is not None and r < header and len(distinct) == 1:
            lines.append(Line(r + 1, distinct[0]))  # the title and notes above the table
            continue
        spans = [covered.get((r, c)) is True for c in range(width)]
        if r in full_rows:
            spans = [False] + [True] * (width - 1)
        lines.append(table_line(r + 1, cells, spans))
    return lines, header is not None
