"""A task's life over five months through the real CLI, with the LibreOffice clerk filling the sheets.

April: 区投资促进局 asks in its sheet to move task 8 (6月份竣工) to 2025-09-30; 区住房城乡建设局 asks
for task 21; 大学城管委会 types 三季度 where a date belongs. The office lists the requests and decides
with `pyxl decide` (approve in May, refuse in May). May: the sheet and the judgement use the new
deadline, the refusal is answered in the reminder and the 通报 lists the adjustment. June: both leads
report 已完成 → 待销号. July: `pyxl close` → 已销号, gone from the next sheets, never flagged.
August: 撤销销号 brings it back.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from clerk import FillJob, fill_workbooks, require_libreoffice
from openpyxl.utils import get_column_letter

from pyxl import cli
from pyxl.common import life
from pyxl.common.period import Period
from pyxl.distribution import layout
from pyxl.master import rows as master
from pyxl.workspace import Workspace

INVEST, CAMPUS, HOUSING = "区投资促进局", "大学城管委会", "区住房城乡建设局"


def _sheet(settings, period: str, unit: str) -> Path:
    return next(settings.distribution_dir(period).glob(f"*_{unit}.xlsx"))


def _layout(path: Path) -> tuple[openpyxl.worksheet.worksheet.Worksheet, dict[str, int], dict[str, int]]:
    """(sheet, 序号 → Excel row, column title → column number) of a unit's workbook."""
    book = openpyxl.load_workbook(path)
    ident = {layout.cell_text(r[0]): layout.cell_text(r[1]) for r in book[layout.IDENTITY_SHEET].iter_rows(values_only=True)}
    sheet = book[ident[layout.ID_SHEET]]
    header = int(ident[layout.ID_HEADER_ROW])
    keys = ident[layout.ID_KEYS].split(layout.KEY_SEPARATOR)
    columns = {layout.cell_text(c.value): c.column for c in sheet[header] if c.value}
    return sheet, {k: header + 1 + i for i, k in enumerate(keys)}, columns


def _job(path: Path, out: Path, status: str, percent: float, requests: dict[str, tuple[object, str]] | None = None,
         evidence: dict[str, str] | None = None) -> FillJob:
    """What a unit clerk types: every row it is asked, a request (date, reason) on some task rows, evidence named on some."""
    sheet, rows, columns = _layout(path)
    typed: dict[str, object] = {}

    def put(title: str, row: int, value: object) -> None:
        if not sheet.cell(row, columns[title]).protection.locked:  # only what the sheet asks
            typed[f"{get_column_letter(columns[title])}{row}"] = value

    for key, row in rows.items():
        put("状态", row, status)
        put("完成进度(%)", row, 100.0 if status == "已完成" else percent)
        put("进展情况", row, "按节点推进。" if status != "已完成" else "已竣工投用。")
        if "-" in key:
            put("本期完成值", row, 1.0)
    for key, (day, reason) in (requests or {}).items():
        assert not sheet.cell(rows[key], columns["申请新完成时限"]).protection.locked
        typed[f"{get_column_letter(columns['申请新完成时限'])}{rows[key]}"] = day
        typed[f"{get_column_letter(columns['申请理由'])}{rows[key]}"] = reason
    for key, named in (evidence or {}).items():
        put("佐证材料", rows[key], named)
    return FillJob(path, typed, [out])


def _mail_with_evidence(sender: str, received: str, sheet: Path, evidence: dict[str, bytes]) -> bytes:
    """The unit's e-mail: its filled sheet and, in the same message, the evidence files its rows name."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "duchashi@changqing.example", "6月报表及佐证材料"
    message["Date"] = received
    message.set_content("附件是本单位6月报表和佐证材料。")
    message.add_attachment(sheet.read_bytes(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=sheet.name)
    for name, data in evidence.items():
        message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return message.as_bytes()


def _run(config: Path, *args: str) -> int:
    return cli.main(["--config", str(config), *args])


@pytest.mark.libreoffice
def test_extension_refusal_closure_and_undo_over_five_months(settings, tmp_path, capsys):
    require_libreoffice()
    config = settings.root / "config.yaml"
    assert _run(config, "build-workbook") == 0
    filled = tmp_path / "filled"
    filled.mkdir()
    units = ["--unit", INVEST, "--unit", CAMPUS, "--unit", HOUSING]

    # ---- April: three requests typed by the clerks in LibreOffice
    assert _run(config, "split", "--period", "2025-04", *units) == 0
    fill_workbooks([
        _job(_sheet(settings, "2025-04", INVEST), filled / "04a.xlsx", "按计划推进", 40.0,
             {"8": (date(2025, 9, 30), "征地拆迁尚未完成，主体工程顺延。")}),
        _job(_sheet(settings, "2025-04", CAMPUS), filled / "04b.xlsx", "按计划推进", 40.0, {"8": ("三季度", "同上")}),
        _job(_sheet(settings, "2025-04", HOUSING), filled / "04c.xlsx", "按计划推进", 30.0,
             {"21": (date(2026, 6, 30), "资金未到位。")}),
    ])
    capsys.readouterr()
    _run(config, "collect", "--period", "2025-04", str(filled / "04a.xlsx"), str(filled / "04b.xlsx"), str(filled / "04c.xlsx"))
    said = capsys.readouterr().out
    assert "本期延期申请 2 项" in said and "区投资促进局 第8项：申请延期至2025年9月30日" in said
    _, campus_rows, campus_columns = _layout(_sheet(settings, "2025-04", CAMPUS))
    problems = Workspace.load(settings).settings.out_dir("2025-04") / "回收问题_2025-04.csv"
    text = problems.read_text(encoding="utf-8-sig")
    where = f"{get_column_letter(campus_columns['申请新完成时限'])}{campus_rows['8']}"
    assert "request-date-invalid" in text and where in text  # the problem sits on the cell; the return is still used

    # the office lists the requests in 申请审批 and decides with the command (the ribbon button runs the same function)
    assert _run(config, "decide", "--period", "2025-04") == 1  # requests wait for a decision
    assert _run(config, "decide", "--period", "2025-04", "--task", "8", "--approve", "--date", "2025-05-08") == 1  # 21 still waits
    assert _run(config, "decide", "--period", "2025-04", "--task", "21", "--refuse", "--date", "2025-05-09",
                "--note", "项目资金已落实") == 0
    saved = master.read_master(settings.workbook_path)
    decided, problems_in_master = saved.task_life()
    assert problems_in_master == []
    got = {(c.task, c.unit): (c.result, c.granted, c.decided) for c in decided.changes}
    assert got == {("8", INVEST): ("同意", date(2025, 9, 30), date(2025, 5, 8)),
                   ("21", HOUSING): ("不同意", None, date(2025, 5, 9))}
    assert len(saved.rows(master.SHEET_REQUESTS)) == 3  # the header and the two requests, listed once
    # a rebuild of the master keeps the decisions
    assert _run(config, "build-workbook", "--force") == 0
    assert master.read_master(settings.workbook_path).task_life()[0] == decided

    # April's judgement keeps April's deadline: the decision counts from May
    assert _run(config, "consolidate", "--period", "2025-04", "--as-of", "2025-05-10") == 1  # flags
    april = _judged(settings, "2025-04", date(2025, 5, 10))
    assert april.tasks.set_index("number").loc["8", "expected_percent"] == pytest.approx(66.67)

    # ---- May: the sheet shows the new deadline, the judgement uses it, the refusal is answered
    assert _run(config, "split", "--period", "2025-05", *units) == 0
    sheet, rows, columns = _layout(_sheet(settings, "2025-05", INVEST))
    assert sheet.cell(rows["8"], columns["完成时限"]).value == "2025年9月30日（原6月份竣工，已延期）"
    # the refusal goes out with 区住房城乡建设局's May sheet too
    _run(config, "send", "--period", "2025-05", "--dry-run", "--unit", HOUSING)
    draft = next((settings.out_dir("2025-05") / "outbox").glob(f"分发*{HOUSING}*.eml"))
    body = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default).get_body(("plain",)).get_content()
    assert "第21项任务申请延期至2026年6月30日，督查室2025年5月9日审核不同意" in body
    fill_workbooks([_job(_sheet(settings, "2025-05", u), filled / f"05{i}.xlsx", "按计划推进", 56.0)
                    for i, u in enumerate((INVEST, CAMPUS))])
    _run(config, "collect", "--period", "2025-05", str(filled / "050.xlsx"), str(filled / "051.xlsx"))
    may = _judged(settings, "2025-05", date(2025, 6, 10))
    task8 = may.tasks.set_index("number").loc["8"]
    assert task8["deadline"] == date(2025, 9, 30) and task8["expected_percent"] == pytest.approx(55.56)
    assert "同意延期至2025年9月30日" in task8["adjustment"]
    assert list(may.adjustments["number"]) == ["8"] and bool(may.adjustments.iloc[0]["new_this_period"])
    assert list(may.refusals["unit"]) == [HOUSING]
    _run(config, "remind", "--period", "2025-05", "--as-of", "2025-06-10", "--dry-run")
    draft = next((settings.out_dir("2025-05") / "outbox").glob(f"催报*{HOUSING}*.eml"))
    body = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default).get_body(("plain",)).get_content()
    assert "第21项任务申请延期至2026年6月30日，督查室2025年5月9日审核不同意，理由：项目资金已落实" in body
    _run(config, "report", "--period", "2025-05", "--as-of", "2025-06-10")
    from docx import Document

    bulletin = "\n".join(p.text for p in Document(str(settings.out_dir("2025-05") / "督查通报_2025-05.docx")).paragraphs)
    assert "完成时限由2025年6月30日调整为2025年9月30日" in bulletin
    notice = Document(str(settings.out_dir("2025-05") / "督办单" / f"{HOUSING}.docx"))
    cells = "\n".join(c.text for t in notice.tables for r in t.rows for c in r.cells)
    assert "审核不同意" in cells

    # ---- June: both leads report 已完成 → 已完成（待销号）; the lead names its 佐证材料 and mails it with the sheet
    assert _run(config, "split", "--period", "2025-06", *units) == 0
    fill_workbooks([_job(_sheet(settings, "2025-06", INVEST), filled / "060.xlsx", "已完成", 100.0,
                         evidence={"8": "竣工验收报告.pdf"}),
                    _job(_sheet(settings, "2025-06", CAMPUS), filled / "061.xlsx", "已完成", 100.0)])
    report_pdf = b"%PDF-1.4\n% acceptance report of task 8\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
    mailed = filled / "060.eml"
    mailed.write_bytes(_mail_with_evidence("tzcjj@changqing.example", "Thu, 03 Jul 2025 09:00:00 +0800",
                                           filled / "060.xlsx", {"竣工验收报告.pdf": report_pdf}))
    _run(config, "collect", "--period", "2025-06", str(mailed), str(filled / "061.xlsx"))
    june = _judged(settings, "2025-06", date(2025, 7, 10))
    assert june.tasks.set_index("number").loc["8", "closure"] == "待销号"
    # the evidence is kept byte for byte and listed against task 8 (the summary's 佐证材料 sheet)
    [kept] = june.evidence[(june.evidence["key"].astype(str) == "8") & (june.evidence["unit"] == INVEST)].to_dict("records")
    assert (kept["said"], kept["name"], kept["state"]) == ("竣工验收报告.pdf", "竣工验收报告.pdf", "已收到")
    assert (settings.root / kept["file"]).read_bytes() == report_pdf
    assert _run(config, "close", "--period", "2025-06", "--as-of", "2025-07-10") == 1  # listed, waiting
    assert _run(config, "close", "--period", "2025-06", "--as-of", "2025-07-10", "--task", "8", "--date", "2025-07-08") == 1  # June's judgement still has it 待销号

    # ---- July and August: closed, off the sheets, never flagged; counted apart in the 通报
    july = _judged(settings, "2025-07", date(2025, 8, 10))
    row = july.tasks.set_index("number").loc["8"]
    assert (row["category"], row["closure"]) == ("已完成", "已销号")
    assert "8" not in set(july.flags["key"].astype(str))
    assert june.tasks.set_index("number").loc["8", "closure"] == "待销号"  # June re-judged: still as it was
    assert _run(config, "split", "--period", "2025-08", *units) == 0
    assert "8" not in _layout(_sheet(settings, "2025-08", INVEST))[1]
    _run(config, "report", "--period", "2025-07", "--as-of", "2025-08-10")
    bulletin = "\n".join(p.text for p in Document(str(settings.out_dir("2025-07") / "督查通报_2025-07.docx")).paragraphs)
    assert "已销号1项" in bulletin

    # 撤销销号 in August: the task is back on August's sheet with its moved deadline
    assert _run(config, "close", "--period", "2025-07", "--as-of", "2025-08-10", "--task", "8", "--undo",
                "--date", "2025-08-20") == 0
    assert _run(config, "split", "--period", "2025-08", *units) == 0
    sheet, rows, columns = _layout(_sheet(settings, "2025-08", INVEST))
    assert sheet.cell(rows["8"], columns["完成时限"]).value == "2025年9月30日（原6月份竣工，已延期）"
    assert _judged(settings, "2025-07", date(2025, 8, 10)).tasks.set_index("number").loc["8", "closure"] == "已销号"
    august = _judged(settings, "2025-08", date(2025, 9, 10)).tasks.set_index("number").loc["8"]
    assert (august["closure"], august["category"]) == ("", "未报送")  # reopened: asked again, judged again

    # the events of task 8 month by month, for the task's history
    events = life.task_events(Workspace.load(settings).life, {"2025-06": ["8"]})
    assert events[("8", "2025-04")] == ["区投资促进局申请延期至2025年9月30日"]
    assert events[("8", "2025-05")] == ["同意延期至2025年9月30日（2025年5月8日）"]
    assert events[("8", "2025-06")] == ["已完成待销号"]
    assert events[("8", "2025-07")] == ["销号（2025年7月8日）"]
    assert events[("8", "2025-08")] == ["撤销销号（2025年8月20日）"]
    assert events[("21", "2025-05")] == ["不同意延期（2025年5月9日）"]
    # ... and each task's history (任务历程) carries them in the month they happened, beside the month's category
    history = _judged(settings, "2025-08", date(2025, 9, 10)).history
    task8 = history[history["number"] == "8"].set_index("period")
    assert task8.loc["2025-05", "events"] == "同意延期至2025年9月30日（2025年5月8日）"
    assert (task8.loc["2025-06", "category"], task8.loc["2025-06", "events"]) == ("已完成", "已完成待销号")
    assert task8.loc["2025-07", "events"] == "销号（2025年7月8日）"
    assert (task8.loc["2025-08", "category"], task8.loc["2025-08", "events"]) == ("未报送", "撤销销号（2025年8月20日）")


def _judged(settings, period: str, as_of: date):
    from pyxl import pipeline

    return pipeline.consolidate_period(Workspace.load(settings), Period.parse(period), as_of=as_of).data


# ---------------------------------------------------------------- the pure core

def _duty():
    from pyxl.common.model import Deadline, DutyTable, Target, Task

    return DutyTable("t", 2025, [], [
        Task("8", "一", None, "重点项目6月份竣工。", ["区投资促进局"], [], deadlines=[Deadline("6月份竣工", date(2025, 6, 30))],
             targets=[Target("竣工1个", "项目", 1, "个", "count", ">=", deadline=date(2025, 6, 30))]),
        Task("9", "一", None, "全年推进。", ["区财政局"], [], deadlines=[Deadline("全年", date(2025, 12, 31))]),
    ])


def test_a_decision_counts_from_the_period_of_its_date_and_the_latest_wins():
    changes = (
        life.DeadlineChange("8", life.KIND_EXTENSION, "2025-04", INVEST, requested=date(2025, 9, 30), reason="拆迁",
                            result=life.APPROVED, decided=date(2025, 5, 8)),
        life.DeadlineChange("8", life.KIND_ADJUSTMENT, "2025-07", result=life.APPROVED, new_deadline=date(2025, 10, 31),
                            decided=date(2025, 7, 2)),
        life.DeadlineChange("9", life.KIND_EXTENSION, "2025-04", "区财政局", requested=date(2026, 3, 31), reason="x",
                            result=life.REFUSED, decided=date(2025, 5, 9), note="不宜延期"),
    )
    decided = life.TaskLife(changes)
    duty = _duty()
    deadlines = {p: {t.number: t.deadline for t in decided.apply(duty, p).tasks} for p in ("2025-04", "2025-05", "2025-07")}
    assert deadlines == {"2025-04": {"8": date(2025, 6, 30), "9": date(2025, 12, 31)},
                         "2025-05": {"8": date(2025, 9, 30), "9": date(2025, 12, 31)},
                         "2025-07": {"8": date(2025, 10, 31), "9": date(2025, 12, 31)}}
    moved = decided.apply(duty, "2025-05").task("8")
    assert moved.targets[0].deadline == date(2025, 9, 30)  # the milestone moves with the task
    assert duty.task("8").deadline == date(2025, 6, 30)  # the table itself is untouched
    assert [c.task for c in decided.refusals("2025-05")] == ["9"] and decided.refusals("2025-06") == []
    assert life.refusal_sentence(decided.refusals("2025-05")[0]) == (
        "第9项任务申请延期至2026年3月31日，督查室2025年5月9日审核不同意，理由：不宜延期；请仍按原完成时限推进。")


def test_closure_and_its_undo_are_dated_events():
    events = (life.ClosureEvent("8", life.CLOSE, date(2025, 7, 8)), life.ClosureEvent("8", life.REOPEN, date(2025, 8, 20)),
              life.ClosureEvent("9", life.CLOSE, date(2025, 8, 1)))
    decided = life.TaskLife(closures=events)
    assert [decided.closed(p) for p in ("2025-06", "2025-07", "2025-08")] == [set(), {"8"}, {"9"}]


def test_the_master_names_each_bad_decision_cell(tmp_path):
    rows = [list(master.REQUEST_HEADERS),
            ["2025-04", "延期", "8", INVEST, None, date(2025, 9, 30), "拆迁", "", "同意", None, "五月八日", ""],
            ["2025-04", "延期", "9", "区财政局", None, date(2025, 9, 30), "x", "", "可以", None, date(2025, 5, 8), ""],
            ["2025-04", "延期", "10", "区财政局", None, date(2025, 9, 30), "x", "", "不同意", None, None, ""]]
    closures = [list(master.CLOSURE_HEADERS), ["8", "", "", "", "注销", date(2025, 7, 8), ""],
                ["9", "", "", "", "", "七月", ""]]
    data = master.MasterData({master.SHEET_REQUESTS: rows, master.SHEET_CLOSURES: closures}, file="Responsibilities.xlsm")
    decided, problems = data.task_life()
    assert sorted((p.sheet, p.cell, p.code) for p in problems) == [
        ("申请审批", "I3", "master-bad-cell"), ("申请审批", "K2", "master-bad-cell"), ("申请审批", "K4", "master-bad-cell"),
        ("销号", "E2", "master-bad-cell"), ("销号", "F3", "master-bad-cell")]
    assert decided.closures == () and all(c.granted is None for c in decided.changes)


def test_a_version_1_sheet_sent_before_the_upgrade_is_read_by_its_own_header(settings, tmp_path):
    from datetime import datetime

    from pyxl import pipeline
    from pyxl.demo.clerk import UnitScript, fill_unit_workbook
    import random

    pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 6, 1, 9))
    workspace = Workspace.load(settings)
    pipeline.split_sheets(workspace, Period(2025, 6), units=[INVEST])
    source = _sheet(settings, "2025-06", INVEST)
    # the sheet as version 1 wrote it: nothing after 下步措施 (no 佐证材料, no request columns), 模板版本 1
    book = openpyxl.load_workbook(source)
    sheet = book.worksheets[0]
    first_new = layout.COLUMNS.index("下步措施") + 2
    sheet.delete_cols(first_new, len(layout.COLUMNS) - first_new + 1)
    ident = book[layout.IDENTITY_SHEET]
    for row in ident.iter_rows():
        if row[0].value == layout.ID_VERSION:
            row[1].value = "1"
    old = tmp_path / "v1.xlsx"
    book.save(old)
    filled_path = tmp_path / "v1_filled.xlsx"
    targets = {t.target_key(i): x for t in workspace.duty.tasks for i, x in enumerate(t.targets)}
    fill_unit_workbook(old, filled_path, UnitScript(), targets, 0.5, random.Random(1), datetime(2025, 7, 2, 9))
    result = pipeline.collect_returns(workspace, Period(2025, 6), [filled_path], now=datetime(2025, 7, 2, 10))
    assert {p.code for p in result.problems} == set()  # a known older version: read by its header, no missing column
    assert result.data[0].accepted and all(r.requested_deadline is None for r in result.data[0].rows)


def test_the_ribbon_buttons_list_requests_and_pending_tasks_and_keep_the_staffs_decisions(settings, tmp_path):
    from datetime import datetime

    from pyxl import pipeline
    from pyxl.excel import run_button
    from pyxl.master.memory import MemoryBook

    pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 4, 1, 9))
    workspace = Workspace.load(settings)
    pipeline.split_sheets(workspace, Period(2025, 4), units=[INVEST, CAMPUS])
    for unit in (INVEST, CAMPUS):
        book = openpyxl.load_workbook(_sheet(settings, "2025-04", unit))
        sheet, rows, columns = _layout(_sheet(settings, "2025-04", unit))
        target = book.worksheets[0]
        for key, row in rows.items():
            for title, value in (("状态", "已完成"), ("完成进度(%)", 100), ("本期完成值", 1)):
                if not sheet.cell(row, columns[title]).protection.locked:
                    target.cell(row, columns[title]).value = value
        if unit == INVEST:
            target.cell(rows["8"], columns["申请新完成时限"]).value = "2025/9/30"  # typed as text: read as the date
            target.cell(rows["8"], columns["申请理由"]).value = "征地未完成"
        book.save(tmp_path / f"{unit}.xlsx")
    pipeline.collect_returns(workspace, Period(2025, 4), [tmp_path / f"{u}.xlsx" for u in (INVEST, CAMPUS)],
                             now=datetime(2025, 5, 3, 9))
    book = MemoryBook.open(settings.workbook_path)
    settings_rows = book.sheets["设置"]
    next(r for r in settings_rows if r[0] == "当前期次")[1] = "2025-04"
    run_button(book, "decide_requests", datetime(2025, 5, 8, 9))
    requests = book.sheets[master.SHEET_REQUESTS]
    assert [r[:4] for r in requests[1:]] == [["2025-04", "延期", "8", INVEST]] and "待审批的延期申请 1 项" in book.alerts[-1]
    # the clerk decides in the sheet and presses the button again: the decision stays, nothing is listed twice
    headers = requests[0]
    requests[1][headers.index("审批结果")] = "同意"
    requests[1][headers.index("审批日期")] = datetime(2025, 5, 8)
    run_button(book, "decide_requests", datetime(2025, 5, 8, 10))
    assert len(book.sheets[master.SHEET_REQUESTS]) == 2 and "待审批的延期申请 0 项" in book.alerts[-1]
    assert [c.granted for c in Workspace.load(settings).life.changes] == [date(2025, 9, 30)]
    # both leads say 已完成: 销号 lists task 8 waiting; the clerk dates it and the task is closed from May
    run_button(book, "close_tasks", datetime(2025, 5, 8, 11))
    closures = book.sheets[master.SHEET_CLOSURES]
    assert ["8", "2025-04"] == [closures[1][0], closures[1][3]]
    closures[1][closures[0].index("日期")] = datetime(2025, 5, 9)
    book.save()
    assert Workspace.load(settings).life.closed("2025-05") == {"8"}


def test_an_extension_lifts_the_overdue_flag_and_an_office_adjustment_needs_no_request(settings):
    from datetime import datetime

    from pyxl import pipeline

    pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 7, 1, 9))

    def overdue(period: str) -> set[str]:
        judged = pipeline.consolidate_period(Workspace.load(settings), Period.parse(period), as_of=date(2025, 8, 10)).data
        flags = judged.flags
        return set(flags.loc[flags["flag"] == "任务逾期", "key"].astype(str))

    assert "8" in overdue("2025-07")  # 6月份竣工, nothing reported: overdue in July
    result = pipeline.decide_requests(Workspace.load(settings), Period(2025, 7), now=datetime(2025, 7, 3, 9), task="8",
                                      adjust=True, new_deadline=date(2025, 10, 31), decided=date(2025, 7, 3), note="规划调整")
    assert result.outputs == [settings.workbook_path]
    assert "8" not in overdue("2025-07")  # moved to October
    assert "8" in overdue("2025-06")  # June keeps June's deadline: the 调整 counts from July
    judged = pipeline.consolidate_period(Workspace.load(settings), Period(2025, 7), as_of=date(2025, 8, 10)).data
    row = judged.tasks.set_index("number").loc["8"]
    assert row["deadline"] == date(2025, 10, 31) and "调整至2025年10月31日" in row["adjustment"]
    assert list(judged.adjustments["kind"]) == ["调整"]


def test_a_decision_cell_that_cannot_be_read_is_named_by_consolidate(settings):
    from datetime import datetime

    from pyxl import pipeline
    from pyxl.master.memory import MemoryBook

    pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 7, 1, 9))
    book = MemoryBook.open(settings.workbook_path)
    book.sheets[master.SHEET_REQUESTS].append(["2025-06", "调整", "8", None, None, None, None, None, "同意",
                                               datetime(2025, 10, 31), "七月三日", None])
    book.save()
    result = pipeline.consolidate_period(Workspace.load(settings), Period(2025, 7), as_of=date(2025, 8, 10))
    assert ("申请审批", "K2", "master-bad-cell") in {(p.sheet, p.cell, p.code) for p in result.problems}
    assert result.data.tasks.set_index("number").loc["8", "deadline"] == date(2025, 6, 30)  # not taken without a date


def test_closed_tasks_in_the_judgement_and_last_months_closure_in_the_change():
    from pyxl.common.config import ThresholdSettings
    from pyxl.common.model import Unit, UnitDirectory
    from pyxl.judgement.consolidate import consolidate

    directory = UnitDirectory((Unit(INVEST, "区直部门"), Unit("区财政局", "区直部门")))
    decided = life.TaskLife(closures=(life.ClosureEvent("8", life.CLOSE, date(2025, 7, 8)),))
    august = consolidate(_duty(), directory, [], {"2025-07": []}, Period(2025, 8), date(2025, 9, 10), ThresholdSettings(), 5,
                         life=decided)
    tasks = august.tasks.set_index("number")
    assert list(tasks.index) == ["8", "9"]  # the closed task keeps its place
    assert (tasks.loc["8", "category"], tasks.loc["8", "closure"], tasks.loc["8", "previous_category"]) == ("已完成", "已销号", "已完成")
    assert "8" not in set(august.flags["key"].astype(str))
    assert set(august.flags["unit"]) == {"区财政局"}  # the open task's lead is still chased
    assert INVEST not in set(august.returns["unit"])  # nothing asked of its lead: not 逾期未报
    assert list(august.indicators["key"]) == []  # its target left with it
