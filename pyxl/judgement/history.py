"""Each task's history: its months side by side, so "what happened to task 42 since March" has one answer.

One row per (task, month) of the plan year so far: the task's category and
progress as that month's judgement gave them, its indicators' lights, the
highest 督办 level any unit carried for it, and the month's events (延期,
调整, 销号 — given as a mapping by whoever records them), then what the lead
units wrote as progress.

Pure: each month's tables come in (earlier months as they were issued,
the current one from its judgement); nothing is read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import pandas as pd

from pyxl.common.model import HISTORY_COLUMNS, LIGHT_LABELS, is_missing

# (task number, period) → short lines such as "延期至2025年9月30日（同意）", "销号"
Events = Mapping[tuple[str, str], Sequence[str]]


@dataclass(frozen=True)
class Month:
    """One month's judgement as the history needs it (column ids; light as an id: red, green …)."""

    period: str
    tasks: pd.DataFrame  # TASK_COLUMNS
    indicators: pd.DataFrame  # INDICATOR_COLUMNS
    escalation: pd.DataFrame  # ESCALATION_COLUMNS


def _text(value: object) -> str:
    return "" if is_missing(value) else str(value).strip()


def _number(value: object) -> float | None:
    if is_missing(value) or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _task_of(key: str, numbers: set[str]) -> str | None:
    """The task an item key belongs to: the task itself (12) or one of its targets (12-1; a number may hold a - itself)."""
    while key:
        if key in numbers:
            return key
        key = key.rpartition("-")[0]
    return None


def task_history(months: Sequence[Month], events: Events | None = None, ladder: Sequence[str] = ()) -> pd.DataFrame:
    """The history table (HISTORY_COLUMNS ids): the last month's tasks in its order, each with every month it appears in.

    `months` oldest first, ending with the current one; `ladder` orders the
    督办 levels (the highest shown, with the units carrying it).
    """
    events = events or {}
    if not months:
        return pd.DataFrame(columns=list(HISTORY_COLUMNS))
    order = [str(n) for n in months[-1].tasks["number"]]
    numbers = set(order)
    rank = {word: i for i, word in enumerate(ladder)}
    by_task: dict[str, list[dict]] = {number: [] for number in order}
    for month in months:
        # one dict per task (a .loc per task and month costs seconds at a province's thousand tasks)
        tasks = dict(zip(month.tasks["number"].astype(str), month.tasks.to_dict("records")))
        lights: dict[str, list[str]] = {}
        for row in month.indicators.itertuples(index=False):
            task = _text(row.task_number)
            label = LIGHT_LABELS.get(_text(row.light), _text(row.light))
            lights.setdefault(task, []).append(f"{_text(row.key)}{label}")
        steps: dict[str, dict[str, list[str]]] = {}
        for row in month.escalation.itertuples(index=False):
            key = _text(row.key)
            number = _task_of(key, numbers)
            if number is not None:
                steps.setdefault(number, {}).setdefault(_text(row.step), []).append(_text(row.unit))
        for number in order:
            task = tasks.get(number)
            if task is None:
                continue
            level = ""
            if number in steps:
                word = max(steps[number], key=lambda w: rank.get(w, -1))
                level = f"{word}（{'、'.join(dict.fromkeys(steps[number][word]))}）"
            by_task[number].append({
                "number": number,
                "short_title": _text(task.get("short_title")),
                "period": month.period,
                "category": _text(task.get("category")),
                "lead_status": _text(task.get("lead_status")),
                "lead_percent": _number(task.get("lead_percent")),
                "expected_percent": _number(task.get("expected_percent")),
                "lights": "、".join(lights.get(number, [])),
                "notice_level": level,
                "events": "；".join(events.get((number, month.period), [])),
                "lead_units": _text(task.get("lead_units")),
                "lead_progress": _text(task.get("lead_progress")),
            })
    rows = [row for number in order for row in by_task[number]]
    # the task is named by its latest short title on every row, so a filter on one task reads as one block
    latest = {row["number"]: row["short_title"] for row in rows}
    for row in rows:
        row["short_title"] = latest[row["number"]]
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
