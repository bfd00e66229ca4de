"""退回重报: a unit's current return sent back to it, with the cells to fix and the office's note."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime
from pathlib import Path
from typing import Mapping

from pyxl.common.errors import PyxlError
from pyxl.common.period import Period, chinese_date
from pyxl.pipeline.archive import archived_returns
from pyxl.pipeline.distribute import _clock_from
from pyxl.pipeline.result import Progress, StepResult, no_progress
from pyxl.workspace import Workspace


SEND_BACK_FOLDER = "退回重报"  # out/<period>/退回重报/: the sheets sent back, pre-filled with what each unit returned


def send_back_returns(
    workspace: Workspace,
    period: Period,
    requests: list | None = None,
    *,
    now: datetime,
    dry_run: bool = False,
    progress: Progress = no_progress,
    environ: Mapping[str, str] | None = None,
) -> StepResult:
    """退回重报: send units' current returns back, with the cells to fix and the office's note.

    `requests` (pyxl.master.rows.SendBackRequest: unit, note, whether to list
    the checks' problems) default to the rows of the saved master's 退回重报
    sheet not yet done. Each unit gets one mail naming every cell to fix (the
    return's problems) and the note, with its own sheet attached, pre-filled
    with what it returned (out/<period>/退回重报/), so the redone sheet is
    collected like any other. Once the mail has gone out the return counts as
    报表被退回 (returns/<period>/退回记录.csv) until a newer one arrives. A
    return already sent back is not mailed again (the send ledger); `dry_run`
    writes .eml drafts and changes nothing. `data` is (Delivery, {Excel row of
    the sheet: outcome}).
    """
    import io

    from pyxl.common.files import write_bytes_atomic
    from pyxl.common.period import add_working_days
    from pyxl.distribution import layout, split
    from pyxl.distribution.unit_sheet import write_unit_workbook
    from pyxl.mail import deliver as mail
    from pyxl.master import rows as master_rows
    from pyxl.returns import sendback

    workspace.check_built_for_this_district()
    settings, duty = workspace.settings, workspace.duty
    if requests is None:
        saved = workspace.saved
        requests = master_rows.send_back_requests(saved.rows(master_rows.SHEET_SEND_BACK)) if saved is not None else []
    if not requests:
        raise PyxlError(f"没有要退回的报表：请写 --unit 单位名（可加 --note 退回意见），或在主控工作簿「{master_rows.SHEET_SEND_BACK}」表"
                        "中填写单位和退回意见，保存后再运行。")
    returns_dir = settings.returns_dir(period)
    current = {item.unit: item for item in archived_returns(workspace, period)} if returns_dir.is_dir() else {}
    plan = split.plan_split(duty, workspace.index)
    reply_by = add_working_days(now.date(), settings.period.reply_working_days, settings.period.calendar)
    key = layout.workspace_key(settings.root, create=True)
    folder = settings.out_dir(period) / SEND_BACK_FOLDER
    items, chosen, outcome, notes, outputs = [], {}, {}, [], []
    for request in requests:
        resolved = workspace.index.resolve(request.unit)
        unit = resolved.canonical if not resolved.is_group else None
        returned = current.get(unit) if unit else None
        why = ""
        if unit is None:
            hint = f"（是不是「{resolved.suggestion}」？）" if resolved.suggestion else ""
            why = f"「{request.unit}」不在单位名录中{hint}"
        elif returned is None:
            why = f"{unit} 本期没有报送过报表（或报表待确认），没有可退回的"
        elif unit not in plan.rows:
            why = f"{unit} 在分工中没有任务，无法生成填报表"
        problems = [p for p in returned.problems if p.code != sendback.SENT_BACK] if returned and request.with_problems else []
        if not why and not problems and not request.note.strip():
            why = f"{unit} 的报表没有校验问题：退回请写明退回意见（--note）"
        if why:
            notes.append(f"未退回：{why}。")
            if request.row is not None:
                outcome[request.row] = f"未退回：{why}"
            continue
        rows = plan.rows[unit]
        buffer = io.BytesIO()
        write_unit_workbook(buffer, unit, str(period), rows, reply_by, previous={row.key: row for row in returned.rows},
                            password=settings.split.sheet_password, year=duty.year, key=key, as_returned=True,
                            footer_values={"填报人": returned.filled_by, "联系电话": returned.phone})
        data = buffer.getvalue()
        path = write_bytes_atomic(folder / f"{Path(plan.file_name(unit)).stem}_{SEND_BACK_FOLDER}.xlsx", data)
        outputs.append(path)
        targets = sum(row.target_index is not None for row in rows)
        sheet = mail.ManifestEntry(unit, path, len(rows) - targets, targets, hashlib.sha256(data).hexdigest())
        items.append(mail.SendBack(unit, f"{period}/{returned.sha256[:12]}", sheet, tuple(problems), request.note.strip(),
                                   chinese_date(returned.received), chinese_date(reply_by)))
        chosen[unit] = (returned, request, len(problems))
    if not items:
        return StepResult(summary=notes, attention=True, data=(None, outcome))
    run = mail.run_send_back(settings, period, items, workspace.directory, _clock_from(now), time.sleep, progress,
                             dry_run=dry_run, environ=environ)
    delivery = run.delivery
    summary = list(run.summary)
    if not dry_run:
        reached = {*delivery.sent, *delivery.partly, *delivery.unknown, *delivery.already}
        records = [sendback.SentBack(unit, returned.file, returned.sha256, now.isoformat(sep=" ", timespec="seconds"),
                                     request.note.strip(), count)
                   for unit, (returned, request, count) in chosen.items() if unit in reached]
        written = sendback.append_records(returns_dir, records)
        workspace.archives.pop(str(period), None)  # the sent-back returns now count as 退回
        if records:
            summary.append(f"已退回重报 {len(records)} 份：{'、'.join(r.unit for r in records)}；在其重新报送前按「报表被退回」统计"
                           f"（记录在 {settings.relative(returns_dir / sendback.RECORD_NAME)}）。")
        if written:
            outputs.append(written)
        for unit, (_, request, _) in chosen.items():
            if request.row is not None:
                outcome[request.row] = (f"{now:%Y-%m-%d %H:%M} 已退回" if unit in reached else "未发出：见提示，改正后重新运行")
    summary += notes
    return StepResult(summary=summary, outputs=[*outputs, *run.outputs], attention=run.attention or bool(notes),
                      data=(delivery, outcome))
