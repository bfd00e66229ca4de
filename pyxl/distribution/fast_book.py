"""Unit workbooks at province scale: XlsxWriter's bytes, without XlsxWriter's work per cell.

`split` writes one workbook per unit, up to several hundred a month, and
XlsxWriter spends most of a unit sheet's time making and serialising one
Python object per cell. Yet every unit sheet of a run has the same frame —
styles, theme, columns, view, print setup, protection, the wording of each
validation — and differs only in its cells, its merged ranges and the cells
each validation covers.

So the first workbook of each *shape* (the cell formats in the order they are
first used, the validations present, title, creation time, password) is
written by XlsxWriter through `unit_sheet.write_plan` and kept as a template.
Every later workbook of that shape takes its frame from the template and
writes only what is its own — the rows, the shared strings, the ranges — in
the form SpreadsheetML gives them and XlsxWriter writes them: strings shared in
the order first written, cell formats numbered in the order first used, rows
carrying the column span of their block of 16 rows.

The result is byte for byte what XlsxWriter writes for the same plan, so the
sheets Excel and WPS get are the ones the reference writer makes. Each
template proves it when it is made: filled with the plan it came from, it must
give XlsxWriter's bytes exactly, or its shape is written by XlsxWriter for the
rest of the run (slower, never different). tests/test_fast_book.py compares
the two writers on units of every shape.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, replace
from typing import Iterator
from xml.sax.saxutils import escape as _escape_text

from xlsxwriter.utility import quote_sheetname, xl_range

from pyxl.common.spreadsheets import cell_name
from pyxl.distribution.unit_sheet import SheetPlan, write_plan

_SHEET, _IDENTITY = "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"
_STRINGS, _BOOK, _APP = "xl/sharedStrings.xml", "xl/workbook.xml", "docProps/app.xml"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the time XlsxWriter gives every part
_DEFAULT_ROW_PIXELS = 20  # 15 pt: a row of this height carries no ht
_LONGEST_SAFE = 32767 // 2  # longer texts may be cut by XlsxWriter (32,767 UTF-16 units): leave them to it
_MARKUP = re.compile(r"\A<r>.*</r>\Z", re.S)  # XlsxWriter writes such a text as raw rich-text XML


@dataclass
class _Cells:
    """One worksheet's content as XlsxWriter would hold it after the plan's calls."""

    table: dict[int, dict[int, tuple[str, object, str | None]]]  # row → col → (kind, value, style)
    heights: dict[int, int]  # row → height in pixels
    merges: list[str]
    validations: list[str]  # sqref of each validation, in call order
    ignored: str | None  # number_stored_as_text range
    rows: tuple[int, int] | None  # first and last row (0-based)
    cols: tuple[int, int] | None
    styles: tuple[str, ...]  # cell formats in the order XlsxWriter numbers them: first use, row by row


class _Strings:
    """The shared string table: index of each text in the order first written; every write counts."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0

    def add(self, text: str) -> int:
        self.count += 1
        return self.index.setdefault(text, len(self.index))


def _cells(calls, strings: _Strings) -> _Cells:
    """What XlsxWriter holds for a worksheet after `calls` (SheetPlan.calls), texts added to `strings`."""
    table: dict[int, dict[int, tuple[str, object, str | None]]] = {}
    heights: dict[int, int] = {}
    merges: list[str] = []
    validations: list[str] = []
    ignored = None
    row_before_cells = False  # XlsxWriter counts column A into the dimension then

    def put(row: int, col: int, kind: str, value: object, style: str | None) -> None:
        table.setdefault(row, {})[col] = (kind, value, style)

    for method, args, style in calls:
        if method == "write_string":
            row, col, text = args
            put(row, col, "s", strings.add(text), style)
        elif method == "write_number":
            put(*args[:2], "n", args[2], style)
        elif method == "write_blank":
            if style is not None:  # a blank without a format is no cell at all
                put(*args[:2], "b", None, style)
        elif method == "merge_range":
            first_row, first_col, last_row, last_col, text = args
            put(first_row, first_col, "s", strings.add(text), style)
            for row in range(first_row, last_row + 1):
                for col in range(first_col, last_col + 1):
                    if (row, col) != (first_row, first_col):
                        put(row, col, "b", None, style)
            merges.append(xl_range(first_row, first_col, last_row, last_col))
        elif method == "set_row":
            row, height = args
            heights[row] = int(height * 4.0 / 3.0 + 0.5)  # points to whole pixels, as XlsxWriter keeps them
            row_before_cells = row_before_cells or not table
        elif method == "data_validation":
            *cells, options = args
            validations.append(options.get("multi_range") or (cells[0] if len(cells) == 1 else xl_range(*cells)))
        elif method == "ignore_errors":
            ignored = args[0]["number_stored_as_text"]
        else:
            raise ValueError(f"unit sheet call {method} has no fast form")
    order: dict[str, None] = {}
    columns: set[int] = {0} if row_before_cells else set()
    for row in sorted(table):
        columns.update(table[row])
        for col in sorted(table[row]):
            style = table[row][col][2]
            if style is not None:
                order.setdefault(style)
    rows = table.keys() | heights.keys()
    return _Cells(table, heights, merges, validations, ignored, (min(rows), max(rows)) if rows else None,
                  (min(columns), max(columns)) if columns else None, tuple(order))


def _identity_cells(identity: tuple[tuple[str, str], ...], strings: _Strings) -> _Cells:
    """The hidden identity sheet's cells: key in A, value in B, one line each."""
    calls = [("write_string", (r, col, text), None) for r, pair in enumerate(identity) for col, text in enumerate(pair)]
    return _cells(calls, strings)


class FastBookWriter:
    """Writes unit workbooks: XlsxWriter for the first of each shape, the template's frame for the rest."""

    def __init__(self) -> None:
        self._templates: dict[tuple, _Template | None] = {}

    def write(self, plan: SheetPlan) -> bytes:
        """The .xlsx bytes of `plan`, as `unit_sheet.write_plan` writes them."""
        strings = _Strings()
        sheet = _cells(plan.calls, strings)
        identity = _identity_cells(plan.identity, strings)
        if any(len(text) > _LONGEST_SAFE for text in strings.index):
            return _reference_bytes(plan)
        shape = (sheet.styles, _validation_wording(plan), sheet.ignored is not None,
                 plan.title, plan.created, plan.password, len(plan.identity))
        if shape not in self._templates:
            self._templates[shape] = _Template.seed(plan)
        template = self._templates[shape]
        if template is None:
            return _reference_bytes(plan)
        return template.fill(plan, sheet, identity, strings)

    @property
    def shapes(self) -> int:
        """How many shapes were seen; `fallbacks` of them are written by XlsxWriter throughout."""
        return len(self._templates)

    @property
    def fallbacks(self) -> int:
        return sum(template is None for template in self._templates.values())


def _validation_wording(plan: SheetPlan) -> tuple:
    """Everything of the plan's validations but the cells they cover (which the template leaves open)."""
    return tuple(
        tuple(sorted((k, str(v)) for k, v in args[-1].items() if k != "multi_range"))
        for method, args, _ in plan.calls if method == "data_validation"
    )


def _reference_bytes(plan: SheetPlan) -> bytes:
    buffer = io.BytesIO()
    write_plan(plan, buffer)
    return buffer.getvalue()


def _without_markup(plan: SheetPlan) -> SheetPlan:
    """`plan` with any text XlsxWriter would take for rich-text XML replaced: a template's frame never depends on them."""
    def plain(args: tuple) -> tuple:
        return tuple("?" if isinstance(a, str) and _MARKUP.match(a) else a for a in args)

    return replace(plan, calls=[(m, plain(a), s) for m, a, s in plan.calls],
                   identity=tuple(plain(pair) for pair in plan.identity))


class _Template:
    """The frame of one shape's workbook, cut from XlsxWriter's output around what each unit writes."""

    def __init__(self, parts: list[tuple[str, bytes]], texts: dict[str, list[str]], styles: dict[str, int]) -> None:
        self.parts = parts  # (name, bytes) in XlsxWriter's order; the per-unit parts' bytes are unused
        self.texts = texts  # per-unit part → the fixed pieces between what each unit writes
        self.styles = styles  # cell format name → XlsxWriter's index

    @classmethod
    def seed(cls, plan: SheetPlan) -> _Template | None:
        """The template of `plan`'s shape, or None when XlsxWriter's output is not laid out as expected."""
        seed_plan = _without_markup(plan)
        data = _reference_bytes(seed_plan)
        strings = _Strings()
        sheet = _cells(seed_plan.calls, strings)
        identity = _identity_cells(seed_plan.identity, strings)
        try:
            template = cls._cut(data, seed_plan, sheet)
            if template is not None and template.fill(seed_plan, sheet, identity, strings) == data:
                return template
        except (ValueError, KeyError, zipfile.BadZipFile):
            pass
        return None

    @classmethod
    def _cut(cls, data: bytes, plan: SheetPlan, sheet: _Cells) -> _Template | None:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = [(name, archive.read(name)) for name in archive.namelist()]
        text = {name: data.decode("utf-8") for name, data in parts if name in (_SHEET, _IDENTITY, _STRINGS, _BOOK, _APP)}
        styles = _style_numbers(text[_SHEET], sheet)
        pieces = {
            _SHEET: _sheet_frame(text[_SHEET], len(sheet.validations)),
            _IDENTITY: _sheet_frame(text[_IDENTITY], 0),
            _STRINGS: [text[_STRINGS][:text[_STRINGS].index(' count="')]],
            _BOOK: _split_on(text[_BOOK], _book_names(plan.sheet_name)),
            _APP: _split_on(text[_APP], _app_names(plan.sheet_name)),
        }
        if styles is None or any(piece is None for piece in pieces.values()):
            return None
        return cls(parts, pieces, styles)

    def fill(self, plan: SheetPlan, sheet: _Cells, identity: _Cells, strings: _Strings) -> bytes:
        """The workbook of `plan`: the frame's parts, with this unit's own written into their places."""
        (sst_head,) = self.texts[_STRINGS]
        own = {
            _SHEET: _fill_sheet(self.texts[_SHEET], sheet, self.styles),
            _IDENTITY: _fill_sheet(self.texts[_IDENTITY], identity, {}),
            _STRINGS: "".join((sst_head, f' count="{strings.count}" uniqueCount="{len(strings.index)}">',
                               *map(_shared_string, strings.index), "</sst>")),
            _BOOK: _join_on(self.texts[_BOOK], _book_names(plan.sheet_name)),
            _APP: _join_on(self.texts[_APP], _app_names(plan.sheet_name)),
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=False) as archive:
            for name, data in self.parts:
                info = zipfile.ZipInfo(name, _ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, own[name].encode("utf-8") if name in own else data)
        return buffer.getvalue()


# ---------------------------------------------------------------- the frame of a worksheet


def _sheet_frame(xml: str, validations: int) -> list[str] | None:
    """The fixed pieces of a worksheet's XML, between the runs each unit writes itself.

    [head, views, protection, (validation up to its sqref) per validation,
    the rest of the validations, page setup]: the dimension, the rows, the merged
    ranges, each validation's cells and the ignored errors are the unit's own.
    """
    dimension = xml.find('<dimension ref="')
    data, data_end = xml.find("<sheetData>"), xml.find("</sheetData>")
    if min(dimension, data, data_end) < 0 or not dimension < data < data_end:
        return None
    head, views = xml[:dimension], xml[xml.index("/>", dimension) + 2:data]
    position = data_end + len("</sheetData>")
    merges = xml.find("<mergeCells", position)
    if merges >= 0:
        protection, position = xml[position:merges], xml.index("</mergeCells>", merges) + len("</mergeCells>")
    else:  # no merged ranges (the identity sheet): the page setup follows the rows
        protection = ""
    pieces = []
    for _ in range(validations):
        sqref = xml.find(' sqref="', position)
        if sqref < 0:
            return None
        pieces.append(xml[position:sqref + len(' sqref="')])
        position = xml.index('"', sqref + len(' sqref="'))
    if validations:
        end = xml.index("</dataValidations>", position) + len("</dataValidations>")
        pieces.append(xml[position:end])
        position = end
    ignored = xml.find("<ignoredErrors", position)
    page_end = ignored if ignored >= 0 else xml.rindex("</worksheet>")
    return [head, views, protection, *pieces, xml[position:page_end]]


def _fill_sheet(frame: list[str], cells: _Cells, styles: dict[str, int]) -> str:
    """A worksheet's XML: the frame's pieces with the sheet's own runs between them."""
    head, views, protection, *validations, page = frame
    own_validations = "".join(piece + ref for piece, ref in zip(validations, cells.validations))
    rest_of_validations = validations[-1] if validations else ""
    merges = f'<mergeCells count="{len(cells.merges)}">' + "".join(f'<mergeCell ref="{ref}"/>' for ref in cells.merges) + "</mergeCells>" if cells.merges else ""
    ignored = f'<ignoredErrors><ignoredError sqref="{cells.ignored}" numberStoredAsText="1"/></ignoredErrors>' if cells.ignored else ""
    return "".join((head, f'<dimension ref="{_dimension(cells)}"/>', views, "<sheetData>", *_rows(cells, styles),
                    "</sheetData>", protection, merges, own_validations, rest_of_validations, page, ignored, "</worksheet>"))


def _dimension(cells: _Cells) -> str:
    if cells.rows is None or cells.cols is None:
        return "A1"
    (first_row, last_row), (first_col, last_col) = cells.rows, cells.cols
    first = cell_name(first_row + 1, first_col + 1)
    return first if (first_row, first_col) == (last_row, last_col) else f"{first}:{cell_name(last_row + 1, last_col + 1)}"


def _rows(cells: _Cells, styles: dict[str, int]) -> Iterator[str]:
    """The <row> elements: each with the column span of its block of 16 rows, its height and its cells."""
    if cells.rows is None:
        return
    table, heights = cells.table, cells.heights
    spans: dict[int, list[int]] = {}
    for row, columns in table.items():
        if columns:
            low, high = spans.setdefault(row // 16, [min(columns), max(columns)])
            spans[row // 16] = [min(low, min(columns)), max(high, max(columns))]
    for row in range(cells.rows[0], cells.rows[1] + 1):
        columns = table.get(row)
        if not columns and row not in heights:
            continue
        start = f'<row r="{row + 1}"'
        if row // 16 in spans:
            low, high = spans[row // 16]
            start += f' spans="{low + 1}:{high + 1}"'
        pixels = heights.get(row, _DEFAULT_ROW_PIXELS)
        if pixels != _DEFAULT_ROW_PIXELS:
            start += f' ht="{pixels * 0.75:.16g}" customHeight="1"'
        if not columns:
            yield start + "/>"
            continue
        yield start + ">"
        for col in sorted(columns):
            kind, value, style = columns[col]
            ref = cell_name(row + 1, col + 1)
            style_part = f' s="{styles[style]}"' if style is not None else ""
            if kind == "s":
                yield f'<c r="{ref}"{style_part} t="s"><v>{value}</v></c>'
            elif kind == "n":
                yield f'<c r="{ref}"{style_part}><v>{value:.16G}</v></c>'
            else:
                yield f'<c r="{ref}"{style_part}/>'
        yield "</row>"


def _style_numbers(xml: str, sheet: _Cells) -> dict[str, int] | None:
    """Each cell format's index in the template, read off the cells that use it; None if they disagree."""
    written = {match[1]: int(match[2]) for match in re.finditer(r'<c r="([A-Z]+[0-9]+)" s="([0-9]+)"', xml)}
    numbers: dict[str, int] = {}
    for row, columns in sheet.table.items():
        for col, (_, _, style) in columns.items():
            if style is None:
                continue
            number = written.get(cell_name(row + 1, col + 1))
            if number is None or numbers.setdefault(style, number) != number:
                return None
    return numbers


# ---------------------------------------------------------------- texts


_ESCAPED_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")  # a literal _xHHHH_ in the text
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")  # ECMA-376 ST_Xstring: written as _xHHHH_


def _shared_string(text: str) -> str:
    """One <si>: control characters as _xHHHH_, spaces at either end kept, XML escaped."""
    text = _CONTROL.sub(lambda match: f"_x{ord(match[0]):04X}_", _ESCAPED_ESCAPE.sub(r"_x005F\1", text))
    preserve = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f"<si><t{preserve}>{_escape_text(text)}</t></si>"


_ATTRIBUTE_ESCAPES = {'"': "&quot;", "\n": "&#xA;"}  # besides & < >, as XlsxWriter writes attributes


def _escape_attribute(text: str) -> str:
    return _escape_text(text, _ATTRIBUTE_ESCAPES)


def _book_names(sheet_name: str) -> list[str]:
    """Where workbook.xml names the unit's sheet: the sheet itself, and its print titles."""
    return [f'<sheet name="{_escape_attribute(sheet_name)}" sheetId="1"', f">{_escape_text(quote_sheetname(sheet_name))}!$"]


def _app_names(sheet_name: str) -> list[str]:
    """Where docProps/app.xml names the unit's sheet: in the list of sheets and of named ranges."""
    return [f"<vt:lpstr>{_escape_text(sheet_name)}</vt:lpstr>",
            f"<vt:lpstr>{_escape_text(quote_sheetname(sheet_name))}!Print_Titles</vt:lpstr>"]


def _split_on(xml: str, names: list[str]) -> list[str] | None:
    """`xml` cut around each of `names`, which must each occur exactly once, in order."""
    pieces, position = [], 0
    for name in names:
        found = xml.find(name, position)
        if found < 0 or xml.count(name) != 1:
            return None
        pieces.append(xml[position:found])
        position = found + len(name)
    return pieces + [xml[position:]]


def _join_on(pieces: list[str], names: list[str]) -> str:
    return "".join(piece + name for piece, name in zip(pieces, names + [""]))
