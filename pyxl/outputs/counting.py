"""The one counting path: every number the 通报, the 督办单 and the 仪表盘 show, counted once.

The counting functions read a Consolidation's tables and return small
DataFrames, dicts or sentences; the small formatting helpers (numbers, shares,
dates, unit lists, a task's short title, what an item is about) turn cells into
the words every output uses. Nothing here reads the clock or writes a file.
"""

from __future__ import annotations

import math
import re
from collections import namedtuple
from collections.abc import Iterator
from datetime import date, datetime

import pandas as pd

from pyxl.common.model import CATEGORIES, Consolidation, is_missing, split_row_key
from pyxl.common.period import chinese_date

KEY_SECTION = "一"  # the first section of a duty table holds the key economic targets
LAGGING = "欠序时进度"
_UNIT_SPLIT = re.compile(r"[、,，;；\n]+")
LIGHT_STATUS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "disputed": "待核实", "exempt": "年度考核", "none": "未报送"}
COMPARATOR_WORDS = {">=": "不低于", "<=": "不超过", "=": "达到"}


# ---------------------------------------------------------------- small helpers


def records(frame: pd.DataFrame) -> Iterator[tuple]:
    """The rows of `frame` as `frame.itertuples(index=False)` gives them (the same named tuples, the same values).

    Each column is taken out once as Python values (`tolist`) instead of cell
    by cell: itertuples steps through a text column one element at a time, which
    over a province's tables (1,000 tasks, their lead rows) was a good part of
    the bulletin's context.
    """
    if not frame.shape[1]:
        return frame.itertuples(index=False)
    row = namedtuple("Pandas", [str(column) for column in frame.columns], rename=True)
    return map(row._make, value_rows(frame))


def value_rows(frame: pd.DataFrame) -> Iterator[tuple]:
    """Each row of `frame` as a tuple of Python values, each column taken out once (`tolist`), not cell by cell."""
    return zip(*(frame.iloc[:, i].tolist() for i in range(frame.shape[1])))


def units_of(value: object) -> list[str]:
    """A cell of unit names (a list, or text joined by 、 or commas) as a list."""
    if is_missing(value):
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in _UNIT_SPLIT.split(str(value)) if part.strip()]


def format_number(value: object) -> str:
    """6.0 → 6, 12.345 → 12.35, missing → —."""
    if is_missing(value) or value == "":
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isinf(number):
        return "—"
    if number == int(number):
        return str(int(number))
    return f"{number:.2f}".rstrip("0").rstrip(".")


def format_share(share: float) -> str:
    """0.3333 → 33.3%."""
    return f"{share * 100:.1f}%"


def format_percent(value: object) -> str:
    """A percentage to one decimal, as every output shows one: 36.75 → 36.8%, missing → ""."""
    if is_missing(value) or value == "":
        return ""
    return f"{float(value):.1f}%"


def format_value(value: object, unit: object) -> str:
    """A reported or expected figure with its unit: percentages to one decimal, counts as they are."""
    unit = _text(unit)
    if is_missing(value) or value == "":
        return ""
    if unit in ("%", "％"):
        return format_percent(value)
    return f"{format_number(value)}{unit}"


def format_date(value: object) -> str:
    """A date (or date-time, or ISO text) as 2025年7月10日; text that is no date stays as it is."""
    if is_missing(value) or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, (datetime, pd.Timestamp, date)):
        return chinese_date(value)
    return str(value)


def _sentence(value: object) -> str:
    """Text to be followed by more text in one paragraph: no closing 。 or ；."""
    return _text(value).rstrip("。；;.， ")


def _closed(value: object) -> str:
    """Text ending a sentence: with its closing 。 (empty stays empty)."""
    text = _text(value)
    return text if not text or text[-1] in "。！？.!?；;" else text + "。"


_CLAUSE_END = re.compile(r"[，。；：,;:！？]")


def short_title(text: object, limit: int = 30) -> str:
    """A task named by its first clause (加快重点项目建设，推动… → 加快重点项目建设), at most `limit` characters."""
    whole = _text(text)
    first = _CLAUSE_END.split(whole, maxsplit=1)[0].strip()
    if not first:
        first = whole
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _text(value: object) -> str:
    if is_missing(value):
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value).strip()


def period_label(period: object) -> str:
    """2025-06 → 2025年6月 (anything else unchanged)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(period))
    return f"{match.group(1)}年{int(match.group(2))}月" if match else str(period)


def _item_subject(key: str, metrics: dict, texts: dict, period: object) -> str:
    """What a 督办单 line is about: 任务8：… / 指标42-1：… / the month's return."""
    if not key:
        return f"{period_label(period)}推进情况报送"
    if key in metrics:
        return f"指标{key}：{metrics[key]}"
    task, _ = split_row_key(key, texts)
    return f"任务{key}：{texts.get(task, '')}"


# ---------------------------------------------------------------- counting (the one counting path)


def category_counts(tasks: pd.DataFrame) -> pd.DataFrame:
    """Tasks per category, in CATEGORIES order: columns category, count, share (0–1)."""
    counts = tasks["category"].value_counts() if len(tasks) else pd.Series(dtype=int)
    total = len(tasks)
    rows = [
        {"category": name, "count": int(counts.get(name, 0)), "share": (int(counts.get(name, 0)) / total) if total else 0.0}
        for name in CATEGORIES
    ]
    return pd.DataFrame(rows, columns=["category", "count", "share"])


def light_counts(indicators: pd.DataFrame) -> pd.DataFrame:
    """Targets per light, in LIGHTS order: columns light, label, count."""
    counts = indicators["light"].value_counts() if len(indicators) else pd.Series(dtype=int)
    return pd.DataFrame(
        [{"light": light, "label": LIGHT_STATUS[light], "count": int(counts.get(light, 0))} for light in LIGHT_STATUS],
        columns=["light", "label", "count"],
    )


def _return_masks(returns: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(returned, late, accepted) per unit; a blank (late and accepted of a unit that sent nothing) is False."""
    return tuple(returns[column].fillna(False).astype(bool) for column in ("returned", "late", "accepted"))  # type: ignore[return-value]


def return_summary(returns: pd.DataFrame) -> dict[str, int]:
    """Units by reporting state (the 报送状态 of the judgement), never recounted from the raw columns.

    total = on_time + late + rejected + missing: 按时报送, 逾期报送, 报表被退回
    (before the due date) and missing (逾期未报 or 尚未报送); rejected_overdue
    counts the 逾期未报 units whose return was rejected and not sent again.
    """
    status = returns["status"] if "status" in returns else pd.Series(dtype=str)
    returned = returns["returned"].fillna(False).astype(bool) if len(returns) else pd.Series(dtype=bool)
    return {
        "total": int(len(returns)),
        "on_time": int((status == "按时报送").sum()),
        "late": int((status == "逾期报送").sum()),
        "rejected": int((status == "报表被退回").sum()),
        "missing": int(status.isin(["逾期未报", "尚未报送"]).sum()),
        "overdue": int((status == "逾期未报").sum()),
        "rejected_overdue": int(((status == "逾期未报") & returned).sum()),
    }


def unit_categories(units: pd.DataFrame) -> pd.DataFrame:
    """Lead tasks by category for each lead unit, each unit credited only with its own reports.

    Read from the judgement's 单位情况 table (`Consolidation.units`). Index: unit;
    columns: CATEGORIES then 合计; units that lead no task are left out;
    sorted by 合计 descending, then name.
    """
    table = units.set_index("unit")[list(CATEGORIES)].astype(int) if len(units) else pd.DataFrame(columns=list(CATEGORIES))
    table["合计"] = table.sum(axis=1)
    table = table[table["合计"] > 0]
    table.index.name = "unit"
    table = table.reset_index().sort_values(["合计", "unit"], ascending=[False, True], kind="stable")
    return table.set_index("unit")


def key_indicators(consolidation: Consolidation) -> pd.DataFrame:
    """The targets of the first section (the key economic indicators), in table order."""
    sections = consolidation.tasks.set_index(consolidation.tasks["number"].astype(str))["section"]
    indicators = consolidation.indicators
    in_key_section = indicators["task_number"].astype(str).map(sections).eq(KEY_SECTION)
    return indicators[in_key_section.fillna(False).to_numpy()]


_LEADS_BY_NUMBER: list[tuple[pd.DataFrame, dict[str, list]]] = []


def _leads_by_number(consolidation: Consolidation) -> dict[str, list]:
    """The lead table's rows (itertuples) by task, in table order: once per judgement, found by identity.

    (A mask over every lead row per task was quadratic at a province's 1,000 tasks;
    a frame per task, from groupby, was most of the bulletin's context.)
    """
    leads = consolidation.leads
    if not _LEADS_BY_NUMBER or _LEADS_BY_NUMBER[0][0] is not leads:
        rows: dict[str, list] = {}
        for number, row in zip(leads["number"].astype(str), records(leads)):
            rows.setdefault(number, []).append(row)
        _LEADS_BY_NUMBER[:] = [(leads, rows)]
    return _LEADS_BY_NUMBER[0][1]


def _own_lead_rows(consolidation: Consolidation, number: str) -> list:
    """The lead rows of task `number` (itertuples rows, in table order)."""
    return _leads_by_number(consolidation).get(str(number), [])


def lagging_items(consolidation: Consolidation) -> pd.DataFrame:
    """Section 三: each task a lead reports 欠序时进度 or that is past its 完成时限, and each red target.

    A task is named by its short title; the units named are the leads whose
    own report is behind (or, for an overdue task, that have not finished),
    and the issues are those units' own 存在问题 — empty when they gave none.
    Columns: kind (任务 / 指标), key, title, lead_unit, detail, issues, overdue, text.
    """
    tasks = consolidation.tasks
    rows = []
    for task in records(tasks):
        own = _own_lead_rows(consolidation, task.number)
        behind = [lead for lead in own if lead.category == LAGGING]
        overdue = bool(task.overdue)
        if not len(behind) and not overdue:
            continue
        named = behind if len(behind) else [lead for lead in own if lead.category != "已完成"]
        details = []
        if overdue:
            details.append(f"完成时限为{format_date(task.deadline)}，已逾期未完成")
        for lead in named:
            percent = format_percent(lead.percent)
            state = f"完成进度{percent}" if percent else lead.category
            details.append(f"{lead.unit}{state}" if len(named) > 1 or len(own) > 1 else state)
        if len(behind):
            details.append(f"低于序时进度{format_percent(task.expected_percent)}")
        issues = [(lead.unit, _sentence(lead.issues)) for lead in named if _text(lead.issues)]
        issue_text = "；".join(f"{unit}：{text}" if len(issues) > 1 else text for unit, text in issues)
        rows.append(
            {
                "kind": "任务",
                "key": str(task.number),
                "title": _text(task.short_title),
                "lead_unit": "、".join(lead.unit for lead in named),
                "detail": "，".join(details),
                "issues": _closed(issue_text),
                "overdue": overdue,
            }
        )
    indicators = consolidation.indicators
    for row in records(indicators[indicators["light"] == "red"]):
        unit = _text(row.reported_by) or _text(row.lead_unit)
        own = [lead.issues for lead in _own_lead_rows(consolidation, row.task_number) if lead.unit == unit]
        rows.append(
            {
                "kind": "指标",
                "key": str(row.key),
                "title": _text(row.metric),
                "lead_unit": unit,
                "detail": f"目标{target_text(row)}，序时目标{format_value(row.expected, row.unit)}，"
                f"实际完成{format_value(row.reported, row.unit)}",
                "issues": _closed(_sentence(own[0]) if own else ""),
                "overdue": False,
            }
        )
    for row in rows:
        row["text"] = _lagging_sentence(row)
    return pd.DataFrame(rows, columns=["kind", "key", "title", "lead_unit", "detail", "issues", "overdue", "text"])


def _lagging_sentence(item: dict) -> str:
    """A section 三 line in words: 任务8：生物医药方面…（区投资促进局）。完成时限…。存在问题：…"""
    text = f"{item['kind']}{item['key']}：{item['title']}（{item['lead_unit'] or '牵头单位未明确'}）。"
    if item["detail"]:
        text += f"{item['detail']}。"
    if item["issues"]:
        text += f"存在问题：{item['issues']}"
    return text


def overdue_tasks(consolidation: Consolidation) -> list[dict]:
    """Every task past its 完成时限 and not 已完成, with its date and the leads that have not finished."""
    result = []
    for task in records(consolidation.tasks[consolidation.tasks["overdue"].fillna(False).astype(bool)]):
        unfinished = [lead for lead in _own_lead_rows(consolidation, task.number) if lead.category != "已完成"]
        units = "、".join(lead.unit for lead in unfinished) or "、".join(units_of(task.lead_units))
        issues = [_sentence(lead.issues) for lead in unfinished if _text(lead.issues)]
        result.append(
            {
                "key": str(task.number),
                "number": str(task.number),
                "title": _text(task.short_title),
                "lead_unit": units,
                "lead_units": units,
                "issues": _closed("；".join(dict.fromkeys(issues))),
                "deadline": format_date(task.deadline),
                "category": _text(task.category),
                "text": f"任务{task.number}：{_text(task.short_title)}（{units}），完成时限为{format_date(task.deadline)}，"
                f"已逾期，目前为“{_text(task.category)}”。",
            }
        )
    return result


def disputed_indicators(consolidation: Consolidation) -> list[dict]:
    """Targets two units report differently (数据待核实): every unit's figure, until the office records the accepted one."""
    indicators = consolidation.indicators
    result = []
    for row in records(indicators[indicators["light"] == "disputed"]):
        result.append(
            {
                "key": _text(row.key),
                "metric": _text(row.metric),
                "figures": _text(row.contested),
                "text": f"指标{_text(row.key)}：{_text(row.metric)}，{_text(row.contested)}，数据待核实，暂不评灯。",
            }
        )
    return result


def cited_problems(consolidation: Consolidation) -> list[dict]:
    """The problems lead units cite in their own 存在问题 on tasks they report behind, with how many units cite each.

    Keys: kind (the problem as the units wrote it), count (units), units.
    """
    leads = consolidation.leads
    cited = leads[(leads["category"] == LAGGING) & leads["issues"].map(lambda v: bool(_text(v)))]
    counts: dict[str, set[str]] = {}
    for row in records(cited):
        counts.setdefault(_sentence(row.issues), set()).add(row.unit)
    ranked = sorted(counts.items(), key=lambda pair: (-len(pair[1]), pair[0]))
    return [{"kind": issue, "count": len(units), "units": "、".join(sorted(units))} for issue, units in ranked]


def reporting_gaps(returns: pd.DataFrame) -> dict[str, list[dict]]:
    """Units by reporting state: missing (逾期未报 / 尚未报送, with a note when the return was rejected), late, rejected."""

    def rows(states: tuple[str, ...]) -> list[dict]:
        result = []
        for r in records(returns[returns["status"].isin(states)]):
            rejected = bool(r.returned) and not (not is_missing(r.accepted) and bool(r.accepted))
            result.append(
                {
                    "unit": _text(r.unit),
                    "kind": _text(r.kind),
                    "received": format_date(r.received),
                    "problems": format_number(r.problem_count),
                    "status": _text(r.status),
                    "note": "报表被退回后未重新报送" if rejected and r.status == "逾期未报" else "",
                }
            )
        return result

    return {"missing": rows(("逾期未报", "尚未报送")), "late": rows(("逾期报送",)), "rejected": rows(("报表被退回",))}


def return_sentence(returns: pd.DataFrame, gaps: dict[str, list[dict]] | None = None) -> str:
    """The bulletin's sentence on returns, with no zero filler: 应报送单位51个，按时报送47个……"""
    counts = return_summary(returns)
    gaps = gaps or reporting_gaps(returns)
    parts = [f"按时报送{counts['on_time']}个"]
    if counts["late"]:
        parts.append(f"逾期报送{counts['late']}个")
    if counts["rejected"]:
        parts.append(f"报表被退回待改正{counts['rejected']}个")
    if counts["overdue"]:
        note = f"（其中{counts['rejected_overdue']}个单位报表被退回后未重新报送）" if counts["rejected_overdue"] else ""
        parts.append(f"逾期未报{counts['overdue']}个{note}")
    pending = counts["missing"] - counts["overdue"]
    if pending:
        parts.append(f"尚未报送{pending}个")
    return f"应报送单位{counts['total']}个，" + "，".join(parts) + "。"


def target_text(row) -> str:
    """A target as people write it, comparator in words: 增长6%, 不低于1200亿元, 不超过0%."""
    comparator = _text(row.comparator)
    words = "不超过" if comparator == "<=" else ""
    if _text(row.kind) == "growth":
        words = "增长" + words
    return f"{words}{format_number(row.target)}{_text(row.unit)}"


def indicator_status(row) -> str:
    """The light in words, with 达到力争值 when the stretch value is reached and each figure when contested."""
    light = _text(row.light)
    status = LIGHT_STATUS.get(light, light)
    if light == "disputed":
        return f"数据待核实（{_text(row.contested)}）"
    if not is_missing(row.stretch_met) and bool(row.stretch_met):
        status += "（达到力争值）"
    return status


def flagged_units(flags: pd.DataFrame) -> list[str]:
    """Units with at least one red flag, in order of first appearance.

    A flag on a task with two lead units names both (区投资促进局、大学城管委会):
    each of them gets it.
    """
    red = flags[flags["level"] == "red"]
    return list(dict.fromkeys(unit for cell in red["unit"] for unit in units_of(cell)))
