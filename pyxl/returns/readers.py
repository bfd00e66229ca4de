"""Reading untrusted spreadsheet files into plain rows.

A returned file may be .xlsx, .xlsm, .xls, .ods or a WPS .et (an xls or xlsx
inside): we recognise it by its first bytes, never by its extension, check a
zip-based file's declared sizes before decompressing anything (zip bombs), and
read cached cell values with python-calamine. Macros are never run: nothing
here evaluates anything, it only reads what the file stores.

Every way a file can be unreadable is a `Unreadable` value with a stable code
(the caller turns it into a Problem), never an exception.
"""

from __future__ import annotations

import functools
import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

import python_calamine
from openpyxl.utils.cell import get_column_letter

# Limits for one workbook. A 60-row unit sheet is about 20 KB zipped and
# 150 KB unzipped; these leave a thousand times that room.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ENTRY_RATIO = 200  # uncompressed / compressed, for entries above 1 MB
MAX_ENTRIES = 2000

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Unreadable:
    """Why a file could not be read: a problem code and a Chinese reason."""

    code: str
    reason: str


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
            names = (archive or zipfile.ZipFile(io.BytesIO(data))).namelist()
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


def read_book(data: bytes) -> Book | Unreadable:
    """Read every sheet's cached values; an Unreadable says why not."""
    if len(data) > MAX_FILE_BYTES:
        return Unreadable("file-too-large", f"文件 {len(data) // (1 << 20)} MB，超过上限 {MAX_FILE_BYTES // (1 << 20)} MB")
    archive = None
    if data.startswith(_ZIP_MAGIC):
        try:  # opened once, for the type, the size checks and the formula scan
            archive = zipfile.ZipFile(io.BytesIO(data))
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
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in workbook.sheets_metadata:
            if str(meta.typ) != "SheetTypeEnum.WorkSheet":
                continue
            raw = workbook.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            sheets.append(Sheet(meta.name, str(meta.visible) == "SheetVisibleEnum.Visible", raw))
    except python_calamine.PasswordError:
        return Unreadable("file-encrypted", "工作簿设置了密码，无法读取")
    except Exception as error:  # calamine raises several types for broken files; all mean the same to a clerk
        if "password" in str(error).lower() or "encrypt" in str(error).lower():
            return Unreadable("file-encrypted", "工作簿设置了密码，无法读取")
        return Unreadable("file-corrupt", f"文件已损坏，无法读取（{type(error).__name__}）")
    if kind == "xlsx":
        _scan_sheet_xml(archive, sheets)
    return Book(kind, sheets)


# ---------------------------------------------------------------- what only the sheet XML knows

_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_STYLE = re.compile(rb'\bs="([0-9]+)"')
_TYPE = re.compile(rb'\bt="([a-z]+)"')
_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>(.*?)</f>)", re.S)
_VALUE = re.compile(rb"<v>[^<]+</v>|<is>")  # openpyxl writes an empty <v/> for an uncalculated formula
_SHEET_TARGET = re.compile(rb'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"|<Relationship\b[^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')
_NUM_FMT = re.compile(rb'<numFmt\b[^>]*?numFmtId="([0-9]+)"[^>]*?formatCode="([^"]*)"')
_CELL_XFS = re.compile(rb"<cellXfs\b[^>]*>(.*?)</cellXfs>", re.S)
_XF = re.compile(rb"<xf\b([^>]*?)(?:/>|>)")
_XF_NUM_FMT = re.compile(rb'\bnumFmtId="([0-9]+)"')
_PERCENT_BUILTIN = {9, 10}  # 0% and 0.00%
# A formula element: <f>, <f t="shared" …/>; not the <formula1> of every data validation
_HAS_FORMULA = re.compile(rb"<f[\s>/]")


def _percent_styles(archive: zipfile.ZipFile) -> frozenset[bytes]:
    """Cell style indices (the s="…" of a cell) whose number format shows a percentage."""
    try:
        styles = archive.read("xl/styles.xml")
    except KeyError:
        return frozenset()
    return _percent_styles_of(styles)


@functools.lru_cache(maxsize=16)  # returns saved by one program from one template share their styles.xml
def _percent_styles_of(styles: bytes) -> frozenset[bytes]:
    percent_ids = set(_PERCENT_BUILTIN)
    for match in _NUM_FMT.finditer(styles):
        code = re.sub(r'"[^"]*"|\\.', "", html.unescape(match.group(2).decode("utf-8", "replace")))
        if "%" in code:
            percent_ids.add(int(match.group(1)))
    xfs = _CELL_XFS.search(styles)
    if xfs is None:
        return frozenset()
    found = set()
    for index, xf in enumerate(_XF.finditer(xfs.group(1))):
        number_format = _XF_NUM_FMT.search(xf.group(1))
        if number_format and int(number_format.group(1)) in percent_ids:
            found.add(str(index).encode())
    return frozenset(found)


def _scan_sheet_xml(archive: zipfile.ZipFile, sheets: list[Sheet]) -> None:
    """Find formula cells without a cached value, and number cells shown as a percentage.

    python-calamine reads an uncalculated formula as empty and "60%" as 0.6,
    while a clerk sees a number and 60%. Only the sheet XML knows, so look
    there, and only when the file has formulas or percentage formats at all
    (the sheets we send have neither).
    """
    try:
        workbook_xml = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return
    percent_styles = _percent_styles(archive)
    targets = {}
    for match in _REL.finditer(rels):
        rid, target = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        targets[rid.decode()] = target.decode()
    by_name = {s.name: s for s in sheets}
    for match in _SHEET_TARGET.finditer(workbook_xml):
        name = html.unescape(match.group(1).decode("utf-8"))
        target = targets.get(match.group(2).decode())
        if name not in by_name or target is None or not by_name[name].visible:
            continue
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        try:
            xml = archive.read(path)
        except KeyError:
            continue
        if not percent_styles and not _HAS_FORMULA.search(xml):
            continue
        sheet = by_name[name]
        for cell in _CELL.finditer(xml):
            attributes, body = cell.group(1), cell.group(2) or b""
            ref = _REF.search(attributes)
            if ref is None:
                continue
            formula = _FORMULA.search(body) if b"<f" in body else None
            if formula is not None and not _VALUE.search(body):
                text = html.unescape((formula.group(1) or b"").decode("utf-8"))
                sheet.uncached_formulas[ref.group(1).decode()] = "=" + text
                continue
            style = _STYLE.search(attributes) if percent_styles else None
            kind = _TYPE.search(attributes)
            if style is not None and style.group(1) in percent_styles and (kind is None or kind.group(1) == b"n"):
                sheet.percent_cells.add(ref.group(1).decode())


# ---------------------------------------------------------------- cells


def cell_name(row: int, column: int) -> str:
    """A1 name of a cell, both 1-based: (7, 28) → AB7."""
    return f"{get_column_letter(column)}{row}"


def is_blank(value: object) -> bool:
    """An empty cell, or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value: object) -> str:
    """A cell as the text a person reads (dates as ISO, 3400.0 as 3400)."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return ""
    return str(value).strip()
