"""Assembling a macro workbook (.xlsm) from text sources, without Excel.

The recipe (checked on Linux, see DESIGN.md "The master workbook"):
1. the sheets are written with XlsxWriter;
2. a VBA project is added with pyOpenVBA, which starts from a project
   captured from real Excel and names the sheet modules as Excel does; the
   modules are our own (`workbook/vba/`), the module RibbonText generated
   here from `workbook/vba/messages.yaml` (the ribbon's Chinese messages,
   built with ChrW so the VBA stays ASCII), plus xlwings' VBA module and its
   Dictionary class, taken from the installed xlwings package so their
   version always equals the Python side's;
3. the `_VBA_PROJECT` stream is cut to its 7-byte form with version 0xFFFF
   and every module keeps source only, so Excel compiles from source on
   first open (xlwings ships its own templates in this state);
4. the ribbon XML goes in twice, `customUI/customUI14.xml` (2009/07, Office
   2010+) and `customUI/customUI.xml` (2006/01, a safety net), each related
   from `_rels/.rels`, and the workbook gets the macro-enabled content type.

Never save the result with openpyxl: it drops the customUI14 relationship.
"""

from __future__ import annotations

import importlib.util
import io
import re
import tempfile
import xml.etree.ElementTree as ElementTree
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any, Sequence

import xlsxwriter
import yaml
from pyopenvba import ExcelFile, VBAModuleKind
from pyopenvba.cfb import CFB

from pyxl.common.sheet_text import any_row_height, lines_in_column

CUSTOM_UI_14 = "customUI/customUI14.xml"
CUSTOM_UI_12 = "customUI/customUI.xml"
NS_UI_14 = "http://schemas.microsoft.com/office/2009/07/customui"
NS_UI_12 = "http://schemas.microsoft.com/office/2006/01/customui"
REL_UI_14 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
REL_UI_12 = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
MACRO_CONTENT_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
PLAIN_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
VBA_ENTRY = "xl/vbaProject.bin"
# Reserved1 0x61CC, Version 0xFFFF (no compiled state: compile from source), Reserved2 0, Reserved3 1.
VBA_PROJECT_STREAM = b"\xcc\x61\xff\xff\x00\x01\x00"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so two builds of the same sources differ only where they must

Rows = list[list[Any]]


@dataclass
class SheetSpec:
    """One sheet: its rows (header first when `table`), column widths and look."""

    name: str
    rows: Rows
    widths: Sequence[float] = ()
    table: bool = True  # bold header, frozen first row, autofilter
    wrap: bool = True
    hidden: bool = False
    text_columns: set[int] = field(default_factory=set)  # 0-based: kept as text when staff retype them
    tab_color: str | None = None
    portrait: bool = False  # tables print landscape; a two-column text sheet prints portrait
    # 0-based column → the choices staff pick from (an inline list validation, kept by every reader)
    lists: dict[int, tuple[str, ...]] = field(default_factory=dict)
    dates: set[int] = field(default_factory=set)  # 0-based columns that take a date (date validation)


# Neither Excel nor LibreOffice grows a row for its wrapped text when opening a generated file:
# the height is set from the text (pyxl.common.sheet_text: the same in Excel, WPS and LibreOffice).


def _fit_rows(sheet, spec: SheetSpec) -> None:
    """Set each row's height so its longest wrapped text shows whole (rows of one line keep the default)."""
    widths = list(spec.widths)
    for r, row in enumerate(spec.rows):
        lines = 1
        for c, value in enumerate(row):
            if isinstance(value, str) and value and c < len(widths):
                lines = max(lines, lines_in_column(value, widths[c]))
        if lines > 1:
            sheet.set_row(r, any_row_height(lines))


def _print_setup(sheet, spec: SheetSpec) -> None:
    """Every visible sheet prints on A4, fit to the page's width, header row on every page, page numbers."""
    if spec.portrait:
        sheet.set_portrait()
    else:
        sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)  # as wide as one page, as many pages down as it takes
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    sheet.set_header(f"&L&\"等线\"&9{spec.name}")
    sheet.set_footer("&C第 &P 页，共 &N 页")
    if spec.table and spec.rows:
        sheet.repeat_rows(0)


def source_folder() -> Path:
    """The workbook sources shipped as package data (the repository's workbook/ folder)."""
    return Path(str(files("pyxl.workbook")))


def vba_sources() -> dict[str, tuple[str, bool]]:
    """Module name → (source with CRLF line ends, is a class module), in project order.

    Ours from workbook/vba/, the generated RibbonText, then xlwings.bas and
    Dictionary.cls from the installed xlwings package (never copied into the
    repository).
    """
    # Located, not imported: pyxl.excel is the only module that imports xlwings.
    spec = importlib.util.find_spec("xlwings")
    if spec is None or spec.origin is None:
        raise RuntimeError("xlwings is not installed: it provides the VBA module of the master workbook")
    package = Path(spec.origin).parent
    paths = sorted((source_folder() / "vba").glob("*.bas")) + sorted((source_folder() / "vba").glob("*.cls"))
    texts = [(path.stem, path.read_bytes().decode("ascii"), path.suffix.lower() == ".cls") for path in paths]
    texts.append((RIBBON_TEXT_MODULE, ribbon_text_module(), False))
    for path in (package / "xlwings.bas", package / "addin" / "Dictionary.cls"):
        texts.append((path.stem, path.read_bytes().decode("ascii"), path.suffix.lower() == ".cls"))
    modules: dict[str, tuple[str, bool]] = {}
    for name, text, is_class in texts:
        text.encode("ascii")  # VBA source is ANSI: ASCII is the only safe subset
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
        modules[name] = (text, is_class)
    return modules


def custom_ui_xml() -> str:
    """The ribbon XML (2009/07 namespace) from workbook/customUI/customUI14.xml."""
    return (source_folder() / "customUI" / "customUI14.xml").read_text(encoding="utf-8")


def custom_ui_parts() -> dict[str, bytes]:
    """Both customUI parts: the 2006 copy differs only by its namespace."""
    text = custom_ui_xml()
    return {CUSTOM_UI_14: text.encode("utf-8"), CUSTOM_UI_12: text.replace(NS_UI_14, NS_UI_12).encode("utf-8")}


# ---------------------------------------------------------------- the ribbon's Chinese text

RIBBON_TEXT_MODULE = "RibbonText"
CAUSE_SILENT, CAUSE_OTHER = "cause_silent", "cause_other"


@dataclass(frozen=True)
class RibbonText:
    """workbook/vba/messages.yaml: the ribbon's messages and the signs of each failed start's cause."""

    messages: dict[str, str]
    causes: list[tuple[str, list[str]]]  # (message key, signs), first match wins

    def likely_cause(self, log: str) -> str:
        """The message key of the likely cause of a failed start, from what Python or cmd.exe printed.

        The generated VBA function PyxlCause decides the same way.
        """
        if not log.strip():
            return CAUSE_SILENT
        for cause, signs in self.causes:
            if any(sign in log for sign in signs):
                return cause
        return CAUSE_OTHER


def ribbon_text() -> RibbonText:
    """The ribbon's Chinese messages, read from workbook/vba/messages.yaml."""
    data = yaml.safe_load((source_folder() / "vba" / "messages.yaml").read_text(encoding="utf-8"))
    causes = [(entry["cause"], list(entry["signs"])) for entry in data["causes"]]
    return RibbonText(dict(data["messages"]), causes)


WIDE_CHARS = "W"  # RibbonText's private function: the text of decimal UTF-16 code units, each through ChrW


def vba_string(text: str) -> str:
    """A VBA string expression for `text` that is pure ASCII.

    Printable ASCII stays a literal (quotes doubled), line breaks become vbLf,
    and every run of other characters becomes W("n n ..."): their UTF-16 code
    units in decimal, which RibbonText turns back into text with ChrW.
    """
    parts: list[str] = []
    run, wide = "", []

    def flush() -> None:
        nonlocal run, wide
        if run:
            parts.append(f'"{run}"')
        for start in range(0, len(wide), 30):  # keeps every line short
            parts.append(f'{WIDE_CHARS}("{" ".join(wide[start:start + 30])}")')
        run, wide = "", []

    for char in text:
        if " " <= char <= "~":
            if wide:
                flush()
            run += '""' if char == '"' else char
        elif char == "\n":
            flush()
            parts.append("vbLf")
        else:
            if run:
                flush()
            if ord(char) > 0xFFFF:  # ChrW takes one UTF-16 unit
                raise ValueError(f"character outside the Basic Multilingual Plane in a ribbon message: {char!r}")
            wide.append(str(ord(char)))
    flush()
    return " & ".join(parts) or '""'


def _assign(target: str, text: str, indent: str, per_line: int = 6) -> list[str]:
    """`target = <text>` over several statements, so no line nears VBA's 1,023-character limit."""
    parts = vba_string(text).split(" & ") if text else ['""']
    lines = []
    for start in range(0, len(parts), per_line):
        chunk = " & ".join(parts[start:start + per_line])
        lines.append(f"{indent}{target} = {chunk}" if start == 0 else f"{indent}{target} = {target} & {chunk}")
    return lines


def ribbon_text_module(text: RibbonText | None = None, labels: dict[str, str] | None = None) -> str:
    """The VBA module RibbonText: PyxlMessage(key), PyxlCause(log), PyxlButtonLabel(id), all ASCII."""
    text = text or ribbon_text()
    if labels is None:
        root = ElementTree.fromstring(custom_ui_xml().encode("utf-8"))
        labels = {e.get("id", ""): e.get("label", "") for e in root.iter(f"{{{NS_UI_14}}}button")}
    out = [
        f'Attribute VB_Name = "{RIBBON_TEXT_MODULE}"',
        "Option Explicit",
        "",
        "' Generated by pyxl.master.xlsm from workbook/vba/messages.yaml and workbook/customUI/customUI14.xml",
        "' each time the workbook is built: edit those, not this. VBA source must stay ASCII, so the",
        "' Chinese text is written as UTF-16 code units, W(\"35831 ...\"), and built with ChrW.",
        "",
        "Public Function PyxlMessage(ByVal key As String) As String",
        "    Dim s As String",
        "    Select Case key",
    ]
    for key, message in text.messages.items():
        out.append(f'    Case "{key}"')
        out += _assign("s", message, "        ")
    out += ["    Case Else", "        s = key", "    End Select", "    PyxlMessage = s", "End Function", ""]
    out += [
        "' The PyxlMessage key of the likely cause of a failed start, from what Python or cmd.exe printed.",
        "Public Function PyxlCause(ByVal logText As String) As String",
        "    Dim sign As String",
        "    If Len(Trim$(Replace(Replace(Replace(logText, vbCr, \"\"), vbLf, \"\"), vbTab, \"\"))) = 0 Then",
        f'        PyxlCause = "{CAUSE_SILENT}"',
        "        Exit Function",
        "    End If",
    ]
    for cause, signs in text.causes:
        for sign in signs:
            out += _assign("sign", sign, "    ")
            out += ["    If InStr(1, logText, sign, vbBinaryCompare) > 0 Then",
                    f'        PyxlCause = "{cause}"', "        Exit Function", "    End If"]
    out += [f'    PyxlCause = "{CAUSE_OTHER}"', "End Function", ""]
    out += [
        "' A button's label as the ribbon shows it.",
        "Public Function PyxlButtonLabel(ByVal buttonId As String) As String",
        "    Dim s As String",
        "    Select Case buttonId",
    ]
    for button_id, label in labels.items():
        out.append(f'    Case "{button_id}"')
        out += _assign("s", label, "        ")
    out += ["    Case Else", "        s = buttonId", "    End Select", "    PyxlButtonLabel = s", "End Function", ""]
    out += [
        "' The text of space-separated decimal UTF-16 code units.",
        f"Private Function {WIDE_CHARS}(ByVal codes As String) As String",
        "    Dim code As Variant",
        "    For Each code In Split(codes, \" \")",
        f"        {WIDE_CHARS} = {WIDE_CHARS} & ChrW(CLng(code))",
        "    Next code",
        "End Function",
        "",
    ]
    return "\r\n".join(out)


# ---------------------------------------------------------------- sheets


def _write_sheets(sheets: Sequence[SheetSpec], created: datetime | None) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    book.set_properties({"title": "重点工作督查督办主控工作簿", "author": "pyxl", "created": created or datetime(2025, 1, 1)})
    base = {"font_name": "等线", "font_size": 11, "valign": "top"}
    header = book.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                              "valign": "vcenter", "align": "center"})
    plain = book.add_format(base)
    wrapped = book.add_format({**base, "text_wrap": True})
    text = book.add_format({**base, "num_format": "@", "text_wrap": True})
    dated = book.add_format({**base, "num_format": "yyyy-mm-dd"})
    for spec in sheets:
        sheet = book.add_worksheet(spec.name)
        if spec.tab_color:
            sheet.set_tab_color(spec.tab_color)
        for column, width in enumerate(spec.widths):
            column_format = text if column in spec.text_columns else (wrapped if spec.wrap else plain)
            sheet.set_column(column, column, width, column_format)
        for r, row in enumerate(spec.rows):
            for c, value in enumerate(row):
                if spec.table and r == 0:
                    sheet.write_string(r, c, str(value), header)
                    continue
                cell_format = text if c in spec.text_columns else (wrapped if spec.wrap else plain)
                if value is None or value == "":
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(r, c, value, cell_format)
                elif isinstance(value, datetime):
                    sheet.write_datetime(r, c, value, dated)
                elif isinstance(value, date):
                    sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), dated)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value, cell_format)
                else:
                    sheet.write_string(r, c, str(value), cell_format)
        last = max(len(spec.rows) + 500, 1000)  # room for the rows staff add below
        for column, choices in spec.lists.items():
            sheet.data_validation(1, column, last, column, {
                "validate": "list", "source": list(choices), "error_title": "请从列表选择",
                "error_message": "只能填：" + "、".join(choices) + "。"})
        for column in spec.dates:
            sheet.set_column(column, column, spec.widths[column] if column < len(spec.widths) else 12, dated)
            sheet.data_validation(1, column, last, column, {
                "validate": "date", "criteria": "between", "minimum": date(2000, 1, 1), "maximum": date(2100, 12, 31),
                "error_title": "请填写日期", "error_message": "请填日期，如 2025-05-08。"})
        if spec.table and spec.rows:
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, max(len(spec.rows) - 1, 1), max(len(spec.rows[0]) - 1, 0))
        if spec.wrap:
            _fit_rows(sheet, spec)
        if spec.hidden:
            sheet.hide()
        else:
            _print_setup(sheet, spec)
    if sheets and sheets[0].hidden:
        raise ValueError("the first sheet must stay visible")
    book.close()
    return buffer.getvalue()


# ---------------------------------------------------------------- VBA project


def _add_vba_project(xlsx: bytes) -> bytes:
    """The package with a VBA project holding our modules and xlwings', source only."""
    with tempfile.TemporaryDirectory(prefix="pyxl-build-") as folder:
        plain = Path(folder) / "sheets.xlsm"  # pyOpenVBA adds projects to .xlsm names only
        plain.write_bytes(xlsx)
        done = Path(folder) / "macro.xlsm"
        with ExcelFile(plain) as book:
            project = book.add_vba_project()
            for name, (source, is_class) in vba_sources().items():
                kind = VBAModuleKind.other if is_class else VBAModuleKind.standard
                project.add_module(name, source, kind=kind)
            for module in project.modules:
                # Rewritten, every module stream holds source only (MODULEOFFSET 0): no p-code from the template.
                module.dirty = True
            book.save(done, full_rebuild=True)
        return done.read_bytes()


def _source_only_project(vba_bin: bytes) -> bytes:
    cfb = CFB.from_bytes(vba_bin)
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", VBA_PROJECT_STREAM)
    return cfb.to_bytes()


# ---------------------------------------------------------------- package parts


def _with_custom_ui_relationships(rels: str) -> str:
    rels = re.sub(r'<Relationship\b[^>]*ui/extensibility"[^>]*/>', "", rels)
    added = (f'<Relationship Id="rIdPyxlUI14" Type="{REL_UI_14}" Target="{CUSTOM_UI_14}"/>'
             f'<Relationship Id="rIdPyxlUI12" Type="{REL_UI_12}" Target="{CUSTOM_UI_12}"/>')
    return rels.replace("</Relationships>", added + "</Relationships>", 1)


def _macro_enabled(types: str) -> str:
    types = types.replace(PLAIN_CONTENT_TYPE, MACRO_CONTENT_TYPE)
    if 'Extension="xml"' not in types:
        types = types.replace("</Types>", '<Default Extension="xml" ContentType="application/xml"/></Types>', 1)
    return types


def build_package(sheets: Sequence[SheetSpec], created: datetime | None = None) -> bytes:
    """The bytes of a complete .xlsm: sheets, VBA project, ribbon."""
    with_vba = _add_vba_project(_write_sheets(sheets, created))
    source = zipfile.ZipFile(io.BytesIO(with_vba))
    parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    parts[VBA_ENTRY] = _source_only_project(parts[VBA_ENTRY])
    parts["[Content_Types].xml"] = _macro_enabled(parts["[Content_Types].xml"].decode("utf-8")).encode("utf-8")
    parts["_rels/.rels"] = _with_custom_ui_relationships(parts["_rels/.rels"].decode("utf-8")).encode("utf-8")
    parts.update(custom_ui_parts())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        # [Content_Types].xml first, as Office writes it; some readers expect that.
        for name in sorted(parts, key=lambda n: (n != "[Content_Types].xml", n)):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, parts[name])
    return out.getvalue()
