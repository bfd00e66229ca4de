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

from dataclasses import dataclass
from datetime import date

import pandas as pd

from pyxl.common.config import ThresholdSettings
from pyxl.common.model import (
    INDICATOR_COLUMNS,
    RETURN_COLUMNS,
    TASK_COLUMNS,
    Consolidation,
    DutyTable,
    Target,
    Task,
    UnitDirectory,
    UnitReturn,
)
from pyxl.common.period import Period
from pyxl.common.problems import PROBLEM_COLUMNS, problems_to_rows
from pyxl.common.units import UnitIndex
from pyxl.common.values import is_percent_unit
from pyxl.judgement.flags import compute_flags, return_row

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
    expected = _tidy(target.value * fraction)
    stretch = None if target.stretch is None else _tidy(target.stretch * fraction)
    if reported is None:
        return Judgement(expected, None, None, "none", None)
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
        return Judgement(expected, deviation, None, light, stretch_met)
    rate = completion_rate(reported, expected, target.comparator)
    if rate is None:
        light = "green" if meets(reported, expected, target.comparator) else "red"
    elif round(rate * 100, PERCENT_DIGITS) >= 100:  # 1983 of 1983.33 is 100.0% as the table shows it
        light = "green"
    elif rate >= thresholds.yellow_ratio - _EPSILON:
        light = "yellow"
    else:
        light = "red"
    return Judgement(expected, deviation, None if rate is None else _tidy(rate * 100, 2), light, stretch_met)


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


def _task_categories(duty: DutyTable, roles: dict[str, Roles], used: dict[str, UnitReturn], period: Period) -> dict[str, str]:
    return {task.number: _lead_summary(task, roles[task.number], used, period, duty.year)["category"] for task in duty.tasks}


def _lead_summary(task: Task, roles: Roles, used: dict[str, UnitReturn], period: Period, year: int) -> dict:
    """The lead units' report on a task, combined.

    With several lead units, the task is only as far as its least advanced
    lead: the status, percentage and category are the least advanced among
    the leads that reported, and each lead's progress and issues are listed
    with its name. Leads that have not reported yet are left out (they show
    in 回收情况 and 逾期未报); only when no lead reported is the task 未报送.
    """
    fraction = deadline_fraction(task.deadline, period, year)
    reports = [(unit, return_row(used.get(unit), task.number)) for unit in roles.leads]
    reports = [(unit, row) for unit, row in reports if row is not None]
    if not reports:
        return {"category": "未报送", "status": None, "percent": None, "progress": "", "issues": "", "fraction": fraction}
    categories = [task_category(row.status, row.percent, fraction) for _, row in reports]
    statuses = [row.status for _, row in reports if row.status]
    percents = [row.percent for _, row in reports if row.percent is not None]
    named = len(reports) > 1

    def joined(field_name: str) -> str:
        texts = [(unit, getattr(row, field_name).strip()) for unit, row in reports]
        return "\n".join(f"【{unit}】{text}" if named else text for unit, text in texts if text)

    return {
        "category": min(categories, key=CATEGORY_RANK.__getitem__),
        "status": min(statuses, key=STATUS_RANK.get) if statuses else None,
        "percent": min(percents) if percents else None,
        "progress": joined("progress"),
        "issues": joined("issues"),
        "fraction": fraction,
    }


def _responsible_reports(
    task: Task, roles: Roles, used: dict[str, UnitReturn], everything: dict[str, list[UnitReturn]]
) -> str:
    """Each responsible unit's short report: status, percentage and the start of its progress text."""
    lines = []
    for unit in roles.responsible:
        row = return_row(used.get(unit), task.number)
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
    return "" if percent is None else f"{percent:g}%"


def _task_table(
    duty: DutyTable,
    roles: dict[str, Roles],
    used: dict[str, UnitReturn],
    everything: dict[str, list[UnitReturn]],
    previous_categories: dict[str, str] | None,
    period: Period,
) -> pd.DataFrame:
    """One row per task: the lead units' report, the others' short reports, the category and its change."""
    rows = []
    for task in duty.tasks:
        lead = _lead_summary(task, roles[task.number], used, period, duty.year)
        previous = None if previous_categories is None else previous_categories.get(task.number)
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
                "responsible_reports": _responsible_reports(task, roles[task.number], used, everything),
                "category": lead["category"],
                "previous_category": previous,
                "change": category_change(previous, lead["category"]),
                "expected_percent": _tidy(lead["fraction"] * 100, 2),
            }
        )
    return pd.DataFrame(rows, columns=list(TASK_COLUMNS))


def _indicator_table(
    duty: DutyTable, roles: dict[str, Roles], used: dict[str, UnitReturn], period: Period, thresholds: ThresholdSettings
) -> pd.DataFrame:
    """One row per target. With several lead units the first lead (in the document's order)
    that reported a value supplies it; disagreements between units are 数据冲突 flags."""
    rows = []
    for task in duty.tasks:
        for position, target in enumerate(task.targets):
            key = task.target_key(position)
            reported, reported_by = None, None
            for unit in roles[task.number].leads:
                row = return_row(used.get(unit), key)
                if row is not None and row.value is not None:
                    reported, reported_by = row.value, unit
                    break
            judgement = judge_target(target, reported, period, duty.year, thresholds)
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
                    "light": judgement.light,
                    "stretch_met": judgement.stretch_met,
                    "lead_unit": "、".join(task.lead_units),
                    "completion": judgement.completion,
                    "reported_by": reported_by,
                    "stretch_exceeds": target.stretch_exceeds,
                }
            )
    return pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS))


def _return_table(
    duty: DutyTable,
    roles: dict[str, Roles],
    directory: UnitDirectory,
    used: dict[str, UnitReturn],
    everything: dict[str, list[UnitReturn]],
    due: date,
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
        rows.append(
            {
                "unit": unit,
                "kind": known.kind if known else "",
                "task_count": task_count[unit],
                "returned": bool(items),
                "received": shown.received if shown else None,
                # received ON the due date is on time
                "late": (shown.received.date() > due) if shown else None,
                "accepted": unit in used if items else None,
                "problem_count": sum(len(item.problems) for item in items),
                "file": shown.file if shown else "",
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


def consolidate(
    duty: DutyTable,
    directory: UnitDirectory | UnitIndex,
    current: list[UnitReturn],
    history: dict[str, list[UnitReturn]],
    period: Period,
    as_of: date,
    thresholds: ThresholdSettings,
    due_day: int,
) -> Consolidation:
    """The consolidated picture of `period` as of `as_of`.

    `current` holds every archived return of the period (accepted or not);
    `history` maps earlier periods (`"2025-05"`) to theirs, for the previous
    category and the 连续未更新 flag. Deterministic: the same inputs give
    equal tables whatever order the returns come in.
    """
    index = directory if isinstance(directory, UnitIndex) else UnitIndex(directory)
    roles = task_roles(duty, index)
    used, everything = returns_by_unit(current)
    used_history = {key: returns_by_unit(items)[0] for key, items in history.items()}
    previous_key = str(period.previous())
    previous_categories = (
        _task_categories(duty, roles, used_history[previous_key], period.previous())
        if previous_key in used_history
        else None
    )
    due = period.due_date(due_day)
    tasks = _task_table(duty, roles, used, everything, previous_categories, period)
    indicators = _indicator_table(duty, roles, used, period, thresholds)
    returns = _return_table(duty, roles, index.directory, used, everything, due)
    flags = compute_flags(
        duty=duty,
        roles={number: (r.leads, r.responsible) for number, r in roles.items()},
        used=used,
        used_history=used_history,
        tasks=tasks,
        indicators=indicators,
        returns=returns,
        period=period,
        as_of=as_of,
        due_date=due,
        thresholds=thresholds,
    )
    return Consolidation(
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
    )
