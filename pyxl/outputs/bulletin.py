"""The 督查通报's template context: what the bulletin shows, as plain strings, lists and dicts.

`bulletin_context` turns the counts of pyxl.outputs.counting into the strings the
templates show; `document_context` adds the 公文 版头 (`Issuer`, `letterhead_context`)
and section 三's headings, the repeat cases and the ranking. It adds words to
what was counted, never recounts it. Nothing here reads the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from pyxl.common.life import CLOSED, PENDING_CLOSURE
from pyxl.common.model import CATEGORIES, Consolidation, is_missing
from pyxl.judgement.notices import reply_sentence
from pyxl.outputs.counting import (
    LIGHT_STATUS,
    _item_subject,
    _text,
    category_counts,
    cited_problems,
    disputed_indicators,
    format_date,
    format_number,
    format_percent,
    format_share,
    format_value,
    indicator_status,
    key_indicators,
    lagging_items,
    light_counts,
    overdue_tasks,
    period_label,
    records,
    reporting_gaps,
    return_sentence,
    return_summary,
    short_title,
    target_text,
    units_of,
)


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
    light_parts = [f"{LIGHT_STATUS[r.light]}{int(r.count)}项" for r in records(lights) if r.count]
    tasks_by_category = []
    for name in CATEGORIES:
        group = c.tasks[c.tasks["category"] == name]
        if len(group):
            tasks_by_category.append({"name": name, "count": len(group), "tasks": [_task_row(r) for r in records(group)]})
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
            {"name": r.category, "count": int(r.count), "share": format_share(r.share)} for r in records(present)
        ],
        "category_sentence": "；".join(
            f"{r.category}{int(r.count)}项、占{format_share(r.share)}" for r in records(present)
        ),
        "light_sentence": "、".join(light_parts).replace("年度考核", "年度考核指标").replace("待核实", "数据待核实")
        .replace("未报送", "未报送完成值"),
        "return_sentence": return_sentence(c.returns, gaps),
        "overdue_tasks": overdue_tasks(c),
        "disputed": disputed_indicators(c),
        "common_problems": cited_problems(c),
        "category": {r.category: {"count": int(r.count), "share": format_share(r.share)} for r in records(categories)},
        "indicator_total": len(c.indicators),
        "lights": {r.light: int(r.count) for r in records(lights)},
        "returns": returns,
        "key_indicators": [_indicator_row(r) for r in records(key_indicators(c))],
        "lagging": lagging_items(c).to_dict("records"),
        "gaps": gaps,
        "tasks_by_category": tasks_by_category,
        "indicators": [_indicator_row(r) for r in records(c.indicators)],
        "life_sentence": life_sentence(c),
    }


def life_sentence(consolidation: Consolidation) -> str:
    """销号 apart from 已完成待销号, and every task whose deadline a decision moved, old and new dates (section 一)."""
    tasks = consolidation.tasks
    parts = []
    if "closure" in tasks:
        closed = int((tasks["closure"] == CLOSED).sum())
        pending = int((tasks["closure"] == PENDING_CLOSURE).sum())
        if closed or pending:
            counts = "、".join(p for p in (f"已销号{closed}项" if closed else "", f"已完成待销号{pending}项" if pending else "") if p)
            parts.append(f"已完成的任务中，{counts}。")
    adjusted = consolidation.adjustments
    if len(adjusted):
        items = []
        for row in records(adjusted):
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
    for row in records(tasks):
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
        return "、".join(f"{r.unit}（{float(r.score):.1f}分）" for r in records(rows))

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
    for row in sorted(records(rows), key=lambda r: (-int(r.months_running), str(r.unit), _text(r.key))):
        key = _text(row.key)
        subject = _item_subject(key, metrics, titles, consolidation.period).rstrip("。")
        cases.append({
            "unit": str(row.unit), "flag": str(row.flag), "months": int(row.months_running), "step": str(row.step),
            "text": f"{row.unit}：{subject}，{row.flag}，自{period_label(str(row.first_period))}起连续"
                    f"{int(row.months_running)}个月预警，督办级别为{row.step}。",
        })
    return cases
