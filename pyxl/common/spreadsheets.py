"""Reading untrusted spreadsheet files into plain rows.

Every spreadsheet someone gives us — a unit's return, the office's duty table —
may be .xlsx, .xlsm, .xls, .ods or a WPS .et (an xls or xlsx inside): we
recognise it by its first bytes, never by its extension, check a zip-based
file's declared sizes before decompressing anything (zip bombs) and how far
its cells reach (`screen`), and only then read cached cell values: an .xlsx's
from the screen's own pass over its XML (`pyxl.common.xlsx_values`, the same
values python-calamine gives), an .xls's or .ods's — and an .xlsx of a shape
that pass leaves to it — with python-calamine. Macros are never run: nothing
here evaluates anything, it only reads what the file stores.

Every way a file can be unreadable is a `Unreadable` value with a stable code
(the caller turns it into a Problem), never an exception.
"""

from __future__ import annotations

import functools
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from operator import itemgetter

import python_calamine
from xlsxwriter.utility import xl_col_to_name

# Limits for one workbook. A 60-row unit sheet is about 20 KB zipped and
# 150 KB unzipped; these leave a thousand times that room.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ENTRY_RATIO = 200  # uncompressed / compressed, for entries above 1 MB
MAX_ENTRIES = 2000
# What one sheet may hold. A unit's sheet has a few dozen rows and 15
# columns, a province's duty table a thousand tasks; calamine builds the grid
# from A1 to the last cell with content, so these bound the memory a file can
# ask for (a far cell at XFD1048576 would ask for 17 billion cells).
MAX_ROWS = 5000
MAX_COLUMNS = 100
MAX_SHEETS = 50
MAX_CELL_TEXT = 32767  # Excel's own limit for one cell

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Unreadable:
    """Why a file could not be read: a problem code and a Chinese reason."""

    code: str
    reason: str
    sheet: str | None = None
    cell: str | None = None


@dataclass
class Sheet:
    """One sheet as plain rows anchored at A1 (row 1 is rows[0])."""

    name: str
    visible: bool
    rows: list[list[object]]
    # A1 cell → formula text, for cells that hold a formula but no cached value.
    uncached_formulas: dict[str, str] = field(default_factory=dict)
    # Number cells shown as a percentage: Excel and WPS store "60%" typed by a clerk as 0.6.
    percent_cells: set[str] = field(default_factory=set)

    def value(self, row: int, column: int) -> object:
        """Value at 1-based (row, column); '' outside the used area."""
        if 0 < row <= len(self.rows):
            cells = self.rows[row - 1]
            if 0 < column <= len(cells):
                return cells[column - 1]
        return ""


@dataclass
class Book:
    """A readable workbook: its kind by content and its worksheets in file order."""

    kind: str  # xlsx, ods, xls
    sheets: list[Sheet]

    def sheet(self, name: str) -> Sheet | None:
        """The sheet called `name` exactly, or None."""
        return next((s for s in self.sheets if s.name == name), None)


def sniff(data: bytes, archive: zipfile.ZipFile | None = None) -> str:
    """What a file is by content: xlsx, ods, xls, encrypted, pdf, zip, empty or unknown."""
    if not data:
        return "empty"
    if data.startswith(_OLE_MAGIC):
        # An Office password turns an .xlsx into an OLE container holding an
        # EncryptedPackage stream; directory names are UTF-16LE.
        if "EncryptedPackage".encode("utf-16-le") in data[:1 << 20] or "EncryptedPackage".encode("utf-16-le") in data[-(1 << 16):]:
            return "encrypted"
        return "xls"
    if data.startswith(_ZIP_MAGIC):
        head = data[:2048]
        if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head:
            return "ods"
        try:
            names = (archive or _open_zip(data)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            return "corrupt"
        if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            return "xlsx"
        if "content.xml" in names and "mimetype" in names:
            return "ods"
        return "zip"
    if data.startswith(b"%PDF"):
        return "pdf"
    return "unknown"


_LAST_ZIP: list = []  # [(data, its ZipFile)]: the file sniffed when collected is the one read next


def _open_zip(data: bytes) -> zipfile.ZipFile:
    """The zip directory of `data`, read once for the same bytes object (kept alive here, so `is` is safe)."""
    if _LAST_ZIP and _LAST_ZIP[0][0] is data:
        return _LAST_ZIP[0][1]
    archive = zipfile.ZipFile(io.BytesIO(data))
    _LAST_ZIP[:] = [(data, archive)]
    return archive


def check_zip(data: bytes, *, max_unpacked: int = MAX_UNPACKED_BYTES, max_entries: int = MAX_ENTRIES,
              archive: zipfile.ZipFile | None = None) -> Unreadable | None:
    """Refuse a zip whose declared sizes say it would unpack to something huge."""
    try:
        infos = (archive or zipfile.ZipFile(io.BytesIO(data))).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        return Unreadable("file-corrupt", f"压缩结构已损坏（{error}）")
    if len(infos) > max_entries:
        return Unreadable("file-too-large", f"内含 {len(infos)} 个部件，超过上限 {max_entries}")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > (1 << 20) and info.file_size > MAX_ENTRY_RATIO * max(info.compress_size, 1):
            return Unreadable(
                "file-too-large", f"部件 {info.filename} 压缩比异常（{info.compress_size} 字节解压后 {info.file_size} 字节），疑似压缩炸弹"
            )
    if total > max_unpacked:
        return Unreadable("file-too-large", f"解压后共 {total // (1 << 20)} MB，超过上限 {max_unpacked // (1 << 20)} MB")
    return None


@dataclass
class Screened:
    """A spreadsheet file that passed `screen`: what it is, and what its worksheets' XML says (an .xlsx's)."""

    kind: str  # xlsx, ods, xls
    scans: dict = field(default_factory=dict)  # sheet name → sheet_xml.SheetScan
    xlsx: object = None  # an .xlsx's sheet_xml.XlsxScan: its worksheets and their values


def screen(data: bytes) -> Screened | Unreadable:
    """Everything checked before a spreadsheet reader is let at `data`: its kind by content, sizes, zip, extent.

    python-calamine builds each sheet's whole grid from A1 to its farthest
    cell, and a zip declares sizes it may not keep: whatever reads a file
    someone gave us with calamine screens it here first.
    """
    if len(data) > MAX_FILE_BYTES:
        return Unreadable("file-too-large", f"文件 {len(data) // (1 << 20)} MB，超过上限 {MAX_FILE_BYTES // (1 << 20)} MB")
    archive = None
    if data.startswith(_ZIP_MAGIC):
        try:  # opened once, for the type, the size checks and the formula scan
            archive = _open_zip(data)
        except (zipfile.BadZipFile, ValueError, OSError):
            return Unreadable("file-corrupt", "文件已损坏（压缩结构无法打开）")
    kind = sniff(data, archive)
    if kind == "empty":
        return Unreadable("file-not-spreadsheet", "文件是空的（0 字节）")
    if kind == "encrypted":
        return Unreadable("file-encrypted", "工作簿设置了打开密码，无法读取")
    if kind == "pdf":
        return Unreadable("file-not-spreadsheet", "文件内容是 PDF，不是电子表格")
    if kind in ("unknown", "zip"):
        return Unreadable("file-not-spreadsheet", "文件内容不是 Excel/WPS/ODS 电子表格")
    if kind in ("xlsx", "ods"):
        refused = check_zip(data, archive=archive)
        if refused is not None:
            return refused
    from pyxl.common import sheet_xml  # imported here: it builds on this module's limits and Unreadable

    scans: dict[str, sheet_xml.SheetScan] = {}
    scanned = None
    if kind == "xlsx":
        scanned = sheet_xml.scan_xlsx(archive)
        if isinstance(scanned, Unreadable):
            return scanned
        scans = scanned.sheets
    elif kind == "ods":
        refused = sheet_xml.scan_ods(archive)
        if refused is not None:
            return refused
    elif kind == "xls":
        refused = sheet_xml.scan_xls(data)
        if refused is not None:
            return refused
    return Screened(kind, scans, scanned)


def read_book(data: bytes) -> Book | Unreadable:
    """Read every sheet's cached values; an Unreadable says why not.

    An .xlsx is parsed once: the screen's pass over each worksheet keeps its
    values as python-calamine reads them (`pyxl.common.xlsx_values`). A file
    with a shape that pass leaves to calamine, and every .xls and .ods, is
    read by calamine (`read_book_calamine`); the two give the same Book.
    """
    screened = screen(data)
    if isinstance(screened, Unreadable):
        return screened
    if screened.xlsx is None or not screened.xlsx.decoded():
        return _book(screened, _calamine_sheets(data))
    sheets = [Sheet(name, visible, _grid(screened.scans[name])) for name, visible in screened.xlsx.worksheets]
    if screened.xlsx.texts_measured():  # no text to look at again: the scan refused any too long
        return _with_scans(Book(screened.kind, sheets), screened.scans)
    return _book(screened, sheets)


def read_book_calamine(data: bytes) -> Book | Unreadable:
    """`read_book` with python-calamine reading every value, also of an .xlsx (the reference read_book must equal)."""
    screened = screen(data)
    if isinstance(screened, Unreadable):
        return screened
    return _book(screened, _calamine_sheets(data))


def _book(screened: Screened, sheets: list[Sheet] | Unreadable) -> Book | Unreadable:
    """The Book of the sheets read, unless a cell is longer than a cell may hold (never cut silently)."""
    if isinstance(sheets, Unreadable):
        return sheets
    too_long = _long_text(sheets)
    if too_long is not None:
        return too_long
    return _with_scans(Book(screened.kind, sheets), screened.scans)


def _grid(scan) -> list[list[object]]:
    """A sheet's rows from A1 to its farthest kept cell, as python-calamine's to_python(skip_empty_area=False)."""
    if not scan.values:
        return []
    # the farthest row and column by max() over the (row, column) keys, compared in C, not by a generator each
    height, width = max(scan.values)[0], max(scan.values, key=itemgetter(1))[1]
    rows = [[""] * width for _ in range(height)]
    for (row, column), value in scan.values.items():
        rows[row - 1][column - 1] = value
    return rows


def _calamine_sheets(data: bytes) -> list[Sheet] | Unreadable:
    """Every worksheet's cached values as python-calamine reads them, in file order."""
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in workbook.sheets_metadata:
            if str(meta.typ) != "SheetTypeEnum.WorkSheet":
                continue
            found = workbook.get_sheet_by_name(meta.name)
            if found.height > MAX_ROWS or found.width > MAX_COLUMNS:  # a format the scans do not cover
                return _too_far(meta.name, found.height, found.width)
            raw = found.to_python(skip_empty_area=False)
            sheets.append(Sheet(meta.name, str(meta.visible) == "SheetVisibleEnum.Visible", raw))
    except python_calamine.PasswordError:
        return Unreadable("file-encrypted", "工作簿设置了密码，无法读取")
    except Exception as error:  # calamine raises several types for broken files; all mean the same to a clerk
        if "password" in str(error).lower() or "encrypt" in str(error).lower():
            return Unreadable("file-encrypted", "工作簿设置了密码，无法读取")
        return Unreadable("file-corrupt", f"文件已损坏，无法读取（{type(error).__name__}）")
    return sheets


def _with_scans(book: Book, scans: dict) -> Book:
    """What only the XML says, on each visible sheet: formulas without a cached value, percentage cells."""
    for sheet in book.sheets:
        scan = scans.get(sheet.name)
        if scan is not None and sheet.visible:
            sheet.uncached_formulas, sheet.percent_cells = scan.uncached_formulas, scan.percent_cells
    return book


def _too_far(sheet: str, row: int, column: int) -> Unreadable:
    place = cell_name(min(max(row, 1), 1048576), min(max(column, 1), 16384))
    return Unreadable(
        "sheet-too-large",
        f"工作表「{sheet}」的 {place} 有内容，超出读取上限"
        f"（{MAX_ROWS} 行、{MAX_COLUMNS} 列；填报表只有几十行）——多半是误操作留在远处的内容或异常文件，已整份搁置",
        sheet=sheet, cell=place,
    )


def _cell_too_long(sheet: str, place: str, length: int | None = None) -> Unreadable:
    return Unreadable(
        "cell-too-long",
        f"单元格有{f' {length} 个' if length else '超过上限的'}字符，超过上限 {MAX_CELL_TEXT}（Excel 单元格最多容纳的字数），"
        "读表程序会悄悄截断，故整份搁置",
        sheet=sheet, cell=place,
    )


def _long_text(sheets: list[Sheet]) -> Unreadable | None:
    """A cell longer than Excel's own limit: never cut silently, the file is set aside."""
    for sheet in sheets:
        for r, row in enumerate(sheet.rows, start=1):
            if max(map(len, [v for v in row if isinstance(v, str)]), default=0) <= MAX_CELL_TEXT:
                continue  # the common row, looked at once
            for c, value in enumerate(row, start=1):
                if isinstance(value, str) and len(value) > MAX_CELL_TEXT:
                    return _cell_too_long(sheet.name, cell_name(r, c), len(value))
    return None


# ---------------------------------------------------------------- cells


@functools.lru_cache(maxsize=1 << 16)  # a return names the same cells as the last: its 序号 and input cells
def cell_name(row: int, column: int) -> str:
    """A1 name of a cell, both 1-based: (7, 28) → AB7."""
    return f"{column_letters(column)}{row}"


def column_letters(column: int) -> str:
    """The letters of a 1-based column: 28 → AB."""
    return xl_col_to_name(column - 1)


def is_blank(value: object) -> bool:
    """An empty cell, or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value: object) -> str:
    """A cell as the text a person reads (dates as ISO, 3400.0 as 3400)."""
    if value.__class__ is str:  # most cells: asked first (a str is none of the kinds below)
        return value.strip()
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return ""
    return str(value).strip()
