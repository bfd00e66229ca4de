"""The monthly bulletin (督查通报) and the per-unit 督办单, from a Consolidation.

Two layers. The counting functions read the consolidated tables and return
small DataFrames or dicts; `bulletin_context` turns them into the strings the
templates show. The DOCX (docxtpl, so the office can restyle the template in
Word), the HTML (jinja2) and the dashboard all read these same functions, so
every number in every output is counted once, from the Consolidation.

Nothing here reads the clock: the period, `as_of` and the reply-by date come in.
"""

from __future__ import annotations

import base64
import gc
import io
import math
import re
import struct
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import jinja2
import pandas as pd

from pyxl.common.files import atomic_path, replace_folder, staging_folder
from pyxl.common.model import CATEGORIES, NOTICE_LEVELS, Consolidation, is_missing, split_row_key
from pyxl.common.period import add_working_days, chinese_date
from pyxl.judgement.notices import reply_sentence

KEY_SECTION = "一"  # the first section of a duty table holds the key economic targets
LAGGING = "欠序时进度"
REPLY_WORKING_DAYS = 5
NOTICE_FOLDER = "督办单"
# The box each chart is fitted into on the A4 page (text block 156 × 225 mm): the pie with its
# legend sits under the section 一 counts; the units' bars fill the portrait page of 附件3.
CHART_BOXES_MM = {"chart_categories": (130, 75), "chart_units": (156, 180)}

_UNIT_SPLIT = re.compile(r"[、,，;；\n]+")
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
LIGHT_STATUS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "disputed": "待核实", "exempt": "年度考核", "none": "未报送"}
COMPARATOR_WORDS = {">=": "不低于", "<=": "不超过", "=": "达到"}


# ---------------------------------------------------------------- small helpers


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


def reply_by_date(as_of: date, working_days: int = REPLY_WORKING_DAYS, calendar: str = "china") -> date:
    """`working_days` working days after `as_of` (China's official calendar by default): the 督办单 reply-by date."""
    return add_working_days(as_of, working_days, calendar)


def period_label(period: object) -> str:
    """2025-06 → 2025年6月 (anything else unchanged)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(period))
    return f"{match.group(1)}年{int(match.group(2))}月" if match else str(period)


def safe_file_name(name: str) -> str:
    """A unit name usable as a file name on Windows and Linux."""
    return _UNSAFE.sub("_", name).strip(" .") or "_"


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


_LEADS_BY_NUMBER: list[tuple[pd.DataFrame, dict[str, pd.DataFrame], dict[str, list]]] = []


def _leads_by_number(consolidation: Consolidation) -> tuple[dict[str, pd.DataFrame], dict[str, list]]:
    """The lead table split by task, as frames and as rows: once per judgement, found by identity.

    (A mask over every lead row per task was quadratic at a province's 1,000 tasks.)
    """
    leads = consolidation.leads
    if not _LEADS_BY_NUMBER or _LEADS_BY_NUMBER[0][0] is not leads:
        numbers = leads["number"].astype(str)
        frames = {str(key): rows for key, rows in leads.groupby(numbers, sort=False)}
        rows: dict[str, list] = {}
        for number, row in zip(numbers, leads.itertuples(index=False)):
            rows.setdefault(number, []).append(row)
        _LEADS_BY_NUMBER[:] = [(leads, frames, rows)]
    return _LEADS_BY_NUMBER[0][1], _LEADS_BY_NUMBER[0][2]


def _own_leads(consolidation: Consolidation, number: str) -> pd.DataFrame:
    found = _leads_by_number(consolidation)[0].get(str(number))
    return found if found is not None else consolidation.leads.iloc[:0]


def _own_lead_rows(consolidation: Consolidation, number: str) -> list:
    """The lead rows of task `number` (itertuples rows, in table order)."""
    return _leads_by_number(consolidation)[1].get(str(number), [])


def lagging_items(consolidation: Consolidation) -> pd.DataFrame:
    """Section 三: each task a lead reports 欠序时进度 or that is past its 完成时限, and each red target.

    A task is named by its short title; the units named are the leads whose
    own report is behind (or, for an overdue task, that have not finished),
    and the issues are those units' own 存在问题 — empty when they gave none.
    Columns: kind (任务 / 指标), key, title, lead_unit, detail, issues, overdue, text.
    """
    tasks = consolidation.tasks
    rows = []
    for task in tasks.itertuples(index=False):
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
    for row in indicators[indicators["light"] == "red"].itertuples(index=False):
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
    for task in consolidation.tasks[consolidation.tasks["overdue"].fillna(False).astype(bool)].itertuples(index=False):
        own = _own_leads(consolidation, task.number)
        unfinished = own[own["category"] != "已完成"]
        units = "、".join(unfinished["unit"]) or "、".join(units_of(task.lead_units))
        issues = [_sentence(v) for v in unfinished["issues"] if _text(v)]
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
    for row in indicators[indicators["light"] == "disputed"].itertuples(index=False):
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
    for row in cited.itertuples(index=False):
        counts.setdefault(_sentence(row.issues), set()).add(row.unit)
    ranked = sorted(counts.items(), key=lambda pair: (-len(pair[1]), pair[0]))
    return [{"kind": issue, "count": len(units), "units": "、".join(sorted(units))} for issue, units in ranked]


def reporting_gaps(returns: pd.DataFrame) -> dict[str, list[dict]]:
    """Units by reporting state: missing (逾期未报 / 尚未报送, with a note when the return was rejected), late, rejected."""

    def rows(states: tuple[str, ...]) -> list[dict]:
        result = []
        for r in returns[returns["status"].isin(states)].itertuples(index=False):
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


# ---------------------------------------------------------------- the template context


def _stretch_word(row) -> str:
    """超过 for 力争超过X (met only above X); nothing for an ordinary 力争 value."""
    exceeds = getattr(row, "stretch_exceeds", False)
    return "超过" if not is_missing(exceeds) and bool(exceeds) else ""


def _indicator_row(row) -> dict:
    unit = _text(row.unit)
    exempt = _text(row.light) == "exempt"
    return {
        "key": _text(row.key),
        "metric": _text(row.metric),
        "target": target_text(row),
        "stretch": "" if is_missing(row.stretch) else f"{_stretch_word(row)}{format_number(row.stretch)}{unit}",
        "reported": format_value(row.reported, unit),
        "expected": "年度考核" if exempt else format_value(row.expected, unit),
        "status": indicator_status(row),
        "light": _text(row.light),
        "lead_unit": _text(row.lead_unit),
    }


def _task_row(row) -> dict:
    closure, adjusted = _text(getattr(row, "closure", "")), _text(getattr(row, "adjustment", ""))
    return {
        "number": _text(row.number),
        "text": _text(row.text),
        "lead_units": "、".join(units_of(row.lead_units)),
        # the 一览表 says a deadline was moved and a task closed, in the cells a reader looks at
        "deadline": format_date(row.deadline) + ("（已调整）" if adjusted else ""),
        "percent": format_percent(row.lead_percent) + (f"（{closure}）" if closure else ""),
        "progress": _text(row.lead_progress),
        "issues": _text(row.lead_issues),
        "category": _text(row.category),
        "change": _text(row.change),
        "short_title": _text(row.short_title),
        "lead_categories": _text(row.lead_categories),
        "overdue": bool(row.overdue) if not is_missing(row.overdue) else False,
        "reason": _text(row.reason),
    }


def bulletin_context(consolidation: Consolidation, district: str) -> dict:
    """Everything the bulletin templates show, as plain strings, lists and dicts."""
    c = consolidation
    categories = category_counts(c.tasks)
    present = categories[categories["count"] > 0]  # no 未启动0项、占0.0% filler
    lights = light_counts(c.indicators)
    returns = return_summary(c.returns)
    gaps = reporting_gaps(c.returns)
    light_parts = [f"{LIGHT_STATUS[r.light]}{int(r.count)}项" for r in lights.itertuples(index=False) if r.count]
    tasks_by_category = []
    for name in CATEGORIES:
        group = c.tasks[c.tasks["category"] == name]
        if len(group):
            tasks_by_category.append({"name": name, "count": len(group), "tasks": [_task_row(r) for r in group.itertuples(index=False)]})
    return {
        "district": district,
        "office": f"{district}人民政府督查室",
        "year": c.year,
        "period": str(c.period),
        "period_label": period_label(c.period),
        "as_of": format_date(c.as_of),
        "due_date": format_date(c.due_date),
        "schedule": format_share(c.schedule_fraction),
        "task_total": len(c.tasks),
        # only the categories that hold tasks: the bulletin never writes 未启动0项、占0.0%
        "categories": [
            {"name": r.category, "count": int(r.count), "share": format_share(r.share)} for r in present.itertuples(index=False)
        ],
        "category_sentence": "；".join(
            f"{r.category}{int(r.count)}项、占{format_share(r.share)}" for r in present.itertuples(index=False)
        ),
        "light_sentence": "、".join(light_parts).replace("年度考核", "年度考核指标").replace("待核实", "数据待核实")
        .replace("未报送", "未报送完成值"),
        "return_sentence": return_sentence(c.returns, gaps),
        "overdue_tasks": overdue_tasks(c),
        "disputed": disputed_indicators(c),
        "common_problems": cited_problems(c),
        "category": {r.category: {"count": int(r.count), "share": format_share(r.share)} for r in categories.itertuples(index=False)},
        "indicator_total": len(c.indicators),
        "lights": {r.light: int(r.count) for r in lights.itertuples(index=False)},
        "returns": returns,
        "key_indicators": [_indicator_row(r) for r in key_indicators(c).itertuples(index=False)],
        "lagging": lagging_items(c).to_dict("records"),
        "gaps": gaps,
        "tasks_by_category": tasks_by_category,
        "indicators": [_indicator_row(r) for r in c.indicators.itertuples(index=False)],
        "life_sentence": life_sentence(c),
    }


def life_sentence(consolidation: Consolidation) -> str:
    """销号 apart from 已完成待销号, and every task whose deadline a decision moved, old and new dates (section 一)."""
    tasks = consolidation.tasks
    parts = []
    if "closure" in tasks:
        closed = int((tasks["closure"] == "已销号").sum())
        pending = int((tasks["closure"] == "待销号").sum())
        if closed or pending:
            counts = "、".join(p for p in (f"已销号{closed}项" if closed else "", f"已完成待销号{pending}项" if pending else "") if p)
            parts.append(f"已完成的任务中，{counts}。")
    adjusted = consolidation.adjustments
    if len(adjusted):
        items = []
        for row in adjusted.itertuples(index=False):
            how = f"经{_text(row.unit)}申请延期" if row.kind == "延期" else "经督查室调整"
            old = format_date(row.old_deadline) if not is_missing(row.old_deadline) else "未定时限"
            items.append(f"任务{row.number}（{_text(row.short_title)}）{how}，完成时限由{old}调整为{format_date(row.new_deadline)}")
        parts.append(f"经审核调整完成时限的任务{len(adjusted)}项：" + "；".join(items) + "。")
    return "".join(parts)


@dataclass(frozen=True)
class Issuer:
    """How the office names itself in the 通报 and the 督办单, from the settings (never hard-coded).

    `number_prefix` (长政督) makes the 文号 长政督〔2025〕6号; empty, the 通报 carries
    no 文号 and the 督办单 is numbered 督办〔2025〕6-01号. `contacts` maps a unit
    to its (联系人, 电话) for the 督办单 form.
    """

    district: str
    level: str
    government: str
    office: str
    mark: str = "督查通报"
    number_prefix: str = ""
    contacts: dict = field(default_factory=dict)
    repeat_after: int = 2  # items behind this many months running are listed as 反复预警 (accountability.repeat_after)
    publish_ranking: bool = False  # the score ranking in the 通报 (accountability.publish_ranking; off: not every office publishes it)

    @classmethod
    def of_district(cls, district: str) -> "Issuer":
        """The defaults the settings derive from a district name alone (长清区 → 区, 长清区人民政府, …督查室)."""
        government = f"{district}人民政府"
        return cls(district=district, level=district[-1:], government=government, office=f"{government}督查室")

    @classmethod
    def from_settings(cls, settings) -> "Issuer":
        """The office block of config.yaml (settings.level, government_name, office_name, office.*) and the units' contacts."""
        return cls(
            district=settings.district,
            level=settings.level,
            government=settings.government_name,
            office=settings.office_name,
            mark=settings.office.bulletin_mark,
            number_prefix=settings.office.number_prefix,
            contacts={u.name: (u.contact, u.phone) for u in settings.units},
            repeat_after=settings.accountability.repeat_after,
            publish_ranking=settings.accountability.publish_ranking,
        )


def _issuer(issuer: "Issuer | str") -> Issuer:
    return issuer if isinstance(issuer, Issuer) else Issuer.of_district(str(issuer))


def issue_number(period: object) -> int:
    """期号: the bulletin of month m is 第m期 (one bulletin a month)."""
    match = re.fullmatch(r"\d{4}-(\d{2})", str(period))
    return int(match.group(1)) if match else 1


def letterhead_context(issuer: Issuer, period: object, as_of: date) -> dict:
    """The 版头 and the office's wording: mark, 期号, 文号, 编发单位 and date (written once), the level word."""
    year = str(period)[:4]
    number = issue_number(period)
    return {
        "district": issuer.district,
        "level": issuer.level,
        "government": issuer.government,
        "office": issuer.office,
        "mark": issuer.mark,
        "issue": f"第{number}期",
        "doc_number": f"{issuer.number_prefix}〔{year}〕{number}号" if issuer.number_prefix else "",
        "issue_date": format_date(as_of),
    }


# Kinds of problem units cite in 存在问题, as a 督查室 summarises them: (phrase, words that name it).
PROBLEM_KINDS = (
    ("资金保障不足", ("资金", "经费", "融资", "预算", "缺口")),
    ("用地、征迁等要素制约", ("要素", "用地", "土地", "征地", "征迁", "拆迁", "指标")),
    ("审批手续办理周期长", ("审批", "手续", "立项", "环评", "许可", "批复")),
    ("部门协调配合不够", ("协调", "配合", "对接")),
    ("人员力量不足", ("人员", "人手", "人才", "力量")),
    ("市场和企业方面的困难", ("企业", "市场", "需求", "招商", "订单")),
    ("天气、工期等施工条件影响", ("天气", "雨季", "工期", "施工")),
)


def common_problems(tasks: pd.DataFrame) -> list[dict]:
    """How many lead units cite each kind of problem in their 存在问题 (a unit counts once per kind), most cited first."""
    cited: dict[str, set[str]] = {kind: set() for kind, _ in PROBLEM_KINDS}
    for row in tasks.itertuples(index=False):
        text = _text(getattr(row, "lead_issues", ""))
        if not text:
            continue
        for kind, words in PROBLEM_KINDS:
            if any(word in text for word in words):
                cited[kind].update(units_of(row.lead_units))
    ranked = sorted(((kind, len(units)) for kind, units in cited.items() if units), key=lambda pair: -pair[1])
    return [{"kind": kind, "count": count} for kind, count in ranked]


_NUMERALS = "一二三四五六七八九十"


def _overdue_from_flags(consolidation: Consolidation) -> list[dict]:
    """Tasks the 任务逾期 flag names, with their 完成时限 (for a context that does not list them itself)."""
    flags = consolidation.flags
    keys = list(dict.fromkeys(flags.loc[flags["flag"] == "任务逾期", "key"].map(_text)))
    tasks = consolidation.tasks.set_index(consolidation.tasks["number"].astype(str))
    rows = []
    for key in keys:
        if key not in tasks.index:
            continue
        task = tasks.loc[key]
        rows.append(
            {
                "issues": "",
                "number": key,
                "title": short_title(task["text"]),
                "lead_units": "、".join(units_of(task["lead_units"])),
                "deadline": format_date(task["deadline"]),
                "category": _text(task["category"]),
            }
        )
    return rows


def document_context(context: dict, consolidation: Consolidation, issuer: Issuer) -> dict:
    """The bulletin context as the 公文 templates show it: the 版头, the counts without zero filler, section 三's headings.

    Adds to (never recounts) what `bulletin_context` counted: only non-zero
    lights and return counts are listed; section 三's second-level headings
    are numbered by which of its parts have content.
    """
    values = {**context, **letterhead_context(issuer, consolidation.period, consolidation.as_of)}
    lights = context.get("lights", {})
    values["light_parts"] = [
        {"label": LIGHT_STATUS[key] if key != "exempt" else "年度考核指标", "count": lights[key]}
        for key in LIGHT_STATUS
        if lights.get(key)
    ]
    returns = context.get("returns", {})
    labels = (("on_time", "按时报送"), ("late", "逾期报送"), ("missing", "未报送"), ("rejected", "报送表格有误未予采用"))
    values["return_parts"] = [{"label": label, "count": returns[key]} for key, label in labels if returns.get(key)]
    values.setdefault("overdue_tasks", _overdue_from_flags(consolidation))
    # every field the templates read, present even when a context leaves one out (the HTML is strict)
    values["overdue_tasks"] = [
        {**dict.fromkeys(("number", "title", "lead_units", "deadline", "category", "issues"), ""), **t} for t in values["overdue_tasks"]
    ]
    values["lagging"] = [
        {**dict.fromkeys(("kind", "key", "title", "lead_unit", "detail", "issues"), ""), **item} for item in values.get("lagging", [])
    ]
    # a task named as overdue is not named again among the lagging ones: its 存在问题 goes with it
    overdue = {t["number"]: t for t in values["overdue_tasks"]}
    lagging = []
    for item in values.get("lagging", []):
        if item.get("kind") == "任务" and item.get("key") in overdue:
            overdue[item["key"]]["issues"] = overdue[item["key"]].get("issues") or item.get("issues", "")
        else:
            lagging.append(item)
    values["lagging"] = lagging
    values.setdefault("common_problems", common_problems(consolidation.tasks))
    values.setdefault("disputed", [])
    values["repeat_cases"] = repeat_cases(consolidation, issuer.repeat_after)
    values["ranking_sentence"] = ranking_sentence(consolidation.ranking) if issuer.publish_ranking else ""
    values["reply_sentence"] = reply_sentence(consolidation.replies)
    parts = [("overdue_tasks", "逾期未完成任务"), ("lagging", "欠序时进度任务和红灯指标"), ("disputed", "数据待核实的指标"),
             ("repeat_cases", "反复预警事项"), ("common_problems", "共性问题")]
    numbered = [name for name, _ in parts if values.get(name)]
    for name, title in parts:
        if name in numbered:
            values[_HEADINGS[name]] = (
                f"（{_NUMERALS[numbered.index(name)]}）{title}"
            )
    for heading in _HEADINGS.values():
        values.setdefault(heading, "")
    return values


_HEADINGS = {"overdue_tasks": "overdue_heading", "lagging": "lagging_heading", "disputed": "disputed_heading",
             "repeat_cases": "repeat_heading", "common_problems": "problems_heading"}


def ranking_sentence(ranking: pd.DataFrame, most: int = 5) -> str:
    """本月考核得分前五名…后五名… for the 通报 (the ranking as the 得分排名 sheet holds it); '' without scores."""
    if ranking.empty:
        return ""

    def named(rows: pd.DataFrame) -> str:
        return "、".join(f"{r.unit}（{float(r.score):.1f}分）" for r in rows.itertuples(index=False))

    sentence = f"本月考核得分前{min(most, len(ranking))}名：{named(ranking.head(most))}"
    if len(ranking) > 2 * most:
        sentence += f"；后{most}名：{named(ranking.tail(most))}"
    return sentence + "。"


def repeat_cases(consolidation: Consolidation, at_least: int = 2) -> list[dict]:
    """Items behind `at_least` months running (督办升级), longest first, in a sentence each for section 三."""
    rows = consolidation.escalation
    if rows.empty:
        return []
    rows = rows[rows["months_running"].astype(int) >= at_least]
    titles = dict(zip(consolidation.tasks["number"].astype(str), consolidation.tasks["short_title"].map(_text)))
    metrics = dict(zip(consolidation.indicators["key"].astype(str), consolidation.indicators["metric"].map(_text)))
    cases = []
    for row in sorted(rows.itertuples(index=False), key=lambda r: (-int(r.months_running), str(r.unit), _text(r.key))):
        key = _text(row.key)
        subject = _item_subject(key, metrics, titles, consolidation.period).rstrip("。")
        cases.append({
            "unit": str(row.unit), "flag": str(row.flag), "months": int(row.months_running), "step": str(row.step),
            "text": f"{row.unit}：{subject}，{row.flag}，自{period_label(str(row.first_period))}起连续"
                    f"{int(row.months_running)}个月预警，督办级别为{row.step}。",
        })
    return cases


@dataclass
class Notice:
    """One unit's 督办单: its level (提示 / 督办 / 约谈建议), its items and the date to reply by."""

    unit: str
    items: list[dict]
    reply_by: date
    level: str = "督办"
    reason: str = ""


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_SPACE_BY_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[0-9A-Za-z{_CJK}])|(?<=[0-9A-Za-z%{_CJK}])[ \t]+(?=[{_CJK}])")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")


def official_text(text: str) -> str:
    """Machine-made wording in the style of an official document: 2025年6月30日, not 2025-06-30; “” not 「」."""
    text = _ISO_DATE.sub(lambda m: f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日", text)
    text = _SPACE_BY_CJK.sub("", text)  # 截至 2025年7月8日 未报送 → 截至2025年7月8日未报送
    return text.replace("「", "“").replace("」", "”")


def _item_subject(key: str, metrics: dict, texts: dict, period: object) -> str:
    """What a 督办单 line is about: 任务8：… / 指标42-1：… / the month's return."""
    if not key:
        return f"{period_label(period)}推进情况报送"
    if key in metrics:
        return f"指标{key}：{metrics[key]}"
    task, _ = split_row_key(key, texts)
    return f"任务{key}：{texts.get(task, '')}"


def notices(consolidation: Consolidation, reply_by: date) -> list[Notice]:
    """A 督办单 for every unit the judgement selects (单位情况's 督办级别, a rule in settings.notices).

    Items: the unit's flags, each (kind, item) once and red first — a contested
    figure is listed once with every unit's figure, a rejected return with each
    cell to fix — then each task whose lead is this unit and whose own report is
    欠序时进度, unless a flag already names it.
    """
    flags = consolidation.flags
    tasks = consolidation.tasks
    titles = dict(zip(tasks["number"].astype(str), tasks["short_title"].map(_text)))
    metrics = dict(zip(consolidation.indicators["key"].astype(str), consolidation.indicators["metric"].map(_text)))
    expected = dict(zip(tasks["number"].astype(str), tasks["expected_percent"]))
    leads = consolidation.leads
    units = consolidation.units
    # each item's run of months (督办升级): the 督办单 says how long it has been behind
    history = {(str(r.unit), _text(r.key), str(r.flag)): r for r in consolidation.escalation.itertuples(index=False)}
    unanswered: dict[str, list] = {}
    for row in consolidation.replies.itertuples(index=False):
        if row.state == "逾期未回复":
            unanswered.setdefault(str(row.unit), []).append(row)
    result = []
    # each flag's units and the lagging lead rows worked out once, not once per notified unit
    flag_units = [units_of(cell) for cell in flags["unit"]]
    lagging_leads = leads[leads["category"] == LAGGING]
    for record in units[units["notice_level"].map(_text) != ""].itertuples(index=False):
        unit = record.unit
        own = flags[pd.Series([unit in named for named in flag_units], index=flags.index, dtype=bool)]
        own = own.assign(rank=own["level"].map({"red": 0, "yellow": 2}).fillna(3)).sort_values("rank", kind="stable")
        ordered: list[tuple[int, dict]] = []
        seen: set[tuple[str, str]] = set()
        for row in own.itertuples(index=False):
            key = _text(row.key)
            if (row.flag, key) in seen:
                continue
            seen.add((row.flag, key))
            ordered.append(
                (
                    int(row.rank),
                    {
                        "flag": _text(row.flag),
                        "level": "红色" if row.level == "red" else "黄色",
                        "key": key,
                        "subject": _item_subject(key, metrics, titles, consolidation.period),
                        "reason": official_text(_text(row.reason)),
                    },
                )
            )
        flagged_keys = {item["key"] for _, item in ordered}
        behind = lagging_leads[lagging_leads["unit"] == unit]
        for lead in behind.itertuples(index=False):
            key = str(lead.number)
            if key in flagged_keys:
                continue
            percent = format_percent(lead.percent)
            issues = _closed(lead.issues)
            ordered.append(
                (
                    1,
                    {
                        "flag": LAGGING,
                        "level": "—",
                        "key": key,
                        "subject": _item_subject(key, metrics, titles, consolidation.period),
                        "reason": (f"完成进度{percent}，" if percent else "本单位报“滞后”，")
                        + f"低于序时进度{format_percent(expected.get(key))}。"
                        + (f"存在问题：{issues}" if issues else ""),
                    },
                )
            )
        # last month's 督办单 left unanswered past its reply date: the unit is reminded on this one
        for row in unanswered.get(unit, []):
            ordered.append((1, {
                "flag": "督办单逾期未回复", "level": "—", "key": "",
                "subject": f"{period_label(row.notice_period)}督办单（{_text(row.number)}）",
                "reason": f"回复期限{format_date(row.reply_by)}已过，未收到办理结果回执，请即报回。"
                          + (f"{_text(row.note)}。" if _text(row.note) else ""),
            }))
        # the office's answer to a request it refused (pyxl.common.life): one sentence, after the flags
        for answer in consolidation.refusals[consolidation.refusals["unit"] == unit].itertuples(index=False):
            ordered.append((4, {"flag": "延期申请答复", "level": "—", "key": str(answer.number),
                                "subject": _item_subject(str(answer.number), metrics, titles, consolidation.period),
                                "reason": answer.sentence}))
        items = [item for _, item in sorted(ordered, key=lambda pair: pair[0])]
        level, reason = _text(record.notice_level), _text(record.reason)
        climbed = _ladder_level(history, unit)
        if climbed and level in NOTICE_LEVELS and NOTICE_LEVELS.index(climbed) > NOTICE_LEVELS.index(level):
            level, reason = climbed, "同一事项连续预警，督办升级"
        for item in items:
            item["reason"] += _history_note(history.get((unit, item["key"], item["flag"])), consolidation.period)
        result.append(Notice(unit=unit, items=items, reply_by=reply_by, level=level, reason=reason))
    return result


def _ladder_level(history: dict[tuple[str, str, str], object], unit: str) -> str:
    """The highest 督办升级 step among the unit's items this month ('' when none climbed)."""
    steps = [row.step for (owner, _, _), row in history.items() if owner == unit and row.step in NOTICE_LEVELS]
    return max(steps, key=NOTICE_LEVELS.index, default="")


def _history_note(row: object, period: str) -> str:
    """（自2025年4月起连续3个月预警）for an item behind again; nothing the first month."""
    if row is None or int(row.months_running) < 2:
        return ""
    return f"（自{period_label(str(row.first_period))}起连续{int(row.months_running)}个月预警）"


_TASK_SUBJECT = re.compile(r"^(任务[\d-]+：)(.+)$", re.DOTALL)


def _short_subject(subject: str) -> str:
    """任务8：加快重点项目建设，推动… → 任务8：加快重点项目建设 (targets and the return line stay as they are)."""
    match = _TASK_SUBJECT.match(subject)
    return f"{match.group(1)}{short_title(match.group(2))}" if match else subject


def notice_context(notice: Notice, consolidation: Consolidation, issuer: "Issuer | str", serial: int) -> dict:
    """What the 督办单 form shows: 编号, level, the items, 办理时限 and the unit's 联系人 and 电话 when the settings know them."""
    issuer = _issuer(issuer)
    year, _, month = str(consolidation.period).partition("-")
    contact, phone = issuer.contacts.get(notice.unit, ("", ""))
    return {
        **letterhead_context(issuer, consolidation.period, consolidation.as_of),
        "number": f"{issuer.number_prefix or '督办'}〔{year}〕{month.lstrip('0')}-{serial:02d}号",
        "level": _text(notice.level) or "督办",  # 提示 / 督办 / 约谈建议
        "unit": notice.unit,
        "period_label": period_label(consolidation.period),
        # a task is named by its first clause, as in the 通报 (the form has one page)
        "items": [{**item, "subject": _short_subject(_text(item.get("subject")))} for item in notice.items],
        "item_count": len(notice.items),
        "level_reason": notice.reason,
        "reply_by": format_date(notice.reply_by),
        "reply_file": f"{safe_file_name(notice.unit)}_回执.xlsx",
        "as_of": format_date(consolidation.as_of),
        "contact": contact,
        "phone": phone,
    }


# ---------------------------------------------------------------- rendering


@dataclass(frozen=True)
class ReportTemplates:
    """The three report templates of a workspace (its own copy, else the bundled one)."""

    bulletin_docx: Path
    bulletin_html: Path
    notice_docx: Path


def fitted_size_mm(png: bytes, box_width: float, box_height: float) -> tuple[float, float]:
    """The size (mm) of a PNG scaled to fit a box on the page, keeping its proportions."""
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    scale = min(box_width / width, box_height / height)
    return width * scale, height * scale


class _CompiledOnce(jinja2.Environment):
    """docxtpl's own environment (autoescape on), compiling each template XML once per process.

    docxtpl compiles a document's XML again on every render; a report renders
    the same 督办单 template for hundreds of units, ~7 compilations each.
    """

    def __init__(self) -> None:
        super().__init__(autoescape=True)
        self._compiled: dict[str, jinja2.Template] = {}

    def from_string(self, source, globals=None, template_class=None):  # noqa: A002 (jinja2's own names)
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        found = self._compiled.get(source)
        if found is None:
            if len(self._compiled) >= 64:
                self._compiled.clear()
            found = self._compiled[source] = super().from_string(source)
        return found


_DOCX_ENVIRONMENT: list[_CompiledOnce] = []


_STYLES_AS_WRITTEN: dict[bytes, bytes] = {}


def _styles_as_written(blob: bytes) -> bytes:
    """A styles part as python-docx writes it back unchanged (parsed and serialised), worked out once per template."""
    from docx.opc.oxml import serialize_part_xml
    from docx.oxml.parser import parse_xml

    found = _STYLES_AS_WRITTEN.get(blob)
    if found is None:
        if len(_STYLES_AS_WRITTEN) >= 8:
            _STYLES_AS_WRITTEN.clear()
        found = _STYLES_AS_WRITTEN[blob] = serialize_part_xml(parse_xml(blob))
    return found


def _open_docx(template: Path):
    """The template as a python-docx Document whose styles part is kept as bytes, not parsed.

    Rendering never touches the styles (the 督办单 template's are 350 KB): parsing
    and serialising them again for every 督办单 was a third of its time. The bytes
    kept are those python-docx would have written, so the document is the same.
    """
    from docx import Document
    from docx.opc.constants import CONTENT_TYPE
    from docx.opc.part import Part, PartFactory

    class StylesAsWritten(Part):
        @classmethod
        def load(cls, partname, content_type, blob, package):
            return cls(partname, content_type, _styles_as_written(blob), package)

    previous = PartFactory.__dict__.get("part_class_selector")

    def selector(content_type, reltype):
        if content_type == CONTENT_TYPE.WML_STYLES:
            return StylesAsWritten
        return previous(content_type, reltype) if previous is not None else None

    PartFactory.part_class_selector = selector
    try:
        return Document(str(template))
    finally:
        PartFactory.part_class_selector = previous


def render_docx(template: Path, context: dict, target: Path, images: dict[str, bytes] | None = None) -> Path:
    """Render a docxtpl template; each entry of `images` becomes an InlineImage of that name."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    document = DocxTemplate(str(template))
    document.docx = _open_docx(template)  # opened here, so docxtpl does not open it again
    values = dict(context)
    for name, png in (images or {}).items():
        width, height = fitted_size_mm(png, *CHART_BOXES_MM.get(name, (156, 205)))
        values[name] = InlineImage(document, io.BytesIO(png), width=Mm(width), height=Mm(height))
    if not _DOCX_ENVIRONMENT:
        _DOCX_ENVIRONMENT.append(_CompiledOnce())
    document.render(values, jinja_env=_DOCX_ENVIRONMENT[0], autoescape=True)
    with atomic_path(target) as temporary:
        document.save(str(temporary))
    return Path(target)


def render_html(template: Path, context: dict, target: Path, images: dict[str, bytes] | None = None) -> Path:
    """Render the jinja2 HTML template; images are embedded as data: URIs so the page is one file."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(template).parent)), autoescape=True, undefined=jinja2.StrictUndefined
    )
    values = dict(context)
    for name, png in (images or {}).items():
        values[name] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    text = environment.get_template(Path(template).name).render(values)
    with atomic_path(target) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(target)


def bulletin_charts(consolidation: Consolidation) -> dict[str, bytes]:
    """The bulletin's PNG charts, named as the templates use them."""
    from pyxl.outputs import charts

    return {
        "chart_categories": charts.category_share_png(category_counts(consolidation.tasks)),
        "chart_units": charts.unit_categories_png(unit_categories(consolidation.units)),
    }


NOTICE_LIST = "督办单清单.csv"
NOTICE_LIST_COLUMNS = ("单位", "编号", "督办级别", "回复期限", "事项数", "督办单", "回执")


def reply_items(items: list[dict]) -> list:
    """The 督办单's items as its 回执 lists them (numbered as on the form, the same words)."""
    from pyxl.distribution.notice_reply import ReplyItem

    def line(item: dict) -> str:
        level = f"，{item['level']}" if item.get("level") and item.get("level") != "—" else ""
        return f"{_text(item.get('subject')).rstrip('。')}（{_text(item.get('flag'))}{level}）：{_text(item.get('reason'))}"

    return [ReplyItem(str(number), line(item)) for number, item in enumerate(items, start=1)]


def read_notice_list(folder: Path) -> list[dict]:
    """The 督办单 issued for a period (督办单/督办单清单.csv, written with them): unit, number, level, reply_by (date), items.

    Empty when that period issued none or was reported before the list existed.
    """
    import csv

    path = Path(folder) / NOTICE_LIST
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return []
    found = []
    for row in csv.DictReader(io.StringIO(text)):
        try:
            reply_by = date.fromisoformat((row.get("回复期限") or "").strip())
        except ValueError:
            continue
        found.append({"unit": (row.get("单位") or "").strip(), "number": (row.get("编号") or "").strip(),
                      "level": (row.get("督办级别") or "").strip(), "reply_by": reply_by,
                      "items": int(row.get("事项数") or 0)})
    return [row for row in found if row["unit"]]


def _notice_list_text(rows: list[list[str]]) -> str:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(NOTICE_LIST_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue()


def write_bulletin(
    consolidation: Consolidation, out_dir: Path, templates: ReportTemplates, issuer: "Issuer | str", reply_by: date,
    reply_key: bytes | None = None,
) -> list[Path]:
    """Write 督查通报_<period>.docx/.html and 督办单/<unit>.docx into `out_dir`; return the paths.

    Beside each 督办单 goes its 回执 (督办单/<unit>_回执.xlsx, the workbook the
    unit answers in, its identity keyed with `reply_key`), and the list of the
    督办单 issued (督办单清单.csv: unit, 编号, level, reply-by date), which the
    next month reads to see who answered in time. The 督办单 folder is written
    beside the old one and swapped in, so it never mixes notices of two runs and
    a unit no longer flagged loses its old notice.
    """
    from pyxl.distribution.notice_reply import FILE_SUFFIX, write_reply_workbook

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    issuer = _issuer(issuer)
    context = document_context(bulletin_context(consolidation, issuer.district), consolidation, issuer)
    images = bulletin_charts(consolidation)
    gc.collect()  # the charts' figures (reference cycles), before the documents take their memory
    name = f"督查通报_{consolidation.period}"
    written = [
        render_docx(templates.bulletin_docx, context, out_dir / f"{name}.docx", images),
        render_html(templates.bulletin_html, context, out_dir / f"{name}.html", images),
    ]
    folder = out_dir / NOTICE_FOLDER
    # staged beside the old folder with normal permissions (mkdtemp's would be 0700), then swapped in
    with staging_folder(out_dir) as staging:
        # A rendered document holds reference cycles only the cycle collector frees: at a
        # province's hundreds of 督办单, collect every few (everything older is frozen out of
        # the walk, so each collection is cheap) to keep memory flat in the number of units.
        gc.freeze()
        try:
            listed = []
            for serial, notice in enumerate(notices(consolidation, reply_by), start=1):
                target = staging / f"{safe_file_name(notice.unit)}.docx"
                context = notice_context(notice, consolidation, issuer, serial)
                render_docx(templates.notice_docx, context, target)
                reply = staging / f"{safe_file_name(notice.unit)}{FILE_SUFFIX}"
                write_reply_workbook(reply, unit=notice.unit, period=str(consolidation.period), number=context["number"],
                                     reply_by=notice.reply_by, items=reply_items(context["items"]), office=issuer.office,
                                     key=reply_key)
                written += [folder / target.name, folder / reply.name]
                listed.append([notice.unit, context["number"], context["level"], notice.reply_by.isoformat(),
                               str(len(notice.items)), target.name, reply.name])
                if serial % 5 == 0:
                    gc.collect()
        finally:
            gc.unfreeze()
        if listed:
            (staging / NOTICE_LIST).write_text(_notice_list_text(listed), encoding="utf-8-sig")
            written.append(folder / NOTICE_LIST)
        replace_folder(staging, folder)
    return written
