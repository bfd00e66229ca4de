"""Writing one unit's workbook: the sheet a unit clerk fills in Excel or WPS.

The layout follows `pyxl.distribution.layout` exactly (title block, header titles, input
columns, footer, hidden identity sheet, locked-cell hash), because `collect`
reads returns back through the same contract. XlsxWriter writes it: it is
fast, keeps inline list validation as a plain dataValidation that every
reader understands, and never needs a spreadsheet program.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import BinaryIO, Mapping, Sequence

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from pyxl.common.model import STATUSES, ReturnRow
from pyxl.common.period import chinese_date
from pyxl.common.sheet_text import CJK_WIDEN, any_row_height, wrapped_lines
from pyxl.distribution import layout

# Sheet names: at most 31 UTF-16 code units, none of these characters, no
# leading/trailing apostrophe, not "History" (DESIGN.md). Forbidden ASCII
# characters become their full-width twins, which read the same to a person.
_SHEET_NAME_MAX = 31
_FULL_WIDTH = str.maketrans({"[": "［", "]": "］", ":": "：", "*": "＊", "?": "？", "/": "／", "\\": "＼"})
_FILE_FULL_WIDTH = str.maketrans({"<": "＜", ">": "＞", '"': "＂", "|": "｜", "\t": " ", "\n": " ", "\r": " "})
_RESERVED_SHEET_NAMES = {"history", layout.IDENTITY_SHEET.lower()}

# Column widths in Excel character units, in layout.COLUMNS order: wide for
# the texts people read and write, narrow for codes and numbers.
# The request columns at the end (申请新完成时限, 申请理由) are used now and then: kept narrow,
# with 佐证材料, so the sheet still prints one landscape A4 page wide at a legible size.
_WIDTHS = (8, 42, 9, 12, 12, 12, 10, 9, 11, 30, 16, 16, 16, 11, 14)
_LAST_COL = len(layout.COLUMNS) - 1
_COL = {title: i for i, title in enumerate(layout.COLUMNS)}
_HEADER_ROW = 4  # 1-based: title, unit/due date, instructions, then the header
# Cell format of each locked column (SheetRow.locked_values order); a target row uses its "_target" twin.
_LOCKED_STYLES = ("key", "text", "center", "text", "text", "center")
# Cell format of each input column: numbers right-aligned, the status centred, texts left.
_INPUT_STYLES = {title: {"本期完成值": "input_number", "完成进度(%)": "input_number", "状态": "input_center",
                         "申请新完成时限": "input_date"}.get(title, "input")
                 for title in layout.INPUT_COLUMNS}
_NUMBER_LIMIT = 999_999_999_999  # any realistic year-to-date value, negative growth included


@dataclass(frozen=True)
class SheetRow:
    """One data row of a unit sheet: the locked columns and what it stands for."""

    key: str  # 序号: "43" for a task, "43-1" for its first target
    task_number: str
    target_index: int | None  # 0-based index into Task.targets, None for a task row
    text: str  # 任务内容 (for a target row: the phrase the target came from)
    role: str  # 本单位职责: layout.ROLE_LEAD or layout.ROLE_RESPONSIBLE
    metric: str = ""  # 指标
    target: str = ""  # 目标值, in words
    deadline: str = ""  # 完成时限
    asks: tuple[str, ...] = layout.INPUT_COLUMNS  # the input columns this row asks; the others are locked and shaded

    @property
    def locked_values(self) -> tuple[str, ...]:
        """The values of layout.LOCKED_COLUMNS, as written and as hashed."""
        return (self.key, self.text, self.role, self.metric, self.target, self.deadline)

    @property
    def locked_lines(self) -> int:
        """Lines the tallest of the row's locked texts takes, at least two (room to type two lines)."""
        lines = 2
        for col, text in zip((1, 2, 3, 4, 5), self.locked_values[1:]):
            if col in _WRAPPED and text:
                lines = max(lines, wrapped_lines(text, _WRAPPED[col] / CJK_WIDEN))
        return lines


@dataclass
class SheetPlan:
    """A unit workbook as the calls that write it, before any file format.

    The calls are XlsxWriter worksheet calls (method, arguments, name of the
    cell format in _FORMAT_SPECS), recorded by `plan_unit_sheet` in the order
    it makes them. `write_plan` replays them through XlsxWriter;
    `pyxl.distribution.fast_book` writes the same bytes from them without it.
    The columns, view, print and protection settings are the same for every
    unit and are written by `write_plan` alone.
    """

    sheet_name: str
    title: str
    created: datetime
    password: str
    calls: list[tuple[str, tuple, str | None]] = field(default_factory=list)
    identity: tuple[tuple[str, str], ...] = ()  # the hidden sheet's lines: (key, value)

    def merge_range(self, first_row: int, first_col: int, last_row: int, last_col: int, text: str, style: str) -> None:
        self.calls.append(("merge_range", (first_row, first_col, last_row, last_col, text), style))

    def write_string(self, row: int, col: int, text: str, style: str) -> None:
        self.calls.append(("write_string", (row, col, text), style))

    def write_number(self, row: int, col: int, number: float, style: str) -> None:
        self.calls.append(("write_number", (row, col, number), style))

    def write_blank(self, row: int, col: int, blank: None, style: str) -> None:
        self.calls.append(("write_blank", (row, col, blank), style))

    def set_row(self, row: int, height: float) -> None:
        self.calls.append(("set_row", (row, height), None))

    def data_validation(self, *cells_and_options) -> None:
        self.calls.append(("data_validation", cells_and_options, None))

    def ignore_errors(self, ranges: dict[str, str]) -> None:
        self.calls.append(("ignore_errors", (ranges,), None))


def sheet_name_for(unit: str) -> str:
    """A legal, readable sheet name for `unit` (DESIGN.md sheet-name rules)."""
    name = unit.translate(_FULL_WIDTH).strip().strip("'").strip()
    encoded = name.encode("utf-16-le")
    if len(encoded) > 2 * _SHEET_NAME_MAX:
        # cut at 31 code units, never inside a surrogate pair
        name = encoded[: 2 * _SHEET_NAME_MAX].decode("utf-16-le", errors="ignore").rstrip().rstrip("'")
    if not name:
        name = "填报表"
    if name.lower() in _RESERVED_SHEET_NAMES:
        name = f"{name}_"
    return name


def file_name_part(unit: str) -> str:
    """`unit` made safe as part of a file name on Windows, macOS and Linux."""
    return unit.translate(_FULL_WIDTH).translate(_FILE_FULL_WIDTH).strip().strip(".") or "单位"


def _weekday(day: date) -> str:
    return "一二三四五六日"[day.weekday()]


NOTE = "只需填写浅黄色单元格（灰色格不用填）；填报说明见表格下方。"


def instructions(due_date: date, prefilled: bool, as_returned: bool = False) -> str:
    """The how-to-fill text shown below the table (a one-line NOTE above it points there)."""
    lines = [
        "填报说明：",
        "1. 只需填写浅黄色单元格：本期完成值、完成进度(%)、状态、进展情况、存在问题、下步措施、佐证材料，以及表尾的填报人、单位负责人、联系电话、填报日期；其余内容已锁定，不能修改。",
        "   任务内容为“（同上）”的行是上一行任务的量化指标，只填本期完成值；进展、状态等在任务那一行填写一次即可。",
        "2. 序号带“-”的行（如 43-1）是本单位牵头任务的量化指标：本期完成值填写年初至本期末的累计数（增速类填累计增速），只填数字，不带单位。",
        "3. 完成进度(%) 填 0—100 之间的数字；状态从下拉列表选择：" + "、".join(STATUSES) + "。",
        "   佐证材料：写明本行的佐证材料及文件名（如“照片3张；验收报告.pdf”），文件（照片、PDF、Word 等）与本表作为同一封邮件的附件发送，或与本表一起打包成一个 .zip；不要发送可执行程序。",
        "   牵头任务确需延期完成的，在该任务行的“申请新完成时限”填日期（如 2025-09-30）、“申请理由”写明原因，两项都要填；"
        "督查室审核后，同意的在下期表中改为新时限，不同意的在催报或督办单中告知。",
        "4. 请不要增删行列、改动表名或删除隐藏的工作表，否则报回后无法自动识别；用 Excel 或 WPS 填写均可，保存为 .xlsx 格式。",
        f"5. 请于 {chinese_date(due_date)}（星期{_weekday(due_date)}）前将本文件作为附件回复至督查室邮箱，文件名可不修改。",
    ]
    if as_returned:
        lines.append("6. 本表退回重报：表中是本单位报送的内容，请按退回意见逐项修改后，连同佐证材料重新发送。")
    elif prefilled:
        lines.append("6. 表中已预填本单位上次报送的内容，只需修改有变化的部分。")
    return "\n".join(lines)


def _prefill(previous: ReturnRow | None, as_returned: bool = False) -> dict[str, object]:
    """Input column → value to pre-fill from the unit's last accepted answer.

    `as_returned`: the sheet goes back to the unit to be redone (退回重报), so it
    holds what the unit sent, figures typed as text and the evidence named
    included; a new month's sheet never repeats last month's evidence.
    """
    if previous is None:
        return {}
    values: dict[str, object] = {}
    if previous.value is not None:
        values["本期完成值"] = previous.value
    elif as_returned and previous.value_text.strip():
        values["本期完成值"] = previous.value_text  # what the clerk typed (约1200): the e-mail says what to change
    if previous.percent is not None:
        values["完成进度(%)"] = previous.percent
    if previous.status in STATUSES:
        values["状态"] = previous.status
    for title in ("进展情况", "存在问题", "下步措施"):
        text = getattr(previous, layout.INPUT_FIELDS[title]) or ""
        if text.strip():
            values[title] = text
    if as_returned and previous.evidence.strip():
        values["佐证材料"] = previous.evidence
    return values


def write_unit_workbook(path: Path | BinaryIO, *plan_args, **plan_options) -> str:
    """Write the unit's workbook to `path` or a binary file object; return the sheet name.

    Writing to a path is not atomic: pass a temporary path, or a BytesIO
    and write its bytes atomically (what `pipeline.send_back` does).
    The other arguments are those of `plan_unit_sheet`. The bytes are XlsxWriter's
    (`write_plan`), through `fast_book` so that a text XlsxWriter would take
    for rich-text markup is written as the text it is.
    """
    from pyxl.distribution.fast_book import FastBookWriter  # it builds on this module's plan

    plan = plan_unit_sheet(*plan_args, **plan_options)
    data = FastBookWriter().write(plan)
    if hasattr(path, "write"):
        path.write(data)
    else:
        Path(path).write_bytes(data)
    return plan.sheet_name


def plan_unit_sheet(
    unit: str,
    period: str,
    rows: Sequence[SheetRow],
    due_date: date,
    previous: Mapping[str, ReturnRow] | None = None,
    password: str = "",
    year: int | None = None,
    key: bytes | None = None,
    as_returned: bool = False,
    footer_values: Mapping[str, str] | None = None,
) -> SheetPlan:
    """Everything the unit's workbook holds, in the order it is written, before any file format.

    `previous` maps row keys to the unit's last returned answers, which are
    pre-filled so the clerk only changes what moved. `year` is the plan year
    in the title (default: the period's year). The file's bytes depend only
    on the arguments, so a re-run gives the same file. `as_returned`: the
    sheet is sent back to be redone, pre-filled with what the unit returned
    (`previous`), evidence named included; `footer_values` fills footer
    cells by label (填报人, 联系电话) with what the unit wrote before.
    """
    period = str(period)
    year = year or int(period[:4])
    previous = previous or {}
    sheet_name = sheet_name_for(unit)
    # A fixed creation time keeps the bytes reproducible (XlsxWriter would use the clock).
    first_day = datetime(int(period[:4]), int(period[5:7]), 1, tzinfo=timezone.utc)
    title = layout.title(year, period)
    sheet = SheetPlan(sheet_name, title, first_day, password or "")
    fmt = {name: name for name in _FORMAT_SPECS}  # the plan names formats; write_plan makes them

    # ---- title block
    sheet.merge_range(0, 0, 0, _LAST_COL, title, fmt["title"])
    sheet.set_row(0, 30)
    sheet.merge_range(1, 0, 1, 5, f"{layout.UNIT_LABEL}{unit}", fmt["unit"])
    sheet.merge_range(
        1, 6, 1, _LAST_COL,
        f"报送截止：{chinese_date(due_date)}（星期{_weekday(due_date)}）",
        fmt["due"],
    )
    sheet.set_row(1, 22)
    prefilled = any(row.key in previous for row in rows)
    answers = {row.key: _prefill(previous.get(row.key), as_returned) for row in rows}
    # One line here, the full instructions under the table: the frozen rows above the
    # table stay short and leave most of a laptop screen to the rows being filled in.
    if as_returned:
        note = "退回重报：表中是本单位报送的内容，请按督查室邮件中的退回意见修改后重新报送；" + NOTE
    else:
        note = ("已预填本单位上次报送的内容，只需修改有变化的部分；" if prefilled else "") + NOTE
    sheet.merge_range(2, 0, 2, _LAST_COL, note, fmt["note"])
    sheet.set_row(2, 18)

    # ---- header and data rows
    header = _HEADER_ROW - 1
    for col, title_text in enumerate(layout.COLUMNS):
        sheet.write_string(header, col, title_text, fmt["header"])
    sheet.set_row(header, 30)

    value_task_cells: list[str] = []
    value_target_cells: list[str] = []
    first = header + 1
    write_string, write_blank, write_number, set_row = sheet.write_string, sheet.write_blank, sheet.write_number, sheet.set_row
    locked_formats = {
        is_target: tuple(fmt[f"{style}_target" if is_target else style] for style in _LOCKED_STYLES)
        for is_target in (False, True)
    }
    input_cells: dict[tuple[str, ...], tuple[tuple[str, int, object], ...]] = {}  # asks → (title, column, format) per input column
    value_col = _COL["本期完成值"]
    for offset, row in enumerate(rows):
        r = first + offset
        is_target = row.target_index is not None
        for col, (text, style) in enumerate(zip(row.locked_values, locked_formats[is_target])):
            write_string(r, col, text, style)
        cells = input_cells.get(row.asks)
        if cells is None:
            cells = input_cells[row.asks] = tuple(
                (title_text, _COL[title_text], fmt[_INPUT_STYLES[title_text]] if title_text in row.asks else fmt["closed"])
                for title_text in layout.INPUT_COLUMNS
            )
        values = {k: v for k, v in answers[row.key].items() if k in row.asks}
        for title_text, col, style in cells:
            value = values.get(title_text)
            if value is None:
                write_blank(r, col, None, style)
            elif isinstance(value, (int, float)):
                write_number(r, col, value, style)
            else:
                write_string(r, col, value, style)
        (value_target_cells if is_target else value_task_cells).append(xl_rowcol_to_cell(r, value_col))
        set_row(r, _row_height(row, values))
    last = first + len(rows) - 1

    # ---- validation: only at entry (pasting removes it), collect checks again
    if rows:
        number_error = {"error_title": "请填写数字", "error_type": "stop"}

        def numbers_only(cells: list[str], title: str, message: str, error: str) -> None:
            """One decimal validation over `cells` (one rule for many ranges: the file stays small)."""
            if cells:
                sheet.data_validation(cells[0] + ":" + cells[0], {
                    "validate": "decimal", "criteria": "between", "minimum": -_NUMBER_LIMIT, "maximum": _NUMBER_LIMIT,
                    "multi_range": " ".join(cells), "input_title": title, "input_message": message,
                    "error_message": error, **number_error,
                })

        numbers_only(value_target_cells, "本期完成值（指标）",
                     "填写年初至本期末的累计完成数（增速类指标填累计增速），只填数字，不带单位。",
                     "本期完成值只能填数字（不带单位、不带%），例如 3400 或 5.2。")
        numbers_only(value_task_cells, "本期完成值",
                     "任务有可量化的累计完成数时填写数字，没有可留空；文字进展请写在“进展情况”。",
                     "本期完成值只能填数字（不带单位），没有可留空。")
        sheet.data_validation(
            first, _COL["完成进度(%)"], last, _COL["完成进度(%)"],
            {
                "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
                "input_title": "完成进度(%)",
                "input_message": "填 0—100 之间的数字，例如 60 表示完成 60%，不带%。",
                "error_message": "完成进度只能填 0 到 100 之间的数字（不带%）。",
                **number_error,
            },
        )
        sheet.data_validation(
            first, _COL["状态"], last, _COL["状态"],
            {
                "validate": "list", "source": list(STATUSES),
                "input_title": "状态", "input_message": "请从下拉列表选择：" + "、".join(STATUSES) + "。",
                "error_title": "请从列表选择", "error_message": "状态只能是：" + "、".join(STATUSES) + "。",
            },
        )
        asking = [xl_rowcol_to_cell(first + i, _COL["申请新完成时限"]) for i, row in enumerate(rows)
                  if "申请新完成时限" in row.asks]
        if asking:
            sheet.data_validation(asking[0] + ":" + asking[0], {
                "validate": "date", "criteria": "between",
                "minimum": date(year, 1, 1), "maximum": date(year + 5, 12, 31), "multi_range": " ".join(asking),
                "input_title": "申请新完成时限", "input_message": "确需延期时填写日期，如 2025-09-30，并在右侧填写申请理由；不申请则留空。",
                "error_title": "请填写日期", "error_type": "stop",
                "error_message": "申请新完成时限只能填日期，如 2025-09-30。",
            })
        # 序号 is text on purpose (43 and 43-1 alike): no green "number stored as text" marks.
        sheet.ignore_errors({"number_stored_as_text": f"A{first + 1}:A{last + 1}"})

    # ---- footer: label, then the value right of it; the unit head signs off beside the clerk
    footer = last + 2
    for label in layout.FOOTER_LABELS:
        down, col = layout.FOOTER_PLACES[label]
        sheet.write_string(footer + down, col, label, fmt["footer_label"])
        known = (footer_values or {}).get(label, "")
        if known and label != "填报日期":  # a new date is the clerk's to write
            sheet.write_string(footer + down, col + 1, known, fmt["footer_value"])
        else:
            sheet.write_blank(footer + down, col + 1, None, fmt["footer_date" if label == "填报日期" else "footer_value"])
    for down in {down for down, _ in layout.FOOTER_PLACES.values()}:
        sheet.set_row(footer + down, 24)
    text = instructions(due_date, prefilled, as_returned)
    help_row = footer + max(down for down, _ in layout.FOOTER_PLACES.values()) + 2
    sheet.merge_range(help_row, 0, help_row, _LAST_COL, text, fmt["help"])
    # merged cells never grow by themselves: room for each line as it wraps across the table's width
    help_lines = sum(wrapped_lines(line, int(sum(_WIDTHS) / CJK_WIDEN) - 4) for line in text.split("\n"))
    sheet.set_row(help_row, help_lines * _LINE_POINTS_10 + 6)

    sheet.identity = _identity(unit, period, sheet_name, rows, key)
    return sheet


def write_plan(plan: SheetPlan, path: Path | BinaryIO) -> None:
    """Write `plan` through XlsxWriter to `path` or a binary file object: the reference writer."""
    book = xlsxwriter.Workbook(path if hasattr(path, "write") else str(path), {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    book.set_properties({"title": plan.title, "author": "pyxl", "created": plan.created})
    formats = {name: book.add_format(spec) for name, spec in _FORMAT_SPECS.items()}
    sheet = book.add_worksheet(plan.sheet_name)
    for col, width in enumerate(_WIDTHS):
        sheet.set_column(col, col, width)
    for method, args, style in plan.calls:
        if style is None:
            getattr(sheet, method)(*args)
        else:
            getattr(sheet, method)(*args, formats[style])

    # ---- view, print and protection
    header = _HEADER_ROW - 1
    sheet.freeze_panes(header + 1, 2)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    sheet.set_footer("&C第 &P 页，共 &N 页")
    sheet.protect(plan.password, {"format_rows": True, "format_columns": True})
    sheet.activate()

    identity = book.add_worksheet(layout.IDENTITY_SHEET)
    for r, (name, value) in enumerate(plan.identity):
        identity.write_string(r, 0, name)
        identity.write_string(r, 1, value)
    identity.set_column(0, 0, 14)
    identity.set_column(1, 1, 60)
    identity.protect()
    identity.hide()
    book.close()


def _identity(unit: str, period: str, sheet_name: str, rows: Sequence[SheetRow],
              key: bytes | None = None) -> tuple[tuple[str, str], ...]:
    """The hidden sheet's lines that recognise a return by content (layout.IDENTITY_KEYS, in A:B)."""
    values = {
        layout.ID_UNIT: unit,
        layout.ID_PERIOD: period,
        layout.ID_VERSION: layout.TEMPLATE_VERSION,
        layout.ID_SHEET: sheet_name,
        layout.ID_HEADER_ROW: str(_HEADER_ROW),
        layout.ID_KEYS: layout.KEY_SEPARATOR.join(row.key for row in rows),
        layout.ID_HASH: layout.locked_hash(unit, period, (row.locked_values for row in rows), key),
    }
    return tuple((name, values[name]) for name in layout.IDENTITY_KEYS)


# Columns whose text wraps, with their usable width (a little less than the column).
_WRAPPED = {col: _WIDTHS[col] - 1.5 for col in (1, 3, 4, 5, 9, 10, 11, 12)}
# Rows are sized for Excel, WPS and LibreOffice alike (pyxl.common.sheet_text).
_LINE_POINTS_10 = 14.2  # one line of the 10 pt instructions, the tallest of the three


def _row_height(row: SheetRow, answers: Mapping[str, object]) -> float:
    """Row height that shows the longest wrapped text of the row in Excel, WPS and LibreOffice alike.

    Neither Excel nor LibreOffice fits row heights when opening a generated
    file, so the height is set here; the clerk may still resize rows.
    The row's locked texts and any pre-filled answers count.
    """
    lines = row.locked_lines  # at least two: room to type two lines of 进展情况 without resizing
    for title_text, value in answers.items():
        if isinstance(value, str) and value:
            width = _WRAPPED.get(_COL[title_text], _WIDTHS[_COL[title_text]] - 1.5)
            lines = max(lines, wrapped_lines(value, width / CJK_WIDEN))
    return any_row_height(lines)


def header_row() -> int:
    """1-based Excel row of the header titles (also written to the identity sheet)."""
    return _HEADER_ROW


def _format_specs() -> dict[str, dict[str, object]]:
    """XlsxWriter format properties of each named cell format of the unit sheet."""
    base = {"font_name": "宋体", "font_size": 11, "valign": "top", "text_wrap": True}
    cell = {**base, "border": 1}
    target = {"bg_color": "#F2F2F2"}  # target rows shaded, so they read as belonging to the task above
    unlocked = {**cell, "locked": False, "bg_color": "#FFF2CC"}
    specs = {
        "title": {"font_name": "黑体", "font_size": 16, "bold": True, "align": "center", "valign": "vcenter"},
        "unit": {"font_name": "宋体", "font_size": 12, "bold": True, "valign": "vcenter"},
        "due": {"font_name": "宋体", "font_size": 12, "bold": True, "font_color": "#C00000", "align": "right", "valign": "vcenter"},
        "help": {**base, "font_size": 10, "align": "left"},
        "note": {"font_name": "宋体", "font_size": 10, "align": "left", "valign": "vcenter", "font_color": "#595959"},
        "closed": {**cell, "bg_color": "#E7E6E6"},
        "header": {**cell, "bold": True, "align": "center", "valign": "vcenter", "bg_color": "#D9D9D9"},
        "key": {**cell, "align": "center", "bold": True},
        "key_target": {**cell, **target, "align": "center"},
        "text": cell,
        "text_target": {**cell, **target, "indent": 1},
        "center": {**cell, "align": "center"},
        "center_target": {**cell, **target, "align": "center"},
        "input": unlocked,
        "input_center": {**unlocked, "align": "center"},
        "input_number": {**unlocked, "align": "right"},
        "input_date": {**unlocked, "align": "center", "num_format": "yyyy-mm-dd"},
        "footer_label": {"font_name": "宋体", "font_size": 11, "bold": True, "align": "right"},
        "footer_value": {"font_name": "宋体", "font_size": 11, "locked": False, "bottom": 1, "bg_color": "#FFF2CC"},
        "footer_date": {
            "font_name": "宋体", "font_size": 11, "locked": False, "bottom": 1, "bg_color": "#FFF2CC",
            "num_format": 'yyyy"年"m"月"d"日"', "align": "left",
        },
    }
    return specs


_FORMAT_SPECS = _format_specs()
