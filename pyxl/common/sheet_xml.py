"""What a spreadsheet's XML says, read before anything else reads the file.

Every spreadsheet someone gives us goes through here first: a unit's return,
the office's duty table, and (only the extent each sheet declares) the
master workbook. The XML of a file is read once (linear in the input, no regular
expression over raw XML, no DTD or entity allowed), within one byte budget for
the whole file. The same pass finds where the last cell with content is, so
nothing builds a grid from A1 to a cell far away (python-calamine would), and
what calamine cannot tell: formulas without a cached value, and number cells
shown as a percentage. For an .xlsx it also keeps every cell's value as
python-calamine reads it (`pyxl.common.xlsx_values`), so a return is parsed
once; a file with a shape that module leaves to calamine is read by calamine
(`pyxl.common.spreadsheets.read_book`).

The small parts (workbook, relationships, styles, an .ods's content) go
through expat with Python handlers; the worksheets, most of a return's XML,
through libxml2, which hands over only cells, and so do the shared strings as
Excel, WPS and LibreOffice write them (any other shape through expat). A part
stored plainly is read whole in one inflate (`pyxl.common.zip_parts`), any
other streamed by zipfile. An .xls is checked through xlrd's sheet
dimensions. Every refusal is an `Unreadable`.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile
from dataclasses import dataclass, field
from xml.parsers import expat
from zlib import error as zlib_error

from lxml import etree

from pyxl.common import xlsx_values, zip_parts
from pyxl.common.spreadsheets import (
    MAX_CELL_TEXT,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_SHEETS,
    MAX_UNPACKED_BYTES,
    Unreadable,
    _cell_too_long,
    _too_far,
    cell_name,
)


class _Stop(Exception):
    """Raised inside an expat handler to end a scan early: `reason` says why."""

    def __init__(self, reason: Unreadable | None = None) -> None:
        super().__init__(reason.reason if reason else "")
        self.reason = reason


def _local(name: str) -> str:
    """An element or attribute name without its namespace (expat gives "uri local")."""
    return name.rsplit(" ", 1)[-1]


def _parse(archive: zipfile.ZipFile, path: str, start, end=None, text=None, budget: list[int] | None = None,
           data: bytes | None = None) -> Unreadable | None:
    """Stream one part of `archive` through expat with the given handlers; an Unreadable ends it.

    `data` is the part already read whole (`_SmallParts`): parsed as it is, within the same budget.
    """
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_args) -> None:
        raise _Stop(Unreadable("file-corrupt", f"部件 {path} 含有 DTD 或实体声明（正常的表格文件没有）"))

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    parser.buffer_text = True
    budget = budget if budget is not None else [MAX_UNPACKED_BYTES]
    try:
        if data is not None:
            _spend(budget, data)
            parser.Parse(data, True)
        else:
            with archive.open(path) as stream:
                while chunk := stream.read(1 << 16):
                    _spend(budget, chunk)
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
    except _Stop as stop:
        return stop.reason
    except KeyError:
        return None
    except expat.ExpatError as error:
        return Unreadable("file-corrupt", f"部件 {path} 不是完好的 XML（{expat.ErrorString(error.code)}）")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib_error) as error:
        return Unreadable("file-corrupt", f"部件 {path} 无法解压（{type(error).__name__}）")
    return None


_PERCENT_BUILTIN = {9, 10}  # 0% and 0.00%
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")  # on one attribute value only: bounded


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


_POSITIONS: dict[str, tuple[int, int] | None] = {}  # "H12" → (8, 12): the unit sheets' cell names recur in every return


def _cell_position(ref: str) -> tuple[int, int] | None:
    """(column, row) of an A1 cell reference as written in the file, None when it is not one."""
    if len(ref) > 10:  # XFD1048576 is the longest there is
        return None
    found = _POSITIONS.get(ref, False)
    if found is False:
        match = _CELL_REF.fullmatch(ref)
        found = (_column_number(match.group(1)), int(match.group(2))) if match is not None else None
        if len(_POSITIONS) < 65536:  # bounded: a hostile file's own names are parsed, not kept
            _POSITIONS[ref] = found
    return found


@dataclass
class SheetScan:
    """What one worksheet's XML says: its extent and the cells calamine cannot tell apart."""

    name: str
    last_row: int = 0
    last_column: int = 0
    uncached_formulas: dict[str, str] = field(default_factory=dict)
    percent_cells: set[str] = field(default_factory=set)
    # Every cell python-calamine keeps, (row, column) → its value as calamine gives it
    # (`pyxl.common.xlsx_values`); None once a cell or the sheet took a shape that module
    # leaves to calamine.
    values: dict[tuple[int, int], object] | None = field(default_factory=dict)
    cells: int = 0  # how many <c> elements the part holds, anywhere (what _scan_placed_cells went through)


@dataclass
class _Context:
    """What scanning a worksheet needs from the rest of the workbook."""

    percent_styles: frozenset[str]  # cell styles (s="…") that show a number as a percentage
    long_strings: set[str]  # shared-string indices (as written) too long for a cell
    book: xlsx_values.Workbook  # what decoding the cells' values needs


# ---------------------------------------------------------------- the worksheets: libxml2, cells only
#
# A worksheet is most of a return's XML (hundreds of elements per sheet), so
# it is not walked element by element in Python callbacks: libxml2 (lxml)
# parses it and the scan looks only at the <c> elements (and the <row>
# elements around them when a cell does not say where it is), in document
# order. The same rules as for the other parts: no DTD or entity (refused),
# within the byte budget. A part of up to _WHOLE_PART bytes (a unit sheet is
# 50–150 KB) is parsed whole; a larger one is streamed, and what has been
# looked at is cut from the tree after every chunk, so memory stays that of a
# chunk whatever the part's size.

_WHOLE_PART = 1 << 20
_XML_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                    remove_comments=True, remove_pis=True)
_CELL_TAGS = ("{*}row", "{*}c")
_PARSERS = threading.local()  # one parser per thread (lxml's rule): making one costs as much as a third of a sheet's parse


def _whole_part_parser() -> etree.XMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.XMLParser(**_XML_OPTIONS)
    return parser


def _scan_worksheet(archive: zipfile.ZipFile, path: str, name: str, context: _Context,
                    budget: list[int]) -> SheetScan | Unreadable:
    scan = SheetScan(name)
    try:
        whole = zip_parts.read_part(archive, path, _WHOLE_PART)
        if whole is not None:
            _spend(budget, whole)
            scan, refused = _scan_whole_part(whole, path, name, scan, context)
        else:
            with archive.open(path) as stream:
                head = stream.read(_WHOLE_PART + 1)
                _spend(budget, head)
                if len(head) <= _WHOLE_PART:
                    scan, refused = _scan_whole_part(head, path, name, scan, context)
                else:  # a part this large is no unit's sheet: calamine reads its values
                    scan.values = None
                    refused = _scan_cells(_streamed(stream, head, path, name, budget), scan, context)
    except _Stop as stop:
        return stop.reason
    except KeyError:  # no such part: nothing to scan (and calamine says what it makes of that)
        scan.values = None
        return scan
    except etree.XMLSyntaxError as error:
        return Unreadable("file-corrupt", f"部件 {path} 不是完好的 XML（{error.msg}）")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib_error) as error:
        return Unreadable("file-corrupt", f"部件 {path} 无法解压（{type(error).__name__}）")
    return refused if refused else scan


def _scan_whole_part(data: bytes, path: str, name: str, scan: SheetScan,
                     context: _Context) -> tuple[SheetScan, Unreadable | bool | None]:
    """(the scan, what refused it) of a worksheet part read whole."""
    root = etree.fromstring(data, _whole_part_parser())
    _refuse_doctype(root, path)
    refused = _scan_placed_cells(root, scan, context)
    if scan.values is not None and not _plain_worksheet(root, data, scan.cells):
        scan.values = None
    if refused is False:  # a cell that does not say where it is: count rows and cells as Excel does
        scan = SheetScan(name, values=None)
        refused = _scan_cells(root.iter(_CELL_TAGS), scan, context)
    return scan, refused


_DIMENSION = re.compile(r"[A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?")  # as calamine reads it


def _plain_worksheet(root, head: bytes, cells: int) -> bool:
    """Whether a worksheet is laid out as spreadsheet programs write it, so its values can be decoded here.

    UTF-8, one <sheetData> whose <row> elements hold every one of the part's
    `cells` <c> elements, and a well-formed <dimension> if any: calamine reads
    the others its own way (or refuses them), so it is left to read them.
    """
    declaration = head[:256].split(b"?>", 1)[0] if head.startswith(b"<?xml") else b""
    if b"encoding" in declaration and _UTF8_DECLARED.search(declaration) is None:
        return False
    # the root's own children, by lxml in C (findall and find go through ElementPath in Python)
    if root.tag != _MAIN + "worksheet" or len(list(root.iterchildren(_MAIN + "sheetData"))) != 1:
        return False
    dimension = next(root.iterchildren(_MAIN + "dimension"), None)
    if dimension is not None and not _DIMENSION.fullmatch(dimension.get("ref", "")):
        return False
    return _PLACED_CELLS(root) == cells


_PLACED_CELLS = etree.XPath("count(m:sheetData/m:row/m:c)", namespaces=xlsx_values.NAMESPACES)


_UTF8_DECLARED = re.compile(rb"""encoding\s*=\s*["']utf-8["']""", re.IGNORECASE)


def _streamed(stream, head: bytes, path: str, name: str, budget: list[int]):
    """The <row> (as it opens) and complete <c> elements of a large part, in document order, chunk by chunk.

    What has been handed over is cut from the tree after each chunk, except
    inside a cell still open (its content is looked at when it closes): a
    cell seen open over more than _WHOLE_PART bytes holds more than any cell can
    (32,767 characters) and ends the scan.
    """
    parser = etree.XMLPullParser(events=("start", "end"), tag=_CELL_TAGS, **_XML_OPTIONS)
    root = None
    open_cell, open_since = None, 0
    fed = 0
    chunk = head
    while chunk:
        fed += len(chunk)
        parser.feed(chunk)
        events = list(parser.read_events())
        if events and root is None:  # the prolog is parsed before any element: a DTD is known now
            root = events[0][1].getroottree().getroot()
            _refuse_doctype(root, path)
        for event, element in events:
            if (event == "start") == (_local_name(element.tag) == "row"):
                yield element
        node = root  # cut away what was looked at: each open element keeps only its last child
        while node is not None and len(node):
            if len(node) > 1:
                del node[:-1]
            node = node[-1]
            if isinstance(node.tag, str) and _local_name(node.tag) == "c":
                if node is not open_cell:
                    open_cell, open_since = node, fed
                elif fed - open_since > _WHOLE_PART:
                    place = node.get("r", "")
                    raise _Stop(_cell_too_long(name, place if _cell_position(place) else ""))
                break
        chunk = stream.read(1 << 16)
        _spend(budget, chunk)
    found = parser.close()
    if root is None:
        _refuse_doctype(found, path)


def _spend(budget: list[int], chunk: bytes) -> None:
    budget[0] -= len(chunk)
    if budget[0] < 0:
        raise _Stop(Unreadable("file-too-large", f"解压后超过上限 {MAX_UNPACKED_BYTES // (1 << 20)} MB"))


def _refuse_doctype(root, path: str) -> None:
    if root is not None and root.getroottree().docinfo.doctype:
        raise _Stop(Unreadable("file-corrupt", f"部件 {path} 含有 DTD 或实体声明（正常的表格文件没有）"))


def _scan_placed_cells(root, scan: SheetScan, context: _Context) -> Unreadable | bool | None:
    """Every <c> placed by its own r="A1" (as every spreadsheet program writes them); False at the first that is not.

    Each <c> with children is refused (too far, too long), noted for what
    calamine cannot tell, and its value kept. Nearly every cell is a lone <v>
    or an inline string of one plain run (<is><t>…</t></is>): those are
    looked at directly, the string here in the loop (a province's month is
    90,000 of them), any other shape the general way (`_scan_any_cell`).
    """
    positions = _POSITIONS.get
    count = 0
    refused = None
    values = scan.values
    last_row = last_column = 0  # the extent the inline strings reach (the other cells' go through _reach)
    for element in root.iter("{*}c"):
        count += 1
        ref = element.get("r", "")
        found = positions(ref) or _cell_position(ref)
        if found is None or not found[1]:
            refused = False
            break
        size = len(element)
        if not size:  # no child: no content
            continue
        column, row = found
        first = element[0]
        tag = first.tag
        if size == 1 and tag == _IS and len(first) == 1 and element.get("t") == "inlineStr":
            run = first[0]
            if run.tag == _T and not len(run):  # what _scan_any_cell does with it, without walking it or calling out
                if row > MAX_ROWS or column > MAX_COLUMNS:
                    refused = _too_far(scan.name, row, column)
                    break
                last_row = row if row > last_row else last_row
                last_column = column if column > last_column else last_column
                text = run.text or ""
                if len(text) > MAX_CELL_TEXT:
                    refused = _cell_too_long(scan.name, _ref(row, column), len(text))
                    break
                if values is not None:
                    # xlsx_values.run_text, spelled out: most texts have no space at either end and no _xHHHH_
                    trimmed = text.strip(_XML_WHITESPACE)
                    if len(trimmed) != len(text) and run.get(xlsx_values.XML_SPACE) != "preserve":
                        text = trimmed
                    if "_x" in text:
                        text = xlsx_values.unescape(text)
                    values[(row, column)] = _TEXTS.get(text) or _seen_text(text)
                continue
        if size == 1 and tag == _V and not len(first):
            refused = _scan_value_cell(element, first.text or "", row, column, scan, context)
        else:
            refused = _scan_any_cell(element, row, column, scan, context)
        if refused is not None:
            break
        values = scan.values  # given up to calamine by a cell this module does not decode
    scan.last_row = max(scan.last_row, last_row)
    scan.last_column = max(scan.last_column, last_column)
    scan.cells = count
    return refused


# Each text the scan meets (an inline string, a shared string) as one string object: a task's text recurs
# in the returns of every unit it names, so the month's parsed returns (kept by pyxl.returns.parsed,
# pickled by object) hold it once. Looked up as `_TEXTS.get(text) or _seen_text(text)`, the call only
# for a text not met yet. Bounded, as _POSITIONS is: a hostile file's own texts fill it at most this far.
_TEXTS: dict[str, str] = {}
_TEXTS_KEPT = 1 << 13  # a province: about five texts a task, 1,000 tasks
_TEXT_KEPT_LONGEST = 1 << 10


def _seen_text(text: str) -> str:
    """`text`, kept as the string for its value from now on when there is room (`_TEXTS`)."""
    if len(_TEXTS) < _TEXTS_KEPT and len(text) <= _TEXT_KEPT_LONGEST:
        _TEXTS[text] = text
    return text


def _scan_cells(elements, scan: SheetScan, context: _Context) -> Unreadable | None:
    """The <row> and <c> elements in document order: a cell without r="A1" is the next in its row.

    Only for the rare part that needs it (a cell without r="A1", a part too
    large to parse whole), so every cell is looked at the general way.
    """
    row = column = 0
    for element in elements:
        if _local_name(element.tag) == "row":
            written = element.get("r", "")
            row = int(written) if written.isdigit() else row + 1
            column = 0
            continue
        found = _cell_position(element.get("r", ""))
        if found is not None:
            column, row = found[0], found[1] or row
        else:
            column += 1
        if len(element):
            refused = _scan_any_cell(element, row, column, scan, context)
            if refused is not None:
                return refused
    return None


def _scan_value_cell(element, text: str, row: int, column: int, scan: SheetScan, context: _Context) -> Unreadable | None:
    """A cell holding only a <v>: what _scan_any_cell does, without walking it."""
    refused = _reach(scan, row, column)
    if refused is not None:
        return refused
    if len(text) > MAX_CELL_TEXT:
        return _cell_too_long(scan.name, _ref(row, column), len(text))
    kind = element.get("t", "n")
    stripped = text.strip()
    if kind == "s" and stripped[:12] in context.long_strings:
        return _cell_too_long(scan.name, _ref(row, column))
    style = element.get("s")
    if stripped and kind == "n" and (style or "") in context.percent_styles:
        scan.percent_cells.add(_ref(row, column))
    if scan.values is not None:
        _keep_value(scan, row, column, xlsx_values.v_value, kind, text, style, context.book)
    return None


def _scan_any_cell(element, row: int, column: int, scan: SheetScan, context: _Context) -> Unreadable | None:
    if scan.values is not None:
        _keep_value(scan, row, column, xlsx_values.cell_value, element, context.book)
    content, value, formula, text_length, shared_index = _cell_content(element)
    if not content:
        return None
    refused = _reach(scan, row, column)
    if refused is not None:
        return refused
    if text_length > MAX_CELL_TEXT:
        return _cell_too_long(scan.name, _ref(row, column), text_length)
    kind = element.get("t", "n")
    if kind == "s" and shared_index in context.long_strings:
        return _cell_too_long(scan.name, _ref(row, column))
    if formula is not None and not value:
        scan.uncached_formulas[_ref(row, column)] = "=" + formula
    elif value and kind == "n" and element.get("s", "") in context.percent_styles:
        scan.percent_cells.add(_ref(row, column))
    return None


def _reach(scan: SheetScan, row: int, column: int) -> Unreadable | None:
    """A cell with content at (row, column): refused beyond the caps, else the sheet's extent grows to it."""
    if row > MAX_ROWS or column > MAX_COLUMNS:
        return _too_far(scan.name, row, column)
    if row > scan.last_row:
        scan.last_row = row
    if column > scan.last_column:
        scan.last_column = column
    return None


def _keep_value(scan: SheetScan, row: int, column: int, decode, *decoding) -> None:
    """Keep `decode(*decoding)`, the cell's value as calamine reads it, or give up the sheet's values to calamine."""
    try:
        value = decode(*decoding)
    except xlsx_values.Unsure:
        scan.values = None
        return
    if value is not xlsx_values.EMPTY:
        scan.values[(row, column)] = value


_LOCAL_NAMES: dict[str, str] = {}  # "{namespace}c" → "c": the same few names in every return


def _local_name(tag) -> str:
    found = _LOCAL_NAMES.get(tag)
    if found is None:
        found = tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""  # an entity reference has no name
        if len(_LOCAL_NAMES) < 256:  # a hostile file's endless names are stripped each time, not kept
            _LOCAL_NAMES[tag] = found
    return found


_MAIN = xlsx_values.MAIN
_V, _IS, _T, _SI = xlsx_values.V, xlsx_values.IS, xlsx_values.T, xlsx_values.SI
_XML_WHITESPACE = xlsx_values.XML_WHITESPACE


def _cell_content(cell) -> tuple[bool, bool, str | None, int, str]:
    """What a <c> holds: (content, value, formula, text length, shared-string index).

    Content is a <v>, <is> or <f> at any depth; a value is a <v> with more
    than spaces, or inline text; the text length counts everything but the
    formula. An inline string of one plain run takes the short way (a part
    scanned by `_scan_cells` sends every cell here).
    """
    if len(cell) == 1:
        child = cell[0]
        if child.tag == _IS and len(child) == 1 and child[0].tag == _T and not len(child[0]):
            return True, True, None, len(child[0].text or ""), ""
    content = value = False
    formula = None
    text_length = 0
    shared_index = ""
    for child in cell.iterdescendants():
        part = _local_name(child.tag)
        text = child.text
        if part == "f":
            content = True
            formula = "".join(child.itertext())[:8192]
            continue
        if part == "v":
            content = True
            if text and text.strip():
                value = True
                shared_index += text.strip()[:12]
        elif part == "is":
            content = value = True
        if text:
            text_length += len(text)
    return content, value, formula, text_length, shared_index[:12]


def _ref(row: int, column: int) -> str:
    """A1 name of a cell as the scan found it ('' past Excel's last column)."""
    return cell_name(max(row, 1), max(column, 1)) if column <= 16384 else ""


@dataclass(frozen=True)
class _Styles:
    """What styles.xml says about each cell style (the s="…" of a cell)."""

    percent: frozenset[str]  # styles whose number format shows a percentage
    formats: tuple[int, ...]  # each style's xlsx_values kind: OTHER, DATE or DURATION


class _SmallParts:
    """The small parts of a workbook met before, byte for byte, and what reading them gave.

    The returns of one month carry the same styles.xml (their template's) and
    the same relationships (their program's): those are not parsed again
    (workbook.xml names the unit's sheet, so it is parsed each time).
    A part is read whole first (at most its declared size, CRC checked, and
    never more than `largest` or the budget left), then looked up, else
    parsed from those bytes within the same budget and checks as any part; a
    part that cannot be read whole is streamed by the parse, which says what
    is wrong. Only what was read without refusal is kept, at most `keep`.
    """

    def __init__(self, keep: int = 16, largest: int = 1 << 20) -> None:
        self.keep = keep
        self.largest = largest
        self.found: dict[tuple[str, bytes], object] = {}

    def read(self, archive: zipfile.ZipFile, path: str, budget: list[int], parse):
        """What `parse(budget, data)` gives for the part `path` (data: its bytes, None when it could not be read whole)."""
        largest = min(self.largest, budget[0])
        data = zip_parts.read_part(archive, path, largest)
        if data is None:  # not stored plainly (or missing): through zipfile, as any part
            try:
                info = archive.getinfo(path)
                if info.file_size <= largest:
                    data = archive.read(info)
            except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib_error):
                data = None  # missing or damaged: the parse says what it makes of that, as for any part
        key = (path, data)
        if data is not None and key in self.found:
            budget[0] -= len(data)
            return self.found[key]
        result = parse(budget, data)
        if data is not None and not isinstance(result, Unreadable):
            if len(self.found) >= self.keep:
                self.found.clear()
            self.found[key] = result
        return result


_PARTS_READ = _SmallParts()


def _styles(archive: zipfile.ZipFile, budget: list[int]) -> _Styles | Unreadable:
    """The cell styles of styles.xml: which show a percentage, which a date or elapsed time."""
    return _PARTS_READ.read(archive, "xl/styles.xml", budget, lambda budget, data: _parse_styles(archive, budget, data))


def _parse_styles(archive: zipfile.ZipFile, budget: list[int], data: bytes | None = None) -> _Styles | Unreadable:
    percent_ids = set(_PERCENT_BUILTIN)
    codes: dict[str, str] = {}  # custom number format id (as written) → its code, as calamine keeps them
    xf_formats: list[str] = []  # each cell style's number format id, as written ("" for none)
    inside = {"cellXfs": False, "numFmts": False}

    def start(tag: str, attrs: dict[str, str]) -> None:
        tag = _local(tag)
        if tag == "numFmt":
            code = re.sub(r'"[^"]*"|\\.', "", attrs.get("formatCode", "")[:255])
            if "%" in code and attrs.get("numFmtId", "").isdigit():
                percent_ids.add(int(attrs["numFmtId"]))
            if inside["numFmts"] and attrs.get("formatCode"):
                codes[attrs.get("numFmtId", "")] = attrs["formatCode"]
        elif tag in inside:
            inside[tag] = True
        elif tag == "xf" and inside["cellXfs"]:
            xf_formats.append(attrs.get("numFmtId", ""))

    def end(tag: str) -> None:
        tag = _local(tag)
        if tag in inside:
            inside[tag] = False

    refused = _parse(archive, "xl/styles.xml", start, end, None, budget, data)
    if refused is not None:
        return refused
    percent = frozenset(str(index) for index, written in enumerate(xf_formats)
                        if (int(written) if written.isdigit() else 0) in percent_ids)
    formats = tuple(xlsx_values.format_kind(codes[written]) if written in codes else xlsx_values.builtin_kind(written)
                    for written in xf_formats)
    return _Styles(percent, formats)


def _shared_strings(archive: zipfile.ZipFile, budget: list[int]) -> tuple[set[str], list[str] | None] | Unreadable:
    """The shared strings as calamine reads them, and the indices (as written in a cell's <v>) of those
    longer than a cell may hold (counting every character, phonetic runs too).

    The strings are None when one of them takes a shape left to calamine (see xlsx_values).
    The part as Excel, WPS and LibreOffice write it (every element in the
    spreadsheet namespace, <si> after <si>) is parsed by libxml2, like the
    worksheets: it is half a saved return's XML, too much for a Python call
    per element; any other is streamed through expat, which says the same of
    the usual shape (it goes by local names: an element of another namespace
    would read there as its namesake).
    """
    head = zip_parts.read_part(archive, "xl/sharedStrings.xml", _WHOLE_PART)
    try:
        if head is None:
            with archive.open("xl/sharedStrings.xml") as stream:
                head = stream.read(_WHOLE_PART + 1)
    except KeyError:
        return set(), []
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib_error):
        head = b""  # the stream below says what is wrong
    if 0 < len(head) <= min(_WHOLE_PART, budget[0]):
        try:
            root = etree.fromstring(head, _whole_part_parser())
        except etree.XMLSyntaxError:
            root = None  # expat says what is wrong, as before
        if root is not None and not root.getroottree().docinfo.doctype and root.tag == _MAIN + "sst":
            found = _usual_shared_strings(root)
            if found is not None:
                budget[0] -= len(head)
                return found
    return _streamed_shared_strings(archive, budget)


# an element of another namespace, or none (two counts: a predicate on every element costs five times as much)
_FOREIGN = etree.XPath("count(//*) != count(//m:*)", namespaces=xlsx_values.NAMESPACES)
# every character of a string counts, as expat counts them: an element's XPath string-value is all the text inside it
_LONG_STRINGS = etree.XPath(f"m:si[string-length(.) > {MAX_CELL_TEXT}]", namespaces=xlsx_values.NAMESPACES)


def _usual_shared_strings(root) -> tuple[set[str], list[str] | None] | None:
    """(long indices, strings) of a parsed <sst> whose elements are all of its namespace and children all <si>, none inside another; else None."""
    items = root.findall(_SI)
    if len(items) != len(root) or len(root.findall(".//" + _SI)) != len(items) or _FOREIGN(root):
        return None
    long = {str(root.index(item)) for item in _LONG_STRINGS(root)}
    try:
        strings = xlsx_values.shared_strings(root)
    except xlsx_values.Unsure:
        return long, None
    return long, [_TEXTS.get(text) or _seen_text(text) for text in strings]  # as the inline texts: one object each


def _streamed_shared_strings(archive: zipfile.ZipFile, budget: list[int]) -> tuple[set[str], list[str] | None] | Unreadable:
    long: set[str] = set()
    strings: list[str] | None = []
    state = {"index": -1, "length": 0, "inside": 0, "phonetic": 0, "run": None, "preserve": False, "parts": []}

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal strings
        tag = _local(tag)
        if state["run"] is not None or (tag == "si" and state["inside"]) or (tag == "rPh" and state["phonetic"]):
            strings = None  # an element inside a <t>, an <si> or <rPh> inside another: not shapes decoded here
        if tag == "si":
            state["inside"] += 1
            state["index"] += 1
            state["length"] = 0
            state["parts"] = []
        elif tag == "rPh":
            state["phonetic"] += 1
        elif tag == "t" and not state["phonetic"]:
            state["run"] = []
            state["preserve"] = attrs.get(_XML_SPACE_EXPAT) == "preserve"

    def text(data: str) -> None:
        state["length"] += len(data)
        if state["run"] is not None:
            state["run"].append(data)

    def end(tag: str) -> None:
        tag = _local(tag)
        if tag == "t" and state["run"] is not None:
            state["parts"].append(xlsx_values.run_text("".join(state["run"]), state["preserve"]))
            state["run"] = None
        elif tag == "rPh":
            state["phonetic"] -= 1
        elif tag == "si":
            state["inside"] -= 1
            if state["length"] > MAX_CELL_TEXT:
                long.add(str(state["index"]))
            if strings is not None:
                strings.append("".join(state["parts"]))

    refused = _parse(archive, "xl/sharedStrings.xml", start, end, text, budget)
    return refused if refused is not None else (long, strings)


_XML_SPACE_EXPAT = "http://www.w3.org/XML/1998/namespace space"


@dataclass
class _Workbook:
    """What workbook.xml and its relationships say."""

    parts: list[tuple[str, str]]  # (sheet name, part path) of every sheet with a part, in order
    worksheets: list[tuple[str, bool]] | None  # (name, visible) of the worksheets calamine lists; None: left to it
    date_1904: bool = False


def _workbook(archive: zipfile.ZipFile, budget: list[int]) -> _Workbook | Unreadable:
    """The sheets the workbook lists, in order, and whether it counts dates from 1904."""
    listed = _listed_sheets(archive, budget)  # its own in every return (the sheet is named after the unit): not kept
    if isinstance(listed, Unreadable):
        return listed
    targets = _PARTS_READ.read(archive, _WORKBOOK_RELATIONSHIPS, budget,
                               lambda budget, data: _relationship_targets(archive, budget, data))
    if isinstance(targets, Unreadable):
        return targets
    sheets, date_1904 = listed
    if len(sheets) > MAX_SHEETS:
        return Unreadable("sheet-too-large", f"工作簿有 {len(sheets)} 张工作表，超过上限 {MAX_SHEETS}")
    parts = []
    for name, rid, _state in sheets:
        target = targets.get(rid)
        if target:
            parts.append((name, xlsx_values.part_path(target)))
    present = (_has_part(archive, "xl/workbook.xml") and _has_part(archive, _WORKBOOK_RELATIONSHIPS)
               and _PARTS_READ.read(archive, "_rels/.rels", [_PACKAGE_RELATIONSHIPS_BYTES],
                                    lambda budget, data: _package_points_to_workbook(archive, budget, data)))
    worksheets = xlsx_values.calamine_listing(list(sheets), dict(targets)) if present else None
    return _Workbook(parts, worksheets, date_1904)


_WORKBOOK_RELATIONSHIPS = "xl/_rels/workbook.xml.rels"


def _listed_sheets(archive: zipfile.ZipFile, budget: list[int]) -> tuple[tuple, bool] | Unreadable:
    """((name, relationship id, state) of each sheet workbook.xml lists, whether it counts dates from 1904)."""
    sheets: list[tuple[str, str, str]] = []
    flags = {"date_1904": False}

    def sheet(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
            sheets.append((attrs.get("name", ""), rid, attrs.get("state", "visible")))
        elif local == "workbookPr":
            flags["date_1904"] = attrs.get("date1904") in ("1", "true")

    refused = _parse(archive, "xl/workbook.xml", sheet, budget=budget,
                     data=zip_parts.read_part(archive, "xl/workbook.xml", min(_WHOLE_PART, budget[0])))
    return refused if refused is not None else (tuple(sheets), flags["date_1904"])


def _relationship_targets(archive: zipfile.ZipFile, budget: list[int], data: bytes | None) -> dict[str, str] | Unreadable:
    """Relationship id → target, of workbook.xml's relationships (kept by _SmallParts: never changed after)."""
    targets: dict[str, str] = {}

    def relationship(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "Relationship":
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    refused = _parse(archive, _WORKBOOK_RELATIONSHIPS, relationship, budget=budget, data=data)
    return refused if refused is not None else targets


def _package_points_to_workbook(archive: zipfile.ZipFile, budget: list[int], data: bytes | None) -> bool:
    """Whether _rels/.rels names xl/workbook.xml as the package's main part, as every spreadsheet program writes it.

    python-calamine recognises an .xlsx by that relationship ("Cannot detect
    file format" without it). Only looked at to decide who reads the values:
    a missing, broken or odd _rels/.rels is left to calamine, never refused
    here (the screen's refusals stay what they were), so it gets a budget of its own.
    """
    found = []

    def relationship(tag: str, attrs: dict[str, str]) -> None:
        if (_local(tag) == "Relationship" and attrs.get("Type", "").endswith("/officeDocument")
                and attrs.get("Target") in ("xl/workbook.xml", "/xl/workbook.xml")):
            found.append(True)

    refused = _parse(archive, "_rels/.rels", relationship, budget=budget, data=data)
    return refused is None and bool(found)


_PACKAGE_RELATIONSHIPS_BYTES = 1 << 16  # a package's _rels/.rels is a few hundred bytes


def _has_part(archive: zipfile.ZipFile, path: str) -> bool:
    try:
        archive.getinfo(path)
    except KeyError:
        return False
    return True


def _worksheet_parts(archive: zipfile.ZipFile, budget: list[int]) -> list[tuple[str, str]] | Unreadable:
    """(sheet name, part path) of every sheet the workbook lists, in order."""
    found = _workbook(archive, budget)
    return found if isinstance(found, Unreadable) else found.parts


@dataclass
class XlsxScan:
    """What the screen found in an .xlsx: each sheet's scan, and the worksheets python-calamine would list."""

    sheets: dict[str, SheetScan]
    worksheets: list[tuple[str, bool]] | None  # (name, visible), in order; None when left to calamine
    # a shared string longer than a cell holds (a cell may name it by an index written otherwise: "01")
    long_shared: bool = False

    def decoded(self) -> bool:
        """Whether every worksheet's values were decoded here, so calamine need not read the file."""
        return self.worksheets is not None and all(
            name in self.sheets and self.sheets[name].values is not None for name, _visible in self.worksheets)

    def texts_measured(self) -> bool:
        """Whether every text of the decoded values was measured by the scan (which refuses one longer than a cell holds)."""
        return not self.long_shared and self.decoded()


def scan_xlsx(archive: zipfile.ZipFile) -> XlsxScan | Unreadable:
    """Every worksheet's extent, uncached formulas, percentage cells and values; refuse what is too large."""
    budget = [MAX_UNPACKED_BYTES]
    workbook = _workbook(archive, budget)
    if isinstance(workbook, Unreadable):
        return workbook
    styles = _styles(archive, budget)
    if isinstance(styles, Unreadable):
        return styles
    shared = _shared_strings(archive, budget)
    if isinstance(shared, Unreadable):
        return shared
    context = _Context(styles.percent, shared[0], xlsx_values.Workbook(shared[1], styles.formats, workbook.date_1904))
    found = {}
    for name, path in workbook.parts:
        scan = _scan_worksheet(archive, path, name, context, budget)
        if isinstance(scan, Unreadable):
            return scan
        found[name] = scan
    return XlsxScan(found, workbook.worksheets, bool(shared[0]))


def declared_extents(archive: zipfile.ZipFile, names: set[str]) -> dict[str, tuple[int, int]] | Unreadable:
    """(last row, last column) each named worksheet says it reaches, from its <dimension ref="A1:O33">.

    Only the start of each part is read: Excel, WPS, LibreOffice and the
    writers pyxl uses all write the dimension before the cells. A sheet
    without one is left out (nothing said is nothing to refuse). For a file
    of our own that a person edits (the master workbook), where a value typed
    far away by mistake is the risk, not a file built to mislead.
    """
    budget = [MAX_UNPACKED_BYTES]
    parts = _worksheet_parts(archive, budget)
    if isinstance(parts, Unreadable):
        return parts
    found: dict[str, tuple[int, int]] = {}
    for name, path in parts:
        if name not in names:
            continue

        def start(tag: str, attrs: dict[str, str], name: str = name) -> None:
            local = _local(tag)
            if local == "dimension":
                last = _cell_position(attrs.get("ref", "").rsplit(":", 1)[-1])
                if last is not None:
                    found[name] = (last[1], last[0])
                raise _Stop()
            if local == "sheetData":  # the cells begin: no dimension written
                raise _Stop()

        refused = _parse(archive, path, start, budget=budget)
        if refused is not None:
            return refused
    return found


def scan_ods(archive: zipfile.ZipFile) -> Unreadable | None:
    """Refuse an .ods whose content reaches beyond the caps (repeated rows and columns count)."""
    budget = [MAX_UNPACKED_BYTES]
    state = {"table": "", "row": 0, "row_repeat": 1, "column": 0, "column_repeat": 1, "content": False, "tables": 0,
             "text": 0}

    def repeat(attrs: dict[str, str], key: str) -> int:
        written = next((v for k, v in attrs.items() if _local(k) == key), "1")
        return int(written) if written.isdigit() else 1

    def start(tag: str, attrs: dict[str, str]) -> None:
        tag = _local(tag)
        if tag == "table":
            state["table"] = next((v for k, v in attrs.items() if _local(k) == "name"), "")
            state["row"] = 0
            state["tables"] += 1
            if state["tables"] > MAX_SHEETS:
                raise _Stop(Unreadable("sheet-too-large", f"工作簿的工作表超过上限 {MAX_SHEETS} 张"))
        elif tag == "table-row":
            state["row_repeat"] = repeat(attrs, "number-rows-repeated")
            state["column"] = 0
        elif tag in ("table-cell", "covered-table-cell"):
            state["column_repeat"] = repeat(attrs, "number-columns-repeated")
            state["content"] = any(_local(k) == "value-type" for k in attrs)
            state["text"] = 0
        elif tag == "p":
            state["content"] = True

    def end(tag: str) -> None:
        tag = _local(tag)
        if tag in ("table-cell", "covered-table-cell"):
            first = state["column"] + 1
            state["column"] += state["column_repeat"]
            if state["content"]:
                last_row = state["row"] + state["row_repeat"]
                if last_row > MAX_ROWS or state["column"] > MAX_COLUMNS:
                    raise _Stop(_too_far(state["table"], max(last_row, state["row"] + 1), max(state["column"], first)))
                if state["text"] > MAX_CELL_TEXT:
                    raise _Stop(_cell_too_long(state["table"], cell_name(state["row"] + 1, first), state["text"]))
            state["content"] = False
        elif tag == "table-row":
            state["row"] += state["row_repeat"]

    def text(data: str) -> None:
        state["text"] += len(data)

    return _parse(archive, "content.xml", start, end, text, budget)


def scan_xls(data: bytes) -> Unreadable | None:
    """Refuse an .xls whose cells reach beyond the caps (xlrd keeps rows ragged: no grid is built)."""
    try:
        import xlrd

        book = xlrd.open_workbook(file_contents=data, on_demand=True, ragged_rows=True, logfile=io.StringIO())
    except Exception:  # calamine decides how a broken file is reported
        return None
    try:
        if book.nsheets > MAX_SHEETS:
            return Unreadable("sheet-too-large", f"工作簿有 {book.nsheets} 张工作表，超过上限 {MAX_SHEETS}")
        for index in range(book.nsheets):
            try:
                sheet = book.sheet_by_index(index)
            except Exception:
                return None
            if sheet.nrows > MAX_ROWS or sheet.ncols > MAX_COLUMNS:
                far_row = sheet.nrows
                if sheet.nrows > MAX_ROWS:
                    columns = sheet.row_len(sheet.nrows - 1)
                else:
                    columns = sheet.ncols
                return _too_far(sheet.name, far_row, columns)
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return None
