"""Cell values of an .xlsx worksheet, decoded the way python-calamine decodes them.

The screen (`pyxl.common.sheet_xml`) parses every worksheet of a file someone
gives us anyway, to refuse what is too large before anything else reads it.
Parsing the same XML a second time in python-calamine to get the values was
a third of the cost of reading a return, so the screen's pass keeps the values
too, decoded here: the grid `pyxl.common.spreadsheets.read_book` returns must be
exactly the grid python-calamine gives for the same bytes. tests/test_xlsx_values.py
compares the two on every kind of .xlsx the tests can make, against whichever
python-calamine is installed (the rules below were found with 0.9.1, calamine
0.37): a release that reads differently fails that test, not a return.

Only the shapes spreadsheet programs write are decoded here. Anything else —
an unknown cell type, a number written with spaces, an error value calamine
does not know, an odd number-format id, elements where a value belongs —
raises `Unsure`, and the whole file is then read by python-calamine as before:
this module never has to guess what calamine would make of a strange file.

What calamine does, and so what this module does:

- a number cell is a float; shown with a date or time format it is a
  `datetime`/`date`/`time` (`timedelta` for elapsed-time formats such as
  [h]:mm), counted from 1899-12-30 (1904-01-01 in the 1904 date system), with
  Excel's 1900-02-29 that never was, rounded to the millisecond;
- a shared or inline string is the text of its <t> elements (phonetic runs
  left out), trimmed of XML white space unless xml:space="preserve", with
  _xHHHH_ escapes decoded; a formula's string result (t="str") is untrimmed;
- a boolean is True or False; an error (#N/A…) reads as "" but still counts
  as a cell; a formula without a cached value is no cell at all.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from lxml import etree

OTHER, DATE, DURATION = 0, 1, 2  # what a number format makes of a number

EMPTY = object()  # no cell for calamine: it neither holds a value nor widens the grid
ERROR_VALUE = ""  # an error cell (#N/A…): read as "", but it widens the grid as a value does
ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})


class Unsure(Exception):
    """A shape this module does not decode exactly as python-calamine would: let calamine read the file."""


@dataclass(frozen=True)
class Workbook:
    """What decoding a cell's value needs from the rest of the workbook."""

    strings: list[str] | None  # the shared strings; None when one of them is left to calamine
    formats: tuple[int, ...]  # each cell style's kind (OTHER, DATE, DURATION), by its s="…"
    date_1904: bool


MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NAMESPACES = {"m": MAIN[1:-1]}  # the prefix the XPath expressions over a part give its namespace
V, F, IS, T, SI, RPH = (MAIN + name for name in ("v", "f", "is", "t", "si", "rPh"))
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


# ---------------------------------------------------------------- number formats

# Built-in format ids that show a date or time (14–22, the CJK ones 27–36 and 50–58, 45 and 47)
# and the one built-in elapsed-time format [h]:mm:ss (46). Ids are compared as written.
_BUILTIN = {str(i): DATE for i in (*range(14, 23), *range(27, 37), 45, 47, *range(50, 59))}
_BUILTIN["46"] = DURATION


def builtin_kind(number_format_id: str) -> int:
    """What a built-in number format (by its id as written in styles.xml) shows a number as."""
    return _BUILTIN.get(number_format_id, OTHER)


def format_kind(code: str) -> int:
    """What a custom number format code shows a number as: OTHER, DATE or DURATION.

    Only the first section (before ';') counts. Outside quotes and brackets,
    any of d m h y s makes it a date, as does 'a' followed by p, m or '/'
    (AM/PM, A/P); a bracketed [h], [mm], [ss] makes it elapsed time. The
    character after \\ _ or * is a literal, never a token.
    """
    literal_next = quoted = am_pm = elapsed = False
    brackets = 0
    previous = " "
    for char in code:
        if literal_next:
            literal_next = False
        elif char in "_\\*":
            literal_next = True
        elif quoted:
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char == ";":
            return OTHER
        elif char == "[":
            brackets += 1
        elif char == "]" and brackets == 1 and elapsed:
            return DURATION
        elif char == "]":
            brackets = max(brackets - 1, 0)
        elif brackets == 0 and not am_pm and char in "aA":
            am_pm = True
        elif brackets == 0 and am_pm and char in "pmPM/":
            return DATE
        elif brackets == 0 and not am_pm and char in "dmhysDMHYS":
            return DATE
        elif not (elapsed and _same_letter(char, previous)):
            elapsed = previous == "[" and char in "hmsHMS"
        previous = char
    return OTHER


def _same_letter(one: str, other: str) -> bool:
    return one == other or (one.isascii() and other.isascii() and one.lower() == other.lower())


# ---------------------------------------------------------------- numbers and dates

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_EPOCH = datetime(1899, 12, 30)
_DAYS_1900_TO_1904 = 1462
_MS_PER_DAY = 86_400_000


def number(text: str) -> float:
    """A number as written in a <v> (only the plain decimal forms spreadsheet programs write)."""
    if _NUMBER.fullmatch(text) is None:
        raise Unsure
    return float(text)


def moment(value: float, kind: int, date_1904: bool) -> object:
    """A number shown with a date (kind DATE) or elapsed-time (DURATION) format, as calamine reads it.

    A serial under 1 is a time of day, a whole one a date, any other a
    datetime; one beyond the year 9999 stays the number.
    """
    if kind == DURATION:
        try:
            return timedelta(milliseconds=_round_half_away(value * _MS_PER_DAY))
        except OverflowError:
            raise Unsure from None
    serial = value + _DAYS_1900_TO_1904 if date_1904 else value
    if serial < 60:  # Excel counts a 1900-02-29 that never was: the days before it are one later
        serial += 1
    try:
        found = _EPOCH + timedelta(milliseconds=_round_half_away(serial * _MS_PER_DAY))
    except OverflowError:
        if value < 1.0:
            raise Unsure from None
        return value  # past the year 9999: python-calamine gives the number
    if value < 1.0:
        return found.time()
    if value.is_integer():
        return found.date()
    return found


def _round_half_away(x: float) -> int:
    """Round to the nearest integer, halves away from zero (Rust's f64::round), exactly."""
    whole = int(x)  # toward zero; x - whole is exact
    if abs(x - whole) >= 0.5:
        whole += 1 if x > 0 else -1
    return whole


# ---------------------------------------------------------------- text

XML_WHITESPACE = " \t\r\n"  # what XML counts as white space
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape(text: str) -> str:
    """Decode the _xHHHH_ escapes Excel writes for characters XML cannot hold (_x000D_ is a carriage return)."""
    if "_x" not in text:
        return text
    return _ESCAPE.sub(_escaped_character, text)


def _escaped_character(match: re.Match) -> str:
    code = int(match.group(1), 16)
    return match.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


def run_text(text: str, preserve: bool) -> str:
    """The text of one <t> element: trimmed of XML white space unless xml:space="preserve", then unescaped."""
    return unescape(text if preserve else text.strip(XML_WHITESPACE))


# ---------------------------------------------------------------- cells (lxml elements of a worksheet)


def cell_value(cell, book: Workbook) -> object:
    """The value of a <c> with children (an lxml element), as calamine reads it: EMPTY for none; Unsure for an odd shape."""
    kind = cell.get("t")
    first = cell[0]
    if len(cell) == 1 and first.tag == V:
        holder = first
    elif len(cell) == 2 and first.tag == F and cell[1].tag == V:  # a formula and its cached value
        holder = cell[1]
    elif len(cell) == 1 and first.tag == F:  # a formula never calculated: no value
        return EMPTY
    elif len(cell) == 1 and first.tag == IS and kind == "inlineStr":
        return rich_text(first)
    else:
        raise Unsure
    if len(holder):
        raise Unsure
    return v_value("n" if kind is None else kind, holder.text or "", cell.get("s"), book)


def v_value(kind: str, text: str, style: str | None, book: Workbook) -> object:
    """The value of a cell of type `kind` (t="…", "n" when not written) whose <v> holds `text`."""
    if kind == "n":
        return number_value(text, style, book)
    if kind == "s" and text.isdigit() and text.isascii() and book.strings is not None:
        index = int(text)
        if index < len(book.strings):
            return book.strings[index]
    elif kind == "str":
        return unescape(text)
    elif kind == "b" and text in ("0", "1"):
        return text == "1"
    elif kind == "e" and text in ERRORS:
        return ERROR_VALUE
    raise Unsure


def number_value(text: str, style: str | None, book: Workbook) -> object:
    """A number cell's value: the float, or the date, time or timedelta its style's number format shows."""
    if not text:
        return EMPTY
    value = number(text)
    if style is None:
        return value
    if not (style.isdigit() and style.isascii()):
        raise Unsure
    index = int(style)
    kind = book.formats[index] if index < len(book.formats) else OTHER
    return value if kind == OTHER else moment(value, kind, book.date_1904)


def rich_text(element) -> str:
    """The text of an <is> or <si>: its <t> elements outside phonetic runs (<rPh>), each as `run_text`."""
    if len(element) == 1 and element[0].tag == T:  # the usual shape: one plain run
        return _run(element[0])
    for node in element.iterdescendants():  # calamine ends the text at the first closing </is> or </si>
        if node.tag in (IS, SI) or (node.tag == RPH and node.find(f".//{RPH}") is not None):
            raise Unsure
    parts = []
    for node in element.iter(T):
        if not any(above.tag == RPH for above in node.iterancestors() if above is not element):
            parts.append(_run(node))
    return "".join(parts)


# a phonetic run, a string inside a string, an element inside a run: what makes a string not just its runs joined
_ODD_STRINGS = etree.XPath("boolean(m:si//m:si | m:si//m:is | m:si//m:rPh | m:si//m:t/*)", namespaces=NAMESPACES)
_EDGE_OR_ESCAPE = re.compile(r"[ \t\r\n]|_x")


def shared_strings(sst) -> list[str]:
    """The text of every <si> child of a parsed <sst> (an lxml element), each as `rich_text`; Unsure for an odd shape.

    Excel, WPS and LibreOffice write each string as runs (<r><rPr>…</rPr><t>…</t></r>)
    with no phonetic run: when the part holds no phonetic run, no string
    inside a string and no element inside a run, a string is its runs' texts
    joined, and the per-run rules (trim, unescape) change nothing for a text
    without white space or "_x" in it. Any other string is read run by run.
    """
    if _ODD_STRINGS(sst):
        return [rich_text(item) for item in sst]
    groups: list[list] = []  # each <si>'s runs, in one pass over the part (not an iterator per string)
    for node in sst.iter(SI, T):
        if node.tag == SI:
            groups.append([])
        else:
            groups[-1].append(node)
    strings = []
    for runs in groups:
        joined = "".join([run.text or "" for run in runs])
        strings.append(joined if _EDGE_OR_ESCAPE.search(joined) is None else "".join(map(_run, runs)))
    return strings


def _run(t) -> str:
    """One <t> element's text (an element inside it is not a shape decoded here)."""
    if len(t):
        raise Unsure
    return run_text(t.text or "", t.get(XML_SPACE) == "preserve")


# ---------------------------------------------------------------- the workbook's sheets


def part_path(target: str) -> str:
    """The zip path of a part workbook.xml's relationships name by `target` (absolute, or relative to xl/)."""
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")


def calamine_listing(sheets: list[tuple[str, str, str]], targets: dict[str, str]) -> list[tuple[str, bool]] | None:
    """(name, visible) of the worksheets python-calamine lists, in order; None for a listing left to it.

    calamine takes a sheet's kind from its part's folder (worksheets,
    chartsheets, dialogsheets) and refuses any other folder or state; two
    sheets of one name, or a target it resolves otherwise than the screen
    does, are left to it as well.
    """
    listing = []
    for name, rid, state in sheets:
        target = targets.get(rid)
        if not target or state not in ("visible", "hidden", "veryHidden"):
            return None
        ours = part_path(target)
        theirs = target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else f"xl/{target}"
        folder = theirs.split("/")[1] if theirs.count("/") >= 2 else ""
        if ours != theirs or folder not in ("worksheets", "chartsheets", "dialogsheets"):
            return None
        if folder == "worksheets":
            listing.append((name, state == "visible"))
    if len({name for name, _rid, _state in sheets}) != len(sheets):
        return None
    return listing
