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
import io
import math
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import jinja2
import pandas as pd

from pyxl.common.files import atomic_path
from pyxl.common.model import CATEGORIES, Consolidation, is_missing, split_row_key
from pyxl.common.period import chinese_date

KEY_SECTION = "一"  # the first section of a duty table holds the key economic targets
LAGGING = "欠序时进度"
REPLY_WORKING_DAYS = 5
NOTICE_FOLDER = "督办单"
# Width of each chart on the A4 page (text width 160 mm); the pie carries its legend beside it.
CHART_WIDTHS_MM = {"chart_categories": 140, "chart_units": 160}

_UNIT_SPLIT = re.compile(r"[、,，;；\n]+")
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
LIGHT_STATUS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "exempt": "年度考核", "none": "未报送"}


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


def _text(value: object) -> str:
    if is_missing(value):
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value).strip()


def reply_by_date(as_of: date, working_days: int = REPLY_WORKING_DAYS) -> date:
    """`working_days` working days (Monday to Friday) after `as_of`: the 督办单 reply-by date."""
    day = as_of
    left = working_days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


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
    """How many units were due, returned on time, late, not at all, and how many returns were not accepted."""
    returned, late, accepted = _return_masks(returns)
    return {
        "total": int(len(returns)),
        "on_time": int((returned & ~late).sum()),
        "late": int((returned & late).sum()),
        "missing": int((~returned).sum()),
        "rejected": int((returned & ~accepted).sum()),
    }


def unit_categories(tasks: pd.DataFrame) -> pd.DataFrame:
    """Tasks by category for each lead unit (a task with two lead units counts for both).

    Index: unit; columns: CATEGORIES then 合计; sorted by 合计 descending, then name.
    """
    exploded = tasks.assign(unit=tasks["lead_units"].map(units_of)).explode("unit").dropna(subset=["unit"])
    table = pd.crosstab(exploded["unit"], exploded["category"]) if len(exploded) else pd.DataFrame()
    table = table.reindex(columns=list(CATEGORIES), fill_value=0).astype(int)
    table["合计"] = table.sum(axis=1)
    table.index.name = "unit"
    table = table.reset_index().sort_values(["合计", "unit"], ascending=[False, True], kind="stable")
    return table.set_index("unit")


def key_indicators(consolidation: Consolidation) -> pd.DataFrame:
    """The targets of the first section (the key economic indicators), in table order."""
    sections = consolidation.tasks.set_index(consolidation.tasks["number"].astype(str))["section"]
    indicators = consolidation.indicators
    in_key_section = indicators["task_number"].astype(str).map(sections).eq(KEY_SECTION)
    return indicators[in_key_section.fillna(False).to_numpy()]


def lagging_items(consolidation: Consolidation) -> pd.DataFrame:
    """Each 欠序时进度 task and each red target, with its lead unit and the reason the unit gave.

    Columns: kind (任务 / 指标), key, title, lead_unit, detail, issues.
    """
    tasks = consolidation.tasks
    issues_by_task = dict(zip(tasks["number"].astype(str), tasks["lead_issues"].map(_text)))
    rows = []
    for task in tasks[tasks["category"] == LAGGING].itertuples(index=False):
        percent = "" if is_missing(task.lead_percent) else f"完成进度{format_number(task.lead_percent)}%"
        rows.append(
            {
                "kind": "任务",
                "key": str(task.number),
                "title": _sentence(task.text),
                "lead_unit": "、".join(units_of(task.lead_units)),
                "detail": percent,
                "issues": _closed(task.lead_issues),
            }
        )
    indicators = consolidation.indicators
    for row in indicators[indicators["light"] == "red"].itertuples(index=False):
        rows.append(
            {
                "kind": "指标",
                "key": str(row.key),
                "title": _text(row.metric),
                "lead_unit": _text(row.lead_unit),
                "detail": f"目标{target_text(row)}，序时目标{format_number(row.expected)}{_text(row.unit)}，"
                f"实际完成{format_number(row.reported)}{_text(row.unit)}",
                "issues": _closed(issues_by_task.get(str(row.task_number), "")),
            }
        )
    return pd.DataFrame(rows, columns=["kind", "key", "title", "lead_unit", "detail", "issues"])


def reporting_gaps(returns: pd.DataFrame) -> dict[str, list[dict]]:
    """Units that did not report, reported late, or sent a return that could not be used."""
    returned, late, accepted = _return_masks(returns)

    def rows(mask: pd.Series) -> list[dict]:
        return [
            {"unit": _text(r.unit), "kind": _text(r.kind), "received": format_date(r.received), "problems": format_number(r.problem_count)}
            for r in returns[mask].itertuples(index=False)
        ]

    return {"missing": rows(~returned), "late": rows(returned & late), "rejected": rows(returned & ~accepted)}


def target_text(row) -> str:
    """A target as people write it: 增长6%, ≥1200亿元."""
    prefix = {"<=": "≤", ">=": "", "=": ""}.get(_text(row.comparator), "")
    if _text(row.kind) == "growth":
        prefix = "增长" if prefix == "" else "增长" + prefix
    return f"{prefix}{format_number(row.target)}{_text(row.unit)}"


def indicator_status(row) -> str:
    """The light in words, with 达到力争值 when the stretch value is reached."""
    status = LIGHT_STATUS.get(_text(row.light), _text(row.light))
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
        "reported": "" if is_missing(row.reported) else f"{format_number(row.reported)}{unit}",
        "expected": "年度考核" if exempt else ("" if is_missing(row.expected) else f"{format_number(row.expected)}{unit}"),
        "status": indicator_status(row),
        "light": _text(row.light),
        "lead_unit": _text(row.lead_unit),
    }


def _task_row(row) -> dict:
    return {
        "number": _text(row.number),
        "text": _text(row.text),
        "lead_units": "、".join(units_of(row.lead_units)),
        "deadline": format_date(row.deadline),
        "percent": "" if is_missing(row.lead_percent) else f"{format_number(row.lead_percent)}%",
        "progress": _text(row.lead_progress),
        "issues": _text(row.lead_issues),
        "category": _text(row.category),
        "change": _text(row.change),
    }


def bulletin_context(consolidation: Consolidation, district: str) -> dict:
    """Everything the bulletin templates show, as plain strings, lists and dicts."""
    c = consolidation
    categories = category_counts(c.tasks)
    lights = light_counts(c.indicators)
    returns = return_summary(c.returns)
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
        "categories": [
            {"name": r.category, "count": int(r.count), "share": format_share(r.share)} for r in categories.itertuples(index=False)
        ],
        "category": {r.category: {"count": int(r.count), "share": format_share(r.share)} for r in categories.itertuples(index=False)},
        "indicator_total": len(c.indicators),
        "lights": {r.light: int(r.count) for r in lights.itertuples(index=False)},
        "returns": returns,
        "key_indicators": [_indicator_row(r) for r in key_indicators(c).itertuples(index=False)],
        "lagging": lagging_items(c).to_dict("records"),
        "gaps": reporting_gaps(c.returns),
        "tasks_by_category": tasks_by_category,
        "indicators": [_indicator_row(r) for r in c.indicators.itertuples(index=False)],
    }


@dataclass
class Notice:
    """One unit's 督办单: its flagged items and the date to reply by."""

    unit: str
    items: list[dict]
    reply_by: date


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
    """A 督办单 for every unit with a red flag: all its flags and its lagging tasks, red first.

    A 欠序时进度 task the unit leads is listed too (after the red flags, before
    the yellow ones) unless a flag already names it: the notice lists the
    unit's overdue *and* lagging items.
    """
    flags = consolidation.flags
    tasks = consolidation.tasks
    texts = dict(zip(tasks["number"].astype(str), tasks["text"].map(_text)))
    metrics = dict(zip(consolidation.indicators["key"].astype(str), consolidation.indicators["metric"].map(_text)))
    schedule = format_share(consolidation.schedule_fraction)
    lagging = tasks[tasks["category"] == LAGGING]
    result = []
    for unit in flagged_units(flags):
        own = flags[flags["unit"].map(lambda cell: unit in units_of(cell))]
        own = own.assign(rank=own["level"].map({"red": 0, "yellow": 2}).fillna(3)).sort_values("rank", kind="stable")
        ordered: list[tuple[int, dict]] = []
        for row in own.itertuples(index=False):
            key = _text(row.key)
            ordered.append(
                (
                    int(row.rank),
                    {
                        "flag": _text(row.flag),
                        "level": "红色" if row.level == "red" else "黄色",
                        "key": key,
                        "subject": _item_subject(key, metrics, texts, consolidation.period),
                        "reason": official_text(_text(row.reason)),
                    },
                )
            )
        flagged_keys = {item["key"] for _, item in ordered}
        for task in lagging.itertuples(index=False):
            key = str(task.number)
            if unit not in units_of(task.lead_units) or key in flagged_keys:
                continue
            percent = "未填写完成进度" if is_missing(task.lead_percent) else f"完成进度{format_number(task.lead_percent)}%"
            issues = _text(task.lead_issues)
            ordered.append(
                (
                    1,
                    {
                        "flag": LAGGING,
                        "level": "—",
                        "key": key,
                        "subject": _item_subject(key, metrics, texts, consolidation.period),
                        "reason": f"{percent}，低于序时进度{schedule}。" + (f"存在问题：{issues}" if issues else ""),
                    },
                )
            )
        items = [item for _, item in sorted(ordered, key=lambda pair: pair[0])]
        result.append(Notice(unit=unit, items=items, reply_by=reply_by))
    return result


def notice_context(notice: Notice, consolidation: Consolidation, district: str, serial: int) -> dict:
    """What the 督办单 template shows."""
    year, _, month = str(consolidation.period).partition("-")
    return {
        "district": district,
        "office": f"{district}人民政府督查室",
        "number": f"督办〔{year}〕{month.lstrip('0')}-{serial:02d}号",
        "unit": notice.unit,
        "period_label": period_label(consolidation.period),
        "items": notice.items,
        "item_count": len(notice.items),
        "reply_by": format_date(notice.reply_by),
        "as_of": format_date(consolidation.as_of),
    }


# ---------------------------------------------------------------- rendering


@dataclass(frozen=True)
class ReportTemplates:
    """The three report templates of a workspace (its own copy, else the bundled one)."""

    bulletin_docx: Path
    bulletin_html: Path
    notice_docx: Path


def render_docx(template: Path, context: dict, target: Path, images: dict[str, bytes] | None = None) -> Path:
    """Render a docxtpl template; each entry of `images` becomes an InlineImage of that name."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    document = DocxTemplate(str(template))
    values = dict(context)
    for name, png in (images or {}).items():
        values[name] = InlineImage(document, io.BytesIO(png), width=Mm(CHART_WIDTHS_MM.get(name, 150)))
    document.render(values, autoescape=True)
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
        "chart_units": charts.unit_categories_png(unit_categories(consolidation.tasks)),
    }


def write_bulletin(
    consolidation: Consolidation, out_dir: Path, templates: ReportTemplates, district: str, reply_by: date
) -> list[Path]:
    """Write 督查通报_<period>.docx/.html and 督办单/<unit>.docx into `out_dir`; return the paths.

    The 督办单 folder is written beside the old one and swapped in, so it never
    mixes notices of two runs and a unit no longer flagged loses its old notice.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    context = bulletin_context(consolidation, district)
    images = bulletin_charts(consolidation)
    name = f"督查通报_{consolidation.period}"
    written = [
        render_docx(templates.bulletin_docx, context, out_dir / f"{name}.docx", images),
        render_html(templates.bulletin_html, context, out_dir / f"{name}.html", images),
    ]
    folder = out_dir / NOTICE_FOLDER
    staging = Path(tempfile.mkdtemp(prefix=".~pyxl-", dir=out_dir))
    try:
        for serial, notice in enumerate(notices(consolidation, reply_by), start=1):
            target = staging / f"{safe_file_name(notice.unit)}.docx"
            render_docx(templates.notice_docx, notice_context(notice, consolidation, district, serial), target)
            written.append(folder / target.name)
        old = None
        if folder.exists():
            old = out_dir / f".~pyxl-old-{NOTICE_FOLDER}"
            if old.exists():
                shutil.rmtree(old)
            folder.rename(old)
        staging.rename(folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return written
