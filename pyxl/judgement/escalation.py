"""Escalation across periods: the same item behind again raises its 督办 level, catching up lowers it.

An item is one flag a unit carries for one task or indicator (unit, key,
flag). Month by month along the plan year each item keeps a step on the
office's ladder (default 提示 → 督办 → 约谈建议): a month it is flagged its
step rises by one, a month it is not flagged (the unit caught up) its step
falls by one, never below nothing. So a red that is caught up does not
vanish at once, and an item behind three months running reaches the top of
the ladder. A unit's level is its highest item's.

Pure: the flags of each period come in as tables (columns unit, key, flag,
level — FLAG_COLUMNS), oldest first; nothing is read from disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import pandas as pd

from pyxl.common.model import ESCALATION_COLUMNS, is_missing

DEFAULT_LADDER: tuple[str, ...] = ("提示", "督办", "约谈建议")



@dataclass(frozen=True)
class ItemHistory:
    """One flagged item's place on the ladder in the current period."""

    unit: str
    key: str
    flag: str
    step: int  # 1 = the ladder's first word
    months_running: int  # consecutive periods flagged, this one included
    first_period: str  # the first period of the current run
    flagged_periods: tuple[str, ...]  # every period of the plan year it was flagged in


def _items(flags: pd.DataFrame) -> set[tuple[str, str, str]]:
    if flags is None or flags.empty:
        return set()
    def text(value: object) -> str:  # a flag without a task (逾期未报) has no key, written or read back
        return "" if is_missing(value) else str(value)

    return {(text(u), text(k), text(f)) for u, k, f in zip(flags["unit"], flags["key"], flags["flag"])}


def escalate(periods: Sequence[tuple[str, pd.DataFrame]], ladder: Sequence[str] = DEFAULT_LADDER) -> list[ItemHistory]:
    """The current (last) period's flagged items with their ladder step and history.

    `periods` is [(period, flags table)] for consecutive periods of the plan
    year, oldest first, ending with the current one. Items flagged earlier
    but not now are left out: they have caught up (their step has fallen).
    """
    if not periods:
        return []
    steps: dict[tuple[str, str, str], int] = {}
    running: dict[tuple[str, str, str], int] = {}
    first: dict[tuple[str, str, str], str] = {}
    seen: dict[tuple[str, str, str], list[str]] = {}
    for period, flags in periods:
        now = _items(flags)
        for item in set(steps) | now:
            if item in now:
                steps[item] = min(steps.get(item, 0) + 1, len(ladder))
                if running.get(item, 0) == 0:
                    first[item] = period
                running[item] = running.get(item, 0) + 1
                seen.setdefault(item, []).append(period)
            else:
                steps[item] = max(steps.get(item, 0) - 1, 0)
                running[item] = 0
    current = _items(periods[-1][1])
    return [
        ItemHistory(unit, key, flag, steps[(unit, key, flag)], running[(unit, key, flag)], first[(unit, key, flag)],
                    tuple(seen[(unit, key, flag)]))
        for unit, key, flag in sorted(current)
    ]


def escalation_table(items: Sequence[ItemHistory], ladder: Sequence[str] = DEFAULT_LADDER) -> pd.DataFrame:
    """The items as a table (ESCALATION_COLUMNS ids), the step in the ladder's words."""
    rows = [
        {
            "unit": item.unit,
            "key": item.key,
            "flag": item.flag,
            "step": ladder[item.step - 1],
            "months_running": item.months_running,
            "first_period": item.first_period,
            "flagged_periods": "、".join(item.flagged_periods),
        }
        for item in items
    ]
    return pd.DataFrame(rows, columns=list(ESCALATION_COLUMNS))


def unit_levels(items: Sequence[ItemHistory], ladder: Sequence[str] = DEFAULT_LADDER) -> dict[str, str]:
    """Each flagged unit's 督办 level: the ladder word of its highest item."""
    highest: dict[str, int] = {}
    for item in items:
        highest[item.unit] = max(highest.get(item.unit, 0), item.step)
    return {unit: ladder[step - 1] for unit, step in sorted(highest.items())}


CAUGHT_UP_REASON = "上月红灯，本月追平"


def caught_up_lights(indicators: pd.DataFrame, previous: Mapping[str, str]) -> pd.DataFrame:
    """The office's step-down rule for lights: an indicator red last month and green now shows yellow this month.

    `previous` maps each indicator key to last month's light (ids: red,
    green …). The reason column says why, so nobody reads the yellow as a new
    slip; every other indicator is returned as it was.
    """
    if indicators.empty or not previous:
        return indicators
    keys = indicators["key"].astype(str)
    caught = (indicators["light"] == "green") & keys.map(lambda key: previous.get(key) == "red")
    if not caught.any():
        return indicators
    result = indicators.copy()
    result.loc[caught, "light"] = "yellow"
    result.loc[caught, "reason"] = result.loc[caught, "reason"].map(
        lambda text: CAUGHT_UP_REASON + ("；" + str(text) if not is_missing(text) and str(text) else ""))
    return result


def repeat_cases(items: Sequence[ItemHistory], at_least: int = 2) -> list[ItemHistory]:
    """Items behind `at_least` periods running, longest first (the 通报 lists them)."""
    return sorted((i for i in items if i.months_running >= at_least), key=lambda i: (-i.months_running, i.unit, i.key))
