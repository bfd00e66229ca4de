"""任务历程 as web pages: one page per task with its months side by side, and an index.

out/<period>/任务历程/index.html lists every task with its latest category and
督办 level and links to 任务_<序号>.html, which shows the task's months as
rows (category, progress against 序时, indicator lights, 督办 level, events,
what the leads wrote). Each page is one file with its own style: no script,
no external resource, every text escaped (units' words are never markup).
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pandas as pd

from pyxl.common.files import replace_folder, staging_folder, write_staged
from pyxl.common.model import Consolidation, is_missing

FOLDER = "任务历程"
INDEX = "index.html"
_UNSAFE = re.compile(r"[^0-9A-Za-z_-]")

_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "SimSun", sans-serif; margin: 2em auto; max-width: 70em;
       color: #222; line-height: 1.6; }
h1 { font-size: 1.5em; margin-bottom: .2em; } p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #bbb; padding: .35em .5em; vertical-align: top; }
th { background: #D9E1F2; text-align: center; white-space: nowrap; } td.num { text-align: right; white-space: nowrap; }
td.month { white-space: nowrap; } .red { background: #FFC7CE; color: #9C0006; } .yellow { background: #FFEB9C; color: #9C5700; }
.green { background: #C6EFCE; color: #006100; } a { color: #1F4E79; } nav { margin-bottom: 1em; }
@media print { nav { display: none; } }
"""

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>任务{{ number }}历程</title>
<style>{{ style | safe }}</style></head><body>
<nav><a href="index.html">← 全部任务</a></nav>
<h1>任务{{ number }}：{{ title }}</h1>
<p class="meta">牵头单位：{{ leads or "—" }}　·　{{ first_label }}至{{ last_label }}，共{{ rows|length }}个月</p>
<table><thead><tr><th>月份</th><th>类别</th><th>单位自报</th><th>完成进度</th><th>序时进度</th><th>指标灯号</th><th>督办级别</th><th>调整与销号</th><th>进展情况</th></tr></thead>
<tbody>{% for r in rows %}<tr><td class="month">{{ r.month }}</td><td class="{{ r.colour }}">{{ r.category }}</td>
<td>{{ r.status }}</td><td class="num">{{ r.percent }}</td><td class="num">{{ r.expected }}</td><td>{{ r.lights }}</td><td>{{ r.level }}</td>
<td>{{ r.events }}</td><td>{{ r.progress }}</td></tr>
{% endfor %}</tbody></table>
<p class="meta">统计截至{{ as_of }}；每月为当月汇总表所载情况。</p>
</body></html>
"""

_INDEX = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ heading }}</title>
<style>{{ style | safe }}</style></head><body>
<h1>{{ heading }}</h1>
<p class="meta">{{ span }}，重点任务{{ tasks|length }}项；点任务序号看逐月情况。</p>
<table><thead><tr><th>序号</th><th>任务</th><th>牵头单位</th><th>本月类别</th><th>逐月类别</th><th>本月督办级别</th><th>调整与销号</th></tr></thead>
<tbody>{% for t in tasks %}<tr><td class="num"><a href="{{ t.page }}">{{ t.number }}</a></td><td><a href="{{ t.page }}">{{ t.title }}</a></td>
<td>{{ t.leads }}</td><td class="{{ t.colour }}">{{ t.category }}</td><td>{{ t.trail }}</td><td>{{ t.level }}</td><td>{{ t.events }}</td></tr>
{% endfor %}</tbody></table>
</body></html>
"""

_COLOURS = {"已完成": "green", "超序时进度": "green", "达序时进度": "green", "欠序时进度": "red", "未报送": "red", "未启动": "yellow"}


def page_name(number: object) -> str:
    """任务_12.html, 任务_12-1.html: the task's page, whatever its number holds."""
    return f"任务_{_UNSAFE.sub('_', str(number))}.html"


def _label(period: str) -> str:
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(period))
    return f"{match.group(1)}年{int(match.group(2))}月" if match else str(period)


def _text(value: object) -> str:
    return "" if is_missing(value) else str(value)


def _percent(value: object) -> str:
    return "" if is_missing(value) or value == "" else f"{float(value):.1f}%"


def write_history_pages(consolidation: Consolidation, out_dir: Path) -> list[Path]:
    """Write out/<period>/任务历程/ (index and one page per task) from the judgement's history table; the paths."""
    environment = jinja2.Environment(loader=jinja2.DictLoader({"page": _PAGE, "index": _INDEX}), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    history: pd.DataFrame = consolidation.history
    as_of = consolidation.as_of
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    folder = out_dir / FOLDER
    written: list[Path] = []
    index_rows = []
    periods = sorted(set(history["period"].astype(str))) if len(history) else [str(consolidation.period)]
    with staging_folder(out_dir) as staging:
        # grouped once in plain Python (first appearance, rows in table order, as groupby(sort=False)):
        # a pandas frame per task was most of the time at 1,000 tasks
        groups: dict[str, list[dict]] = {}
        if len(history):
            for number, record in zip(history["number"].astype(str), history.to_dict("records")):
                groups.setdefault(number, []).append(record)
        page = environment.get_template("page")
        for number, records in groups.items():
            rows = [{
                "month": _label(r["period"]), "category": _text(r["category"]), "colour": _COLOURS.get(_text(r["category"]), ""),
                "status": _text(r.get("lead_status")), "percent": _percent(r["lead_percent"]), "expected": _percent(r["expected_percent"]), "lights": _text(r["lights"]),
                "level": _text(r["notice_level"]), "events": _text(r["events"]), "progress": _text(r["lead_progress"]),
            } for r in records]
            last = records[-1]
            name = page_name(number)
            write_staged(staging, name, page.render(
                style=_STYLE, number=number, title=_text(last["short_title"]), leads=_text(last["lead_units"]), rows=rows,
                first_label=rows[0]["month"], last_label=rows[-1]["month"],
                as_of=f"{as_of.year}年{as_of.month}月{as_of.day}日").encode("utf-8"), folder)
            written.append(folder / name)
            index_rows.append({
                "number": number, "page": name, "title": _text(last["short_title"]), "leads": _text(last["lead_units"]),
                "category": _text(last["category"]), "colour": _COLOURS.get(_text(last["category"]), ""),
                "trail": "→".join(r["category"] or "—" for r in rows), "level": _text(last["notice_level"]),
                "events": "；".join(e for e in (_text(r["events"]) for r in records) if e),
            })
        write_staged(staging, INDEX, environment.get_template("index").render(
            style=_STYLE, heading=f"重点任务历程（{_label(periods[0])}至{_label(periods[-1])}）",
            span=f"{_label(periods[0])}至{_label(periods[-1])}", tasks=index_rows).encode("utf-8"), folder)
        written.insert(0, folder / INDEX)
        replace_folder(staging, folder)
    return written
