"""The five flags (预警) of a consolidated period, each with a level and a Chinese reason.

- 逾期未报 (red): a unit that owns tasks has no accepted return and the due date has passed
  (a return received on the due date is on time; as_of on the due date is not yet overdue);
- 任务逾期 (red): a task's latest dated deadline is before as_of and the task is not 已完成;
- 指标滞后: red or yellow by the indicator's light; also yellow when the target is
  met but the 力争 value is not (leadership asks for both bars);
- 数据冲突 (yellow): two units report values for the same target that differ by more
  than `conflict_tolerance` (relative to the larger one), at least one of them a lead
  unit; or on the same task one unit says 已完成 while another says 未启动;
- 连续未更新 (yellow): a unit's 进展情况 on a task is the same text for `stale_periods`
  consecutive periods up to this one (a task already 已完成 is left alone).

Pure: everything comes in as arguments (consolidate prepares them).
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from pyxl.common.config import ThresholdSettings
from pyxl.common.model import FLAG_COLUMNS, FLAG_KINDS, DutyTable, ReturnRow, UnitReturn, is_missing
from pyxl.common.period import Period, chinese_date

_SPACES = re.compile(r"\s+")
_LEVEL_ORDER = {"red": 0, "yellow": 1}


def _flag(kind: str, level: str, unit: str, key: str, reason: str) -> dict:
    return {"flag": kind, "level": level, "unit": unit, "key": key, "reason": reason}


def _number(value: float | None) -> str:
    if is_missing(value):
        return "—"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def return_row(item: UnitReturn | None, key: str) -> ReturnRow | None:
    """The row `key` (43 or 43-1) of a unit's return; None without a return or without that row."""
    if item is None:
        return None
    return next((row for row in item.rows if row.key == key), None)


def overdue_returns(returns: pd.DataFrame, as_of: date, due_date: date) -> list[dict]:
    """逾期未报: no accepted return once the due date has passed."""
    if as_of <= due_date:
        return []
    flags = []
    for row in returns.itertuples(index=False):
        if not is_missing(row.accepted) and bool(row.accepted):
            continue
        if row.returned:
            why = f"报送的文件未通过校验（{row.problem_count} 个问题），截至{chinese_date(as_of)}未重新报送"
        else:
            why = f"截至{chinese_date(as_of)}未报送"
        flags.append(_flag("逾期未报", "red", row.unit, "", f"{why}（报送截止日为{chinese_date(due_date)}）。"))
    return flags


def overdue_tasks(tasks: pd.DataFrame, as_of: date) -> list[dict]:
    """任务逾期: the deadline passed without 已完成."""
    flags = []
    for row in tasks.itertuples(index=False):
        deadline = row.deadline
        if is_missing(deadline) or not (deadline < as_of) or row.category == "已完成":
            continue
        state = "未报送进展" if row.category == "未报送" else f"目前为「{row.category}」"
        flags.append(
            _flag("任务逾期", "red", row.lead_units, str(row.number), f"完成时限{chinese_date(deadline)}已过，任务尚未完成，{state}。")
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
            stretch_note = f"，也低于力争值（序时 {_number(_scaled_stretch(row))}{row.unit}）"
        head = f"{row.metric}：本期完成 {_number(row.reported)}{row.unit}，序时目标 {_number(row.expected)}{row.unit}"
        if row.light in ("red", "yellow"):
            points = is_missing(row.completion)
            rate = "" if points else f"，完成率 {row.completion:g}%"
            gap = f"，偏差 {_number(row.deviation)}{'个百分点' if points else row.unit}"
            flags.append(_flag("指标滞后", row.light, unit, row.key, f"{head}{rate}{gap}，未达序时目标{stretch_note}。"))
        elif row.light == "green" and below_stretch:
            flags.append(_flag("指标滞后", "yellow", unit, row.key, f"{head}，已达序时目标{stretch_note.replace('也', '但', 1)}。"))
    return flags


def _scaled_stretch(row) -> float | None:
    """The 力争 value at this point of the year, scaled like the target."""
    if is_missing(row.stretch) or is_missing(row.expected) or not row.target:
        return row.stretch
    return round(row.stretch * row.expected / row.target, 6)


def data_conflicts(
    duty: DutyTable, roles: dict[str, tuple[tuple[str, ...], tuple[str, ...]]], used: dict[str, UnitReturn], tolerance: float
) -> list[dict]:
    """数据冲突 between units' accepted returns on the same task or target."""
    flags = []
    for task in duty.tasks:
        leads, responsible = roles[task.number]
        units = leads + responsible
        # status: 已完成 against 未启动 on the task row
        statuses = {unit: row.status for unit in units if (row := return_row(used.get(unit), task.number)) is not None}
        done = [u for u, s in statuses.items() if s == "已完成"]
        not_started = [u for u, s in statuses.items() if s == "未启动"]
        if done and not_started:
            flags.append(
                _flag(
                    "数据冲突",
                    "yellow",
                    "、".join(done + not_started),
                    task.number,
                    f"{'、'.join(done)}报「已完成」，{'、'.join(not_started)}报「未启动」，请核实。",
                )
            )
        for position, target in enumerate(task.targets):
            key = task.target_key(position)
            values = [(u, row.value) for u in units if (row := return_row(used.get(u), key)) is not None and row.value is not None]
            for i, (first, a) in enumerate(values):
                if first not in leads:
                    continue  # every pair with at least one lead, each pair once
                for second, b in values[i + 1 :]:
                    if abs(a - b) > tolerance * max(abs(a), abs(b)) + 1e-9:
                        flags.append(
                            _flag(
                                "数据冲突",
                                "yellow",
                                f"{first}、{second}",
                                key,
                                f"{target.metric}：{first}报 {_number(a)}{target.unit}，{second}报 {_number(b)}{target.unit}，"
                                f"相差超过 {tolerance:.0%}，请核实。",
                            )
                        )
    return flags


def _same_text(text: str) -> str:
    return _SPACES.sub("", text)


def stale_progress(
    duty: DutyTable,
    roles: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
    used: dict[str, UnitReturn],
    used_history: dict[str, dict[str, UnitReturn]],
    period: Period,
    stale_periods: int,
) -> list[dict]:
    """连续未更新: the same 进展情况 for `stale_periods` consecutive periods, this one included.

    Spaces and line breaks do not count as a change. A period without an
    accepted return from the unit breaks the run.
    """
    flags = []
    for task in duty.tasks:
        leads, responsible = roles[task.number]
        for unit in leads + responsible:
            row = return_row(used.get(unit), task.number)
            if row is None or row.status == "已完成" or not _same_text(row.progress):
                continue
            text, run, earlier = _same_text(row.progress), 1, period.previous()
            while run < stale_periods:
                before = return_row(used_history.get(str(earlier), {}).get(unit), task.number)
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
) -> pd.DataFrame:
    """All flags of the period as a table (FLAG_COLUMNS), by kind, red before yellow, then in task order."""
    rows = (
        overdue_returns(returns, as_of, due_date)
        + overdue_tasks(tasks, as_of)
        + lagging_indicators(indicators)
        + data_conflicts(duty, roles, used, thresholds.conflict_tolerance)
        + stale_progress(duty, roles, used, used_history, period, thresholds.stale_periods)
    )
    rows.sort(key=lambda r: (FLAG_KINDS.index(r["flag"]), _LEVEL_ORDER[r["level"]]))  # stable: keeps task order
    return pd.DataFrame(rows, columns=list(FLAG_COLUMNS))
