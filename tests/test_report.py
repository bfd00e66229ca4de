"""The bulletin (督查通报) and the 督办单: numbers read back from the DOCX and the HTML agree with the tables."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO
from docx import Document

from pyxl.common.config import NoticeSettings
from pyxl.common.model import (
    CATEGORIES,
    FLAG_COLUMNS,
    INDICATOR_COLUMNS,
    LEAD_COLUMNS,
    RETURN_COLUMNS,
    TASK_COLUMNS,
    UNIT_COLUMNS,
    Consolidation,
)
from pyxl.judgement.consolidate import report_state, short_title
from pyxl.judgement.flags import unit_table
from pyxl.common.problems import PROBLEM_COLUMNS
from pyxl.outputs.bulletin import _indicator_row
from pyxl.outputs.counting import category_counts, key_indicators, lagging_items, records, unit_categories
from pyxl.outputs.notices import notices, reply_by_date
from pyxl.outputs.render import ReportTemplates
from pyxl.outputs.report import write_bulletin

TEMPLATES = ReportTemplates(
    bulletin_docx=REPO / "templates" / "report" / "bulletin.docx",
    bulletin_html=REPO / "templates" / "report" / "bulletin.html.j2",
    notice_docx=REPO / "templates" / "report" / "notice.docx",
)


def _task(number, section, text, lead, category, *, percent=None, issues="", deadline=None, responsible=()):
    return {
        "number": number,
        "section": section,
        "text": text,
        "lead_units": list(lead),
        "responsible_units": list(responsible),
        "deadline": deadline,
        "lead_status": {"已完成": "已完成", "未启动": "未启动", "欠序时进度": "滞后"}.get(category, "按计划推进"),
        "lead_percent": percent,
        "lead_progress": "" if category == "未报送" else f"任务{number}进展顺利。",
        "lead_issues": issues,
        "responsible_reports": "",
        "category": category,
        "previous_category": "达序时进度",
        "change": "",
        "expected_percent": 100.0 if deadline else 50.0,
        "short_title": short_title(text),
        "lead_categories": "；".join(f"{unit}：{category}" for unit in lead),
        "overdue": deadline is not None and category != "已完成",
        "reason": "",
    }


def _indicator(key, metric, kind, target, unit, reported, expected, light, lead, stretch=None, stretch_met=False, annual=False):
    return {
        "key": key,
        "task_number": key.split("-")[0],
        "metric": metric,
        "kind": kind,
        "comparator": ">=",
        "target": target,
        "stretch": stretch,
        "unit": unit,
        "annual_only": annual,
        "reported": reported,
        "expected": expected,
        "deviation": None if reported is None or expected is None else reported - expected,
        "light": light,
        "stretch_met": stretch_met,
        "lead_unit": lead,
        "reported_by": None if reported is None else lead,
        "contested": "",
    }


def sample_consolidation() -> Consolidation:
    """Twelve tasks covering every category, eight targets covering every light, five units."""
    tasks = [
        _task("1", "一", "地区生产总值增长6%左右。", ["区发展改革局"], "超序时进度", percent=60),
        _task("2", "一", "一般公共预算收入增长5%。", ["区财政局"], "欠序时进度", percent=30, issues="税源结构单一，房地产相关税收下滑。"),
        _task("3", "一", "固定资产投资增长8%。", ["区发展改革局"], "达序时进度", percent=50),
        _task("4", "二", "新培育国家级专精特新“小巨人”企业2家。", ["区工业和信息化局"], "已完成", percent=100),
        _task("5", "二", "建成5G基站300个，6月份完工。", ["区工业和信息化局"], "欠序时进度", percent=20, issues="铁塔选址协调难度大。", deadline=date(2025, 6, 30)),
        _task("6", "三", "改造提升老旧小区12个。", ["区住房城乡建设局"], "未启动"),
        _task("7", "三", "新建城乡道路35公里。", ["区交通运输局", "区住房城乡建设局"], "达序时进度", percent=50),
        _task("8", "四", "新增城镇就业5000人。", ["区人力资源社会保障局"], "超序时进度", percent=70),
        _task("9", "四", "建设普惠托育机构3家。", ["区卫生健康局"], "未报送"),
        _task("10", "五", "完成造林绿化1万亩。", ["区自然资源局"], "已完成", percent=100),
        _task("11", "五", "农村生活污水治理行政村30个。", ["区生态环境分局"], "欠序时进度", percent=25, issues="资金未到位。"),
        _task("12", "六", "政务服务事项“一网通办”率达到95%。", ["区行政审批服务局"], "达序时进度", percent=50),
    ]
    indicators = [
        _indicator("1-1", "地区生产总值", "growth", 6, "%", 6.3, 6, "green", "区发展改革局", stretch=6.5),
        _indicator("2-1", "一般公共预算收入", "growth", 5, "%", 2.1, 5, "red", "区财政局"),
        _indicator("3-1", "固定资产投资", "growth", 8, "%", 7.5, 8, "yellow", "区发展改革局"),
        _indicator("3-2", "重点项目投资", "amount", 120, "亿元", 70, 60, "green", "区发展改革局", stretch=130, stretch_met=True),
        _indicator("5-1", "5G基站", "count", 300, "个", 80, 150, "red", "区工业和信息化局"),
        _indicator("8-1", "城镇新增就业", "count", 5000, "人", 3100, 2500, "green", "区人力资源社会保障局"),
        _indicator("9-1", "普惠托育机构", "count", 3, "家", None, 1.5, "none", "区卫生健康局"),
        _indicator("12-1", "一网通办率", "ratio", 95, "%", None, None, "exempt", "区行政审批服务局", annual=True),
    ]
    returns = [
        {"unit": "区发展改革局", "kind": "区直部门", "task_count": 2, "returned": True, "received": datetime(2025, 7, 3, 9, 30), "late": False, "accepted": True, "problem_count": 0, "file": "returns/2025-06/a.xlsx"},
        {"unit": "区财政局", "kind": "区直部门", "task_count": 1, "returned": True, "received": datetime(2025, 7, 8, 16, 0), "late": True, "accepted": True, "problem_count": 0, "file": "returns/2025-06/b.xlsx"},
        {"unit": "区卫生健康局", "kind": "区直部门", "task_count": 1, "returned": False, "received": None, "late": False, "accepted": False, "problem_count": 0, "file": ""},
        {"unit": "区工业和信息化局", "kind": "区直部门", "task_count": 2, "returned": True, "received": datetime(2025, 7, 4, 10, 0), "late": False, "accepted": True, "problem_count": 1, "file": "returns/2025-06/c.xlsx"},
        {"unit": "区生态环境分局", "kind": "市直派驻机构", "task_count": 1, "returned": True, "received": datetime(2025, 7, 5, 11, 0), "late": False, "accepted": False, "problem_count": 3, "file": "returns/2025-06/d.xlsx"},
    ]
    flags = [
        {"flag": "逾期未报", "level": "red", "unit": "区卫生健康局", "key": "", "reason": "截至2025年7月5日未报送。"},
        {"flag": "指标滞后", "level": "red", "unit": "区财政局", "key": "2-1", "reason": "增长2.1%，低于目标5%。"},
        {"flag": "任务逾期", "level": "red", "unit": "区工业和信息化局", "key": "5", "reason": "6月30日完工的任务尚未完成。"},
        {"flag": "指标滞后", "level": "red", "unit": "区工业和信息化局", "key": "5-1", "reason": "完成80个，低于序时目标150个。"},
        {"flag": "指标滞后", "level": "yellow", "unit": "区发展改革局", "key": "3-1", "reason": "增长7.5%，略低于目标8%。"},
        {"flag": "连续未更新", "level": "yellow", "unit": "区工业和信息化局", "key": "4", "reason": "进展情况连续3期相同。"},
    ]
    for row in returns:
        row["status"] = report_state(row["accepted"], row["returned"], row["late"], date(2025, 7, 10), date(2025, 7, 5))
    return with_judgement(Consolidation(
        period="2025-06",
        as_of=date(2025, 7, 10),
        year=2025,
        schedule_fraction=0.5,
        due_date=date(2025, 7, 5),
        tasks=pd.DataFrame(tasks, columns=list(TASK_COLUMNS)),
        indicators=pd.DataFrame(indicators, columns=list(INDICATOR_COLUMNS)),
        returns=pd.DataFrame(returns, columns=list(RETURN_COLUMNS)),
        flags=pd.DataFrame(flags, columns=list(FLAG_COLUMNS)),
        problems=pd.DataFrame([], columns=PROBLEM_COLUMNS),
        leads=pd.DataFrame([], columns=list(LEAD_COLUMNS)),
        units=pd.DataFrame([], columns=list(UNIT_COLUMNS)),
    ))


def with_judgement(consolidation: Consolidation, rule: NoticeSettings | None = None) -> Consolidation:
    """The per-lead and per-unit tables of a hand-made consolidation: every lead of a task shares its category."""
    tasks = consolidation.tasks
    leads = pd.DataFrame(
        [{"number": t.number, "unit": unit, "category": t.category, "status": t.lead_status, "percent": t.lead_percent,
          "issues": t.lead_issues, "overdue": bool(t.overdue)} for t in tasks.itertuples(index=False) for unit in t.lead_units],
        columns=list(LEAD_COLUMNS),
    )
    returns = consolidation.returns
    missing = sorted(set(leads["unit"]) - set(returns["unit"]))
    extra = pd.DataFrame([{"unit": u, "kind": "区直部门", "task_count": 1, "returned": True, "late": False, "accepted": True,
                           "problem_count": 0, "file": "", "status": "按时报送"} for u in missing], columns=list(RETURN_COLUMNS))
    everyone = pd.concat([returns, extra], ignore_index=True) if missing else returns
    units = unit_table(leads, everyone, consolidation.flags, rule or NoticeSettings())
    return Consolidation(**{**consolidation.__dict__, "leads": leads, "units": units})


@pytest.fixture(scope="module")
def consolidation() -> Consolidation:
    return sample_consolidation()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, consolidation) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("out") / "2025-06"
    paths = write_bulletin(consolidation, out, TEMPLATES, "长清区", reply_by_date(consolidation.as_of))
    return {"out": out, "paths": paths}


def _docx_text(path: Path) -> str:
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(parts)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def _html_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return "".join(parser.parts)


def _form(path: Path) -> dict[str, str]:
    """The 督办单's form as {label: the cell's text} (label column, value column)."""
    table = Document(str(path)).tables[0]
    return {row.cells[0].text.strip(): row.cells[1].text.strip() for row in table.rows}


def _headline(consolidation: Consolidation) -> list[str]:
    """The headline phrases counted straight from the tables, independent of pyxl.outputs.counting."""
    tasks = consolidation.tasks
    phrases = [f"确定重点任务{len(tasks)}项"]
    for category in CATEGORIES:
        count = int((tasks["category"] == category).sum())
        if count:  # no 未启动0项、占0.0% filler
            phrases.append(f"{category}{count}项、占{count / len(tasks) * 100:.1f}%")
    lights = consolidation.indicators["light"]
    counts = [(label, int((lights == light).sum())) for light, label in (("green", "绿灯"), ("yellow", "黄灯"), ("red", "红灯"))]
    phrases.append(f"量化指标{len(lights)}项，其中" + "、".join(f"{label}{n}项" for label, n in counts if n))
    r = consolidation.returns
    accepted = r.accepted.fillna(False).astype(bool)
    late = r.late.fillna(False).astype(bool)
    # after the due date a unit whose return was rejected has not reported either
    # (then 报表被退回 / 逾期未报 / 尚未报送, each only when there is one: no zero filler)
    phrases.append(f"应报送单位{len(r)}个，按时报送{int((accepted & ~late).sum())}个，逾期报送{int((accepted & late).sum())}个")
    return phrases


# ---------------------------------------------------------------- counting


def test_category_counts_follow_the_task_table(consolidation):
    counts = category_counts(consolidation.tasks).set_index("category")
    assert list(counts.index) == list(CATEGORIES)
    assert counts["count"].sum() == len(consolidation.tasks)
    for category, count in consolidation.tasks["category"].value_counts().items():
        assert counts.loc[category, "count"] == count


def _same_cell(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if a is pd.NaT or (isinstance(a, float) and a != a):  # NaT and NaN equal nothing, themselves included
        return a is b or (isinstance(b, float) and b != b)
    return bool(a == b)


def test_records_are_the_rows_itertuples_gives(consolidation):
    # every table of a judgement: text (str) with gaps, numbers with NaN, flags, dates with NaT, lists in object cells
    tables = {name: getattr(consolidation, name) for name in ("tasks", "leads", "indicators", "returns", "flags", "units")}
    tables["odd names"] = pd.DataFrame({"class": ["a", None], "2nd": [1.5, float("nan")], "合计": [1, 2], "due": [pd.Timestamp("2025-06-30"), pd.NaT]})
    for name, table in tables.items():
        expected, got = list(table.itertuples(index=False)), list(records(table))
        assert len(got) == len(expected) and len(got) == len(table), name
        for want, row in zip(expected, got):
            assert type(row)._fields == type(want)._fields, name
            assert all(_same_cell(a, b) for a, b in zip(want, row)), (name, want, row)


def test_unit_table_counts_each_lead_unit_and_sorts_by_total(consolidation):
    table = unit_categories(consolidation.units)
    # task 7 has two lead units: it counts for both
    assert table.loc["区住房城乡建设局", "未启动"] == 1 and table.loc["区住房城乡建设局", "达序时进度"] == 1
    assert table["合计"].sum() == sum(len(units) for units in consolidation.tasks["lead_units"])
    assert list(table["合计"]) == sorted(table["合计"], reverse=True)


def test_key_indicators_are_the_first_section(consolidation):
    keys = list(key_indicators(consolidation)["key"])
    assert keys == ["1-1", "2-1", "3-1", "3-2"]


def test_lagging_items_name_the_unit_and_its_reason(consolidation):
    items = lagging_items(consolidation)
    lagging_tasks = consolidation.tasks[consolidation.tasks["category"] == "欠序时进度"]
    red = consolidation.indicators[consolidation.indicators["light"] == "red"]
    assert len(items) == len(lagging_tasks) + len(red)
    fiscal = items[(items["kind"] == "指标") & (items["key"] == "2-1")].iloc[0]
    assert fiscal["lead_unit"] == "区财政局" and "税源结构单一" in fiscal["issues"]


def test_reply_by_skips_weekends():
    assert reply_by_date(date(2025, 7, 10)) == date(2025, 7, 17)  # Thursday + 5 working days
    assert reply_by_date(date(2025, 7, 12)) == date(2025, 7, 18)  # from a Saturday


def test_notices_only_for_units_the_settings_rule_selects(consolidation):
    # issue_from 督办: a red flag or a lead task 欠序时进度; units with only yellow flags get none
    strict = with_judgement(consolidation, NoticeSettings(issue_from="督办"))
    made = notices(strict, date(2025, 7, 17))
    assert [n.unit for n in made] == ["区财政局", "区卫生健康局", "区工业和信息化局", "区生态环境分局"]
    assert all(n.level == "督办" for n in made)
    # the default (提示) also gives 区发展改革局 (one yellow flag) a 提示 notice: every selected unit gets one
    assert [n.unit for n in notices(consolidation, date(2025, 7, 17))][0] == "区发展改革局"
    industry = made[2]
    assert [i["key"] for i in industry.items] == ["5", "5-1", "4"]  # red first, yellow after


# ---------------------------------------------------------------- rendered files


def test_files_are_written_where_the_office_looks(rendered, consolidation):
    out = rendered["out"]
    expected = {
        out / "督查通报_2025-06.docx",
        out / "督查通报_2025-06.html",
        *(out / "督办单" / f"{unit}{suffix}" for unit in consolidation.units[consolidation.units["notice_level"] != ""]["unit"]
          for suffix in (".docx", "_回执.xlsx")),  # each 督办单 with the 回执 the unit answers in
        out / "督办单" / "督办单清单.csv",
    }
    assert set(rendered["paths"]) == expected
    assert all(path.exists() for path in expected)
    assert not [p for p in out.rglob("*") if p.name.startswith(".~pyxl")]


def test_docx_headline_matches_the_tables(rendered, consolidation):
    text = _docx_text(rendered["out"] / "督查通报_2025-06.docx")
    assert "{{" not in text and "{%" not in text
    for phrase in _headline(consolidation):
        assert phrase in text


def test_html_headline_matches_the_tables(rendered, consolidation):
    text = _html_text(rendered["out"] / "督查通报_2025-06.html")
    for phrase in _headline(consolidation):
        assert phrase in text


def test_docx_key_indicator_table(rendered, consolidation):
    document = Document(str(rendered["out"] / "督查通报_2025-06.docx"))
    table = document.tables[0]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0][:3] == ["序号", "指标", "目标"]
    body = {row[0]: row for row in rows[1:]}
    key = key_indicators(consolidation)
    assert set(body) == set(key["key"])
    assert body["1-1"][2:7] == ["增长6%", "6.5%", "6.3%", "6.0%", "绿灯"]  # percentages to one decimal
    assert body["3-2"][6] == "绿灯（达到力争值）"
    assert body["2-1"][6] == "红灯"


def test_lagging_items_and_units_in_both_outputs(rendered, consolidation):
    docx = _docx_text(rendered["out"] / "督查通报_2025-06.docx")
    html = _html_text(rendered["out"] / "督查通报_2025-06.html")
    for text in (docx, html):
        for task in consolidation.tasks[consolidation.tasks["category"] == "欠序时进度"].itertuples():
            # each lagging task named by its first clause, with its lead unit and the unit's own 存在问题
            lead = "、".join(task.lead_units)
            # a short title, not the whole text (an overdue task is named once, among the overdue ones, with its date)
            assert f"任务{task.number}：{task.short_title}（牵头单位：{lead}）" in text
            assert task.lead_issues in text
        assert "。（" not in text
        assert "未说明" not in text and "未明确" not in text
        # task 5 is past its 完成时限: named once, as overdue, with its date
        assert "任务5：建成5G基站300个（牵头单位：区工业和信息化局），完成时限为2025年6月30日" in text
        assert text.count("任务5：建成5G基站300个（") == 1
        assert "指标5-1：5G基站（牵头单位：区工业和信息化局）" in text
        assert "未报送单位（2个）：区卫生健康局、区生态环境分局。" in text  # rejected and not resent by the due date
        assert "逾期报送单位（1个）：区财政局（2025年7月8日）。" in text
        assert "完成时限为2025年6月30日，已逾期未完成" in text  # task 5, overdue, named with its date


def test_attachment_tables_hold_every_task_and_target(rendered, consolidation):
    document = Document(str(rendered["out"] / "督查通报_2025-06.docx"))
    # tables: key indicators, one per non-empty category, all targets
    category_tables = document.tables[1:-1]
    present = [c for c in CATEGORIES if (consolidation.tasks["category"] == c).any()]
    assert len(category_tables) == len(present)
    for category, table in zip(present, category_tables):
        numbers = [row.cells[0].text for row in table.rows[1:]]
        assert numbers == list(consolidation.tasks.loc[consolidation.tasks["category"] == category, "number"])
    targets = [row.cells[0].text for row in document.tables[-1].rows[1:]]
    assert targets == list(consolidation.indicators["key"])


def test_docx_carries_both_charts(rendered):
    document = Document(str(rendered["out"] / "督查通报_2025-06.docx"))
    images = [rel for rel in document.part.rels.values() if "image" in rel.reltype]
    assert len(images) == 2
    assert all(rel.target_part.blob.startswith(b"\x89PNG") for rel in images)
    html = (rendered["out"] / "督查通报_2025-06.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == 2


def test_notice_lists_the_units_items_and_reply_date(rendered, consolidation):
    text = _docx_text(rendered["out"] / "督办单" / "区工业和信息化局.docx")
    assert "督　办　单" in text
    form = _form(rendered["out"] / "督办单" / "区工业和信息化局.docx")
    assert form["承办单位"] == "区工业和信息化局"
    assert form["办理时限"] == "2025年7月17日前"
    assert "督办级别：督办" in text
    own = consolidation.flags[consolidation.flags["unit"] == "区工业和信息化局"]
    for flag in own.itertuples():
        assert flag.reason in text
    assert "6月30日完工的任务尚未完成" in text and "5G基站" in text
    assert "区财政局" not in text


def test_a_flag_naming_two_lead_units_goes_to_both(tmp_path, consolidation):
    flags = pd.concat(
        [consolidation.flags, pd.DataFrame([{"flag": "任务逾期", "level": "red", "unit": "区交通运输局、区住房城乡建设局", "key": "7", "reason": "道路工程未按期完工。"}])],
        ignore_index=True,
    )
    made = notices(with_judgement(Consolidation(**{**consolidation.__dict__, "flags": flags})), date(2025, 7, 17))
    by_unit = {n.unit: n for n in made}
    assert "区交通运输局、区住房城乡建设局" not in by_unit
    for unit in ("区交通运输局", "区住房城乡建设局"):
        assert [i["key"] for i in by_unit[unit].items] == ["7"]


def test_rerun_drops_a_notice_for_a_unit_no_longer_flagged(tmp_path, consolidation):
    out = tmp_path / "2025-06"
    write_bulletin(consolidation, out, TEMPLATES, "长清区", date(2025, 7, 17))
    assert (out / "督办单" / "区卫生健康局.docx").exists()
    flags = consolidation.flags[consolidation.flags["unit"] != "区卫生健康局"]
    cleared = with_judgement(Consolidation(**{**consolidation.__dict__, "flags": flags}))
    write_bulletin(cleared, out, TEMPLATES, "长清区", date(2025, 7, 17))
    names = sorted(p.name for p in (out / "督办单").iterdir())
    assert "区卫生健康局.docx" not in names and "区财政局.docx" in names


def test_text_from_units_is_escaped(tmp_path, consolidation):
    tasks = consolidation.tasks.copy()
    tasks.loc[1, "lead_issues"] = "<b>资金</b> & 土地"
    changed = Consolidation(**{**consolidation.__dict__, "tasks": tasks})
    out = tmp_path / "2025-06"
    write_bulletin(changed, out, TEMPLATES, "长清区", date(2025, 7, 17))
    assert "<b>资金</b> & 土地" in _docx_text(out / "督查通报_2025-06.docx")
    html = (out / "督查通报_2025-06.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;资金&lt;/b&gt; &amp; 土地" in html and "<b>资金" not in html


# ---------------------------------------------------------------- LibreOffice


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        message = f"{tool} 未安装（Debian：libreoffice-writer-nogui / poppler-utils）"
        if os.environ.get("PYXL_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(message)
        pytest.skip(message)


def _to_pdf(docx: Path, folder: Path) -> Path:
    profile = folder / "lo-profile"
    command = [
        "soffice",
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        "pdf",
        "--outdir",
        str(folder),
        str(docx),
    ]
    target = folder / (docx.stem + ".pdf")
    # A fresh profile's first start may exit (code 81) before converting: start it once more.
    for _ in range(2):
        subprocess.run(command, capture_output=True, timeout=120, env={**os.environ, "LANG": "C.UTF-8"})
        if target.exists():
            return target
    raise AssertionError(f"LibreOffice did not convert {docx}")


@pytest.mark.libreoffice
def test_libreoffice_pdf_shows_the_headline_in_chinese(rendered, consolidation, tmp_path):
    _require("soffice")
    _require("pdftotext")
    pdf = _to_pdf(rendered["out"] / "督查通报_2025-06.docx", tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, timeout=60, check=True).stdout.decode("utf-8")
    flat = re.sub(r"\s+", "", text)
    assert "重点工作推进情况通报" in flat
    for phrase in _headline(consolidation):
        assert phrase.replace(" ", "") in flat
    # keep one rendered page for a person to look at (PYXL_KEEP_RENDER=folder)
    keep = os.environ.get("PYXL_KEEP_RENDER")
    if keep and shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(Path(keep) / "bulletin")], timeout=60, check=True)


def test_wording_reads_like_an_official_document(rendered):
    for text in (_docx_text(rendered["out"] / "督查通报_2025-06.docx"), _html_text(rendered["out"] / "督查通报_2025-06.html")):
        assert "每月2025年" not in text  # a date is not a day of every month
        assert "在规定时限前（本期为2025年7月5日前）报送" in text
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text)


def test_attachment_tables_are_on_landscape_pages(rendered):
    from docx.enum.section import WD_ORIENT

    document = Document(str(rendered["out"] / "督查通报_2025-06.docx"))
    sections = document.sections
    # body, 附件1 (tasks), 附件2 (targets), 附件3 (the units' chart)
    assert [s.orientation for s in sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    assert all(s.page_width > s.page_height for s in sections[1:3])
    # each table's columns fill the text width of its page (a too-narrow 序号 column wraps 14-1 over two lines)
    for table, section in ((document.tables[0], sections[0]), (document.tables[-1], sections[2])):
        text_width = section.page_width - section.left_margin - section.right_margin
        grid = sum(column.width for column in table.columns)
        assert abs(grid - text_width) < 36000  # 1 mm


def test_notice_lists_lagging_tasks_numbered_with_official_dates(tmp_path, consolidation):
    tasks = consolidation.tasks.copy()
    # the 区财政局 also leads task 3, now lagging, which no flag names
    tasks.loc[tasks["number"] == "3", "category"] = "欠序时进度"
    tasks.loc[tasks["number"] == "3", "lead_issues"] = "项目储备不足。"
    tasks.loc[tasks["number"] == "3", "lead_percent"] = 40
    tasks["lead_units"] = [["区财政局"] if n == "3" else units for n, units in zip(tasks["number"], tasks["lead_units"])]
    flags = consolidation.flags.copy()
    flags.loc[flags["key"] == "2-1", "reason"] = "截至 2025-07-08 低于目标，见「指标进度」。"
    changed = with_judgement(Consolidation(**{**consolidation.__dict__, "tasks": tasks, "flags": flags}))
    fiscal = {n.unit: n for n in notices(changed, date(2025, 7, 17))}["区财政局"]
    assert [(i["flag"], i["key"]) for i in fiscal.items] == [("指标滞后", "2-1"), ("欠序时进度", "2"), ("欠序时进度", "3")]
    assert fiscal.items[0]["subject"] == "指标2-1：一般公共预算收入"
    assert fiscal.items[2]["subject"] == "任务3：固定资产投资增长8%"
    assert fiscal.items[2]["reason"] == "完成进度40.0%，低于序时进度50.0%。存在问题：项目储备不足。"
    assert fiscal.items[0]["reason"] == "截至2025年7月8日低于目标，见“指标进度”。"  # spaced as Chinese text is
    # a lagging task a flag already names is not listed twice
    industry = {n.unit: n for n in notices(changed, date(2025, 7, 17))}["区工业和信息化局"]
    assert [i["key"] for i in industry.items] == ["5", "5-1", "4"]

    out = tmp_path / "2025-06"
    write_bulletin(changed, out, TEMPLATES, "长清区", date(2025, 7, 17))
    items = _form(out / "督办单" / "区财政局.docx")["督办事项"]
    assert re.findall(r"^(\d+)\. (任务|指标)([\d-]+)", items, re.MULTILINE) == [("1", "指标", "2-1"), ("2", "任务", "2"), ("3", "任务", "3")]


@pytest.mark.libreoffice
def test_libreoffice_notice_with_seven_items_is_one_page(tmp_path, consolidation):
    """The demo's busiest 督办单 (区发展改革局 late in the year): three overdue tasks, a long lagging one, three targets."""
    _require("soffice")
    _require("pdfinfo")
    clause = "加快重点项目建设，推动细胞与基因药谷项目6月份竣工投入使用，鲁澳大健康科技园二期开工建设。"  # 45 characters
    texts = {"1": clause, "3": clause + "发挥基金招商作用。", "7": clause + "精准对接、定向招引。", "11": clause * 3}
    tasks = consolidation.tasks.assign(text=[texts.get(n, t) for n, t in zip(consolidation.tasks["number"], consolidation.tasks["text"])])
    tasks["lead_units"] = [["区发展改革局"] if n in texts else u for n, u in zip(tasks["number"], tasks["lead_units"])]
    overdue = "完成时限 2025-06-30 已过，任务尚未完成，目前为「欠序时进度」。"
    conflict = "建成新能源充电桩：区发展改革局报 280个，区住房城乡建设局报 336个，相差超过 5%，请核实。"
    rows = [{"flag": "任务逾期", "level": "red", "unit": "区发展改革局", "key": k, "reason": overdue} for k in ("1", "3", "7")]
    rows += [{"flag": "数据待核实", "level": "yellow", "unit": "区发展改革局", "key": k, "reason": conflict} for k in ("1-1", "3-1", "3-2")]
    busy = with_judgement(Consolidation(**{**consolidation.__dict__, "tasks": tasks, "flags": pd.DataFrame(rows, columns=list(FLAG_COLUMNS))}))
    out = tmp_path / "2025-06"
    write_bulletin(busy, out, TEMPLATES, "长清区", date(2025, 7, 17))
    assert len(notices(busy, date(2025, 7, 17))[0].items) == 7  # task 11 lags too
    pdf = _to_pdf(out / "督办单" / "区发展改革局.docx", tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, timeout=60, check=True).stdout.decode("utf-8")
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE), info


def test_stretch_beyond_a_value_reads_chaoguo_in_the_indicator_table():
    plain = _indicator("1-1", "地区生产总值", "growth", 5.6, "%", 5.7, 5.6, "green", "区发展改革局", stretch=6.0)
    beyond = {**_indicator("2-1", "一般公共预算收入", "growth", 5.6, "%", 5.7, 5.6, "green", "区财政局", stretch=5.6),
              "stretch_exceeds": True}
    rows = list(pd.DataFrame([plain, beyond]).itertuples(index=False))
    assert _indicator_row(rows[0])["stretch"] == "6%"
    assert _indicator_row(rows[1])["stretch"] == "超过5.6%"
