"""Plain data shared by the stages: the duty table, units, returns, results.

These are the contracts between stages. A stage takes and returns these
values (or pandas tables described here) and never reaches into another
stage's module.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from collections.abc import Collection
from typing import TYPE_CHECKING, Literal

from pyxl.common.problems import PROBLEM_LABELS, Problem

if TYPE_CHECKING:
    import pandas as pd

# ---------------------------------------------------------------- duty table

TargetKind = Literal["growth", "count", "amount", "measure", "ratio", "level"]
# growth: 增长X% (compared directly with the year-to-date growth)
# count: 家、个、人、所… (cumulative, on schedule at m/12)
# amount: money, keeps 亿元/万元 as its unit
# measure: length/area/volume (公里、亩、平方米、吨…)
# ratio: a share or rate that is a level, not a growth (达到95%)
# level: any other level to reach (排名、等级…)
Comparator = Literal[">=", "<=", "="]


@dataclass(frozen=True)
class Target:
    """One quantitative target of a task."""

    phrase: str  # the words it came from, as written
    metric: str  # what is measured, e.g. 地区生产总值
    value: float
    unit: str  # %, 人, 家, 亿元, 公里 …
    kind: TargetKind
    comparator: Comparator
    stretch: float | None = None  # the 力争 value, a second, higher bar
    annual_only: bool = False  # exempt from 序时进度 until year end (staff set this in 指标)
    deadline: date | None = None
    # 力争超过5.6%: the 力争 bar is passed only above `stretch`, not at it (shown as 力争超过5.6%)
    stretch_exceeds: bool = False
    # The figure the office accepts for `accepted_period` when units report it differently
    # (指标 sheet: 核定期次, 核定完成值); until then a contested figure gets no light.
    accepted_period: str = ""
    accepted_value: float | None = None


_STRETCH_EXCEEDS = re.compile(r"力争\s*(?:超过|高于|突破)")


def stretch_exceeds_in(phrase: str) -> bool:
    """Whether a target's words ask to pass its 力争 value (力争超过5.6%), not only to reach it.

    The parser and the master's 指标 sheet (whose 原文 column keeps the words) both decide it here.
    """
    return bool(_STRETCH_EXCEEDS.search(phrase))


@dataclass(frozen=True)
class Deadline:
    phrase: str  # 6月份竣工, 年底前 …
    date: date | None  # None for vague phrases (尽快)
    # a deadline moved by the office (pyxl.common.life): phrase is 已延期/已调整, `was` the old wording (6月底)
    was: str = ""


@dataclass
class Task:
    """One numbered task of the duty document."""

    number: str  # "8"; "★3" or "（一）" in other documents
    section: str  # "二"
    subsection: str | None  # "（一）"
    text: str  # without its unit labels, joined across line breaks
    lead_units: list[str]  # canonical names (or group names such as 各街镇)
    responsible_units: list[str]
    lead_units_raw: list[str] = field(default_factory=list)  # as written
    responsible_units_raw: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    note: str = ""  # 备注, edited by staff in the master workbook
    line: int | None = None  # where it starts in the document

    def target_key(self, index: int) -> str:
        """Row key of target `index` (0-based) on a unit sheet: `43-1`, or `一-2-1` for task 一-2."""
        return f"{self.number}-{index + 1}"

    @property
    def deadline(self) -> date | None:
        """The latest dated deadline: the task is overdue after it without 已完成."""
        dates = [d.date for d in self.deadlines if d.date is not None]
        return max(dates) if dates else None


def split_row_key(key: str, task_numbers: Collection[str] = ()) -> tuple[str, int | None]:
    """(task number, 0-based target index or None) of a unit sheet's row key; `target_key` reversed.

    A task number may itself hold a "-" (一-2 when numbering restarts per section), so a key
    that is a task number is that task's row, and a target's index is after the *last* "-".
    Without the task numbers, a key ending in -N is read as a target row.
    """
    if key in task_numbers:
        return key, None
    task, separator, index = key.rpartition("-")
    if separator and index.isdigit() and int(index) >= 1 and (not task_numbers or task in task_numbers):
        return task, int(index) - 1
    return key, None


@dataclass
class Subsection:
    id: str  # "（一）"
    title: str


@dataclass
class Section:
    id: str  # "一"
    title: str
    subsections: list[Subsection] = field(default_factory=list)


@dataclass
class DutyTable:
    """The master duty table: what parse produces and the master workbook holds."""

    title: str
    year: int
    sections: list[Section]
    tasks: list[Task]
    problems: list[Problem] = field(default_factory=list)

    def task(self, number: str) -> Task:
        """The task numbered `number` (the first, if two share it); KeyError when there is none.

        A lookup in an index of the task numbers, built on first use: collect
        asks once per row of every return, and a scan per row is quadratic at
        province scale. The index is checked on every hit and rebuilt on a
        miss, so a table edited after the first lookup still answers right.
        """
        index: dict[str, int] | None = self.__dict__.get("_positions")  # not a field: stays out of to_json
        position = index.get(number) if index is not None else None
        if position is None or position >= len(self.tasks) or self.tasks[position].number != number:
            index = {}
            for i, task in enumerate(self.tasks):
                index.setdefault(task.number, i)
            self.__dict__["_positions"] = index
            position = index.get(number)
        if position is None:
            raise KeyError(number)
        return self.tasks[position]

    def target_units(self) -> dict[str, str]:
        """Row key of every target (`43-1`) → the target's unit (亿元, %, 家 …).

        Built once per table: collect reads every return's value cells against
        it, and the table is complete before any return is read (only a
        change in the number of tasks builds it again).
        """
        cached = self.__dict__.get("_target_units")
        if cached is None or cached[0] != len(self.tasks):
            units = {task.target_key(i): target.unit for task in self.tasks for i, target in enumerate(task.targets)}
            cached = self.__dict__["_target_units"] = (len(self.tasks), units)
        return cached[1]

    def to_json(self) -> dict:
        """The `pyxl parse --json` shape (dates as ISO strings)."""

        def convert(value):
            if isinstance(value, (date, datetime)):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: convert(v) for k, v in value.items()}
            if isinstance(value, list):
                return [convert(v) for v in value]
            return value

        return convert(asdict(self))


def is_missing(value: object) -> bool:
    """None, NaN, NaT or pd.NA: the ways a cell of a pandas table is empty.

    Text, lists and other containers are never missing. Kept free of pandas
    so that importing the model stays cheap.
    """
    if value is None or isinstance(value, (str, bytes, list, tuple, dict, set)):
        return value is None
    try:
        return bool(value != value)  # NaN and NaT are the only values unequal to themselves
    except TypeError:  # pd.NA refuses to be a truth value
        return True


# ---------------------------------------------------------------- units



@dataclass(frozen=True)
class Unit:
    name: str  # canonical
    kind: str  # the office's own label: 区直部门, 县直部门, 街镇, 乡镇, 平台公司 …
    aliases: tuple[str, ...] = ()
    contact: str = ""
    emails: tuple[str, ...] = ()
    phone: str = ""


@dataclass(frozen=True)
class Group:
    """A name that stands for several units (各街镇), or an open one (相关部门)."""

    name: str
    members: tuple[str, ...] = ()
    open: bool = False  # needs manual assignment by staff; never guessed
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnitDirectory:
    units: tuple[Unit, ...]
    groups: tuple[Group, ...] = ()

    def unit(self, name: str) -> Unit | None:
        """The unit with canonical name `name`, None when there is none."""
        return next((u for u in self.units if u.name == name), None)

    def group(self, name: str) -> Group | None:
        """The group with canonical name `name`, None when there is none."""
        return next((g for g in self.groups if g.name == name), None)


# ---------------------------------------------------------------- returns

STATUSES = ("已完成", "按计划推进", "滞后", "未启动")


@dataclass
class ReturnRow:
    """One row of a returned unit sheet, values as read and interpreted."""

    key: str  # "43" for a task row, "43-1" for its first target
    task_number: str
    target_index: int | None  # 0-based index into Task.targets, None for a task row
    value: float | None = None  # 本期完成值 as a number
    value_text: str = ""  # 本期完成值 as typed
    percent: float | None = None  # 完成进度(%)
    status: str | None = None  # one of STATUSES
    progress: str = ""  # 进展情况
    issues: str = ""  # 存在问题
    next_steps: str = ""  # 下步措施
    evidence: str = ""  # 佐证材料: the evidence files the clerk names for the row (照片3张；验收报告.pdf)
    requested_deadline: date | None = None  # 申请新完成时限 (a request for 延期, pyxl.common.life)
    request_reason: str = ""  # 申请理由
    cell_row: int | None = None  # the Excel row it was read from

    def __reduce__(self) -> tuple:
        # pickled as its values in field order, not as a class and a dict of fourteen names: the validations kept
        # between commands hold a province's 10,000 rows, and unpickling them took twice as long. A kept file is
        # stamped with pyxl's source files (pyxl.pipeline.kept), so one written with other fields is never read.
        return ReturnRow, _return_row_values(self)


_return_row_values = operator.attrgetter(*(item.name for item in fields(ReturnRow)))


@dataclass
class UnitReturn:
    """One returned file, recognised and validated."""

    unit: str | None  # None when it could not be recognised
    period: str | None
    file: str  # archive path relative to the workspace
    sha256: str
    received: datetime
    rows: list[ReturnRow] = field(default_factory=list)
    accepted: bool = False  # no error-level problems: its values are used
    problems: list[Problem] = field(default_factory=list)
    template_version: str | None = None
    filled_by: str = ""
    phone: str = ""
    filled_date: str = ""
    source: str = ""  # what the user gave us (inbox/x.zip!a.xlsx)

    def row(self, key: str) -> ReturnRow | None:
        """The row `key` (43 or 43-1), the first read if the key repeats; None without that row."""
        return self.rows_by_key().get(key)

    def rows_by_key(self) -> dict[str, ReturnRow]:
        """Every row by its key, the first read where a key repeats.

        The judgement asks for the rows task by task (tens of thousands of
        times in a 500-unit month): the index is made on the first question
        and made again if `rows` is replaced or grows.
        """
        kept = self.__dict__.get("_rows_by_key")
        if kept is None or kept[0] is not self.rows or kept[1] != len(self.rows):
            index: dict[str, ReturnRow] = {}
            for row in self.rows:
                index.setdefault(row.key, row)
            kept = self.__dict__["_rows_by_key"] = (self.rows, len(self.rows), index)
        return kept[2]

    def __getstate__(self) -> dict:
        # the index by key is remade on the first question: a kept (pickled) return does not carry it
        return {name: value for name, value in self.__dict__.items() if name != "_rows_by_key"}


# ---------------------------------------------------------------- consolidation

CATEGORIES = ("已完成", "超序时进度", "达序时进度", "欠序时进度", "未启动", "未报送")
LIGHTS = ("green", "yellow", "red", "disputed", "exempt", "none")
LIGHT_LABELS = {"green": "绿", "yellow": "黄", "red": "红", "disputed": "待核实", "exempt": "年度考核", "none": "未报送"}
FLAG_KINDS = ("逾期未报", "报表被退回", "任务逾期", "指标滞后", "数据待核实", "连续未更新")
# How a unit stands with its return for the period (回收情况 and 单位情况 say it in these words).
REPORT_STATES = ("按时报送", "逾期报送", "报表被退回", "逾期未报", "尚未报送")
# The 督办单 levels, mildest first (settings.notices.issue_from picks who gets one).
NOTICE_LEVELS = ("提示", "督办", "约谈建议")


@dataclass
class LedgerEntry:
    """One line of a period's collect ledger (returns/<period>/回收记录.csv)."""

    file: str  # archived copy, relative to the workspace
    source: str  # what the user gave us: inbox/x.zip!a.xlsx
    unit: str | None
    period: str | None
    received: str  # ISO date-time
    sha256: str
    # pending: 待确认 (an unverified sender or date), counts only once the office confirms it;
    # confirmed: a pending return the office vouched for (its sender is no longer questioned)
    # evidence: a 佐证材料 file that came with a unit's return (pyxl.returns.evidence), never a return itself
    # reply / reply-rejected: a reply to a 督办单 (its period is the 督办单's), never a monthly return
    status: Literal["accepted", "rejected", "superseded", "duplicate", "container", "pending", "confirmed", "evidence",
                    "reply", "reply-rejected"]
    problem_count: int = 0
    sender: str = ""  # e-mail address of the sender, from the .eml that carried it


# Column ids (English) and their Chinese headers, in sheet order. The
# consolidated tables use the ids; every output shows the headers.
TASK_COLUMNS = {
    "number": "序号",
    "section": "篇章",
    "text": "任务内容",
    "lead_units": "牵头单位",
    "responsible_units": "责任单位",
    "deadline": "完成时限",
    "lead_status": "牵头单位状态",
    "lead_percent": "完成进度(%)",
    "lead_progress": "进展情况",
    "lead_issues": "存在问题",
    "responsible_reports": "责任单位报送",
    "category": "类别",
    "previous_category": "上期类别",
    "change": "较上期变化",
    "expected_percent": "序时进度(%)",  # m/12, or relative to the task's own deadline
    "short_title": "任务简称",  # the text's first clause: how the bulletin names the task
    "lead_categories": "各牵头单位类别",  # each lead judged on its own report
    "overdue": "是否逾期",  # 完成时限 passed and not 已完成
    "reason": "判定依据",
    "closure": "销号状态",  # 待销号 (the leads report 已完成) / 已销号 (the office closed it), pyxl.common.life
    "adjustment": "时限调整",  # the deadline moved by 延期 or 调整, in words
}
# One row per (task, lead unit): each lead judged on its own report only.
LEAD_COLUMNS = {
    "number": "序号",
    "unit": "牵头单位",
    "category": "类别",
    "status": "状态",
    "percent": "完成进度(%)",
    "issues": "存在问题",
    "overdue": "是否逾期",
}
INDICATOR_COLUMNS = {
    "key": "序号",
    "task_number": "任务序号",
    "metric": "指标",
    "kind": "类型",
    "comparator": "比较",
    "target": "目标值",
    "stretch": "力争值",
    "unit": "单位",
    "annual_only": "仅年度考核",
    "reported": "本期完成值",
    "expected": "序时目标",
    "deviation": "偏差",
    "light": "灯号",
    "stretch_met": "达到力争值",
    "lead_unit": "牵头单位",
    "completion": "完成率(%)",  # cumulative and level targets; None for growth rates (points)
    "reported_by": "报送单位",  # the lead unit whose value was used
    "stretch_exceeds": "力争超过",  # 力争超过X: the stretch is met only above X
    "contested": "数据待核实",  # each unit's differing figure, until the office records the accepted one
    "reason": "判定依据",
    "stretch_expected": "力争序时目标",  # the 力争 value due by now (counts in whole numbers)
}
RETURN_COLUMNS = {
    "unit": "单位",
    "kind": "类别",
    "task_count": "任务数",
    "returned": "是否报送",
    "received": "报送时间",
    "late": "是否逾期",
    "accepted": "是否采用",
    "problem_count": "问题数",
    "file": "文件",  # the file's own name as the unit sent it
    "status": "报送状态",  # one of REPORT_STATES
}
# One row per unit with tasks: its own reports only, its flags and the 督办单 it gets.
UNIT_COLUMNS = {
    "unit": "单位",
    "kind": "类别",
    "report_status": "报送状态",
    "lead_tasks": "牵头任务数",
    **{name: name for name in CATEGORIES},
    "red_flags": "红色预警",
    "yellow_flags": "黄色预警",
    "notice_level": "督办级别",  # one of NOTICE_LEVELS, empty when the unit gets no 督办单
    "reason": "判定依据",
}
FLAG_COLUMNS = {
    "flag": "预警类型",  # one of FLAG_KINDS
    "level": "级别",  # red / yellow
    "unit": "单位",
    "key": "序号",
    "reason": "原因",
}
# 佐证材料: one row per (row of a return, evidence file it names), then each unit's files no row names.
EVIDENCE_COLUMNS = {
    "key": "序号",
    "task": "任务内容",
    "unit": "单位",
    "period": "期次",
    "said": "填报的佐证材料",  # the row's 佐证材料 cell as typed
    "name": "文件",  # the file's own name as the unit sent it
    "size_kb": "大小(KB)",
    "received": "收到时间",
    "state": "情况",  # 已收到 · 未收到 · 未写明文件名 · 未对应到任务
    "file": "存档位置",  # relative to the workspace; a link in the summary workbook
}
# Deadlines in force in the period because of a decision (延期 approved, or the office's 调整),
# and refusals decided in the period (the unit is told in its reminder or 督办单).
ADJUSTMENT_COLUMNS = {
    "number": "序号",
    "short_title": "任务简称",
    "kind": "类型",  # 延期 / 调整
    "unit": "申请单位",
    "old_deadline": "原完成时限",
    "new_deadline": "新完成时限",
    "decided": "审批日期",
    "new_this_period": "本期决定",
    "note": "说明",
}
REFUSAL_COLUMNS = {"unit": "单位", "number": "序号", "sentence": "答复"}
# Sheet name of each table in 汇总_<period>.xlsx and in the live master.
SHEET_NAMES = {
    "tasks": "任务进度",
    "indicators": "指标进度",
    "returns": "回收情况",
    "flags": "预警",
    "units": "单位情况",
    "problems": "问题",
    "escalation": "督办升级",
    "scores": "考核得分",
    "ranking": "得分排名",
    "evidence": "佐证材料",
    "adjustments": "时限调整",
}
# The accountability tables (pyxl.judgement.escalation and .scoring), carried by the
# period's judgement so every output shows the same ladder steps and scores.
ESCALATION_COLUMNS = {
    "unit": "单位",
    "key": "序号",
    "flag": "预警类型",
    "step": "督办级别",  # the ladder's word
    "months_running": "连续期数",
    "first_period": "本轮首次预警",
    "flagged_periods": "预警期次",
}
SCORE_COLUMNS = {
    "unit": "单位",
    "reporting": "报送扣分",
    "progress": "任务扣分",
    "indicators": "指标扣分",
    "quality": "质量扣分",
    "notices": "督办扣分",
    "score": "本月得分",
    "reasons": "扣分原因",
}
RANKING_COLUMNS = {
    "rank": "名次",
    "unit": "单位",
    "score": "本月得分",
    "year_total": "年度累计",
    "year_average": "月均得分",
    "months": "考核月数",
    "previous_rank": "上月名次",
    "change": "名次变化",
}

# Last month's 督办单 and the units' replies to them (pyxl.judgement.notices): who answered in time.
REPLY_COLUMNS = {
    "unit": "单位",
    "number": "督办单编号",
    "notice_period": "督办期次",
    "level": "督办级别",
    "reply_by": "回复期限",
    "received": "回复时间",
    "state": "回复情况",  # one of REPLY_STATES
    "signed_by": "单位负责人",
    "answers": "办理结果",
    "note": "说明",
}
REPLY_STATES = ("按时回复", "逾期回复", "逾期未回复", "未到回复期限")
# Each task's months side by side (pyxl.judgement.history): one row per (task, month).
HISTORY_COLUMNS = {
    "number": "序号",
    "short_title": "任务简称",
    "period": "月份",
    "category": "类别",
    "lead_status": "牵头单位状态",  # what the leads reported (按计划推进, 滞后 …)
    "lead_percent": "完成进度(%)",
    "expected_percent": "序时进度(%)",
    "lights": "指标灯号",
    "notice_level": "督办级别",
    "events": "调整与销号",
    "lead_units": "牵头单位",
    "lead_progress": "进展情况",
}
# Sheets after SHEET_NAMES' in the summary workbook and the live master, never read back
# from an issued summary (pyxl.outputs.summary.read_issued reads SHEET_NAMES' only).
SUMMARY_SHEETS = {"replies": "督办回执", "history": "任务历程"}


def _empty(columns: dict[str, str]):
    def make():
        import pandas as pd

        return pd.DataFrame(columns=list(columns))

    return make


@dataclass
class Consolidation:
    """The consolidated picture of one period: a pure function of (duty table, archive, as_of).

    Each table is a pandas DataFrame whose columns are the ids of the matching
    *_COLUMNS mapping (problems: pyxl.common.problems.PROBLEM_COLUMNS).
    Together they are the period's one judgement — per task (`tasks`), per
    task and lead unit (`leads`), per indicator (`indicators`) and per unit
    (`returns`, `units`) — each with its category or light, flags and the
    reason in words. The bulletin, the 督办单, the dashboard, the reminders,
    the summary workbook and the live master all read these tables: there is
    no second counting path.
    """

    period: str
    as_of: date
    year: int
    schedule_fraction: float  # 序时进度 at this period (m/12)
    due_date: date
    tasks: "pd.DataFrame"
    indicators: "pd.DataFrame"
    returns: "pd.DataFrame"
    flags: "pd.DataFrame"
    problems: "pd.DataFrame"
    leads: "pd.DataFrame"  # LEAD_COLUMNS
    units: "pd.DataFrame"  # UNIT_COLUMNS
    # across the plan year (filled by the pipeline from the months judged before)
    escalation: "pd.DataFrame" = field(default_factory=_empty(ESCALATION_COLUMNS))
    scores: "pd.DataFrame" = field(default_factory=_empty(SCORE_COLUMNS))
    ranking: "pd.DataFrame" = field(default_factory=_empty(RANKING_COLUMNS))
    # the evidence the units sent and named (filled by the pipeline from the archive's 佐证材料 index)
    evidence: "pd.DataFrame" = field(default_factory=_empty(EVIDENCE_COLUMNS))
    # the task's life (pyxl.common.life): deadlines moved by a decision, and refusals to tell the units
    adjustments: "pd.DataFrame" = field(default_factory=_empty(ADJUSTMENT_COLUMNS))
    refusals: "pd.DataFrame" = field(default_factory=_empty(REFUSAL_COLUMNS))
    replies: "pd.DataFrame" = field(default_factory=_empty(REPLY_COLUMNS))  # last month's 督办单, answered or not
    history: "pd.DataFrame" = field(default_factory=_empty(HISTORY_COLUMNS))  # each task's months so far

    def labelled(self) -> dict[str, "pd.DataFrame"]:
        """Sheet name → table with Chinese headers, in workbook order."""
        labels = {
            "tasks": TASK_COLUMNS,
            "indicators": INDICATOR_COLUMNS,
            "returns": RETURN_COLUMNS,
            "flags": FLAG_COLUMNS,
            "units": UNIT_COLUMNS,
            "problems": PROBLEM_LABELS,
            "escalation": ESCALATION_COLUMNS,
            "scores": SCORE_COLUMNS,
            "ranking": RANKING_COLUMNS,
            "evidence": EVIDENCE_COLUMNS,
            "adjustments": ADJUSTMENT_COLUMNS,
            "replies": REPLY_COLUMNS,
            "history": HISTORY_COLUMNS,
        }
        sheets = {**SHEET_NAMES, **SUMMARY_SHEETS}
        return {sheet: getattr(self, name).rename(columns=labels[name]) for name, sheet in sheets.items()}

    def to_json(self) -> dict:
        """The `pyxl consolidate --json` shape: each table as records, dates ISO, no NaN."""
        def convert(value):
            if value is None:
                return None
            if isinstance(value, (date, datetime)):  # pandas Timestamp is a datetime
                return None if value != value else value.isoformat()  # NaT is not equal to itself
            if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
                value = value.item()  # numpy scalar → Python
            if isinstance(value, float) and math.isnan(value):
                return None
            if isinstance(value, (list, tuple)):
                return [convert(v) for v in value]
            return value

        tables = {
            name: [{k: convert(v) for k, v in row.items()} for row in getattr(self, name).to_dict("records")]
            for name in (*SHEET_NAMES, *SUMMARY_SHEETS, "leads", "refusals")
        }
        return {
            "period": self.period,
            "as_of": self.as_of.isoformat(),
            "year": self.year,
            "schedule_fraction": self.schedule_fraction,
            "due_date": self.due_date.isoformat(),
            **tables,
        }
