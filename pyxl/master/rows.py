"""The master workbook's data sheets as plain rows, both ways.

Responsibilities.xlsm holds the duty table (任务清单 + 指标), the unit
directory (单位) and a few settings (设置) that the office staff edit. This
module turns a DutyTable, a UnitDirectory and the settings into rows of cell
values (header row first) and reads such rows back — from a saved file with
python-calamine, or from the live workbook through the Excel adapter. It
knows nothing about how a workbook file is assembled (pyxl.master.xlsm) or about
Excel (pyxl.excel).

Several values in one cell (units, aliases, e-mails) are joined with 「、」
and split back on read. A deadline is written as its phrase with the date it
means in brackets, 「6月份竣工（2025-06-30）」, so staff see the date pyxl
will use and can correct either part.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Sequence

from pydantic import ValidationError
from python_calamine import CalamineWorkbook

from pyxl.common.config import Settings, check_address, expected_value
from pyxl.common.errors import PyxlError
from pyxl.common.model import (
    Deadline,
    DutyTable,
    Section,
    Subsection,
    Target,
    Task,
    Unit,
    UnitDirectory,
    stretch_exceeds_in,
)
from pyxl.common import life
from pyxl.common.period import Period
from pyxl.common.problems import Problem, problem, register_code
from pyxl.common.sheet_xml import declared_extents
from pyxl.common.spreadsheets import cell_name


def _column_name(column: int) -> str:
    """A 0-based column's letters (0 → A), for naming a bad cell."""
    from xlsxwriter.utility import xl_col_to_name  # xlsxwriter only when a cell is named

    return xl_col_to_name(column)


SHEET_USAGE = "使用说明"
SHEET_TASKS = "任务清单"
SHEET_INDICATORS = "指标"
SHEET_UNITS = "单位"
SHEET_SETTINGS = "设置"
SHEET_CONF = "xlwings.conf"  # name fixed by xlwings: key/value pairs in A:B, no header
# hidden: config.yaml's values of the 设置 rows when the master was (re)built, so a later edit
# of config.yaml is noticed instead of silently losing to the 设置 sheet
SHEET_BASELINE = "生成记录"
BASELINE_HEADERS = ("设置项", "生成时 config.yaml 中的值")
DATA_SHEETS = (SHEET_TASKS, SHEET_INDICATORS, SHEET_UNITS, SHEET_SETTINGS)
# 退回重报: the office lists the returns to send back (unit, its own note, whether to list the
# checks' problems); the ribbon button of the same name sends them and writes the outcome.
SHEET_SEND_BACK = "退回重报"
SEND_BACK_HEADERS = ("单位", "退回意见", "附上校验问题", "处理结果")
SEND_BACK_CHOICES = ("是", "否")  # 附上校验问题
# The office's decisions on a task's life (pyxl.common.life): requests for a new deadline with
# their approval, the office's own 调整, and 销号. Staff edit them; a rebuild keeps them.
SHEET_REQUESTS = "申请审批"
SHEET_CLOSURES = "销号"
# The sheets where the office writes what it decided; a rebuild keeps their rows.
LIFE_SHEETS = (SHEET_REQUESTS, SHEET_CLOSURES, SHEET_SEND_BACK)
REQUEST_HEADERS = ("期次", "类型", "序号", "单位", "原完成时限", "申请新完成时限", "申请理由", "来源",
                   "审批结果", "新完成时限", "审批日期", "说明")
CLOSURE_HEADERS = ("序号", "任务内容", "牵头单位", "报已完成期次", "操作", "日期", "说明")

TASK_HEADERS = ("序号", "篇章", "分节", "任务内容", "牵头单位", "责任单位", "完成时限", "备注")
INDICATOR_HEADERS = (
    "任务序号", "指标", "目标值", "力争值", "单位", "类型", "比较", "是否仅年度考核", "完成时限", "原文",
    "核定期次", "核定完成值",
)
# Columns a master built before them may lack: read as empty.
_OPTIONAL_INDICATOR_HEADERS = ("原文", "核定期次", "核定完成值")
UNIT_HEADERS = ("单位", "类别", "别名", "联系人", "邮箱", "电话")
SETTING_HEADERS = ("项目", "值", "说明")

LIST_SEPARATOR = "、"
DEADLINE_SEPARATOR = "；"
YES, NO = "是", "否"

KIND_LABELS = {
    "growth": "增速",
    "count": "数量",
    "amount": "金额",
    "measure": "实物量",
    "ratio": "比率",
    "level": "水平",
}
COMPARATOR_LABELS = {">=": "不低于", "<=": "不高于", "=": "等于"}
_COMPARATORS_READ = {**{v: k for k, v in COMPARATOR_LABELS.items()}, ">=": ">=", "<=": "<=", "=": "=", "≥": ">=", "≤": "<="}
_KINDS_READ = {**{v: k for k, v in KIND_LABELS.items()}, **{k: k for k in KIND_LABELS}}

# 设置 sheet: label → (where it lives in Settings, help text). Each setting has one home
# (README「设置在哪里」): 区县 and 分工文件 are config.yaml's, shown here to say what the master
# was built from; 计划年度 and 分工文件标题 come with the duty table; the rest (SHEET_HOME) live
# in this sheet once the master exists, config.yaml's value only fills them in at the build.
SETTING_ROWS: dict[str, tuple[str, str]] = {
    "区县": ("district", "生成本工作簿时的区县（在 config.yaml 的 district 中修改，改后须重新导入分工文件）"),
    "分工文件": ("paths.document", "导入的分工文件（在 config.yaml 的 paths.document 中修改，改后须重新导入）"),
    "计划年度": ("year", "分工文件的计划年度"),
    "分工文件标题": ("title", "分工文件的标题"),
    "当前期次": ("period.current", "本月督办的期次，写成 年-月，如 2025-06；各按钮按这一期次运行"),
    "回收截止日": ("period.return_due_day", "每期结束后下月的几号前报回"),
    "黄灯比例": ("thresholds.yellow_ratio", "累计指标：完成值达到序时目标的这一比例以上为黄灯，低于为红灯"),
    "增速黄灯百分点": ("thresholds.growth_yellow_points", "增速指标：低于目标不超过这么多个百分点为黄灯"),
    "数据冲突容差": ("thresholds.conflict_tolerance", "牵头与责任单位报送同一指标相差超过这一比例视为数据冲突"),
    "连续未更新期数": ("thresholds.stale_periods", "进展情况连续这么多期相同视为连续未更新"),
}

# the 设置 rows whose home is the master (the others are shown, not read back as settings)
SHEET_HOME = tuple(label for label, (path, _) in SETTING_ROWS.items() if path.startswith(("period.", "thresholds.")))
FROM_CONFIG = ("区县", "分工文件")  # shown in 设置, set in config.yaml

MASTER_BAD_CELL = register_code(
    "master-bad-cell",
    "error",
    "主控工作簿中某个单元格的内容无法识别（如目标值不是数字、日期写法不对、类型或比较方式不在可选范围内）；"
    "按提示改正该单元格后保存即可。",
    "主控工作簿",
)
MASTER_UNKNOWN_TASK = register_code(
    "master-unknown-task",
    "error",
    "「指标」表中的任务序号在「任务清单」中找不到，这一行指标被忽略；请改成任务清单中已有的序号或删除该行。",
    "主控工作簿",
)
MASTER_DUPLICATE = register_code(
    "master-duplicate",
    "error",
    "「任务清单」中任务序号重复，或「单位」表中单位名称重复，后一行被忽略；请改成唯一的序号或名称。",
    "主控工作簿",
)

Rows = list[list[Any]]


# ---------------------------------------------------------------- cell helpers


def join_list(values: Sequence[str]) -> str:
    """Several names in one cell: 区发改局、区财政局."""
    return LIST_SEPARATOR.join(v for v in values if v)


_LIST_SEPARATORS = re.compile(r"[、,，;；\n]+")


def split_list(cell: Any) -> list[str]:
    """The names in a cell, split on 、 and on the separators people type instead."""
    text = cell_str(cell)
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()] if text else []


def cell_str(value: Any) -> str:
    """A cell as text: None is empty, 12.0 is 12, a date is ISO."""
    if value is None:
        return ""
    if type(value) is str:  # most cells: the rest of the checks are for numbers and dates
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _number_cell(value: float | None) -> Any:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def format_deadlines(deadlines: Sequence[Deadline]) -> str:
    """`6月份竣工（2025-06-30）；尽快` — the phrase and the date pyxl uses."""
    parts = []
    for item in deadlines:
        if item.date is None:
            parts.append(item.phrase)
        elif item.phrase == item.date.isoformat() or not item.phrase:
            parts.append(item.date.isoformat())
        else:
            parts.append(f"{item.phrase}（{item.date.isoformat()}）")
    return DEADLINE_SEPARATOR.join(parts)


_DATED = re.compile(r"^(?P<phrase>.*?)[（(]\s*(?P<date>\d{4}-\d{1,2}-\d{1,2})\s*[）)]$")
_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def _parse_date(text: str) -> date:
    year, month, day = (int(part) for part in text.split("-"))
    return date(year, month, day)


def parse_deadlines(cell: Any) -> list[Deadline]:
    """Inverse of format_deadlines; a real date cell is one dated deadline. Raises ValueError."""
    if isinstance(cell, datetime):
        cell = cell.date()
    if isinstance(cell, date):
        return [Deadline(cell.isoformat(), cell)]
    result = []
    for part in re.split(r"[；;\n]+", cell_str(cell)):
        part = part.strip()
        if not part:
            continue
        found = _DATED.match(part)
        if found:
            result.append(Deadline(found["phrase"].strip() or found["date"], _parse_date(found["date"])))
        elif _ISO.match(part):
            result.append(Deadline(part, _parse_date(part)))
        else:
            result.append(Deadline(part, None))
    return result


def _optional_date(cell: Any) -> date | None:
    if cell is None or cell_str(cell) == "":
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = cell_str(cell)
    found = _DATED.match(text)
    return _parse_date(found["date"] if found else text)


def _number(cell: Any) -> float | None:
    if cell is None or cell_str(cell) == "":
        return None
    if isinstance(cell, bool):
        raise ValueError(cell)
    if isinstance(cell, (int, float)):
        return float(cell)
    return float(cell_str(cell).replace(",", "").rstrip("%"))


def _yes(cell: Any) -> bool:
    if isinstance(cell, bool):
        return cell
    text = cell_str(cell).lower()
    if text in ("是", "y", "yes", "true", "1", "√", "✓"):
        return True
    if text in ("", "否", "n", "no", "false", "0"):
        return False
    raise ValueError(text)


# ---------------------------------------------------------------- writing


def section_label(section: Section | None, section_id: str) -> str:
    """篇章 cell: `二、扩大有效需求` (the id alone when the title is unknown)."""
    if section is None or not section.title:
        return section_id
    return f"{section.id}、{section.title}"


def subsection_label(subsection: Subsection | None, subsection_id: str | None) -> str:
    """分节 cell: `（一）强化创新驱动` (the id alone when the title is unknown, empty without one)."""
    if not subsection_id:
        return ""
    if subsection is None or not subsection.title:
        return subsection_id
    return f"{subsection.id}{subsection.title}"


def task_rows(table: DutyTable) -> Rows:
    """任务清单: header row, then one row per task."""
    sections = {s.id: s for s in table.sections}
    rows: Rows = [list(TASK_HEADERS)]
    for task in table.tasks:
        section = sections.get(task.section)
        subsection = None
        if section is not None and task.subsection:
            subsection = next((s for s in section.subsections if s.id == task.subsection), None)
        rows.append([
            task.number,
            section_label(section, task.section),
            subsection_label(subsection, task.subsection),
            task.text,
            join_list(task.lead_units),
            join_list(task.responsible_units),
            format_deadlines(task.deadlines),
            task.note,
        ])
    return rows


def indicator_rows(table: DutyTable) -> Rows:
    """指标: header row, then one row per target of every task."""
    rows: Rows = [list(INDICATOR_HEADERS)]
    for task in table.tasks:
        for target in task.targets:
            rows.append([
                task.number,
                target.metric,
                _number_cell(target.value),
                _number_cell(target.stretch),
                target.unit,
                KIND_LABELS.get(target.kind, target.kind),
                COMPARATOR_LABELS.get(target.comparator, target.comparator),
                YES if target.annual_only else NO,
                target.deadline,
                target.phrase,
                target.accepted_period,
                _number_cell(target.accepted_value),
            ])
    return rows


def request_rows(changes: Sequence[life.DeadlineChange]) -> Rows:
    """申请审批: header row, then one row per request or 调整, oldest period first."""
    rows: Rows = [list(REQUEST_HEADERS)]
    for c in changes:
        rows.append([c.period, c.kind, c.task, c.unit, c.old_deadline, c.requested, c.reason, c.source,
                     c.result, c.new_deadline, c.decided, c.note])
    return rows


def closure_rows(entries: Sequence[Sequence[Any]]) -> Rows:
    """销号: header row, then the rows as given (CLOSURE_HEADERS order)."""
    return [list(CLOSURE_HEADERS), *[list(row) for row in entries]]


def unit_rows(directory: UnitDirectory) -> Rows:
    """单位: header row, then one row per unit (groups stay in config.yaml)."""
    rows: Rows = [list(UNIT_HEADERS)]
    for unit in directory.units:
        rows.append([unit.name, unit.kind, join_list(unit.aliases), unit.contact, join_list(unit.emails), unit.phone])
    return rows


def _setting_value(settings: Settings, table: DutyTable | None, path: str, document: str | None = None) -> Any:
    if path == "paths.document" and document is not None:
        return document
    if path == "title":
        return table.title if table else ""
    if path == "year":
        return table.year if table else settings.year
    value: Any = settings
    for part in path.split("."):
        value = getattr(value, part)
    return value


def setting_rows(settings: Settings, table: DutyTable | None, document: str | None = None) -> Rows:
    """设置: 项目 / 值 / 说明, values from config.yaml and the duty table (`document`: the file imported)."""
    rows: Rows = [list(SETTING_HEADERS)]
    for label, (path, help_text) in SETTING_ROWS.items():
        rows.append([label, _setting_value(settings, table, path, document), help_text])
    return rows


# a unit's cells whose home is the 单位 sheet once the master exists: config.yaml key → column
UNIT_HOME_FIELDS = {"email": "邮箱", "contact": "联系人", "phone": "电话"}


def unit_field(unit: Unit, field_name: str) -> str:
    """A unit's e-mails, contact or phone as its 单位 cell holds it."""
    return join_list(unit.emails) if field_name == "email" else getattr(unit, field_name)


def unit_key(name: str, field_name: str) -> str:
    """生成记录's key of a unit's cell: units.区财政局.email."""
    return f"units.{name}.{field_name}"


def baseline_rows(settings: Settings) -> Rows:
    """生成记录 (hidden): config.yaml's value of each setting that lives in the master, as built.

    The 设置 rows of SHEET_HOME, and each unit's e-mails, contact and phone (the 单位 sheet's).
    """
    rows: Rows = [list(BASELINE_HEADERS)]
    for label in SHEET_HOME:
        rows.append([SETTING_ROWS[label][0], _setting_value(settings, None, SETTING_ROWS[label][0])])
    for unit in settings.unit_directory().units:
        rows += [[unit_key(unit.name, name), unit_field(unit, name)] for name in UNIT_HOME_FIELDS]
    return rows


def same_cell(a: Any, b: Any) -> bool:
    """Two cells holding the same names or text, however separated (「a、b」 is 「a,b」)."""
    return join_list(split_list(a)) == join_list(split_list(b))


def unit_config_edits(settings: Settings, data: "MasterData") -> list[str]:
    """Messages for units whose e-mails, contact or phone changed in config.yaml since the build while
    the 单位 sheet, which is their home now, says otherwise: such an edit would be lost without a word."""
    baseline = data.baseline_values()
    rows = data.rows(SHEET_UNITS)
    if baseline is None or not rows:
        return []
    columns = {cell_str(cell): i for i, cell in enumerate(rows[0])}
    if "单位" not in columns:
        return []
    by_name = {cell_str(row[columns["单位"]]): row for _, row in _data_rows(rows) if columns["单位"] < len(row)}
    messages = []
    for unit in settings.unit_directory().units:
        row = by_name.get(unit.name)
        for name, header in UNIT_HOME_FIELDS.items():
            key = unit_key(unit.name, name)
            if row is None or key not in baseline or header not in columns:
                continue
            now, sheet = unit_field(unit, name), row[columns[header]] if columns[header] < len(row) else None
            if not same_cell(now, baseline[key]) and not same_cell(sheet, now):
                messages.append(
                    f"config.yaml 中单位「{unit.name}」的 {name} 在生成主控工作簿后改成了「{now}」，但生成后单位的{header}以主控工作簿"
                    f"「{SHEET_UNITS}」表为准（现为「{cell_str(sheet)}」），config.yaml 的修改没有生效：请在「{SHEET_UNITS}」表中修改并保存；"
                    f"或运行 pyxl build-workbook --force 把 config.yaml 的新值写入「{SHEET_UNITS}」表"
                )
    return messages


# ---------------------------------------------------------------- reading


def _data_rows(rows: Rows) -> list[tuple[int, list[Any]]]:
    """(Excel row number, cells) of the non-empty rows below the header."""
    result = []
    for index, row in enumerate(rows[1:], start=2):
        if any(cell_str(cell) for cell in row):
            result.append((index, list(row)))
    return result


def _cell(row: list[Any], columns: dict[str, int], header: str) -> Any:
    """The cell under `header` in `row`; None when the sheet lacks the column or the row is short."""
    index = columns.get(header)
    return row[index] if index is not None and index < len(row) else None


def _header_index(rows: Rows, headers: Sequence[str], sheet: str) -> dict[str, int]:
    if not rows:
        raise PyxlError(f"主控工作簿的「{sheet}」表是空的：请用 pyxl build-workbook --force 重新生成，或从备份中恢复。")
    found = {cell_str(cell): i for i, cell in enumerate(rows[0])}
    missing = [h for h in headers if h not in found]
    if missing:
        raise PyxlError(
            f"主控工作簿的「{sheet}」表缺少表头「{'、'.join(missing)}」：请恢复第 1 行的表头（不要改动表头文字）后保存再试。"
        )
    return found


@dataclass
class MasterData:
    """What the staff keep in the master: the rows of its data sheets, as read."""

    sheets: dict[str, Rows] = field(default_factory=dict)
    file: str = ""  # how problems name the workbook

    def rows(self, sheet: str) -> Rows:
        """The rows of `sheet` as read (header first), empty when the workbook lacks it."""
        return self.sheets.get(sheet, [])

    def settings_values(self) -> dict[str, Any]:
        """设置 sheet as label → value."""
        values = {}
        for _, row in _data_rows(self.rows(SHEET_SETTINGS)):
            label = cell_str(row[0]) if row else ""
            if label:
                values[label] = row[1] if len(row) > 1 else None
        return values

    def baseline_values(self) -> dict[str, Any] | None:
        """生成记录 as setting path → config.yaml's value at the build; None for a master built before it existed."""
        if SHEET_BASELINE not in self.sheets:
            return None
        return {cell_str(row[0]): row[1] if len(row) > 1 else None
                for _, row in _data_rows(self.rows(SHEET_BASELINE)) if row and cell_str(row[0])}

    def conf_values(self) -> dict[str, Any]:
        """xlwings.conf sheet as key → value (no header row)."""
        values = {}
        for row in self.rows(SHEET_CONF):
            if row and cell_str(row[0]):
                values[cell_str(row[0])] = row[1] if len(row) > 1 else None
        return values

    def plan_year(self, default_year: int, values: dict[str, Any] | None = None) -> int:
        """设置's 计划年度, else `default_year` (the year of the duty table this master rebuilds)."""
        values = self.settings_values() if values is None else values
        try:
            return int(_number(values.get("计划年度")) or default_year)
        except ValueError:
            return default_year

    def duty_table(self, default_year: int) -> DutyTable:
        """Rebuild the duty table from 任务清单, 指标 and 设置; bad cells become problems."""
        problems: list[Problem] = []
        values = self.settings_values()
        year = self.plan_year(default_year, values)
        title = cell_str(values.get("分工文件标题"))

        def bad(sheet: str, row: int, column: int, message: str, code: str = MASTER_BAD_CELL) -> None:
            problems.append(problem(code, message, file=self.file, sheet=sheet, cell=f"{_column_name(column)}{row}"))

        rows = self.rows(SHEET_TASKS)
        col = _header_index(rows, TASK_HEADERS, SHEET_TASKS)
        sections: dict[str, Section] = {}
        subsections: set[tuple[str, str]] = set()
        tasks: dict[str, Task] = {}
        for number_row, row in _data_rows(rows):
            cell = lambda header: _cell(row, col, header)  # noqa: E731
            number = cell_str(cell("序号"))
            if not number:
                bad(SHEET_TASKS, number_row, col["序号"], "这一行有内容但没有序号：请填写任务序号，或删除整行。")
                continue
            if number in tasks:
                bad(SHEET_TASKS, number_row, col["序号"], f"任务序号「{number}」重复：请改成唯一的序号。", MASTER_DUPLICATE)
                continue
            section_id, section_title = _split_section(cell_str(cell("篇章")))
            section = sections.setdefault(section_id, Section(section_id, section_title))
            subsection_id, subsection_title = _split_subsection(cell_str(cell("分节")))
            if subsection_id and (section_id, subsection_id) not in subsections:
                subsections.add((section_id, subsection_id))
                section.subsections.append(Subsection(subsection_id, subsection_title))
            try:
                deadlines = parse_deadlines(cell("完成时限"))
            except ValueError:
                bad(SHEET_TASKS, number_row, col["完成时限"],
                    "完成时限中的日期写法不对：日期请写成「6月底前（2025-06-30）」或 2025-06-30。")
                deadlines = []
            lead = split_list(cell("牵头单位"))
            responsible = split_list(cell("责任单位"))
            tasks[number] = Task(
                number=number,
                section=section_id,
                subsection=subsection_id or None,
                text=cell_str(cell("任务内容")),
                lead_units=lead,
                responsible_units=responsible,
                lead_units_raw=list(lead),
                responsible_units_raw=list(responsible),
                deadlines=deadlines,
                note=cell_str(cell("备注")),
            )

        rows = self.rows(SHEET_INDICATORS)
        col = _header_index(rows, [h for h in INDICATOR_HEADERS if h not in _OPTIONAL_INDICATOR_HEADERS], SHEET_INDICATORS)
        for number_row, row in _data_rows(rows):
            cell = lambda header: _cell(row, col, header)  # noqa: E731
            number = cell_str(cell("任务序号"))
            task = tasks.get(number)
            if task is None:
                bad(SHEET_INDICATORS, number_row, col["任务序号"],
                    f"任务序号「{number}」在「任务清单」中找不到：请改成已有的序号，或删除这一行。", MASTER_UNKNOWN_TASK)
                continue
            target = _read_target(cell, lambda header, message: bad(SHEET_INDICATORS, number_row, col[header], message))
            if target is not None:
                task.targets.append(target)
        return DutyTable(title=title, year=year, sections=list(sections.values()), tasks=list(tasks.values()),
                         problems=problems)

    def task_life(self) -> tuple[life.TaskLife, list[Problem]]:
        """The office's decisions from 申请审批 and 销号 (absent sheets: none); bad cells become problems.

        A row is a decision once it has a result and a date: 同意 with a 新完成时限 (or the date asked
        for), 不同意; a 调整 row is the office's own, approved by being entered (审批结果 may stay empty).
        A 销号 row counts once it has a 日期 (操作 empty means 销号).
        """
        problems: list[Problem] = []

        def bad(sheet: str, row: int, column: int, message: str) -> None:
            problems.append(problem(MASTER_BAD_CELL, message, file=self.file, sheet=sheet,
                                    cell=f"{_column_name(column)}{row}"))

        def read_date(sheet, row, col, cell, header) -> date | None:
            try:
                return _optional_date(cell(header))
            except (ValueError, TypeError):
                bad(sheet, row, col[header], f"「{header}」不是日期（{cell_str(cell(header))[:20]}）：请写成 2025-05-08。")
                return None

        changes = []
        rows = self.rows(SHEET_REQUESTS)
        if rows:
            col = _header_index(rows, REQUEST_HEADERS, SHEET_REQUESTS)
            for number_row, row in _data_rows(rows):
                cell = lambda header: _cell(row, col, header)  # noqa: E731
                kind = cell_str(cell("类型")) or life.KIND_EXTENSION
                if kind not in life.KINDS:
                    bad(SHEET_REQUESTS, number_row, col["类型"], f"类型「{kind}」不是「延期」或「调整」：请从下拉列表选择。")
                    continue
                result = cell_str(cell("审批结果"))
                if result and result not in life.RESULTS:
                    bad(SHEET_REQUESTS, number_row, col["审批结果"], f"审批结果「{result}」不是「同意」或「不同意」：请从下拉列表选择。")
                    result = ""
                dates = {h: read_date(SHEET_REQUESTS, number_row, col, cell, h)
                         for h in ("原完成时限", "申请新完成时限", "新完成时限", "审批日期")}
                if kind == life.KIND_ADJUSTMENT and not result:
                    result = life.APPROVED  # the office's own 调整 needs no approval
                if result == life.APPROVED and dates["审批日期"] and not (dates["新完成时限"] or dates["申请新完成时限"]):
                    bad(SHEET_REQUESTS, number_row, col["新完成时限"], "同意（或调整）但没有新完成时限：请填写新完成时限。")
                if result and not dates["审批日期"] and cell_str(cell("审批日期")) == "":
                    bad(SHEET_REQUESTS, number_row, col["审批日期"], f"已填审批结果「{result}」但没有审批日期：请填写审批日期，决定从该日期所在的期次起生效。")
                changes.append(life.DeadlineChange(
                    task=cell_str(cell("序号")), kind=kind, period=cell_str(_period_text(cell("期次"))),
                    unit=cell_str(cell("单位")), old_deadline=dates["原完成时限"], requested=dates["申请新完成时限"],
                    reason=cell_str(cell("申请理由")), source=cell_str(cell("来源")), result=result,
                    new_deadline=dates["新完成时限"], decided=dates["审批日期"], note=cell_str(cell("说明")),
                ))
        closures = []
        rows = self.rows(SHEET_CLOSURES)
        if rows:
            col = _header_index(rows, CLOSURE_HEADERS, SHEET_CLOSURES)
            for number_row, row in _data_rows(rows):
                cell = lambda header: _cell(row, col, header)  # noqa: E731
                action = cell_str(cell("操作")) or life.CLOSE
                day = read_date(SHEET_CLOSURES, number_row, col, cell, "日期")
                if action not in life.CLOSURE_ACTIONS:
                    bad(SHEET_CLOSURES, number_row, col["操作"], f"操作「{action}」不是「销号」或「撤销销号」：请从下拉列表选择。")
                    continue
                if day is not None:
                    closures.append(life.ClosureEvent(cell_str(cell("序号")), action, day, cell_str(cell("说明"))))
        return life.TaskLife(tuple(changes), tuple(closures)), problems

    def unit_directory(self, settings: Settings) -> tuple[UnitDirectory, list[Problem]]:
        """Units from the 单位 sheet; groups from config.yaml."""
        rows = self.rows(SHEET_UNITS)
        col = _header_index(rows, UNIT_HEADERS, SHEET_UNITS)
        units: dict[str, Unit] = {}
        problems: list[Problem] = []
        for number_row, row in _data_rows(rows):
            cell = lambda header: _cell(row, col, header)  # noqa: E731
            name = cell_str(cell("单位"))
            if not name or name in units:
                message = "这一行没有单位名称：请填写单位名称，或删除整行。" if not name else f"单位「{name}」重复：请合并为一行。"
                problems.append(problem(MASTER_DUPLICATE if name else MASTER_BAD_CELL, message, file=self.file,
                                        sheet=SHEET_UNITS, cell=f"A{number_row}"))
                continue
            kind = cell_str(cell("类别")) or "其他"  # a label of the office's own: any short text
            emails = []
            for address in split_list(cell("邮箱")):
                try:
                    check_address(address)
                    emails.append(address)
                except ValueError as error:
                    problems.append(problem(MASTER_BAD_CELL, f"单位「{name}」的{error}；这个邮箱不会收到邮件。", file=self.file,
                                            sheet=SHEET_UNITS, cell=f"{_column_name(col['邮箱'])}{number_row}"))
            units[name] = Unit(
                name=name,
                kind=kind,
                aliases=tuple(split_list(cell("别名"))),
                contact=cell_str(cell("联系人")),
                emails=tuple(emails),
                phone=cell_str(cell("电话")),
            )
        return UnitDirectory(tuple(units.values()), settings.unit_directory().groups), problems


def _read_target(cell, bad) -> Target | None:
    try:
        value = _number(cell("目标值"))
    except ValueError:
        bad("目标值", "目标值不是数字：请只填数字（单位写在「单位」列）。")
        return None
    if value is None:
        bad("目标值", "目标值是空的：请填写数字，或删除这一行指标。")
        return None
    def read(column: str, reader, message: str, default=None):
        """The cell read by `reader`; a value it cannot read is a problem and `default`."""
        try:
            return reader(cell(column))
        except ValueError:
            bad(column, message)
            return default

    stretch = read("力争值", _number, "力争值不是数字：请只填数字，没有力争值就留空。")
    kind_text = cell_str(cell("类型"))
    kind = _KINDS_READ.get(kind_text)
    if kind is None:
        bad("类型", f"类型「{kind_text}」不在可选范围内：请填 {'、'.join(KIND_LABELS.values())} 之一。")
        kind = "level"
    comparator_text = cell_str(cell("比较"))
    comparator = _COMPARATORS_READ.get(comparator_text or "不低于")
    if comparator is None:
        bad("比较", f"比较方式「{comparator_text}」不在可选范围内：请填 不低于、不高于 或 等于。")
        comparator = ">="
    annual_only = read("是否仅年度考核", _yes, "「是否仅年度考核」请填「是」或「否」。", False)
    deadline = read("完成时限", _optional_date, "完成时限不是日期：请写成 2025-12-31，没有就留空。")
    accepted_value = read("核定完成值", _number, "核定完成值不是数字：请只填督查室核定的本期完成值（数字），没有就留空。")
    accepted_period = cell_str(cell("核定期次"))
    if accepted_value is not None and not re.fullmatch(r"\d{4}-\d{2}", accepted_period):
        bad("核定期次", "填了核定完成值，却没有写明是哪一期的（如 2025-06）：请在「核定期次」中填写期次。")
        accepted_value = None
    metric = cell_str(cell("指标"))
    return Target(
        phrase=cell_str(cell("原文")) or metric,
        metric=metric,
        value=value,
        unit=cell_str(cell("单位")),
        kind=kind,  # type: ignore[arg-type]
        comparator=comparator,  # type: ignore[arg-type]
        stretch=stretch,
        stretch_exceeds=stretch is not None and stretch_exceeds_in(cell_str(cell("原文"))),  # 力争超过: kept in the words
        annual_only=annual_only,
        deadline=deadline,
        accepted_period=accepted_period if accepted_value is not None else "",
        accepted_value=accepted_value,
    )


_SUBSECTION = re.compile(r"^(?P<id>[（(][^）)]*[）)])(?P<title>.*)$")


def _split_section(text: str) -> tuple[str, str]:
    if "、" in text:
        section_id, title = text.split("、", 1)
        return section_id.strip(), title.strip()
    return text, ""


def _split_subsection(text: str) -> tuple[str, str]:
    found = _SUBSECTION.match(text)
    if found:
        return found["id"].replace("(", "（").replace(")", "）"), found["title"].strip()
    return text, ""


def apply_master_settings(settings: Settings, values: dict[str, Any]) -> Settings:
    """`settings` with the values staff set in the 设置 sheet (an empty cell keeps config.yaml's).

    Only the rows whose home is the master (SHEET_HOME) are read; 区县 and
    分工文件 are shown there, not taken from there. Each value is checked as
    config.yaml's would be: a value that cannot be right (回收截止日 40, 黄灯比例
    90, 当前期次 2025年6月) raises PyxlError naming the row, so no step runs on a
    setting the clerk did not mean.
    """
    updates: dict[str, dict[str, Any]] = {}
    labels: dict[tuple[str, str], str] = {}
    for label in SHEET_HOME:
        path = SETTING_ROWS[label][0]
        if label not in values or cell_str(values[label]) == "":
            continue
        group, key = path.split(".")
        raw = values[label]
        if key == "current":
            raw = _period_text(raw)
            try:
                raw = str(Period.parse(raw))
            except PyxlError:
                raise PyxlError(
                    f"「{SHEET_SETTINGS}」表中「{label}」的值「{cell_str(raw)}」不对：请写成 年-月，如 2025-06，保存后再试。"
                ) from None
        updates.setdefault(group, {})[key] = cell_str(raw) if isinstance(raw, str) else raw
        labels[(group, key)] = label
    if not updates:
        return settings
    changed_groups = {}
    for group, update in updates.items():
        current = getattr(settings, group)
        try:
            changed_groups[group] = type(current).model_validate({**current.model_dump(), **update})
        except ValidationError as error:
            first = error.errors()[0]
            label = labels[(group, str(first["loc"][0]))]
            raise PyxlError(
                f"「{SHEET_SETTINGS}」表中「{label}」的值「{cell_str(first.get('input'))}」不对：{expected_value(first)}；"
                "请改正后保存再试（清空则使用 config.yaml 中的值）。"
            ) from None
    changed = settings.model_copy(update=changed_groups)
    changed._root = settings.root
    return changed


def _period_text(raw: Any) -> Any:
    """Excel turns a typed 2025-06 into a date: back to 2025-06."""
    if isinstance(raw, (date, datetime)):
        return f"{raw.year:04d}-{raw.month:02d}"
    return raw


def _normal(path: str, raw: Any) -> str:
    """A setting's value as text to compare: 2025-6 and a date cell are 2025-06, 5.0 is 5."""
    raw = _period_text(raw) if path == "period.current" else raw
    text = cell_str(raw)
    if not text:
        return ""
    if path == "period.current":
        try:
            return str(Period.parse(text))
        except PyxlError:
            return text
    try:
        return repr(float(text))
    except ValueError:
        return text


@dataclass(frozen=True)
class ConfigEdit:
    """A setting changed in config.yaml after the master was built, which the 设置 sheet overrides."""

    label: str  # the 设置 row
    path: str  # the config.yaml key
    config: str  # config.yaml's value now
    sheet: str  # the 设置 sheet's value

    def message(self, workbook: str) -> str:
        return (
            f"config.yaml 中的 {self.path} 在生成主控工作簿后改成了「{self.config}」，但这一项以主控工作簿 {workbook} "
            f"「{SHEET_SETTINGS}」表的「{self.label}」为准（现为「{self.sheet}」），config.yaml 的修改没有生效："
            f"请在「{SHEET_SETTINGS}」表中修改「{self.label}」并保存；或运行 pyxl build-workbook --force 把 config.yaml 的新值写入「{SHEET_SETTINGS}」表。"
        )


def config_edits(settings: Settings, values: dict[str, Any], baseline: dict[str, Any] | None) -> list[ConfigEdit]:
    """The settings edited in config.yaml since the build whose 设置 cell still says otherwise.

    Nothing for a master built before the 生成记录 sheet existed (no record of
    what config.yaml said), nor for a 设置 cell left empty (config.yaml's value
    is used then), nor when both say the same.
    """
    edits = []
    for label in SHEET_HOME:
        path = SETTING_ROWS[label][0]
        if baseline is None or path not in baseline:
            continue
        now = _normal(path, _setting_value(settings, None, path))
        sheet = _normal(path, values.get(label))
        if now == _normal(path, baseline[path]) or sheet in ("", now):
            continue
        edits.append(ConfigEdit(label, path, cell_str(_setting_value(settings, None, path)), cell_str(_period_text(values.get(label)))))
    return edits


# ---------------------------------------------------------------- the saved file


# How far a sheet of the master read by pyxl may reach. A province's 任务清单 has a thousand rows and a few
# dozen columns; a value typed far away by mistake (Ctrl+↓, then typing) would have calamine build a grid out
# to it: at XFD1048576 it asks for hundreds of GB and ends the process without a word.
MASTER_MAX_ROWS = 100_000
MASTER_MAX_COLUMNS = 200


def far_cell_refusal(file: str, sheet: str, row: int, column: int) -> PyxlError | None:
    """The error for a master sheet reaching (row, column), when that is beyond MASTER_MAX_ROWS × MASTER_MAX_COLUMNS."""
    if row <= MASTER_MAX_ROWS and column <= MASTER_MAX_COLUMNS:
        return None
    place = cell_name(min(max(row, 1), 1048576), min(max(column, 1), 16384))
    return PyxlError(
        f"主控工作簿 {file} 的「{sheet}」表的内容一直延伸到 {place}，远在表格之外（多半是误操作留下的）：请在 Excel 中"
        "打开该表，按 Ctrl+End 跳到最后一个单元格，删除表格以外多余的行和列后保存，再重试。"
    )


def read_master(path: Path, file_label: str = "") -> MasterData:
    """The data sheets (and xlwings.conf) of a saved master workbook, read with python-calamine.

    How far each of those sheets reaches is checked first (the dimension each
    sheet declares): a value typed far outside a table stops here, in words.
    """
    wanted = (*DATA_SHEETS, *LIFE_SHEETS, SHEET_CONF, SHEET_BASELINE)
    try:
        with zipfile.ZipFile(path) as archive:
            extents = declared_extents(archive, set(wanted))
    except (OSError, zipfile.BadZipFile):
        extents = {}
    if not isinstance(extents, dict):  # a damaged file (an Unreadable): calamine says below what is wrong with it
        extents = {}
    for sheet, (row, column) in extents.items():
        refused = far_cell_refusal(file_label or Path(path).name, sheet, row, column)
        if refused is not None:
            raise refused
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception:  # calamine raises its own error types for damaged files
        raise PyxlError(
            f"无法读取主控工作簿 {path}（文件已损坏或不是 Excel 工作簿）：请从 workbook/备份/ 中恢复最近的备份；"
            "没有备份时把这个文件移走，再运行 pyxl build-workbook 重新生成。"
        ) from None
    data = MasterData(file=file_label or Path(path).name)
    for name in wanted:
        if name in book.sheet_names:
            data.sheets[name] = [list(row) for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False)]
    missing = [name for name in (SHEET_TASKS, SHEET_INDICATORS, SHEET_UNITS) if name not in data.sheets]
    if missing:
        raise PyxlError(
            f"主控工作簿 {path} 缺少工作表「{'、'.join(missing)}」：请把这些表的名称改回来，或从 workbook/备份/ 中恢复；"
            "也可以把这个文件移走后运行 pyxl build-workbook 重新生成。"
        )
    return data


# ---------------------------------------------------------------- 退回重报


@dataclass(frozen=True)
class SendBackRequest:
    """One return to send back: the unit as the office wrote it, its note, whether to list the checks' problems."""

    unit: str
    note: str = ""
    with_problems: bool = True
    row: int | None = None  # Excel row of the 退回重报 sheet it came from (None: from the command line)


def send_back_rows() -> Rows:
    """The empty 退回重报 sheet: its header."""
    return [list(SEND_BACK_HEADERS)]


def send_back_requests(rows: Rows) -> list[SendBackRequest]:
    """The rows of the 退回重报 sheet still to send: a unit named and no 处理结果 yet."""
    if not rows:
        return []
    columns = _header_index(rows, SEND_BACK_HEADERS[:1], SHEET_SEND_BACK)
    found = []
    for index, row in _data_rows(rows):
        unit = cell_str(_cell(row, columns, "单位"))
        if not unit or cell_str(_cell(row, columns, "处理结果")):
            continue
        listed = cell_str(_cell(row, columns, "附上校验问题"))
        found.append(SendBackRequest(unit, cell_str(_cell(row, columns, "退回意见")), listed not in ("否", "n", "no", "false", "0"), index))
    return found


def send_back_result_rows(rows: Rows, results: dict[int, str]) -> Rows:
    """The 退回重报 sheet with each sent row's 处理结果 written (Excel row → text)."""
    rows = [list(row) for row in rows] or send_back_rows()
    header = [cell_str(cell) for cell in rows[0]]
    if "处理结果" not in header:
        rows[0] = rows[0] + ["处理结果"]
        header.append("处理结果")
    column = header.index("处理结果")
    for excel_row, text in results.items():
        if 1 < excel_row <= len(rows):
            cells = rows[excel_row - 1]
            rows[excel_row - 1] = cells = cells + [None] * (column + 1 - len(cells))
            cells[column] = text
    return rows
