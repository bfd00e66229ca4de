"""A task's life: the units' requests for 延期, the office's decisions (审批, 调整) and 销号."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from pyxl.common.errors import PyxlError
from pyxl.common.period import Period, chinese_date
from pyxl.pipeline.archive import archived_returns
from pyxl.pipeline.judge import _judge
from pyxl.pipeline.result import StepResult
from pyxl.workspace import Workspace


def requests_in(returns: list, period: Period, duty) -> list:
    """The requests for a new deadline (延期) carried by the units' accepted returns of `period`.

    `duty` is the duty table as it stood in `period` (TaskLife.apply): 原完成时限 is the deadline the unit saw.
    """
    from pyxl.common import life

    found = []
    for item in sorted(returns, key=lambda r: (r.unit or "", r.file)):
        if not item.accepted or item.unit is None:
            continue
        for row in item.rows:
            if row.target_index is None and row.requested_deadline is not None and row.request_reason.strip():
                try:
                    old = duty.task(row.task_number).deadline
                except KeyError:
                    continue
                found.append(life.DeadlineChange(
                    task=row.task_number, kind=life.KIND_EXTENSION, period=str(period), unit=item.unit,
                    old_deadline=old, requested=row.requested_deadline, reason=row.request_reason.strip(),
                    source=_request_place(item, row)))
    return found


def _request_place(item, row) -> str:
    """Where the request was typed, as the office finds it: the unit's own file name and the cell (04_区财政局.xlsx M7)."""
    from xlsxwriter.utility import xl_col_to_name

    from pyxl.distribution import layout
    from pyxl.judgement.consolidate import file_name

    name = file_name(item.source or item.file)
    column = xl_col_to_name(layout.COLUMNS.index("申请新完成时限"))
    return f"{name} {column}{row.cell_row}" if row.cell_row else name


def _request_lines(requests: list) -> list[str]:
    return [f"  {c.unit} 第{c.task}项：申请延期至{chinese_date(c.requested)}（原{chinese_date(c.old_deadline) if c.old_deadline else '未定时限'}），"
            f"理由：{c.reason}" + (f"（{c.source}）" if c.source else "") for c in requests]


def _saved_content(workspace: Workspace):
    from pyxl.master import build as workbook_build

    if workspace.saved is None:
        raise PyxlError("还没有主控工作簿：请先运行 pyxl build-workbook，延期审批和销号都记在主控工作簿中。")
    return workbook_build.MasterContent.carried_over(workspace.saved, workspace.config)


def _write_decisions(workspace: Workspace, content, now: datetime) -> Path:
    from pyxl.master import build as workbook_build

    target = workspace.settings.workbook_path
    workbook_build.write_master(target, content, now, force=True)
    return target


def decide_requests(workspace: Workspace, period: Period, *, now: datetime, task: str | None = None,
                    unit: str | None = None, result: str | None = None, new_deadline: date | None = None,
                    decided: date | None = None, note: str = "", adjust: bool = False, write: bool = True) -> StepResult:
    """审批申请: list the units' requests for a new deadline in 申请审批 and record the office's decision.

    The requests of the accepted returns of the plan year up to `period` join the master's
    申请审批 sheet (rows already there, with the staff's decisions, are kept as they are).
    With `task` and `result` (同意/不同意) the request of that task (and `unit`, when several
    units asked) is decided on `decided` (default: today); with `adjust` the office moves the
    task's deadline to `new_deadline` itself (类型 调整). `write` rewrites the saved master
    (the CLI); the ribbon writes `data` (the sheet's rows) into the live workbook instead.
    """
    from pyxl.common import life
    from pyxl.master import rows as master

    content = _saved_content(workspace)
    duty = workspace.duty
    if unit is not None:  # an alias or short name as the clerk types it
        unit = workspace.index.resolve(unit).canonical or unit
    data = content.life_data()
    current, problems = data.task_life()
    known = {c.key for c in current.changes}
    added = []
    month = Period(duty.year, 1)
    while str(month) <= str(period):
        if workspace.settings.returns_dir(month).is_dir():
            # the deadline the unit saw on that month's sheet (an earlier 延期 already counted)
            for change in requests_in(archived_returns(workspace, month), month, current.apply(duty, str(month))):
                if change.key not in known:
                    known.add(change.key)
                    added.append(change)
        month = month.next()
    rows = content.requests + master.request_rows(added)[1:]
    day = decided or now.date()
    summary = []
    if added:
        summary += [f"新列入「{master.SHEET_REQUESTS}」的延期申请 {len(added)} 项：", *_request_lines(added)]
    headers = list(master.REQUEST_HEADERS)
    at = {h: i for i, h in enumerate(headers)}
    if task is not None and adjust:
        if new_deadline is None:
            raise PyxlError("调整完成时限须写明新时限：pyxl decide --task 序号 --adjust --deadline 2025-09-30。")
        try:
            old = life.TaskLife(current.changes).apply(duty, str(life.period_of(day))).task(task).deadline
        except KeyError:
            raise PyxlError(f"任务清单中没有第 {task} 项任务：请核对序号。") from None
        row = [None] * len(rows[0])
        for header, value in (("期次", str(period)), ("类型", life.KIND_ADJUSTMENT), ("序号", task), ("原完成时限", old),
                              ("审批结果", life.APPROVED), ("新完成时限", new_deadline), ("审批日期", day), ("说明", note)):
            row[at[header]] = value
        rows.append(row)
        summary.append(f"第{task}项任务完成时限调整为{chinese_date(new_deadline)}（{chinese_date(day)}起生效）。")
    elif task is not None:
        if result not in life.RESULTS:
            raise PyxlError("请写明审批结果：--approve（同意）或 --refuse（不同意）。")
        open_rows = [r for r in rows[1:] if master.cell_str(r[at["序号"]]) == task
                     and master.cell_str(r[at["类型"]]) in ("", life.KIND_EXTENSION)
                     and not master.cell_str(r[at["审批日期"]])
                     and (unit is None or master.cell_str(r[at["单位"]]) == unit)]
        if not open_rows:
            raise PyxlError(f"第 {task} 项任务{('（' + unit + '）') if unit else ''}没有待审批的延期申请：请先运行 pyxl decide 列出申请，"
                            "或用 --adjust 由督查室直接调整时限。")
        if len(open_rows) > 1:
            raise PyxlError(f"第 {task} 项任务有 {len(open_rows)} 个单位申请延期：请用 --unit 指明是哪个单位的申请。")
        row = open_rows[0]
        row[at["审批结果"]], row[at["审批日期"]], row[at["说明"]] = result, day, note or row[at["说明"]]
        if result == life.APPROVED:
            row[at["新完成时限"]] = new_deadline or row[at["新完成时限"]] or row[at["申请新完成时限"]]
            summary.append(f"同意{master.cell_str(row[at['单位']])}第{task}项任务延期至{master.cell_str(row[at['新完成时限']])}，"
                           f"{period_label(day)}起的填报表、序时进度和逾期预警按新时限。")
        else:
            summary.append(f"不同意{master.cell_str(row[at['单位']])}第{task}项任务延期；{period_label(day)}的催报和督办单将告知该单位。")
    content.requests = rows
    decided_life, problems = content.life_data().task_life()
    waiting = decided_life.undecided()
    summary.append(f"待审批的延期申请 {len(waiting)} 项" + ("：" if waiting else "。"))
    summary += _request_lines(waiting)
    outputs = []
    if write and (added or task is not None):
        outputs.append(_write_decisions(workspace, content, now))
        summary.append(f"已写入主控工作簿「{master.SHEET_REQUESTS}」表：{workspace.settings.relative(outputs[0])}（旧文件已备份）。")
    return StepResult(summary=summary, outputs=outputs, problems=problems, attention=bool(waiting), data=rows)


def period_label(day: date) -> str:
    return Period(day.year, day.month).label


def close_tasks(workspace: Workspace, period: Period, *, as_of: date, now: datetime, task: str | None = None,
                day: date | None = None, note: str = "", undo: bool = False, write: bool = True) -> StepResult:
    """销号: list the tasks the period's judgement finds 已完成（待销号） in 销号, and record the office's 销号 or 撤销销号.

    Rows already in the 销号 sheet are kept; a task waiting for 销号 that is not yet listed is
    added (without a date). With `task`, it is closed on `day` (default: today) — or, with
    `undo`, reopened. `write` as for decide_requests.
    """
    from pyxl.common import life
    from pyxl.master import rows as master

    content = _saved_content(workspace)
    judged = _judge(workspace, period, as_of)
    rows = content.closures
    at = {h: i for i, h in enumerate(master.CLOSURE_HEADERS)}
    listed = {master.cell_str(r[at["序号"]]) for r in rows[1:] if not master.cell_str(r[at["日期"]])}
    pending = judged.tasks[judged.tasks["closure"] == life.PENDING_CLOSURE]
    added = []
    for item in pending.itertuples(index=False):
        if str(item.number) not in listed:
            row = [None] * len(rows[0])
            row[at["序号"]], row[at["任务内容"]], row[at["牵头单位"]], row[at["报已完成期次"]] = (
                str(item.number), item.short_title, item.lead_units, str(period))
            rows.append(row)
            added.append(str(item.number))
    summary = [f"{period.label}牵头单位都报已完成、待销号的任务 {len(pending)} 项"
               + (f"：第{'、'.join(str(n) for n in pending['number'])}项。" if len(pending) else "。")]
    when = day or now.date()
    closed_now = life.TaskLife(closures=content.life_data().task_life()[0].closures).closed(str(Period(when.year, when.month)))
    if task is not None:
        titles = dict(zip(judged.tasks["number"].astype(str), judged.tasks["short_title"]))
        leads = dict(zip(judged.tasks["number"].astype(str), judged.tasks["lead_units"]))
        if task not in titles:
            raise PyxlError(f"任务清单中没有第 {task} 项任务：请核对序号。")
        if undo and task not in closed_now:
            raise PyxlError(f"第 {task} 项任务没有销号，无需撤销。")
        if not undo and task in closed_now:
            raise PyxlError(f"第 {task} 项任务已经销号。")
        waiting = [r for r in rows[1:] if master.cell_str(r[at["序号"]]) == task and not master.cell_str(r[at["日期"]])]
        if undo or not waiting:
            row = [None] * len(rows[0])
            row[at["序号"]], row[at["任务内容"]], row[at["牵头单位"]] = task, titles[task], leads[task]
            rows.append(row)
        else:
            row = waiting[0]
        row[at["操作"]], row[at["日期"]], row[at["说明"]] = (life.REOPEN if undo else life.CLOSE), when, note
        summary.append(f"第{task}项任务已{'撤销销号' if undo else '销号'}（{chinese_date(when)}）："
                       + ("从下期起重新列入各单位填报表。" if undo else "从下期起不再列入各单位填报表、不再预警，通报按已销号统计。"))
        if not undo and task not in set(pending["number"].astype(str)):
            summary.append(f"注意：第{task}项任务{period.label}并非牵头单位都报已完成，请确认确需销号。")
    content.closures = rows
    problems = content.life_data().task_life()[1]
    outputs = []
    if write and (added or task is not None):
        outputs.append(_write_decisions(workspace, content, now))
        summary.append(f"已写入主控工作簿「{master.SHEET_CLOSURES}」表：{workspace.settings.relative(outputs[0])}（旧文件已备份）。")
    return StepResult(summary=summary, outputs=outputs, problems=problems, attention=bool(len(pending)), data=rows)
