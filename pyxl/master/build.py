"""Building and replacing the master workbook Responsibilities.xlsm.

The master's sheets come from plain values (a DutyTable, a UnitDirectory,
the settings), or — when it is rebuilt — from the rows staff left in the
saved file, so their edits survive a rebuild. The file is replaced only
when Excel does not hold it (no `~$` lock file beside it), after a
timestamped backup, in one atomic step: a build that fails leaves the old
workbook exactly as it was.
"""

from __future__ import annotations

import ntpath
import os
import shutil
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Sequence

import pyxl
from pyxl.common import life
from pyxl.common.config import Settings
from pyxl.common.errors import PyxlError
from pyxl.common.files import write_bytes_atomic
from pyxl.common.model import DutyTable, Unit, UnitDirectory
from pyxl.master import rows as master
from pyxl.master.xlsm import NS_UI_14, SheetSpec, build_package, custom_ui_xml

BACKUP_FOLDER = "备份"

# The xlwings.conf sheet as xlwings' standalone template has it; the build
# leaves the interpreter to the PATH, `pyxl excel-setup` fills in this machine's
# (the ribbon's VBA asks for that until it is done). SHOW_ERROR_POPUPS "False"
# makes xlwings put a failed start's output in an "Error" sheet instead of its
# English popup: the ribbon's VBA logs it and says in Chinese what went wrong.
CONF_DEFAULTS: tuple[tuple[str, Any], ...] = (
    ("Interpreter_Win", "pythonw"),
    ("Interpreter_Mac", ""),
    ("PYTHONPATH", ""),
    ("Conda Path", ""),
    ("Conda Env", ""),
    ("UDF Modules", ""),
    ("Debug UDFs", False),
    ("Use UDF Server", False),
    ("Show Console", False),
    ("SHOW_ERROR_POPUPS", "False"),
)

# Folders written as %NAME% in xlwings.conf (xlwings expands them), so the same
# install on another PC or for another user needs no new excel-setup.
PORTABLE_FOLDERS = ("LOCALAPPDATA", "APPDATA", "USERPROFILE", "ProgramFiles")

# cmd.exe expands %NAME% and drops ^ outside quotes, where xlwings puts the
# workbook's path and PYTHONPATH; a path ending in a backslash ends the Python
# string it goes into early. workbook/vba/Ribbon.bas checks the same list.
UNSAFE_PATH_CHARS = "%^"

WIDTHS = {
    master.SHEET_TASKS: (7, 16, 16, 60, 22, 30, 20, 18),  # about 190 characters: 78 % on a landscape A4 page
    master.SHEET_INDICATORS: (9, 28, 10, 10, 9, 9, 9, 15, 13, 40),
    master.SHEET_UNITS: (26, 14, 36, 12, 34, 16),
    master.SHEET_SETTINGS: (16, 46, 70),  # 值 holds the document's file name and title
    master.SHEET_REQUESTS: (9, 7, 7, 16, 12, 12, 30, 22, 9, 12, 12, 26),
    master.SHEET_CLOSURES: (7, 40, 16, 10, 10, 12, 30),
    master.SHEET_SEND_BACK: (26, 60, 12, 40),
}


@dataclass(frozen=True)
class RibbonButton:
    id: str  # the pipeline function it runs
    label: str
    description: str


def ribbon_buttons() -> list[RibbonButton]:
    """The buttons of the 督查督办 tab, in order, as workbook/customUI/customUI14.xml declares them."""
    root = ElementTree.fromstring(custom_ui_xml().encode("utf-8"))
    return [
        RibbonButton(element.get("id", ""), element.get("label", ""), element.get("supertip", ""))
        for element in root.iter(f"{{{NS_UI_14}}}button")
    ]


def usage_rows() -> list[list[Any]]:
    """使用说明: what the workbook holds (each sheet, including the ones the buttons add), what each button does, how to edit."""
    from pyxl.common.model import SHEET_NAMES, SUMMARY_SHEETS
    from pyxl.outputs.dashboard import SHEET_NAME as DASHBOARD

    rows: list[list[Any]] = [["重点工作督查督办主控工作簿 使用说明", ""], ["", ""], ["本工作簿中的工作表", ""]]
    rows += [
        [master.SHEET_USAGE, "本页：工作簿里有什么、功能区各按钮做什么、怎样修改。"],
        [master.SHEET_TASKS, "分工总表，一行一项任务：序号、篇章、分节、任务内容、牵头单位、责任单位、完成时限、备注。"
         "可修改任务内容、单位、完成时限和备注；多个单位之间用「、」分隔。"],
        [master.SHEET_INDICATORS, "一行一个量化指标：任务序号、指标、目标值、力争值、单位、类型、比较、是否仅年度考核、完成时限、原文。"
         "只在年底考核的指标，请在「是否仅年度考核」列填「是」，平时不按序时进度预警。"],
        [master.SHEET_UNITS, "单位名录：单位、类别、别名、联系人、邮箱、电话。多个别名或邮箱用「、」分隔；督办单上的联系人、电话取自这里。"
         "生成本工作簿后，联系人、邮箱、电话在这里修改（不再改 config.yaml）。"],
        [master.SHEET_SETTINGS, "当前期次、回收截止日和预警阈值（项目 / 值 / 说明）在这里修改，各按钮按这里的当前期次运行，留空的项用 config.yaml 的值。"
         "「区县」「分工文件」只显示本工作簿是按哪个区县、哪个文件生成的，要改请改 config.yaml 后重新导入。"],
        [master.SHEET_REQUESTS, "各单位在填报表中提出的延期申请（「收取回执」「审批申请」后列入），以及督查室自行调整的完成时限（类型填「调整」）。"
         "在「审批结果」选同意或不同意，填「审批日期」，同意的可在「新完成时限」改定日期，「说明」写理由；"
         "决定从审批日期所在的期次起生效：下期填报表、序时进度和逾期预警都按新时限，通报列出调整的任务，不同意的在催报或督办单中告知该单位。"],
        [master.SHEET_CLOSURES, "牵头单位都报「已完成」的任务列在这里（待销号）；督查室核实后在「日期」填销号日期（「操作」为销号），"
         "该任务从下期填报表中去掉、不再预警，通报按已销号统计。要撤销，另起一行「操作」选撤销销号并填日期。"],
        [master.SHEET_SEND_BACK, "要退回重报的报表：每行填一个单位和「退回意见」；「附上校验问题」选否则只写退回意见，不列校验发现的问题。"
         "点「退回重报」后给该单位发邮件，附上已填好原内容的填报表，并在「处理结果」写明结果；写了处理结果的行不再发送。"],
        ["、".join([*SHEET_NAMES.values(), *SUMMARY_SHEETS.values()]), "点「汇总与预警」后写入（每次覆盖）：各任务的进度与类别、各指标的完成值与灯号、"
         "各单位的回收情况、预警清单、报表中发现的问题、督办升级与考核得分、佐证材料、时限调整、上月督办单的回执，"
         "以及各任务逐月的历程（任务历程）。"],
        [DASHBOARD, "点「汇总与预警」后写入：任务类别分布、各单位推进情况的表和图。"],
        ["各单位名称的工作表", "仅当 config.yaml 中 split.master_sheets 为 true 时，「生成分单位表」会为每个单位放一张本期填报表的副本，便于对照。"],
        [f"{master.SHEET_BASELINE}（隐藏）", "记着生成本工作簿时 config.yaml 中期次、截止日、阈值和各单位联系方式的值，pyxl 据此分辨哪一处后来被改过；请勿修改。"],
        ["xlwings.conf（隐藏）", "记录本机 Python 的位置，由命令 pyxl excel-setup 填写，请勿手工修改。"
         "工作簿复制到另一台电脑后，要在那台电脑上关闭工作簿、运行一次 pyxl excel-setup；没运行时按钮会提示。"],
        ["", ""],
        ["功能区「督查督办」按钮（按每月顺序）", ""],
    ]
    for number, button in enumerate(ribbon_buttons(), start=1):
        rows.append([f"{number}. {button.label}", button.description])
    rows += [
        ["", ""],
        ["生成的文件", "分单位表、汇总表、督查通报（DOCX、HTML）、督办单都写在工作目录的 out/<期次>/ 文件夹中，不写进本工作簿。"],
        ["打印", "各表已设为 A4 横向、按页宽缩放、每页重复表头并有页码，可直接打印。"],
        ["注意", "请不要改动工作表名称和第 1 行表头；改完请保存。按钮运行前会自动保存本工作簿。"],
        ["", "命令行重新生成本工作簿（pyxl build-workbook --force）会保留以上各表中的修改，并在 workbook/备份/ 中留一份旧文件。"],
    ]
    return rows


def conf_rows(*layers: Mapping[str, Any] | None) -> list[list[Any]]:
    """xlwings.conf: key/value in A:B from A1 down, no header (xlwings reads it that way).

    The defaults, then each layer in turn (later ones win). Keys match ignoring
    case: xlwings reads them upper-cased into one Dictionary, where a key
    written twice (INTERPRETER_WIN beside Interpreter_Win) stops every button
    with VBA error 457. A key keeps xlwings' spelling, or the first one seen.
    """
    merged: dict[str, list[Any]] = {key.upper(): [key, default] for key, default in CONF_DEFAULTS}
    for layer in layers:
        for key, value in (layer or {}).items():
            key = str(key).strip()
            if not key:
                continue
            if key.upper() in merged:
                merged[key.upper()][1] = value
            else:
                merged[key.upper()] = [key, value]
    return list(merged.values())


def _remap(rows: master.Rows, headers: Sequence[str]) -> master.Rows:
    """Saved rows laid out under the current headers; columns staff added are kept after ours."""
    if not rows:
        return [list(headers)]
    saved = [master.cell_str(cell) for cell in rows[0]]
    extra = [i for i, name in enumerate(saved) if name and name not in headers]
    where = {name: i for i, name in enumerate(saved) if name}
    out: master.Rows = [list(headers) + [saved[i] for i in extra]]
    for row in rows[1:]:
        if not any(master.cell_str(cell) for cell in row):
            continue
        cell = lambda i: row[i] if i is not None and i < len(row) else None  # noqa: E731
        out.append([cell(where.get(name)) for name in headers] + [cell(i) for i in extra])
    return out


def _merge_settings(saved: master.Rows, fresh: master.Rows, baseline: dict[str, Any] | None,
                    notes: list[str]) -> master.Rows:
    """设置 with the values staff set; rows pyxl added since are filled from config.yaml.

    A row that lives in the master takes config.yaml's value when config.yaml
    was edited since the last build and the sheet was not (what the 生成记录
    sheet says config.yaml held then); when both were edited the sheet wins
    and `notes` says so.
    """
    values = master.MasterData({master.SHEET_SETTINGS: saved}).settings_values()
    merged = [list(fresh[0])]
    for label, value, help_text in fresh[1:]:
        if label not in values:
            merged.append([label, value, help_text])
            continue
        kept = values.pop(label)
        path = master.SETTING_ROWS[label][0]
        if label in master.SHEET_HOME and baseline is not None and path in baseline:
            now, then, sheet = (master._normal(path, v) for v in (value, baseline[path], kept))
            if now != then and sheet in ("", then):
                notes.append(f"「{master.SHEET_SETTINGS}」表的「{label}」按 config.yaml 改为「{master.cell_str(value)}」。")
                kept = value
            elif now != then and sheet != now:
                notes.append(f"config.yaml 的 {path}（{master.cell_str(value)}）与「{master.SHEET_SETTINGS}」表的「{label}」"
                             f"（{master.cell_str(kept)}）都改过：保留「{master.SHEET_SETTINGS}」表中的值，以后请只在该表中修改。")
        merged.append([label, kept, help_text])
    merged += [[label, value, ""] for label, value in values.items()]
    return merged


def units_named(task_rows: master.Rows, directory: UnitDirectory) -> dict[str, list[str]]:
    """unit name → the numbers of the tasks whose 牵头单位 or 责任单位 name it (a group names its members)."""
    members = {group.name: group.members for group in directory.groups}
    columns = {master.cell_str(name): i for i, name in enumerate(task_rows[0])} if task_rows else {}
    named: dict[str, list[str]] = {}

    def add(name: str, number: str, seen: frozenset = frozenset()) -> None:
        if name in members and name not in seen:
            for member in members[name]:
                add(member, number, seen | {name})
        elif number not in named.setdefault(name, []):
            named[name].append(number)

    for row in task_rows[1:]:
        number = master.cell_str(row[columns["序号"]]) if "序号" in columns and columns["序号"] < len(row) else ""
        for header in ("牵头单位", "责任单位"):
            index = columns.get(header)
            if index is not None and index < len(row):
                for name in master.split_list(row[index]):
                    add(name, number)
    return named


def merge_units(rows: master.Rows, directory: UnitDirectory,
                named: dict[str, list[str]] | None = None,
                baseline: dict[str, Any] | None = None) -> tuple[master.Rows, list[str]]:
    """The 单位 sheet's rows (staff edits win) plus what config.yaml has that the sheet lacks.

    A unit added to config.yaml after the master was built gets its row; an
    alias added there joins the unit's 别名 cell. With `named` (unit → task
    numbers of the tasks being written), a unit config.yaml no longer lists
    leaves the sheet unless a task still names it — so a unit list replaced
    for another district really replaces the old one — and the ones kept are
    reported with their tasks. With `baseline` (what config.yaml said at the
    last build), an e-mail, contact or phone edited in config.yaml since and
    not in the sheet is written into the sheet. Returns the rows (under
    UNIT_HEADERS) and one Chinese note per change.
    """
    rows = _remap(rows, master.UNIT_HEADERS)
    name_col, alias_col = master.UNIT_HEADERS.index("单位"), master.UNIT_HEADERS.index("别名")
    notes: list[str] = []
    if named is not None:
        listed = {spelling for unit in directory.units for spelling in (unit.name, *unit.aliases)}
        kept, still_named, gone = [rows[0]], [], []
        for row in rows[1:]:
            spellings = [master.cell_str(row[name_col]), *master.split_list(row[alias_col])]
            if any(spelling in listed for spelling in spellings):
                kept.append(row)
                continue
            tasks = list(dict.fromkeys(number for spelling in spellings for number in named.get(spelling, [])))
            if tasks:
                kept.append(row)
                still_named.append(f"{spellings[0]}（第 {'、'.join(tasks[:6])}{'等' if len(tasks) > 6 else ''} 项）")
            else:
                gone.append(spellings[0])
        if still_named:
            notes.append(f"{len(still_named)} 个单位已不在 config.yaml 的 units 中，但任务清单仍写着它们，已保留在「{master.SHEET_UNITS}」表中："
                         f"{'、'.join(still_named[:5])}{'等' if len(still_named) > 5 else ''}；请重新导入本地的分工文件"
                         "（pyxl build-workbook --force --reimport），或在任务清单中改成现在的单位。")
        if gone:
            shown = "、".join(gone[:5]) + (f"等 {len(gone)} 个" if len(gone) > 5 else "")
            notes.append(f"已从「{master.SHEET_UNITS}」表移除 config.yaml 中已没有、也没有任务涉及的单位：{shown}。")
        rows = kept
    owner: dict[str, int] = {}  # every spelling in the sheet → its row
    for index, row in enumerate(rows[1:], start=1):
        for spelling in (master.cell_str(row[name_col]), *master.split_list(row[alias_col])):
            owner.setdefault(spelling, index)
    fresh = master.unit_rows(directory)
    for unit, row in zip(directory.units, fresh[1:]):
        index = owner.get(unit.name)
        if index is None:  # a renamed unit keeps its old name as an alias: then it is there
            index = next((owner[a] for a in unit.aliases if a in owner), None)
        if index is None:
            rows.append(row + [None] * (len(rows[0]) - len(row)))
            for spelling in (unit.name, *unit.aliases):
                owner.setdefault(spelling, len(rows) - 1)
            notes.append(f"从 config.yaml 新增单位「{unit.name}」。")
            continue
        if baseline is not None:
            _take_config_edits(rows[index], unit, baseline, notes)
        new = [a for a in (unit.name, *unit.aliases) if a not in owner]
        if new:
            target = rows[index]
            target[alias_col] = master.join_list([*master.split_list(target[alias_col]), *new])
            for alias in new:
                owner[alias] = index
            notes.append(f"从 config.yaml 为「{master.cell_str(target[name_col])}」新增别名「{master.join_list(new)}」。")
    return rows, notes


def _take_config_edits(row: list[Any], unit: Unit, baseline: dict[str, Any], notes: list[str]) -> None:
    """A unit's cells edited in config.yaml since the last build (and not in the sheet) into its 单位 row."""
    for name, header in master.UNIT_HOME_FIELDS.items():
        key = master.unit_key(unit.name, name)
        column = master.UNIT_HEADERS.index(header)
        now, then = master.unit_field(unit, name), baseline.get(key)
        if key not in baseline or master.same_cell(now, then):
            continue
        if master.same_cell(row[column], then):
            row[column] = now
            notes.append(f"「{master.SHEET_UNITS}」表中「{unit.name}」的{header}按 config.yaml 改为「{now}」。")
        elif not master.same_cell(row[column], now):
            notes.append(f"「{unit.name}」的{header}在 config.yaml（{now}）和「{master.SHEET_UNITS}」表（{master.cell_str(row[column])}）"
                         f"中都改过：保留「{master.SHEET_UNITS}」表中的值，以后请只在该表中修改。")


@dataclass
class MasterContent:
    """The rows of every sheet of the master, before they are written."""

    tasks: master.Rows
    indicators: master.Rows
    units: master.Rows
    settings: master.Rows
    conf: master.Rows
    extra: list[SheetSpec] = field(default_factory=list)  # result sheets of the live book (汇总 …)
    notes: list[str] = field(default_factory=list)  # what was merged in from config.yaml
    baseline: master.Rows = field(default_factory=lambda: [list(master.BASELINE_HEADERS)])
    # the office's decisions (申请审批, 销号, 退回重报): staff rows, carried over by every rebuild
    requests: master.Rows = field(default_factory=lambda: [list(master.REQUEST_HEADERS)])
    closures: master.Rows = field(default_factory=lambda: [list(master.CLOSURE_HEADERS)])
    send_backs: master.Rows = field(default_factory=master.send_back_rows)

    @classmethod
    def from_rows(cls, data: master.MasterData) -> "MasterContent":
        """The sheets as they stand in a (live or saved) workbook, under the current layout."""
        settings = data.rows(master.SHEET_SETTINGS)
        content = cls(
            _remap(data.rows(master.SHEET_TASKS), master.TASK_HEADERS),
            _remap(data.rows(master.SHEET_INDICATORS), master.INDICATOR_HEADERS),
            _remap(data.rows(master.SHEET_UNITS), master.UNIT_HEADERS),
            settings if settings else [list(master.SETTING_HEADERS)],
            conf_rows(data.conf_values()),
        )
        if data.rows(master.SHEET_BASELINE):
            content.baseline = data.rows(master.SHEET_BASELINE)
        content.requests, content.closures, content.send_backs = _life_rows(data)
        return content

    @classmethod
    def fresh(cls, settings: Settings, table: DutyTable, directory: UnitDirectory,
              conf: dict[str, Any] | None = None, document: str | None = None) -> "MasterContent":
        """The sheets of a new master: the duty table, the unit directory and config.yaml's settings."""
        return cls(master.task_rows(table), master.indicator_rows(table), master.unit_rows(directory),
                   master.setting_rows(settings, table, document), conf_rows(conf),
                   baseline=master.baseline_rows(settings))

    @classmethod
    def carried_over(cls, saved: master.MasterData, settings: Settings,
                     conf: dict[str, Any] | None = None, table: DutyTable | None = None,
                     document: str | None = None) -> "MasterContent":
        """The staff's rows from a saved master, under the current layout.

        With `table` (a re-import) 任务清单 and 指标 come from it instead, as the
        ribbon's 导入分工文件 does, and 区县, 分工文件, 计划年度 and 分工文件标题 of
        设置 are the new document's; 单位 and 设置 keep the staff's edits either way,
        with units or aliases added to config.yaml since merged in, units it no
        longer lists and no task names removed, and settings edited in
        config.yaml since the last build taken over (`notes` says which).
        """
        notes: list[str] = []
        tasks = master.task_rows(table) if table is not None else _remap(saved.rows(master.SHEET_TASKS), master.TASK_HEADERS)
        directory = settings.unit_directory()
        units, unit_notes = merge_units(saved.rows(master.SHEET_UNITS), directory, units_named(tasks, directory),
                                        saved.baseline_values())
        setting_rows = master.setting_rows(settings, table, document)
        values = _merge_settings(saved.rows(master.SHEET_SETTINGS), setting_rows, saved.baseline_values(), notes)
        if table is not None:  # the document's district, file, title and year replace the old document's
            fresh = {row[0]: row[1] for row in setting_rows[1:]}
            values = [[row[0], fresh[row[0]], *row[2:]] if row[0] in ("区县", "分工文件", "计划年度", "分工文件标题") else row
                      for row in values]
        content = cls(
            tasks,
            master.indicator_rows(table) if table is not None
            else _remap(saved.rows(master.SHEET_INDICATORS), master.INDICATOR_HEADERS),
            units,
            values,
            conf_rows(saved.conf_values(), conf),
            baseline=master.baseline_rows(settings),
        )
        content.notes = [*unit_notes, *notes]
        content.requests, content.closures, content.send_backs = _life_rows(saved)
        return content

    def life_data(self) -> master.MasterData:
        """申请审批 and 销号 as a MasterData, to read the decisions these rows hold."""
        return master.MasterData({master.SHEET_REQUESTS: self.requests, master.SHEET_CLOSURES: self.closures})

    def unit_directory(self, settings: Settings) -> UnitDirectory:
        """The unit directory these rows describe (groups from config.yaml)."""
        return master.MasterData({master.SHEET_UNITS: self.units}).unit_directory(settings)[0]

    def sheets(self) -> list[SheetSpec]:
        """Every sheet of the workbook in tab order: 使用说明, the data sheets, extras, hidden xlwings.conf."""
        def table(name: str, rows: master.Rows, text_columns: set[int] = frozenset()) -> SheetSpec:  # type: ignore[assignment]
            widths = list(WIDTHS[name]) + [16] * max(0, len(rows[0]) - len(WIDTHS[name]))
            return SheetSpec(name, rows, widths, text_columns=set(text_columns))

        return [
            SheetSpec(master.SHEET_USAGE, usage_rows(), (30, 80), table=False, tab_color="#4472C4", portrait=True),
            table(master.SHEET_TASKS, self.tasks, {0}),
            table(master.SHEET_INDICATORS, self.indicators, {0}),
            table(master.SHEET_UNITS, self.units, {5}),
            table(master.SHEET_SETTINGS, self.settings, {1}),
            replace(table(master.SHEET_REQUESTS, self.requests, {0, 2}),
                    lists={1: life.KINDS, 8: life.RESULTS}, dates={4, 5, 9, 10}),
            replace(table(master.SHEET_CLOSURES, self.closures, {0, 3}), lists={4: life.CLOSURE_ACTIONS}, dates={5}),
            replace(table(master.SHEET_SEND_BACK, self.send_backs, {0, 1, 3}), lists={2: master.SEND_BACK_CHOICES}),
            *self.extra,
            SheetSpec(master.SHEET_CONF, self.conf, (28, 60), table=False, wrap=False, hidden=True),
            SheetSpec(master.SHEET_BASELINE, self.baseline, (28, 30), table=False, wrap=False, hidden=True),
        ]


def _life_rows(data: master.MasterData) -> tuple[master.Rows, master.Rows, master.Rows]:
    """申请审批, 销号 and 退回重报 as saved (empty tables for a master built before them), under the current headers."""
    def saved(name: str, headers: Sequence[str]) -> master.Rows:
        rows = data.rows(name)
        return _remap(rows, headers) if rows else [list(headers)]

    return (saved(master.SHEET_REQUESTS, master.REQUEST_HEADERS), saved(master.SHEET_CLOSURES, master.CLOSURE_HEADERS),
            saved(master.SHEET_SEND_BACK, master.SEND_BACK_HEADERS))


def lock_file(workbook: Path) -> Path:
    """Excel's lock file beside an open workbook: `~$Responsibilities.xlsm`."""
    return workbook.with_name("~$" + workbook.name)


def check_not_open(workbook: Path) -> None:
    """Raise PyxlError while Excel holds `workbook` (its `~$` lock file exists)."""
    lock = lock_file(workbook)
    if lock.exists():
        raise PyxlError(
            f"主控工作簿 {workbook.name} 正在 Excel 中打开（发现锁定文件 {lock.name}）：请先在 Excel 中保存并关闭它再运行；"
            "如果 Excel 已关闭，锁定文件是上次异常退出留下的，删除它即可。"
        )


def check_replaceable(target: Path, force: bool, shown: str | None = None) -> None:
    """Raise PyxlError while Excel holds `target` and, without `force`, when it exists.

    `shown` is how the message names the workbook (default: its path).
    """
    check_not_open(target)
    if target.exists() and not force:
        raise PyxlError(
            f"主控工作簿 {shown or target} 已存在：要重新生成请加 --force（保留各表中的修改并留备份），"
            "要按分工文件重新导入请加 --force --reimport。"
        )


def write_master(target: Path, content: MasterContent, now: datetime, force: bool = False) -> Path | None:
    """Write the master workbook; returns the backup of the one it replaced, if any.

    Refuses while Excel holds the file and, without `force`, when it exists.
    Everything is built before anything on disk changes.
    """
    target = Path(target)
    check_replaceable(target, force)
    data = build_package(content.sheets(), created=now)
    backup = None
    if target.exists():
        backup = target.parent / BACKUP_FOLDER / f"{target.stem}-{now:%Y%m%d-%H%M%S}{target.suffix}"
        serial = 1
        while backup.exists():  # two rebuilds within a second: never overwrite the older backup
            serial += 1
            backup = backup.with_name(f"{target.stem}-{now:%Y%m%d-%H%M%S}-{serial}{target.suffix}")
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, backup)
    write_bytes_atomic(target, data)
    return backup


def portable_path(path: str, environ: Mapping[str, str]) -> str:
    """A Windows path under one of PORTABLE_FOLDERS written as %NAME%\\rest (the longest match), else as it is.

    A per-user Python (%LOCALAPPDATA%\\Programs\\Python\\Python311) then names the
    same install for whoever opens the workbook on whichever PC.
    """
    best = ""
    for name in PORTABLE_FOLDERS:
        base = (environ.get(name) or "").rstrip("\\/")
        if base and ntpath.normcase(path).startswith(ntpath.normcase(base) + "\\") and len(base) > len(best):
            best, chosen = base, name
    return f"%{chosen}%{path[len(best):]}" if best else path


def expand_portable(value: str, environ: Mapping[str, str]) -> str:
    """A value written by portable_path with its %NAME% expanded again, as xlwings does."""
    for name in PORTABLE_FOLDERS:
        if value.startswith(f"%{name}%") and environ.get(name):
            return environ[name].rstrip("\\/") + value[len(name) + 2:]
    return value


def unsafe_path_chars(path: str) -> str:
    """The characters of a path that do not survive xlwings' command line (see UNSAFE_PATH_CHARS), or ""."""
    found = "".join(char for char in UNSAFE_PATH_CHARS if char in path)
    return found + ("\\" if path.endswith("\\") else "")


def machine_conf(executable: str | None = None, platform: str | None = None,
                 environ: Mapping[str, str] | None = None, package: Path | None = None) -> dict[str, str]:
    """xlwings.conf values for this machine: its Python (pythonw.exe on Windows, so no console
    window flashes) and the folder pyxl is imported from.

    On Windows both are written relative to the user's or the programs' folder
    where they lie under one (PORTABLE_FOLDERS), and without a trailing backslash.
    """
    executable = executable or sys.executable
    platform = platform or sys.platform
    environ = os.environ if environ is None else environ
    python_path = str((package or Path(pyxl.__file__).resolve().parent).parent)
    if platform == "darwin":
        return {"Interpreter_Mac": executable, "PYTHONPATH": python_path}
    if platform != "win32":
        return {"Interpreter_Win": executable, "PYTHONPATH": python_path}
    windowed = executable[: len(executable) - len(ntpath.basename(executable))] + "pythonw.exe"
    if Path(windowed).exists():
        executable = windowed
    return {"Interpreter_Win": portable_path(executable, environ),
            "PYTHONPATH": portable_path(python_path.rstrip("\\"), environ)}
