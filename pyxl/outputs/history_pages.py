"""任务历程 as web pages: one page per task with its months side by side, and an index.

out/<period>/任务历程/index.html lists every task with its latest category and
督办 level and links to 任务_<序号>.html, which shows the task's months as
rows (category, progress against 序时, indicator lights, 督办 level, events,
what the leads wrote). Each page is one file with its own style: no script,
no external resource, every text escaped (units' words are never markup).
The markup is the template templates/report/task_history.html.j2 (the
workspace's own copy when it has one), whose macros `page` and `index` are
called here with the values.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pandas as pd

from pyxl.common.errors import PyxlError
from pyxl.common.files import replace_folder, staging_folder, write_staged
from pyxl.common.model import Consolidation, is_missing
from pyxl.outputs.counting import value_rows

FOLDER = "任务历程"
INDEX = "index.html"
_UNSAFE = re.compile(r"[^0-9A-Za-z_-]")

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


def _macros(template: Path):
    """The template's `page` and `index` macros, each raising PyxlError (naming the template) where it is wrong."""

    def refused(error: Exception) -> PyxlError:
        return PyxlError(f"任务历程模板 {template} 有误（{error}）：请改正，或删除 templates/report/ 中的这个文件以使用内置模板。")

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    try:
        module = environment.from_string(template.read_text(encoding="utf-8")).make_module({})
        macros = module.page, module.index
    except (jinja2.TemplateError, AttributeError, OSError, UnicodeDecodeError) as error:
        raise refused(error) from None

    def checked(macro):
        def render(**values) -> str:
            try:
                return str(macro(**values))
            except (jinja2.TemplateError, TypeError) as error:  # a macro that does not take these names
                raise refused(error) from None
        return render

    return tuple(checked(macro) for macro in macros)


def write_history_pages(consolidation: Consolidation, out_dir: Path, template: Path) -> list[Path]:
    """Write out/<period>/任务历程/ (index and one page per task) from the judgement's history table; the paths.

    `template` holds the two pages as the macros `page` and `index`
    (templates/report/task_history.html.j2, or the workspace's own copy).
    """
    page, index = _macros(Path(template))
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
            # what to_dict("records") gives, without its per-cell boxing
            columns = list(history.columns)
            records = (dict(zip(columns, row)) for row in value_rows(history))
            for number, record in zip(history["number"].astype(str).tolist(), records):
                groups.setdefault(number, []).append(record)
        for number, records in groups.items():
            rows = [{
                "month": _label(r["period"]), "category": _text(r["category"]), "colour": _COLOURS.get(_text(r["category"]), ""),
                "status": _text(r.get("lead_status")), "percent": _percent(r["lead_percent"]), "expected": _percent(r["expected_percent"]), "lights": _text(r["lights"]),
                "level": _text(r["notice_level"]), "events": _text(r["events"]), "progress": _text(r["lead_progress"]),
            } for r in records]
            last = records[-1]
            name = page_name(number)
            write_staged(staging, name, page(
                number=number, title=_text(last["short_title"]), leads=_text(last["lead_units"]), rows=rows,
                first_label=rows[0]["month"], last_label=rows[-1]["month"],
                as_of=f"{as_of.year}年{as_of.month}月{as_of.day}日").encode("utf-8"), folder)
            written.append(folder / name)
            index_rows.append({
                "number": number, "page": name, "title": _text(last["short_title"]), "leads": _text(last["lead_units"]),
                "category": _text(last["category"]), "colour": _COLOURS.get(_text(last["category"]), ""),
                "trail": "→".join(r["category"] or "—" for r in rows), "level": _text(last["notice_level"]),
                "events": "；".join(e for e in (_text(r["events"]) for r in records) if e),
            })
        write_staged(staging, INDEX, index(
            heading=f"重点任务历程（{_label(periods[0])}至{_label(periods[-1])}）",
            span=f"{_label(periods[0])}至{_label(periods[-1])}", tasks=index_rows).encode("utf-8"), folder)
        written.insert(0, folder / INDEX)
        replace_folder(staging, folder)
    return written
