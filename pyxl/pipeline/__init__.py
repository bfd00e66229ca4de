"""The steps of the monthly loop, each one library function.

One ribbon button = one CLI command = one function here, with one name:
the button id is the function name (`collect_returns`), the command is its
short form (`pyxl collect`). Each function takes the command's loaded
`Workspace` (settings, the master read once, duty table, units) and the
time it runs at (`now`, `as_of`, the period: passed in, never read here),
chains the stages, writes its outputs atomically and returns a StepResult.
Stages never import a later stage; this package and the shells are the only
places that know the order of the loop.

Owns: the steps, one module per part of the month — what a step returns
(result); the office's own files: duty document, master workbook, a new
workspace (duty); each unit's current return read once a command, its
validation kept between commands (archive); what a command keeps for the next,
sealed and fingerprinted (kept); sheets and mail out to the units, reminders
(distribute); collecting and confirming returns, the office mailbox (returns);
退回重报 (send_back); the period's judgement with evidence and accountability
(judge); the 通报 and 督办单 (report); a task's life: 延期 requests, decisions, 销号 (life); the
monthly run (month). Every step is re-exported here: callers (and tests
that patch a step) use `pipeline.<step>`.

May import: pyxl.common, every stage, pyxl.workspace.
Must not import: a shell (cli, excel, demo).
"""

from pyxl.pipeline.archive import archived_returns
from pyxl.pipeline.distribute import send_reminders, send_sheets, split_sheets
from pyxl.pipeline.duty import (
    WORKSPACE_FOLDERS, build_workbook, excel_setup, init_workspace, open_output_folder, parse_document,
)
from pyxl.pipeline.judge import consolidate_period, task_events
from pyxl.pipeline.life import close_tasks, decide_requests, period_label, requests_in
from pyxl.pipeline.month import run_month
from pyxl.pipeline.report import write_report
from pyxl.pipeline.result import Progress, StepResult, no_progress
from pyxl.pipeline.returns import collect_returns, confirm_returns
from pyxl.pipeline.send_back import SEND_BACK_FOLDER, send_back_returns

__all__ = [
    "Progress", "StepResult", "no_progress",
    "parse_document", "build_workbook", "excel_setup", "init_workspace", "open_output_folder", "WORKSPACE_FOLDERS",
    "split_sheets", "send_sheets", "send_reminders",
    "archived_returns", "collect_returns", "confirm_returns", "send_back_returns", "SEND_BACK_FOLDER",
    "consolidate_period", "task_events", "write_report",
    "requests_in", "decide_requests", "close_tasks", "period_label",
    "run_month",
]
