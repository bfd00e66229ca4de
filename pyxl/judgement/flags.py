"""The flags (预警) of a consolidated period, each with a level and a Chinese reason,
and each unit's judgement (单位情况) with the 督办单 level the settings give it.

- 逾期未报 (red): a unit that owns tasks has no accepted return and the due date has passed
  (a return received on the due date is on time; as_of on the due date is not yet overdue);
  a unit whose return was rejected is told each cell to fix;
- 报表被退回 (yellow): before the due date, a unit whose only return was rejected, with each cell to fix;
- 任务逾期 (red): a task's latest dated deadline is before as_of and the task is not 已完成;
- 指标滞后: red or yellow by the indicator's light; also yellow when the target is
  met but the 力争 value is not (leadership asks for both bars);
- 数据待核实 (yellow): two units report values for the same target that differ by more
  than `conflict_tolerance` (relative to the larger one), at least one of them a lead
  unit — one flag per target naming every unit and its figure, none once the office has
  recorded the figure it accepts; or on the same task one unit says 已完成 while another says 未启动;
- 连续未更新 (yellow): a unit's 进展情况 on a task is the same text for `stale_periods`
  consecutive periods up to this one (a task already 已完成 is left alone).

Pure: everything comes in as arguments (consolidate prepares them).
"""

from __future__ import annotations

import re
from datetime import date
from types import MappingProxyType
from typing import Mapping

import pandas as pd

from pyxl.common.config import NoticeSettings, ThresholdSettings
from pyxl.common.model import (
    CATEGORIES,
    FLAG_COLUMNS,
    FLAG_KINDS,
    NOTICE_LEVELS,
    UNIT_COLUMNS,
    DutyTable,
    ReturnRow,
    UnitReturn,
    is_missing,
)
from pyxl.common.period import Period, chinese_date
from pyxl.common.problems import Problem

_SPACES = re.compile(r"\s+")
_LEVEL_ORDER = {"red": 0, "yellow": 1}


def _flag(kind: str, level: str, unit: str, key: str, reason: str) -> dict:
    return {"flag": kind, "level": level, "unit": unit, "key": key, "reason": reason}


def number_text(value: float | None) -> str:
    """A figure as people write it: 4, 2.62, 1,207.5 (at most two decimals), — when missing."""
    if is_missing(value):
        return "—"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


_number = number_text


def _figure(value: float | None, unit: str) -> str:
    """A figure with its unit; a percentage to one decimal (5.09% → 5.1%)."""
    if not is_missing(value) and unit in ("%", "％"):
        return f"{value:.1f}%"
    return f"{_number(value)}{unit}"


def _percent(value: float) -> str:
    return f"{value:.1f}%"


def fix_list(problems: list[Problem]) -> str:
    """Each cell to fix and what to do, as one sentence: 「区人社局」表G7：「本期完成值」填的是…"""
    parts = []
    for item in problems:
        where = "".join(part for part in (f"「{item.sheet}」表" if item.sheet else "", item.cell or "") if part)
        parts.append(f"{where}：{item.message}" if where else item.message)
    return "；".join(parts)


# unit → the rows of the return whose values are used, by key (43, 43-1): what the judgement asks
# of the returns, task by task and unit by unit, as two dict lookups (no call) each time
Reported = dict[str, dict[str, ReturnRow]]
NO_ROWS: Mapping[str, ReturnRow] = MappingProxyType({})  # a unit without a return used


def reported_rows(used: dict[str, UnitReturn]) -> Reported:
    """Each unit's used return as its rows by key (`Reported`)."""
    return {unit: item.rows_by_key() for unit, item in used.items()}


def overdue_returns(
    returns: pd.DataFrame, as_of: date, due_date: date, rejected: dict[str, list[Problem]] | None = None
) -> list[dict]:
    """逾期未报 (red) once the due date has passed; 报表被退回 (yellow) before it. Both name each cell to fix."""
    rejected = rejected or {}
    flags = []
    for row in returns.itertuples(index=False):
        if not is_missing(row.accepted) and bool(row.accepted):
            continue
        fixes = fix_list(rejected.get(row.unit, []))
        to_fix = f"须改正：{fixes}" if fixes else ""
        if as_of <= due_date:
            if row.returned:
                flags.append(_flag("报表被退回", "yellow", row.unit, "",
                                   f"报表未通过校验，请于{chinese_date(due_date)}前改正后重新报送。{to_fix}".rstrip("；")))
            continue
        if row.returned:
            why = f"报表于{chinese_date(row.received)}报送但未通过校验，截至{chinese_date(as_of)}未重新报送"
        else:
            why = f"截至{chinese_date(as_of)}未报送"
        flags.append(_flag("逾期未报", "red", row.unit, "", f"{why}（报送截止日为{chinese_date(due_date)}）。{to_fix}"))
    return flags


def overdue_tasks(tasks: pd.DataFrame, as_of: date, leads: pd.DataFrame | None = None) -> list[dict]:
    """任务逾期: the deadline passed without 已完成; the flag names the leads that have not finished."""
    flags = []
    for row in tasks.itertuples(index=False):
        deadline = row.deadline
        if is_missing(deadline) or not (deadline < as_of) or row.category == "已完成":
            continue
        # each lead that has not finished gets its own flag, saying its own state
        own = [(row.lead_units, row.category)]
        if leads is not None:
            mine = leads[(leads["number"].astype(str) == str(row.number)) & (leads["category"] != "已完成")]
            own = list(zip(mine["unit"], mine["category"])) or own
        for unit, category in own:
            state = "本单位未报送进展" if category == "未报送" else f"本单位报“{category}”"
            flags.append(
                _flag("任务逾期", "red", unit, str(row.number), f"完成时限{chinese_date(deadline)}已过，任务尚未完成，{state}。")
            )
    return flags


def lagging_indicators(indicators: pd.DataFrame) -> list[dict]:
    """指标滞后: red and yellow lights, and targets met below their 力争 value."""
    flags = []
    for row in indicators.itertuples(index=False):
        unit = row.lead_unit if is_missing(row.reported_by) else row.reported_by
        below_stretch = not is_missing(row.stretch_met) and not bool(row.stretch_met)
        stretch_note = ""
        if below_stretch:
            stretch_note = f"，也低于力争值（序时{_figure(_scaled_stretch(row), row.unit)}）"
        head = f"{row.metric}：本期完成{_figure(row.reported, row.unit)}，序时目标{_figure(row.expected, row.unit)}"
        if row.light in ("red", "yellow"):
            points = is_missing(row.completion)
            rate = "" if points else f"，完成率{_percent(row.completion)}"
            gap = f"，偏差{_number(round(row.deviation, 1)) + '个百分点' if points else _figure(row.deviation, row.unit)}"
            flags.append(_flag("指标滞后", row.light, unit, row.key, f"{head}{rate}{gap}，未达序时目标{stretch_note}。"))
        elif row.light == "green" and below_stretch:
            flags.append(_flag("指标滞后", "yellow", unit, row.key, f"{head}，已达序时目标{stretch_note.replace('也', '但', 1)}。"))
    return flags


def _scaled_stretch(row) -> float | None:
    """The 力争 value at this point of the year, scaled like the target (whole for counts)."""
    scaled = getattr(row, "stretch_expected", None)
    if not is_missing(scaled):
        return scaled
    if is_missing(row.stretch) or is_missing(row.expected) or not row.target:
        return row.stretch
    return round(row.stretch * row.expected / row.target, 6)


def data_conflicts(
    duty: DutyTable,
    roles: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
    reported: Reported,
    indicators: pd.DataFrame,
) -> list[dict]:
    """数据待核实: one flag per contested target (every unit and its figure), and 已完成 against 未启动 on a task."""
    contested = {str(row.key): row for row in indicators.itertuples(index=False) if row.light == "disputed"}
    flags = []
    for task in duty.tasks:
        leads, responsible = roles[task.number]
        units = leads + responsible
        statuses = {unit: row.status for unit in units if (row := reported.get(unit, NO_ROWS).get(task.number)) is not None}
        done = [u for u, s in statuses.items() if s == "已完成"]
        not_started = [u for u, s in statuses.items() if s == "未启动"]
        if done and not_started:
            flags.append(
                _flag("数据待核实", "yellow", "、".join(done + not_started), task.number,
                      f"{'、'.join(done)}报“已完成”，{'、'.join(not_started)}报“未启动”，请核实。")
            )
        for position, target in enumerate(task.targets):
            row = contested.get(task.target_key(position))
            if row is None:
                continue
            figures = [(u, r.value) for u in units if (r := reported.get(u, NO_ROWS).get(row.key)) is not None and r.value is not None]
            names = "、".join(u for u, _ in figures)
            shown = "，".join(f"{u}报{_number(v)}{target.unit}" for u, v in figures)
            flags.append(_flag("数据待核实", "yellow", names, row.key,
                               f"{target.metric}：{shown}，请相关单位核实，以督查室核定的数值为准。"))
    return flags


def _same_text(text: str) -> str:
    return _SPACES.sub("", text)


def stale_progress(
    duty: DutyTable,
    roles: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
    reported: Reported,
    reported_history: dict[str, Reported],
    period: Period,
    stale_periods: int,
) -> list[dict]:
    """连续未更新: the same 进展情况 for `stale_periods` consecutive periods, this one included.

    Spaces and line breaks do not count as a change. A period without an
    accepted return from the unit breaks the run.
    """
    flags = []
    before_this = period.previous()
    previous = reported_history.get(str(before_this), {})
    for task in duty.tasks:
        leads, responsible = roles[task.number]
        for unit in leads + responsible:
            row = reported.get(unit, NO_ROWS).get(task.number)
            if row is None or row.status == "已完成":
                continue
            if stale_periods > 1 and previous.get(unit, NO_ROWS).get(task.number) is None:
                continue  # nothing reported the period before: no run to compare (asked first, as it is the cheap question)
            text = _same_text(row.progress)
            if not text:
                continue
            run, earlier = 1, before_this
            while run < stale_periods:
                before = reported_history.get(str(earlier), {}).get(unit, NO_ROWS).get(task.number)
                if before is None or _same_text(before.progress) != text:
                    break
                run, earlier = run + 1, earlier.previous()
            if run >= stale_periods:
                since = earlier.next()
                flags.append(
                    _flag(
                        "连续未更新",
                        "yellow",
                        unit,
                        task.number,
                        f"「进展情况」自 {since} 起连续 {run} 期内容相同，请督促如实更新。",
                    )
                )
    return flags


def compute_flags(
    *,
    duty: DutyTable,
    roles: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
    used: dict[str, UnitReturn],
    used_history: dict[str, dict[str, UnitReturn]],
    tasks: pd.DataFrame,
    indicators: pd.DataFrame,
    returns: pd.DataFrame,
    period: Period,
    as_of: date,
    due_date: date,
    thresholds: ThresholdSettings,
    rejected: dict[str, list[Problem]] | None = None,
    leads: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """All flags of the period as a table (FLAG_COLUMNS), by kind, red before yellow, then in task order."""
    reported = reported_rows(used)
    rows = (
        overdue_returns(returns, as_of, due_date, rejected)
        + overdue_tasks(tasks, as_of, leads)
        + lagging_indicators(indicators)
        + data_conflicts(duty, roles, reported, indicators)
        + stale_progress(duty, roles, reported, {key: reported_rows(items) for key, items in used_history.items()},
                         period, thresholds.stale_periods)
    )
    rows.sort(key=lambda r: (FLAG_KINDS.index(r["flag"]), _LEVEL_ORDER[r["level"]]))  # stable: keeps task order
    return pd.DataFrame(rows, columns=list(FLAG_COLUMNS))


# ---------------------------------------------------------------- each unit


def _units_of(cell: object) -> list[str]:
    return [] if is_missing(cell) else [part for part in str(cell).split("、") if part]


def notice_level(lagging: int, lead_tasks: int, red: int, behind: int, yellow: int, rule: NoticeSettings) -> str:
    """The 督办单 level a unit's record earns, "" for none (README「督办单发给谁」).

    约谈建议: at least `interview_tasks` of its lead tasks lag (欠序时进度, 未报送 or
    past their deadline) and they are at least `interview_share` of them; 督办: a
    red flag or a lead task 欠序时进度; 提示: yellow flags only.
    """
    if lead_tasks and lagging >= rule.interview_tasks and lagging / lead_tasks >= rule.interview_share - 1e-9:
        return "约谈建议"
    if red or behind:
        return "督办"
    return "提示" if yellow else ""


def unit_table(leads: pd.DataFrame, returns: pd.DataFrame, flags: pd.DataFrame, rule: NoticeSettings) -> pd.DataFrame:
    """One row per unit with tasks: its lead tasks by category (its own report only), its flags, its 督办单 level.

    Every unit whose level is `rule.issue_from` or above gets a 督办单 (notice_level set).
    """
    floor = NOTICE_LEVELS.index(rule.issue_from)
    red: dict[str, int] = {}
    yellow: dict[str, int] = {}
    for flag in flags.itertuples(index=False):
        for unit in dict.fromkeys(_units_of(flag.unit)):
            counter = red if flag.level == "red" else yellow
            counter[unit] = counter.get(unit, 0) + 1
    # each unit's lead rows found once (a mask over every lead row per unit was quadratic at a province's 500 units)
    by_unit: dict[object, list[tuple[object, bool]]] = {}
    for unit, category, overdue in zip(leads["unit"], leads["category"], leads["overdue"]):
        by_unit.setdefault(unit, []).append((category, bool(overdue)))
    rows = []
    for ret in returns.itertuples(index=False):
        own = by_unit.get(ret.unit, [])
        counts = {name: sum(category == name for category, _overdue in own) for name in CATEGORIES}
        lagging = sum(category in ("欠序时进度", "未报送") or overdue for category, overdue in own)
        level = notice_level(lagging, len(own), red.get(ret.unit, 0), counts["欠序时进度"], yellow.get(ret.unit, 0), rule)
        selected = level if level and NOTICE_LEVELS.index(level) >= floor else ""
        parts = [f"报送状态：{ret.status}"]
        if len(own):
            parts.append(f"牵头任务{len(own)}项，其中" + "、".join(f"{n}{c}项" for n, c in counts.items() if c))
        if lagging:
            parts.append(f"欠序时进度、未报送或逾期{lagging}项")
        parts.append(f"红色预警{red.get(ret.unit, 0)}条、黄色预警{yellow.get(ret.unit, 0)}条")
        rows.append(
            {
                "unit": ret.unit,
                "kind": ret.kind,
                "report_status": ret.status,
                "lead_tasks": len(own),
                **counts,
                "red_flags": red.get(ret.unit, 0),
                "yellow_flags": yellow.get(ret.unit, 0),
                "notice_level": selected,
                "reason": "；".join(parts) + (f"；发{selected}级督办单。" if selected else "。"),
            }
        )
    return pd.DataFrame(rows, columns=list(UNIT_COLUMNS))
