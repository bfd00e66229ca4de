"""A monthly score per unit, summed for the year to date, and the ranking with its change.

The rubric is the office's (settings.accountability.score): a unit starts
each month from `base` and loses points for how it reported (未报送, 逾期报送,
被退回, problems in its returns), for the 序时 status of the tasks and
indicators it leads, and for 督办单 it left unanswered past their reply date.
Every deduction is kept with its reason in words, so a unit that asks why it
lost points gets an answer the office can read out.

Pure: the scores are computed from a period's consolidation (its returns,
tasks, indicators and flags tables), which is the one judgement every output
reads; the year's ranking from the months' score tables.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import pandas as pd

from pyxl.common.config import ScoreSettings
from pyxl.common.model import RANKING_COLUMNS, SCORE_COLUMNS, Consolidation, is_missing



def _units_of(cell: object) -> list[str]:
    """The unit names of a joined cell (「、」), as the consolidated tables write them."""
    if is_missing(cell):
        return []
    return [name for name in str(cell).split("、") if name]


def score_period(
    consolidation: Consolidation, rubric: ScoreSettings, unanswered: Iterable[str] | Mapping[str, str] = ()
) -> pd.DataFrame:
    """Each unit that owns tasks this period, with its deductions by kind, its score and the reasons.

    `unanswered`: units whose 督办单 was not answered by its reply date
    (pyxl.judgement.notices.late_or_missing), each with the reason in words
    (督办单逾期未回复 / 督办单逾期回复); a plain list means 督办单逾期未回复.
    """
    units = [str(u) for u in consolidation.returns["unit"]]
    deductions: dict[str, dict[str, float]] = {u: {k: 0.0 for k in ("reporting", "progress", "indicators", "quality", "notices")} for u in units}
    reasons: dict[str, list[str]] = {u: [] for u in units}

    def deduct(unit: str, kind: str, points: float, reason: str) -> None:
        if unit in deductions and points:
            deductions[unit][kind] += points
            reasons[unit].append(f"{reason}（-{points:g}）")

    for row in consolidation.returns.itertuples(index=False):
        if not row.returned:
            deduct(row.unit, "reporting", rubric.missing_return, "未报送")
            continue
        if row.late is True:
            deduct(row.unit, "reporting", rubric.late_return, "逾期报送")
        if row.accepted is False:
            deduct(row.unit, "reporting", rubric.rejected_return, "报表被退回")
        problems = int(row.problem_count or 0)
        if problems:
            deduct(row.unit, "quality", min(problems * rubric.problem, rubric.problem_cap), f"报表问题{problems}个")

    task_points = {"欠序时进度": rubric.task_behind, "未启动": rubric.task_not_started}
    for row in consolidation.tasks.itertuples(index=False):
        points = task_points.get(row.category, 0)
        for unit in _units_of(row.lead_units):
            deduct(unit, "progress", points, f"牵头任务{row.number}{row.category}")
    overdue = consolidation.flags[consolidation.flags["flag"] == "任务逾期"] if len(consolidation.flags) else consolidation.flags
    for row in overdue.itertuples(index=False):
        deduct(str(row.unit), "progress", rubric.task_overdue, f"任务{row.key}逾期")

    light_points = {"red": (rubric.indicator_red, "红灯"), "yellow": (rubric.indicator_yellow, "黄灯")}
    for row in consolidation.indicators.itertuples(index=False):
        points, word = light_points.get(row.light, (0, ""))
        for unit in _units_of(row.lead_unit):
            deduct(unit, "indicators", points, f"指标{row.key}{word}")

    reasons_of = dict(unanswered) if isinstance(unanswered, Mapping) else dict.fromkeys(unanswered, "督办单逾期未回复")
    for unit in sorted(reasons_of):
        deduct(unit, "notices", rubric.notice_unanswered, reasons_of[unit])

    rows = []
    for unit in units:
        lost = deductions[unit]
        rows.append({"unit": unit, **{k: round(v, 1) for k, v in lost.items()},
                     "score": round(max(rubric.base - sum(lost.values()), 0.0), 1),
                     "reasons": "；".join(reasons[unit]) or "无扣分"})
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))


def rank_units(months: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The ranking of the last month in `months` (period → score table, oldest first), with the year so far.

    Ranked by this month's score, ties by the year's average, then name; a
    unit's change is its last month's rank minus this month's (up is positive).
    """
    periods = list(months)
    if not periods:
        return pd.DataFrame(columns=list(RANKING_COLUMNS))
    current = months[periods[-1]]
    history = pd.concat([months[p].assign(period=p) for p in periods], ignore_index=True)
    totals = history.groupby("unit")["score"].agg(["sum", "count"])
    # looked up per unit: plain dicts (a .loc per unit and per comparison was most of ranking 500 units)
    sums = {unit: float(value) for unit, value in totals["sum"].items()}
    counts = {unit: int(value) for unit, value in totals["count"].items()}
    previous = _ranks(months[periods[-2]], sums, counts) if len(periods) > 1 else {}
    ranks = _ranks(current, sums, counts)
    scores: dict[object, float] = {}
    for unit, value in zip(current["unit"], current["score"]):
        scores.setdefault(unit, float(value))  # a unit's first row, as .iloc[0] took it
    rows = []
    for unit, rank in sorted(ranks.items(), key=lambda item: item[1]):
        score = scores[unit]
        before = previous.get(unit)
        rows.append({
            "rank": rank, "unit": unit, "score": score,
            "year_total": round(sums[unit], 1),
            "year_average": round(sums[unit] / counts[unit], 1),
            "months": counts[unit],
            "previous_rank": before,
            "change": _change_words(before, rank),
        })
    return pd.DataFrame(rows, columns=list(RANKING_COLUMNS))


def _ranks(scores: pd.DataFrame, sums: Mapping[str, float], counts: Mapping[str, int]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4) by score, ties broken by the year's average then name for order only."""
    order = sorted(
        ((str(u), float(s)) for u, s in zip(scores["unit"], scores["score"])),
        key=lambda item: (-item[1], -sums[item[0]] / counts[item[0]], item[0]),
    )
    ranks: dict[str, int] = {}
    for position, (unit, score) in enumerate(order, start=1):
        tied = [u for u, s in order[: position - 1] if s == score]
        ranks[unit] = ranks[tied[0]] if tied else position
    return ranks


def _change_words(before: int | None, now: int) -> str:
    if before is None:
        return "新上榜"
    if before == now:
        return "持平"
    return f"上升{before - now}位" if before > now else f"下降{now - before}位"


def year_assessment(months: Mapping[str, pd.DataFrame], kinds: Sequence[str] = ("reporting", "progress", "indicators", "quality", "notices")) -> pd.DataFrame:
    """The year-end 考核 table: each unit's months, average score and its deductions by kind over the year."""
    if not months:
        return pd.DataFrame(columns=["unit", "months", "year_average", *kinds])
    history = pd.concat([table.assign(period=period) for period, table in months.items()], ignore_index=True)
    grouped = history.groupby("unit", sort=False)
    table = pd.DataFrame({
        "unit": list(grouped.groups),
        "months": grouped["score"].count().to_numpy(),
        "year_average": grouped["score"].mean().round(1).to_numpy(),
        **{kind: grouped[kind].sum().round(1).to_numpy() for kind in kinds},
    })
    return table.sort_values(["year_average", "unit"], ascending=[False, True], ignore_index=True)
