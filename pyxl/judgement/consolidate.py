"""Consolidate one period: the duty table and the archived returns → task and indicator progress.

A pure function of (duty table, unit directory, returns, history, period,
as_of, thresholds): it never reads files or the clock, so re-running it on
the same archive gives the same tables. Only accepted returns supply values;
rejected ones show up in 回收情况 and 问题. The flags (pyxl.judgement.flags) are part
of this stage and are computed from the same inputs.

序时进度 (DESIGN.md): at month m of the plan year a cumulative target is on
schedule at m/12 of it; a growth rate is compared directly with the target;
a level or ratio is compared directly; a target or task with an earlier
deadline is on schedule at m / (months until its deadline); an annual-only
indicator is exempt until the December period.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import PurePosixPath

import pandas as pd

from pyxl.common import life as task_life
from pyxl.common.config import NoticeSettings, ThresholdSettings
from pyxl.common.model import (
    ADJUSTMENT_COLUMNS,
    INDICATOR_COLUMNS,
    REFUSAL_COLUMNS,
    LEAD_COLUMNS,
    RETURN_COLUMNS,
    TASK_COLUMNS,
    Consolidation,
    DutyTable,
    Target,
    Task,
    UnitDirectory,
    UnitReturn,
)
from pyxl.common.period import Period, chinese_date
from pyxl.common.problems import PROBLEM_COLUMNS, problems_to_rows
from pyxl.common.units import UnitIndex
from pyxl.common.values import is_percent_unit
from pyxl.judgement.flags import NO_ROWS, Reported, compute_flags, number_text, reported_rows, unit_table

CUMULATIVE_KINDS = ("count", "amount", "measure")
# Least advanced first: combining several lead units keeps the least advanced.
CATEGORY_RANK = {"未报送": 0, "未启动": 1, "欠序时进度": 2, "达序时进度": 3, "超序时进度": 4, "已完成": 5}
STATUS_RANK = {"未启动": 0, "滞后": 1, "按计划推进": 2, "已完成": 3}
_EPSILON = 1e-9  # a value met exactly must count as met despite float arithmetic
# Percentages are compared as people read them, to one decimal: 序时进度 for July
# is quoted as 58.3%, and a unit that reports 58.3 is on schedule, not behind.
PERCENT_DIGITS = 1
_SHORT_REPORT = 60  # characters of a responsible unit's progress text shown in 任务进度


# ---------------------------------------------------------------- who does what


@dataclass(frozen=True)
class Roles:
    """The units of one task, groups expanded: leads first, then the other responsible units."""

    leads: tuple[str, ...]
    responsible: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return self.leads + self.responsible


def task_roles(duty: DutyTable, index: UnitIndex) -> dict[str, Roles]:
    """Task number → its units; a unit named both lead and responsible counts as lead."""
    roles = {}
    for task in duty.tasks:
        leads, responsible = index.task_units(task)
        roles[task.number] = Roles(tuple(leads), tuple(responsible))
    return roles


def returns_by_unit(returns: list[UnitReturn]) -> tuple[dict[str, UnitReturn], dict[str, list[UnitReturn]]]:
    """(unit → the return whose values are used, unit → all its returns, oldest first).

    The newest accepted return of a unit is used (a newer return supersedes an
    older one); ties on the received time are broken by the file name so the
    choice never depends on the order the archive was read in.
    """
    everything: dict[str, list[UnitReturn]] = {}
    for item in sorted(returns, key=lambda r: (r.received, r.file)):
        if item.unit is not None:
            everything.setdefault(item.unit, []).append(item)
    used = {}
    for unit, items in everything.items():
        accepted = [r for r in items if r.accepted]
        if accepted:
            used[unit] = accepted[-1]
    return used, everything


# ---------------------------------------------------------------- 序时进度


def months_elapsed(period: Period, year: int) -> int:
    """Months of the plan year elapsed at the end of `period` (0 before it, 12 after it)."""
    return round(period.schedule_fraction(year) * 12)


def deadline_fraction(deadline: date | None, period: Period, year: int) -> float:
    """Share of the way to `deadline` at the end of `period`: m / (months until the deadline).

    Without a deadline, or with one at the end of the plan year, this is the
    plain 序时进度 m/12. A deadline in June makes June (and every later month) 100%.
    """
    elapsed = months_elapsed(period, year)
    if deadline is None:
        return elapsed / 12
    months_to_deadline = (deadline.year - year) * 12 + deadline.month
    if months_to_deadline <= 0:
        return 1.0
    return min(1.0, elapsed / months_to_deadline)


def uses_points(target: Target) -> bool:
    """Growth rates and percentage ratios are judged by the gap in percentage points."""
    return target.kind == "growth" or (target.kind == "ratio" and is_percent_unit(target.unit))


def completion_rate(reported: float, expected: float, comparator: str) -> float | None:
    """完成率 that also works for a negative plan and for a ceiling ("<=").

    For a positive plan to reach (">=" or "=") this is reported / expected.
    In general it is 1 + (reported − expected) / |expected|: meeting the plan
    exactly is 100% whatever its sign, and doing better than a negative plan
    (a smaller loss, a smaller decrease) is above 100% — reported / expected
    would turn that upside down. For a ceiling ("<=": 不超过, 控制在) the gap
    counts the other way: 1 + (expected − reported) / |expected|, so 5% over a
    ceiling is 95%. None when the plan is zero (no ratio exists; the light then
    only says met or not met).
    """
    if abs(expected) < _EPSILON:
        return None
    gap = (expected - reported) if comparator == "<=" else (reported - expected)
    return 1 + gap / abs(expected)


def meets(reported: float, bar: float, comparator: str, strictly: bool = False) -> bool:
    """Whether `reported` reaches `bar`: at most it for "<=", at least it otherwise ("=" counts as reaching).

    `strictly` is for 力争超过X: reaching X exactly is not beyond it.
    """
    if comparator == "<=":
        return reported < bar - _EPSILON if strictly else reported <= bar + _EPSILON
    return reported > bar + _EPSILON if strictly else reported >= bar - _EPSILON


@dataclass(frozen=True)
class Judgement:
    expected: float | None  # the value on schedule at this period
    deviation: float | None  # reported − expected, in the target's unit (points for rates)
    completion: float | None  # 完成率 in %, for cumulative and level targets
    light: str  # one of model.LIGHTS
    stretch_met: bool | None
    stretch_expected: float | None = None  # the 力争 value due by now, scaled (and for counts rounded) like the target


def judge_target(
    target: Target, reported: float | None, period: Period, year: int, thresholds: ThresholdSettings
) -> Judgement:
    """Compare a reported value with the target at this point of the year.

    - cumulative kinds (count, amount, measure): expected = fraction × target,
      with the fraction m/12, or relative to the target's own deadline;
      green at a 完成率 of 100% or more, yellow from `yellow_ratio`, else red;
    - growth rates and percentage ratios: expected = target, compared directly;
      green when met, yellow within `growth_yellow_points`, else red;
    - other levels and ratios: expected = target, judged by 完成率 like cumulative ones;
    - "<=" targets (零增长, 不超过) invert every comparison;
    - a negative plan or a decrease: see `completion_rate`; a plan of zero is
      green when met and red otherwise;
    - annual-only targets: exempt before the December period, then judged on the full target.
    The 力争 value is scaled like the target and only sets `stretch_met`.
    """
    if target.annual_only and months_elapsed(period, year) < 12:
        return Judgement(None, None, None, "exempt", None)
    if target.kind in CUMULATIVE_KINDS:
        fraction = 1.0 if target.annual_only else deadline_fraction(target.deadline, period, year)
    else:
        fraction = 1.0
    expected = _whole(target, _tidy(target.value * fraction))
    stretch = None if target.stretch is None else _whole(target, _tidy(target.stretch * fraction))
    if reported is None:
        return Judgement(expected, None, None, "none", None, stretch)
    deviation = _tidy(reported - expected)
    stretch_met = None if stretch is None else meets(reported, stretch, target.comparator, target.stretch_exceeds)
    if uses_points(target):
        shortfall = (reported - expected) if target.comparator == "<=" else (expected - reported)
        if shortfall <= _EPSILON:
            light = "green"
        elif shortfall <= thresholds.growth_yellow_points + _EPSILON:
            light = "yellow"
        else:
            light = "red"
        return Judgement(expected, deviation, None, light, stretch_met, stretch)
    rate = completion_rate(reported, expected, target.comparator)
    if thresholds.cumulative_band == "points" and target.kind in CUMULATIVE_KINDS and target.value:
        light = _points_band(target, reported, expected, thresholds)
    elif rate is None:
        light = "green" if meets(reported, expected, target.comparator) else "red"
    elif round(rate * 100, PERCENT_DIGITS) >= 100:  # 1983 of 1983.33 is 100.0% as the table shows it
        light = "green"
    elif rate >= thresholds.yellow_ratio - _EPSILON:
        light = "yellow"
    else:
        light = "red"
    return Judgement(expected, deviation, None if rate is None else _tidy(rate * 100, 2), light, stretch_met, stretch)


def _points_band(target: Target, reported: float, expected: float, thresholds: ThresholdSettings) -> str:
    """The light by percentage points of the year's target behind 序时 (offices that band by points: 10–30 yellow)."""
    behind = (reported - expected) if target.comparator == "<=" else (expected - reported)
    points = round(behind / abs(target.value) * 100, PERCENT_DIGITS)
    if points <= thresholds.green_points_behind:
        return "green"
    return "yellow" if points <= thresholds.red_points_behind else "red"


def _whole(target: Target, value: float) -> float:
    """A count's 序时目标 in whole things, rounded half up as offices round: half a school is not a school.

    5所 × 50% = 3所, 3400人 × 7/12 = 1983人; the light is judged on this
    whole number, so the table a person reads and the light agree.
    """
    if target.kind != "count":
        return value
    return float(math.copysign(math.floor(abs(value) + 0.5 + 1e-9), value))


def _tidy(value: float, digits: int = 6) -> float:
    """Round away float noise (0.1 × 3) so tables compare and print cleanly."""
    return round(value, digits) + 0.0  # + 0.0 turns -0.0 into 0.0


def task_category(status: str | None, percent: float | None, expected_fraction: float) -> str:
    """One unit's report on a task → bulletin category.

    已完成 when the status says so (or, without a status, at 100%); 未启动 when it
    says so (or 0% without a status); 滞后 is 欠序时进度 whatever the percentage
    (the unit itself says it is behind); otherwise the percentage is compared
    with the 序时进度 as bulletins quote it, to one decimal (July: 58.3%):
    above → 超, equal → 达, below → 欠. 按计划推进 without a
    percentage counts as 达序时进度. Nothing filled in counts as 未报送.
    """
    if status == "已完成" or (status is None and percent is not None and percent >= 100 - _EPSILON):
        return "已完成"
    if status == "未启动" or (status is None and percent is not None and abs(percent) < _EPSILON):
        return "未启动"
    if status == "滞后":
        return "欠序时进度"
    if percent is None:
        return "达序时进度" if status == "按计划推进" else "未报送"
    reported, due = round(percent, PERCENT_DIGITS), round(expected_fraction * 100, PERCENT_DIGITS)
    if reported > due:
        return "超序时进度"
    if reported == due:
        return "达序时进度"
    return "欠序时进度"


def category_change(previous: str | None, current: str) -> str:
    """较上期变化: 上升 / 下降 / 持平, empty when there is no previous period to compare with."""
    if previous is None:
        return ""
    difference = CATEGORY_RANK[current] - CATEGORY_RANK[previous]
    return "上升" if difference > 0 else "下降" if difference < 0 else "持平"


# ---------------------------------------------------------------- the tables


def _task_categories(duty: DutyTable, roles: dict[str, Roles], reported: Reported, period: Period) -> dict[str, str]:
    return {task.number: _lead_summary(task, roles[task.number], reported, period, duty.year)["category"] for task in duty.tasks}


def _lead_summary(task: Task, roles: Roles, reported: Reported, period: Period, year: int) -> dict:
    """The lead units' report on a task, combined.

    Each lead is judged on its own report only (`leads`: unit → category,
    status, percent, issues); a lead that has not reported is 未报送 for the
    task. The task is as far as its least advanced lead, so a silent lead
    makes the task 未报送: never 已完成 while a lead is silent. The status and
    percentage are the least advanced among the leads that reported; each
    lead's progress and issues are listed with its name when there are several.
    """
    fraction = deadline_fraction(task.deadline, period, year)
    leads = {}
    reports = []  # (unit, row) of each lead that reported
    for unit in roles.leads:
        row = reported.get(unit, NO_ROWS).get(task.number)
        if row is None:
            leads[unit] = {"category": "未报送", "status": None, "percent": None, "issues": ""}
        else:
            reports.append((unit, row))
            leads[unit] = {
                "category": task_category(row.status, row.percent, fraction),
                "status": row.status,
                "percent": row.percent,
                "issues": row.issues.strip(),
            }
    statuses = [row.status for _, row in reports if row.status]
    percents = [row.percent for _, row in reports if row.percent is not None]
    named = len(roles.leads) > 1

    def joined(field_name: str) -> str:
        texts = [(unit, getattr(row, field_name).strip()) for unit, row in reports]
        return "\n".join(f"【{unit}】{text}" if named else text for unit, text in texts if text)

    categories = [lead["category"] for lead in leads.values()] or ["未报送"]
    return {
        "category": min(categories, key=CATEGORY_RANK.__getitem__),
        "status": min(statuses, key=STATUS_RANK.get) if statuses else None,
        "percent": min(percents) if percents else None,
        "progress": joined("progress"),
        "issues": joined("issues"),
        "fraction": fraction,
        "leads": leads,
    }


_CLAUSE = re.compile(r"[，。；,;：:]")


def short_title(text: str, longest: int = 30) -> str:
    """How a bulletin names a task: its first clause (生物医药方面 → with the next one, too short alone)."""
    clauses = [part.strip() for part in _CLAUSE.split(str(text)) if part.strip()]
    if not clauses:
        return ""
    title = clauses[0]
    if len(title) < 8 and len(clauses) > 1:
        title = f"{title}，{clauses[1]}"
    return title if len(title) <= longest else title[: longest - 1] + "…"


def _percent_words(percent: float | None) -> str:
    return "" if percent is None else f"完成进度{percent:.1f}%".replace(".0%", "%")


def _task_reason(leads: dict[str, dict], fraction: float, deadline: date | None, overdue: bool) -> str:
    """Why the task is in its category, in words: each lead's own report, and an overdue deadline."""
    parts = []
    for unit, lead in leads.items():
        percent = _percent_words(lead["percent"])
        detail = lead["category"] + (f"（{percent}）" if percent else "")
        parts.append(f"{unit}{detail}" if len(leads) > 1 else detail)
    text = "；".join(parts)
    if parts and any(lead["category"] == "欠序时进度" for lead in leads.values()):
        text += f"；序时进度{fraction * 100:.1f}%"
    if overdue:
        text += f"；完成时限{chinese_date(deadline)}已过，尚未完成"
    return text + "。" if text else ""


def _responsible_reports(
    task: Task, roles: Roles, reported: Reported, everything: dict[str, list[UnitReturn]]
) -> str:
    """Each responsible unit's short report: status, percentage and the start of its progress text."""
    lines = []
    for unit in roles.responsible:
        row = reported.get(unit, NO_ROWS).get(task.number)
        if row is None:
            lines.append(f"{unit}：{'报送未通过校验' if unit in everything else '未报送'}")
            continue
        parts = [part for part in (row.status or "", _percent_text(row.percent)) if part]
        text = row.progress.strip().replace("\n", " ")
        if len(text) > _SHORT_REPORT:
            text = text[:_SHORT_REPORT] + "…"
        if text:
            parts.append(text)
        lines.append(f"{unit}：{'，'.join(parts) if parts else '未填写'}")
    return "\n".join(lines)


def _percent_text(percent: float | None) -> str:
    return "" if percent is None else f"{percent:.1f}%"  # percentages to one decimal everywhere


def _task_table(
    duty: DutyTable,
    roles: dict[str, Roles],
    reported: Reported,
    everything: dict[str, list[UnitReturn]],
    previous_categories: dict[str, str] | None,
    period: Period,
    as_of: date,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per task, one row per task and lead unit): the judgement of every task."""
    rows, lead_rows = [], []
    for task in duty.tasks:
        lead = _lead_summary(task, roles[task.number], reported, period, duty.year)
        previous = None if previous_categories is None else previous_categories.get(task.number)
        overdue = task.deadline is not None and task.deadline < as_of and lead["category"] != "已完成"
        for unit, own in lead["leads"].items():
            lead_rows.append({"number": task.number, "unit": unit, **own,
                              "overdue": task.deadline is not None and task.deadline < as_of and own["category"] != "已完成"})
        rows.append(
            {
                "number": task.number,
                "section": task.section,
                "text": task.text,
                "lead_units": "、".join(task.lead_units),
                "responsible_units": "、".join(task.responsible_units),
                "deadline": task.deadline,
                "lead_status": lead["status"],
                "lead_percent": lead["percent"],
                "lead_progress": lead["progress"],
                "lead_issues": lead["issues"],
                "responsible_reports": _responsible_reports(task, roles[task.number], reported, everything),
                "category": lead["category"],
                "previous_category": previous,
                "change": category_change(previous, lead["category"]),
                "expected_percent": _tidy(lead["fraction"] * 100, 2),
                "short_title": short_title(task.text),
                "lead_categories": "；".join(f"{unit}：{own['category']}" for unit, own in lead["leads"].items()),
                "overdue": overdue,
                "reason": _task_reason(lead["leads"], lead["fraction"], task.deadline, overdue),
            }
        )
    return pd.DataFrame(rows, columns=list(TASK_COLUMNS)), pd.DataFrame(lead_rows, columns=list(LEAD_COLUMNS))


def _figures(task: Task, key: str, roles: Roles, reported: Reported) -> list[tuple[str, float]]:
    """(unit, value) of every unit that reported a value for `key`, leads first."""
    return [(u, row.value) for u in roles.all if (row := reported.get(u, NO_ROWS).get(key)) is not None and row.value is not None]


def contested(figures: list[tuple[str, float]], leads: tuple[str, ...], tolerance: float) -> bool:
    """Whether two units, at least one of them a lead, report figures further apart than `tolerance` (relative)."""
    for i, (first, a) in enumerate(figures):
        for second, b in figures[i + 1 :]:
            if (first in leads or second in leads) and abs(a - b) > tolerance * max(abs(a), abs(b)) + 1e-9:
                return True
    return False


def _indicator_table(
    duty: DutyTable, roles: dict[str, Roles], unit_rows: Reported, period: Period, thresholds: ThresholdSettings
) -> pd.DataFrame:
    """One row per target.

    With several lead units the first lead (in the document's order) that
    reported a value supplies it. When two units report the figure
    differently (beyond `conflict_tolerance`) the target is 数据待核实
    (light "disputed", every figure in `contested`) and gets no light until
    the office records the figure it accepts for this period in the master's
    指标 sheet (核定期次, 核定完成值); that figure is then judged.
    """
    rows = []
    for task in duty.tasks:
        for position, target in enumerate(task.targets):
            key = task.target_key(position)
            figures = _figures(task, key, roles[task.number], unit_rows)
            lead_figures = [(u, v) for u, v in figures if u in roles[task.number].leads]
            reported_by, reported = lead_figures[0] if lead_figures else (None, None)
            disputed = contested(figures, roles[task.number].leads, thresholds.conflict_tolerance)
            shown = "；".join(f"{u}报{number_text(v)}{target.unit}" for u, v in figures) if disputed else ""
            accepted = target.accepted_value is not None and target.accepted_period == str(period)
            if accepted:
                reported, reported_by = target.accepted_value, "督查室核定"
                if shown:
                    shown += f"；督查室核定为{number_text(target.accepted_value)}{target.unit}"
            judgement = judge_target(target, reported, period, duty.year, thresholds)
            light = "disputed" if disputed and not accepted and judgement.light != "exempt" else judgement.light
            rows.append(
                {
                    "key": key,
                    "task_number": task.number,
                    "metric": target.metric,
                    "kind": target.kind,
                    "comparator": target.comparator,
                    "target": target.value,
                    "stretch": target.stretch,
                    "unit": target.unit,
                    "annual_only": target.annual_only,
                    "reported": reported,
                    "expected": judgement.expected,
                    "deviation": judgement.deviation,
                    "light": light,
                    "stretch_met": None if light == "disputed" else judgement.stretch_met,
                    "lead_unit": "、".join(task.lead_units),
                    "completion": judgement.completion,
                    "reported_by": reported_by,
                    "stretch_exceeds": target.stretch_exceeds,
                    "contested": shown,
                    "reason": _indicator_reason(light, judgement, target, shown),
                    "stretch_expected": judgement.stretch_expected,
                }
            )
    return pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS))


def _indicator_reason(light: str, judgement: Judgement, target: Target, contested_text: str) -> str:
    if light == "disputed":
        return f"各单位报送数值不一致（{contested_text}），待督查室核定后评灯。"
    if light == "exempt":
        return "仅年度考核，12月评价。"
    if light == "none":
        return "牵头单位未报送本期完成值。"
    if judgement.completion is not None:
        return f"完成序时目标的{judgement.completion:.1f}%。"
    gap = judgement.deviation or 0.0
    below = gap > 0 if target.comparator == "<=" else gap < 0
    if not below:
        return "达到目标。"
    return f"{'高于' if target.comparator == '<=' else '低于'}目标{number_text(abs(gap))}个百分点。"


def file_name(path: str) -> str:
    """The name a unit gave its file: inbox/x.eml!12_单位.xlsx → 12_单位.xlsx; an archive path → its name."""
    return PurePosixPath(str(path).replace("\\", "/").split("!")[-1]).name


def report_state(accepted: bool, returned: bool, late: bool | None, as_of: date, due: date) -> str:
    """One of REPORT_STATES: how a unit stands with its return on `as_of`.

    A unit whose only return was rejected is 报表被退回 until the due date
    passes, then 逾期未报 like a unit that sent nothing; before the due date a
    unit that sent nothing is 尚未报送.
    """
    if accepted:
        return "逾期报送" if late else "按时报送"
    if as_of > due:
        return "逾期未报"
    return "报表被退回" if returned else "尚未报送"


def _return_table(
    duty: DutyTable,
    roles: dict[str, Roles],
    directory: UnitDirectory,
    used: dict[str, UnitReturn],
    everything: dict[str, list[UnitReturn]],
    due: date,
    as_of: date,
) -> pd.DataFrame:
    """One row per unit that owns tasks, in the directory's order, then in order of first mention."""
    task_count: dict[str, int] = {}
    for task in duty.tasks:
        for unit in roles[task.number].all:
            task_count[unit] = task_count.get(unit, 0) + 1
    order = {unit.name: i for i, unit in enumerate(directory.units)}
    first_seen = {unit: i for i, unit in enumerate(task_count)}
    units = sorted(task_count, key=lambda u: (order.get(u, len(order)), first_seen[u]))
    rows = []
    for unit in units:
        items = everything.get(unit, [])
        shown = used.get(unit) or (items[-1] if items else None)
        known = directory.unit(unit)
        late = (shown.received.date() > due) if shown else None  # received ON the due date is on time
        rows.append(
            {
                "unit": unit,
                "kind": known.kind if known else "",
                "task_count": task_count[unit],
                "returned": bool(items),
                "received": shown.received if shown else None,
                "late": late,
                "accepted": unit in used if items else None,
                "problem_count": sum(len(item.problems) for item in items),
                "file": file_name(shown.source or shown.file) if shown else "",
                "status": report_state(unit in used, bool(items), late, as_of, due),
            }
        )
    return pd.DataFrame(rows, columns=list(RETURN_COLUMNS))


def _problem_table(returns: list[UnitReturn]) -> pd.DataFrame:
    rows = []
    for item in sorted(returns, key=lambda r: (r.received, r.file)):
        for row in problems_to_rows(item.problems):
            row["unit"] = row["unit"] or item.unit
            row["file"] = row["file"] or item.file
            rows.append(row)
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS)


def _adjustment_words(adjustment: task_life.Adjustment) -> str:
    verb = "同意延期" if adjustment.kind == task_life.KIND_EXTENSION else "调整"
    was = f"原{adjustment.old_text}" + (f"（{chinese_date(adjustment.old)}）" if adjustment.old and adjustment.old_text != chinese_date(adjustment.old) else "")
    return f"{was}，{chinese_date(adjustment.decided)}{verb}至{chinese_date(adjustment.new)}"


def _with_life(tasks: pd.DataFrame, leads: pd.DataFrame, duty: DutyTable, closed: set[str],
               adjustments: dict[str, task_life.Adjustment], previous: dict[str, str] | None,
               roles: dict[str, Roles]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tasks table with 销号状态 and 时限调整, and a row (已完成, 已销号) for each closed task, in duty order."""
    tasks = tasks.copy()
    tasks["closure"] = [task_life.PENDING_CLOSURE if c == "已完成" else "" for c in tasks["category"]]
    tasks["adjustment"] = [_adjustment_words(adjustments[n]) if n in adjustments else "" for n in tasks["number"]]
    if not closed:
        return tasks, leads
    rows, lead_rows = [], []
    for task in duty.tasks:
        if task.number not in closed:
            continue
        before = None if previous is None else previous.get(task.number)
        rows.append({
            "number": task.number, "section": task.section, "text": task.text,
            "lead_units": "、".join(task.lead_units), "responsible_units": "、".join(task.responsible_units),
            "deadline": task.deadline, "lead_status": "已完成", "lead_percent": 100.0, "lead_progress": "",
            "lead_issues": "", "responsible_reports": "", "category": "已完成", "previous_category": before,
            "change": category_change(before, "已完成"), "expected_percent": 100.0,
            "short_title": short_title(task.text),
            "lead_categories": "；".join(f"{unit}：已完成" for unit in roles[task.number].leads),
            "overdue": False, "reason": "督查室已确认销号。", "closure": task_life.CLOSED,
            "adjustment": _adjustment_words(adjustments[task.number]) if task.number in adjustments else "",
        })
        lead_rows += [{"number": task.number, "unit": unit, "category": "已完成", "status": "已完成", "percent": 100.0,
                       "issues": "", "overdue": False} for unit in roles[task.number].leads]
    order = {task.number: i for i, task in enumerate(duty.tasks)}
    frames = [f for f in (tasks, pd.DataFrame(rows, columns=list(TASK_COLUMNS))) if not f.empty]
    tasks = pd.concat(frames, ignore_index=True) if frames else tasks
    tasks = tasks.sort_values("number", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    lead_frames = [f for f in (leads, pd.DataFrame(lead_rows, columns=list(LEAD_COLUMNS))) if not f.empty]
    leads = pd.concat(lead_frames, ignore_index=True) if lead_frames else leads
    leads = leads.sort_values("number", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    return tasks, leads


def _adjustment_table(adjustments: dict[str, task_life.Adjustment], duty: DutyTable, period: str) -> pd.DataFrame:
    rows = []
    for task in duty.tasks:
        item = adjustments.get(task.number)
        if item is None:
            continue
        rows.append({"number": item.task, "short_title": short_title(task.text), "kind": item.kind, "unit": item.unit,
                     "old_deadline": item.old, "new_deadline": item.new, "decided": item.decided,
                     "new_this_period": task_life.period_of(item.decided) == period, "note": item.note})
    return pd.DataFrame(rows, columns=list(ADJUSTMENT_COLUMNS))


def _refusal_table(refusals: list[task_life.DeadlineChange]) -> pd.DataFrame:
    rows = [{"unit": c.unit, "number": c.task, "sentence": task_life.refusal_sentence(c)} for c in refusals if c.unit]
    return pd.DataFrame(rows, columns=list(REFUSAL_COLUMNS))


def consolidate(
    duty: DutyTable,
    directory: UnitDirectory | UnitIndex,
    current: list[UnitReturn],
    history: dict[str, list[UnitReturn]],
    period: Period,
    as_of: date,
    thresholds: ThresholdSettings,
    due_day: int | date,
    notices: NoticeSettings | None = None,
    life: task_life.TaskLife | None = None,
) -> Consolidation:
    """The consolidated picture of `period` as of `as_of`.

    `current` holds every archived return of the period (accepted or not);
    `history` maps earlier periods (`"2025-05"`) to theirs, for the previous
    category and the 连续未更新 flag. Deterministic: the same inputs give
    equal tables whatever order the returns come in.

    `life` holds the office's decisions (pyxl.common.life): a deadline moved by a
    decision dated in or before this period counts for 序时进度 and 任务逾期; a task
    closed (销号) in this period is 已完成 and 已销号, asks nothing of its units and is
    never flagged; a task its leads report 已完成 is 待销号 until then.
    """
    index = directory if isinstance(directory, UnitIndex) else UnitIndex(directory)
    life = life or task_life.TaskLife()
    original = duty
    duty = life.apply(duty, str(period))
    closed = life.closed(str(period))
    full_duty = duty
    if closed:
        duty = replace(duty, tasks=[t for t in duty.tasks if t.number not in closed])
    all_roles = task_roles(full_duty, index)
    roles = {number: all_roles[number] for number in (t.number for t in duty.tasks)}
    used, everything = returns_by_unit(current)
    used_history = {key: returns_by_unit(items)[0] for key, items in history.items()}
    previous_key = str(period.previous())
    previous_categories = (
        _task_categories(life.apply(original, previous_key), all_roles, reported_rows(used_history[previous_key]), period.previous())
        if previous_key in used_history
        else None
    )
    if previous_categories is not None:  # a task closed last month was 已完成 then, whatever its units sent
        previous_categories.update(dict.fromkeys(life.closed(previous_key), "已完成"))
    # the due date itself (Settings.due_date: moved to a working day), or the day of the month as it is
    due = due_day if isinstance(due_day, date) else period.due_date(due_day)
    reported = reported_rows(used)
    tasks, leads = _task_table(duty, roles, reported, everything, previous_categories, period, as_of)
    indicators = _indicator_table(duty, roles, reported, period, thresholds)
    returns = _return_table(duty, roles, index.directory, used, everything, due, as_of)
    # the errors of a unit's rejected return, so its flag and its 督办单 name each cell
    rejected = {unit: [p for p in items[-1].problems if p.is_error] for unit, items in everything.items()
                if unit not in used and items}
    flags = compute_flags(
        duty=duty,
        roles={number: (r.leads, r.responsible) for number, r in roles.items()},
        used=used,
        used_history=used_history,
        tasks=tasks,
        indicators=indicators,
        returns=returns,
        rejected=rejected,
        leads=leads,
        period=period,
        as_of=as_of,
        due_date=due,
        thresholds=thresholds,
    )
    adjustments = life.adjustments(original, str(period))
    tasks, leads = _with_life(tasks, leads, full_duty, closed, adjustments, previous_categories, all_roles)
    return Consolidation(
        adjustments=_adjustment_table(adjustments, full_duty, str(period)),
        refusals=_refusal_table(life.refusals(str(period))),
        period=str(period),
        as_of=as_of,
        year=duty.year,
        schedule_fraction=period.schedule_fraction(duty.year),
        due_date=due,
        tasks=tasks,
        indicators=indicators,
        returns=returns,
        flags=flags,
        problems=_problem_table(current),
        leads=leads,
        units=unit_table(leads, returns, flags, notices or NoticeSettings()),
    )
