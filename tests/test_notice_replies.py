"""The 督办单 comes back: 回执 answered (in time, late, never), the caught-up light, each task's history — month by month."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from clerk import FillJob, fill_workbooks, require_libreoffice
from pyxl import pipeline
from pyxl.common.model import HISTORY_COLUMNS, INDICATOR_COLUMNS
from pyxl.common.period import Period
from pyxl.demo.clerk import UnitScript, fill_unit_workbook
from pyxl.distribution import notice_reply
from pyxl.judgement.escalation import CAUGHT_UP_REASON, caught_up_lights
from pyxl.judgement.history import Month, task_history
from pyxl.workspace import Workspace

SILENT = "区民政局"  # never sends its monthly sheet: a 督办单 every month
REPORTER = "区财政局"  # reports in June (behind) and July (on pace); leads indicator 2-1


def _reply_cells(path: Path, answers: list[tuple[str, str, date]], head: str) -> dict[str, object]:
    """What a unit head types into a 回执: each item's 办理结果, 整改措施, 完成时间, then the footer."""
    book = load_workbook(path, read_only=True)
    ident = {row[0]: row[1] for row in book["pyxl_id"].iter_rows(values_only=True)}
    keys = ident["行键"].split(",")
    first = notice_reply.HEADER_ROW + 1
    cells: dict[str, object] = {}
    for offset in range(len(keys)):
        result, measures, when = answers[min(offset, len(answers) - 1)]
        cells.update({f"C{first + offset}": result, f"D{first + offset}": measures, f"E{first + offset}": when})
    footer = first + len(keys) + 1
    cells.update({f"B{footer}": "李华", f"D{footer}": head, f"B{footer + 1}": "0531-87654321"})
    return cells


def _answered(judged, unit: str) -> tuple[str, float] | None:
    replies = judged.replies.set_index("unit")
    if unit not in replies.index:
        return None
    return replies.loc[unit, "state"], float(judged.scores.set_index("unit").loc[unit, "notices"])


@pytest.mark.libreoffice
def test_four_months_of_notices_answered_in_time_late_and_never(settings, tmp_path):
    require_libreoffice()
    pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 4, 1, 9))
    workspace = Workspace.load(settings)
    months = [Period(2025, m) for m in (4, 5, 6, 7)]
    targets = {t.target_key(i): x for t in workspace.duty.tasks for i, x in enumerate(t.targets)}
    settings.inbox_dir.mkdir(exist_ok=True)
    judged, reply_by = {}, {}

    def report(period: Period):
        as_of = period.next().first_day.replace(day=10)
        judged[period.month] = pipeline.write_report(workspace, period, as_of=as_of).data
        notices = settings.out_dir(period) / "督办单"
        listed = pd.read_csv(notices / "督办单清单.csv", encoding="utf-8-sig", dtype=str).set_index("单位")
        reply_by[period.month] = date.fromisoformat(listed.loc[SILENT, "回复期限"])
        return notices / f"{SILENT}_回执.xlsx"

    def send_in(period: Period, pace: float, status: str, day: datetime):
        pipeline.split_sheets(workspace, period, units=[REPORTER])
        sheet = next(settings.distribution_dir(period).glob(f"*{REPORTER}*.xlsx"))
        filled = tmp_path / f"{period}_{sheet.name}"
        fill_unit_workbook(sheet, filled, UnitScript(pace=pace, status=status, filled_date=day.date().isoformat()), targets,
                           period.schedule_fraction(2025), random.Random(1), day)
        pipeline.collect_returns(workspace, period, [filled], now=day)

    def answer(blank: Path, name: str, head: str = "王主任") -> Path:
        filled = tmp_path / name
        fill_workbooks([FillJob(blank, _reply_cells(blank, [
            ("已召集专题会议，明确专人负责，本月起按时报送", "建立月初提醒、月中调度机制", date(2025, 9, 30))], head), [filled])])
        return filled

    # ---- April: nobody reports; every unit gets a 督办单 with its 回执
    april_reply = report(months[0])
    assert april_reply.is_file() and judged[4].replies.empty  # no March 督办单: nothing to answer yet
    book = load_workbook(april_reply)
    sheet = book["督办回执"]
    assert sheet.protection.sheet and sheet["B6"].protection.locked and not sheet["C6"].protection.locked
    assert not sheet["E6"].protection.locked and any(v.type == "date" for v in sheet.data_validations.dataValidation)
    assert book["pyxl_id"].sheet_state == "hidden" and book["pyxl_id"]["B1"].value == "督办回执"
    assert f"回复期限：{reply_by[4].year}年{reply_by[4].month}月{reply_by[4].day}日前" in sheet["A3"].value

    # ---- May: 区民政局's head answers April's 督办单 in time (collected with May's returns)
    filled = answer(april_reply, "四月回执.xlsx")
    collected = pipeline.collect_returns(workspace, months[1], [filled], now=datetime.combine(reply_by[4], datetime.min.time()).replace(hour=15))
    assert [(r.unit, r.period, r.accepted) for r in collected.data] == [] and not collected.problems
    assert any("督办单回执 1 份，已登记 1 份" in line for line in collected.summary)
    may_reply = report(months[1])
    assert _answered(judged[5], SILENT) == ("按时回复", 0.0)
    assert judged[5].replies.set_index("unit").loc[SILENT, "signed_by"] == "王主任"
    assert "完成时间：2025年9月30日" in judged[5].replies.set_index("unit").loc[SILENT, "answers"]
    # every other unit with an April 督办单 sent nothing back: 逾期未回复, and its score says so
    assert _answered(judged[5], "区水务局") == ("逾期未回复", 5.0)
    assert "督办单逾期未回复（-5）" in judged[5].scores.set_index("unit").loc["区水务局", "reasons"]

    # ---- June: May's 督办单 answered three days late; 区财政局 reports, its indicator red
    late = answer(may_reply, "五月回执.xlsx")
    pipeline.collect_returns(workspace, months[2], [late],
                             now=datetime.combine(reply_by[5] + timedelta(days=3), datetime.min.time()).replace(hour=9))
    send_in(months[2], 0.4, "滞后", datetime(2025, 7, 3, 10))
    june_reply = report(months[2])
    assert _answered(judged[6], SILENT) == ("逾期回复", 5.0)
    assert "督办单逾期回复（-5）" in judged[6].scores.set_index("unit").loc[SILENT, "reasons"]
    assert judged[6].indicators.set_index("key").loc["2-1", "light"] == "red"

    # ---- July: June's 回执 comes back forged (an item's words changed): not taken, so June's 督办单 stays unanswered
    forged = tmp_path / "六月回执.xlsx"
    book = load_workbook(june_reply)
    book["督办回执"]["B6"] = "（已删除此项）"
    book["督办回执"]["C6"] = "已整改"
    book.save(forged)
    got = pipeline.collect_returns(workspace, months[3], [forged], now=datetime(2025, 7, 14, 9))
    assert [(p.cell, p.code) for p in got.problems] == [("B6", "reply-forged")]
    send_in(months[3], 1.0, "按计划推进", datetime(2025, 8, 2, 10))
    report(months[3])
    row = judged[7].replies.set_index("unit").loc[SILENT]
    assert row["state"] == "逾期未回复" and "有误未采用" in row["note"]
    assert judged[7].scores.set_index("unit").loc[SILENT, "notices"] == 5
    # the ledger records each reply under its 督办单's period, whichever month it arrived in
    ledger = (settings.returns_dir(months[1]) / "回收记录.csv").read_text(encoding="utf-8-sig")
    assert f"{SILENT},2025-04," in ledger and "督办回执" in ledger

    # the 通报 says how last month's 督办单 were answered; the summary carries the 督办回执 and 任务历程 sheets
    from docx import Document

    bulletin = "\n".join(p.text for p in Document(str(settings.out_dir(months[3]) / "督查通报_2025-07.docx")).paragraphs)
    assert "2025年6月督办单" in bulletin and "逾期未回复" in bulletin and SILENT in bulletin
    notice = Document(str(settings.out_dir(months[3]) / "督办单" / f"{SILENT}.docx"))
    form = "\n".join(c.text for t in notice.tables for r in t.rows for c in r.cells)
    assert f"{SILENT}_回执.xlsx" in form
    # July's 督办单 reminds it of June's, still unanswered
    assert f"2025年6月督办单（{judged[7].replies.set_index('unit').loc[SILENT, 'number']}）（督办单逾期未回复）" in form
    summary = load_workbook(settings.out_dir(months[3]) / "汇总_2025-07.xlsx", read_only=True)
    assert {"督办回执", "任务历程"} <= set(summary.sheetnames)

    # ---- each task's history: 区财政局's task 2 month by month, in the sheet and on its page
    history = judged[7].history
    task = history[history["number"] == "2"]
    assert list(task["period"]) == ["2025-04", "2025-05", "2025-06", "2025-07"]
    assert list(task["category"])[:2] == ["未报送", "未报送"] and list(task["lights"])[2] == "2-1红"
    assert list(task["lead_status"])[2:] == ["滞后", "按计划推进"]
    # April and May the unit's whole return was missing (未报送, no item of this task); June its indicator lags first
    assert list(task["notice_level"])[:3] == ["", "", "提示（区财政局）"]
    page = (settings.out_dir(months[3]) / "任务历程" / "任务_2.html").read_text(encoding="utf-8")
    assert page.count("<tr>") == 5 and "2025年4月" in page and "2025年7月" in page and "http" not in page
    index = (settings.out_dir(months[3]) / "任务历程" / "index.html").read_text(encoding="utf-8")
    assert 'href="任务_2.html"' in index

    # ---- the caught-up rule: 2-1 was red in June and is green in July; an office that sets it sees yellow
    assert judged[7].indicators.set_index("key").loc["2-1", "light"] == "green"  # default: today's rule
    strict = settings.model_copy(update={"thresholds": settings.thresholds.model_copy(update={"caught_up_light": "yellow"})})
    july = pipeline.consolidate_period(Workspace.load(strict), months[3], as_of=date(2025, 8, 10)).data
    caught = july.indicators.set_index("key").loc["2-1"]
    assert caught["light"] == "yellow" and caught["reason"].startswith(CAUGHT_UP_REASON)
    others = july.indicators[july.indicators["key"] != "2-1"].reset_index(drop=True)
    assert others.equals(judged[7].indicators[judged[7].indicators["key"] != "2-1"].reset_index(drop=True))


def test_the_caught_up_rule_turns_only_last_months_reds_that_are_green_now():
    indicators = pd.DataFrame([
        {"key": "1-1", "light": "green", "reason": "完成序时目标"},
        {"key": "1-2", "light": "green", "reason": ""},
        {"key": "1-3", "light": "red", "reason": "低于序时目标"},
        {"key": "1-4", "light": "yellow", "reason": ""},
    ], columns=list(INDICATOR_COLUMNS))
    got = caught_up_lights(indicators, {"1-1": "red", "1-2": "green", "1-3": "red", "1-4": "red"})
    assert list(got["light"]) == ["yellow", "green", "red", "yellow"]
    assert got.loc[0, "reason"] == f"{CAUGHT_UP_REASON}；完成序时目标" and got.loc[3, "reason"] == ""
    assert caught_up_lights(indicators, {}).equals(indicators)


def test_a_tasks_history_carries_its_events_and_the_highest_level():
    def tasks(category):
        return pd.DataFrame([{"number": "42", "short_title": "老旧小区改造", "category": category, "lead_percent": 30.0,
                              "expected_percent": 50.0, "lead_units": "区住建局", "lead_progress": "<b>已开工</b>"}])

    ladder = ("提示", "督办", "约谈建议")
    escalation = pd.DataFrame([{"unit": "区住建局", "key": "42", "step": "督办"}, {"unit": "区财政局", "key": "42-1", "step": "提示"}])
    empty = pd.DataFrame(columns=["unit", "key", "step"])
    indicators = pd.DataFrame([{"key": "42-1", "task_number": "42", "light": "red"}])
    months = [Month("2025-03", tasks("欠序时进度"), indicators, escalation),
              Month("2025-04", tasks("达序时进度"), indicators.assign(light="green"), empty)]
    events = {("42", "2025-04"): ["延期至2025年9月30日（同意）"]}
    got = task_history(months, events, ladder)
    assert list(got.columns) == list(HISTORY_COLUMNS)
    assert list(got["notice_level"]) == ["督办（区住建局）", ""] and list(got["lights"]) == ["42-1红", "42-1绿"]
    assert list(got["events"]) == ["", "延期至2025年9月30日（同意）"]


def test_history_pages_escape_what_units_wrote(tmp_path):
    from pyxl.outputs.history_pages import write_history_pages
    from test_accountability import _consolidation, _flags

    consolidation = _consolidation([], [], [], _flags())
    consolidation.history = pd.DataFrame([{
        "number": "7", "short_title": "<script>alert(1)</script>", "period": "2025-06", "category": "欠序时进度", "lead_status": "滞后",
        "lead_percent": 40.0, "expected_percent": 50.0, "lights": "", "notice_level": "", "events": "销号",
        "lead_units": "区水务局", "lead_progress": '<img src="http://x/y.png">',
    }], columns=list(HISTORY_COLUMNS))
    written = write_history_pages(consolidation, tmp_path, Path(__file__).parent.parent / "templates" / "report" / "task_history.html.j2")
    page = (tmp_path / "任务历程" / "任务_7.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page and "<img" not in page
    # the page's own style sheet is CSS as written (a <style> element's text is never unescaped by a browser)
    for name in ("任务_7.html", "index.html"):
        style = (tmp_path / "任务历程" / name).read_text(encoding="utf-8").split("<style>")[1].split("</style>")[0]
        assert '"Noto Sans CJK SC"' in style and "&#34;" not in style and "&quot;" not in style
    assert [p.name for p in written] == ["index.html", "任务_7.html"]


def test_a_reply_on_the_last_day_is_in_time_and_a_rejected_one_does_not_count():
    from pyxl.common.problems import problem
    from pyxl.judgement.notices import late_or_missing, reply_sentence, reply_table
    from pyxl.returns.replies import REPLY_EMPTY, NoticeReply

    def reply(unit, when, broken=False):
        made = NoticeReply(unit=unit, period="2025-06", number="督办〔2025〕6-01号", reply_by=date(2025, 7, 17), file="f",
                           source="s", sha256=unit + str(when), received=when)
        if broken:
            made.problems.append(problem(REPLY_EMPTY, "空", file="s"))
        return made

    issued = [{"unit": u, "number": f"督办〔2025〕6-0{i}号", "level": "督办", "reply_by": date(2025, 7, 17)}
              for i, u in enumerate(["甲局", "乙局", "丙局", "丁局"], start=1)]
    got = reply_table(issued, [reply("甲局", datetime(2025, 7, 17, 23, 59)), reply("乙局", datetime(2025, 7, 18, 0, 1)),
                               reply("丙局", datetime(2025, 7, 16, 9), broken=True)], date(2025, 8, 10), "2025-06")
    assert list(got["state"]) == ["按时回复", "逾期回复", "逾期未回复", "逾期未回复"]
    assert late_or_missing(got) == {"乙局": "督办单逾期回复", "丙局": "督办单逾期未回复", "丁局": "督办单逾期未回复"}
    assert "有误未采用" in got.loc[2, "note"] and got.loc[3, "note"] == ""
    assert reply_sentence(got) == "2025年6月督办单4份，按时回复1份，逾期回复1份（乙局），逾期未回复2份（丙局、丁局）。"
    early = reply_table(issued[3:], [], date(2025, 7, 17), "2025-06")  # the reply-by day itself: not yet overdue
    assert list(early["state"]) == ["未到回复期限"] and late_or_missing(early) == {}


def test_the_list_of_notices_issued_reads_back_and_a_missing_one_is_empty(tmp_path):
    from pyxl.outputs.notices import NOTICE_LIST, _notice_list_text, read_notice_list

    (tmp_path / NOTICE_LIST).write_text(_notice_list_text([["区水务局", "督办〔2025〕6-01号", "督办", "2025-07-17", "2", "区水务局.docx",
                                                           "区水务局_回执.xlsx"], ["区商务局", "x", "提示", "不是日期", "1", "", ""]]),
                                        encoding="utf-8-sig")
    assert read_notice_list(tmp_path) == [
        {"unit": "区水务局", "number": "督办〔2025〕6-01号", "level": "督办", "reply_by": date(2025, 7, 17), "items": 2}]
    assert read_notice_list(tmp_path / "没有") == []
