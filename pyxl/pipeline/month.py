"""The monthly run: collect, consolidate and report, remind — one command for the whole month."""

from __future__ import annotations

from datetime import date, datetime
from typing import Mapping

from pyxl.common.period import Period
from pyxl.pipeline.distribute import send_reminders
from pyxl.pipeline.report import write_report
from pyxl.pipeline.result import StepResult
from pyxl.pipeline.returns import collect_returns
from pyxl.workspace import Workspace


def run_month(workspace: Workspace, period: Period, as_of: date, now: datetime, dry_run: bool = True,
              environ: Mapping[str, str] | None = None, received_at: datetime | None = None) -> StepResult:
    """The monthly run: collect the inbox, consolidate, write the report, send reminders (drafts with dry_run).

    write_report consolidates first and writes 汇总_<period>.xlsx besides the
    bulletin, so the month consolidates once. An empty or missing inbox is no
    reason to stop: the month still consolidates what the archive holds.
    Exit code 1 when any step found problems or there are red flags.
    `received_at`: when the files put loose in the inbox were received (see collect_returns).
    """
    settings = workspace.settings
    steps = []
    if settings.inbox_dir.is_dir() or settings.inbox_mail.host:
        steps.append(collect_returns(workspace, period, None, now, environ=environ, received_at=received_at))
    else:
        steps.append(StepResult(summary=[f"收件箱 {settings.relative(settings.inbox_dir)} 不存在，本次不收取新文件。"]))
    reported = write_report(workspace, period, as_of)
    steps.append(reported)
    steps.append(send_reminders(workspace, period, as_of, now, dry_run=dry_run, consolidation=reported.data))
    return StepResult(
        summary=[line for step in steps for line in step.summary],
        outputs=[path for step in steps for path in step.outputs],
        # collect's problems (new files, unrecognised ones too) overlap the archive's: list each once
        problems=list(dict.fromkeys(problem for step in steps for problem in step.problems)),
        attention=any(step.attention for step in steps),
        data=reported.data,
    )
