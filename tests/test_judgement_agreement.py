"""One judgement per period: every output of a month agrees with it and with the others.

Runs the demo month (and a month seeded differently), then reads what a person reads —
the 通报 DOCX (python-docx), the summary workbook, the dashboard tables, the 督办单 and the
problems CSV — and checks that every count and label appearing in more than one of them
agrees, and the rules of README「序时进度、灯号与预警」on the demo's own defects.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from pyxl.common.model import CATEGORIES
from pyxl.demo.run import DEMO_SEED, run_demo
from pyxl.outputs.dashboard import TABLE_CATEGORIES, TABLE_UNITS, dashboard_tables

COUNT_UNITS = "条所个处家人张名"
# 2.5所, 1207.5个泊位 — but 0.9个百分点 is a gap in points, not a count
FRACTIONAL_COUNT = re.compile(rf"\d+\.\d+(?:[{COUNT_UNITS.replace('个', '')}]|个(?!百分点))")


def _docx_text(path: Path) -> str:
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


@pytest.fixture(scope="module", params=[DEMO_SEED, DEMO_SEED + 17], ids=["demo", "reseeded"])
def month(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"month{request.param}")
    result = run_demo(folder, seed=request.param)
    out = folder / "out" / "2025-06"
    return result, out


def test_counts_agree_across_bulletin_summary_dashboard_and_notices(month):
    result, out = month
    c = result.data
    bulletin = _docx_text(out / "督查通报_2025-06.docx")
    book = openpyxl.load_workbook(out / "汇总_2025-06.xlsx")
    # categories: the summary's 任务进度, the bulletin's headline and the dashboard table
    sheet = book["任务进度"]
    column = [cell.value for cell in sheet[1]].index("类别")
    summary_counts = {name: 0 for name in CATEGORIES}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        summary_counts[row[column]] += 1
    tables = dashboard_tables(c)
    assert dict(zip(tables[TABLE_CATEGORIES]["类别"], tables[TABLE_CATEGORIES]["任务数"])) == summary_counts
    html = re.sub(r"<[^>]+>", "", (out / "督查通报_2025-06.html").read_text(encoding="utf-8"))
    for name, count in summary_counts.items():
        if count:
            assert f"{name}{count}项、占{count / len(c.tasks) * 100:.1f}%" in bulletin
            assert f"{name}{count}项、占{count / len(c.tasks) * 100:.1f}%" in html
        else:
            assert f"{name}0项" not in bulletin  # no zero filler
    # units: the dashboard's per-unit table is the summary's 单位情况, each unit credited with its own reports
    units_sheet = book["单位情况"]
    headers = [cell.value for cell in units_sheet[1]]
    by_unit = {row[0]: dict(zip(headers, row)) for row in units_sheet.iter_rows(min_row=2, values_only=True)}
    for row in tables[TABLE_UNITS].itertuples(index=False):
        record = row._asdict()
        for category in CATEGORIES:
            assert record[category] == by_unit[record["单位"]][category]
    # 督办单: exactly the units the judgement selects, at its level
    notices = {p.stem for p in (out / "督办单").glob("*.docx")}
    assert notices == {unit for unit, row in by_unit.items() if row["督办级别"]}
    # returns: the bulletin's sentence counts the summary's 回收情况 states
    states = [row[[cell.value for cell in book["回收情况"][1]].index("报送状态")]
              for row in book["回收情况"].iter_rows(min_row=2, values_only=True)]
    on_time = states.count("按时报送")
    assert f"按时报送{on_time}个" in bulletin
    # problems: the 问题 sheet, the problems CSV and the demo's message
    sheet_rows = book["问题"].max_row - 1
    with open(out / "回收问题_2025-06.csv", encoding="utf-8-sig") as handle:
        csv_rows = len(list(csv.reader(handle))) - 1
    message = next(line for line in result.summary if line.startswith("发现问题"))
    assert sheet_rows == csv_rows == len(c.problems) == int(re.search(r"\d+", message).group())


def test_what_people_read_has_no_fractional_counts_symbols_or_filler(month):
    _, out = month
    texts = [_docx_text(out / "督查通报_2025-06.docx")] + [_docx_text(p) for p in (out / "督办单").glob("*.docx")]
    html = (out / "督查通报_2025-06.html").read_text(encoding="utf-8")
    for text in texts + [html]:
        assert not FRACTIONAL_COUNT.search(text), FRACTIONAL_COUNT.search(text)
        assert ">=" not in text.replace("&gt;=", ">=").split("<body>")[-1] if "<body>" in text else ">=" not in text
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text.split("<body>")[-1])
        assert not re.search(r"\d+\.\d{2,}%", text), re.search(r"\d+\.\d{2,}%", text)  # one decimal
    book = openpyxl.load_workbook(out / "汇总_2025-06.xlsx")
    comparators = {row[4] for row in book["指标进度"].iter_rows(min_row=2, values_only=True)}
    assert comparators <= {"不低于", "不超过", "达到"}
    files = [row[8] for row in book["回收情况"].iter_rows(min_row=2, values_only=True) if row[8]]
    assert files and not any("/" in name or "returns" in name for name in files)



@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    result = run_demo(folder)
    return result.data, folder / "out" / "2025-06"


def test_rejected_return_names_the_cell_and_is_not_counted_on_time(demo):
    c, out = demo
    hr = "区人力资源社会保障局"
    state = c.returns.set_index("unit").loc[hr, "status"]
    assert state == "逾期未报"  # the due date has passed without a return that could be used
    notice = _docx_text(out / "督办单" / f"{hr}.docx")
    assert "G7" in notice and "本期完成值" in notice
    bulletin = _docx_text(out / "督查通报_2025-06.docx")
    on_time = int((c.returns["status"] == "按时报送").sum())
    assert f"按时报送{on_time}个" in bulletin


def test_a_silent_lead_keeps_a_task_from_being_done_and_gets_no_credit(demo):
    c, out = demo
    silent = "区民政局"
    own = c.leads[c.leads["unit"] == silent]
    assert len(own) and set(own["category"]) == {"未报送"}
    for number in own["number"]:
        assert c.tasks.set_index("number").loc[number, "category"] == "未报送"
    table = dashboard_tables(c)[TABLE_UNITS].set_index("单位")
    assert table.loc[silent, "未报送"] == table.loc[silent, "合计"]


def test_overdue_task_is_named_in_the_bulletin_with_its_date(demo):
    c, out = demo
    bulletin = _docx_text(out / "督查通报_2025-06.docx")
    overdue = c.tasks[c.tasks["overdue"]]
    assert len(overdue)
    for task in overdue.itertuples(index=False):
        assert f"任务{task.number}：" in bulletin
        assert f"完成时限为{task.deadline.year}年{task.deadline.month}月{task.deadline.day}日，已逾期" in bulletin


def test_a_contested_figure_has_no_light_and_is_in_each_units_notice_once(demo):
    c, out = demo
    row = c.indicators.set_index("key").loc["42-1"]
    assert row["light"] == "disputed"
    for unit in ("区交通运输局", "区住房城乡建设局"):
        notice = _docx_text(out / "督办单" / f"{unit}.docx")
        assert notice.count("指标42-1") == 1
        assert "区交通运输局报" in notice and "区住房城乡建设局报" in notice


def test_units_behind_on_every_lead_task_get_a_notice(demo):
    c, out = demo
    levels = c.units.set_index("unit")["notice_level"]
    for unit in ("区财政局", "区文化和旅游局"):
        assert levels[unit] == "约谈建议"
        assert (out / "督办单" / f"{unit}.docx").exists()
