"""Out to the units: their sheets (split), the mail that carries them, the reminders (催报)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Callable

from pyxl.common.model import Consolidation
from pyxl.common.period import Period, chinese_date
from pyxl.common.problems import Problem
from pyxl.pipeline.archive import archived_returns
from pyxl.pipeline.judge import _judge
from pyxl.pipeline.result import Progress, StepResult, no_progress
from pyxl.workspace import Workspace


def split_sheets(workspace: Workspace, period: Period, units: list[str] | None = None) -> StepResult:
    """Write one protected workbook per unit for the period (out/<period>/分发/), the manifest and a zip."""
    from pyxl.distribution import split

    workspace.check_built_for_this_district()
    # deadlines moved by the office's decisions show on the sheet; closed (销号) tasks leave it
    settings, duty, index = workspace.settings, workspace.duty_in(period), workspace.index
    source = settings.workbook_path if settings.workbook_path.exists() else settings.document_path
    plan = split.plan_split(duty, index, settings.relative(source))
    only = split.select_units(plan, index, units) if units else None
    out = settings.out_dir(period)
    due = settings.due_date(period)

    def returns_newest_first():
        # Earlier periods of the plan year, newest first: each unit is pre-filled
        # with the answers of the last period it returned (not only last month).
        earlier = period.previous()
        for _ in range(12):
            if earlier.year < duty.year:  # another plan year's task numbers mean other tasks
                return
            if settings.returns_dir(earlier).is_dir():
                yield archived_returns(workspace, earlier)
            earlier = earlier.previous()

    wanted = only if only is not None else list(plan.rows)
    previous = split.latest_answers(returns_newest_first(), wanted)
    result = split.write_unit_files(
        settings.distribution_dir(period), out / f"分单位表_{period}.zip", plan, str(period), due, duty.year,
        password=settings.split.sheet_password, previous=previous, only=only,
        key=split.layout.workspace_key(settings.root, create=True),  # the identity hash is keyed: no forged sheets
    )
    chosen = only if only is not None else list(plan.rows)
    rows = [row for unit in chosen for row in plan.rows[unit]]
    targets = sum(row.target_index is not None for row in rows)
    summary = [
        f"{period.label}分单位填报表：为 {len(result.written)} 个单位生成了填报表"
        f"（任务 {len(rows) - targets} 行、指标 {targets} 行），报送截止 {chinese_date(due)}。",
        f"文件在 {settings.relative(out / '分发')}/，分发清单 {split.layout.MANIFEST_NAME}，压缩包 {settings.relative(result.archive)}。",
    ]
    if result.removed:
        summary.append(f"已删除 {len(result.removed)} 个不再有任务的单位的旧填报表。")
    if previous:
        summary.append(f"其中 {len(previous)} 个单位的表已预填该单位上次报送的内容。")
    return StepResult(
        summary=summary,
        outputs=[settings.distribution_dir(period), result.manifest, result.archive],
        problems=[*workspace.unit_problems, *workspace.life_problems, *plan.problems],
        data=plan,
    )


def send_sheets(
    workspace: Workspace,
    period: Period,
    now: datetime,
    dry_run: bool = False,
    units: list[str] | None = None,
    resend: bool = False,
    progress: Progress = no_progress,
) -> StepResult:
    """Mail each unit its own sheet (or write .eml drafts with dry_run); see pyxl.mail.deliver."""
    from pyxl.mail import deliver as mail

    workspace.check_built_for_this_district()
    run = mail.run_mail(
        workspace.settings, period, mail.KIND_SEND, workspace.directory, _clock_from(now), time.sleep, progress,
        dry_run=dry_run, units=units, resend=resend,
        # a request refused in this period is answered with the unit's next sheet too (and in its reminder, 督办单)
        answers=_refusal_answers(workspace, period),
    )
    return StepResult(summary=run.summary, outputs=run.outputs, attention=run.attention, data=run.delivery)


def _refusal_answers(workspace: Workspace, period: Period) -> dict[str, list[str]]:
    from pyxl.common.life import refusal_sentence

    answers: dict[str, list[str]] = {}
    for change in workspace.life.refusals(str(period)):
        if change.unit:
            answers.setdefault(change.unit, []).append(refusal_sentence(change))
    return answers


def _clock_from(now: datetime) -> Callable[[], datetime]:
    """The send time of each mail for the ledger: `now` plus the time elapsed since the step began."""
    start = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - start)


def send_reminders(
    workspace: Workspace, period: Period, as_of: date, now: datetime, dry_run: bool = False, progress: Progress = no_progress,
    consolidation: Consolidation | None = None,
) -> StepResult:
    """Mail the units whose return has not been accepted after the due date (催报); see pyxl.mail.deliver.

    Who is chased and which cells each must fix come from the period's judgement
    (`consolidation`, consolidated here when not given): the same states and
    problems as the 回收情况 and 问题 sheets, the 通报 and the 督办单.
    """
    from pyxl.mail import deliver as mail

    workspace.check_built_for_this_district()
    if consolidation is None:
        consolidation = _judge(workspace, period, as_of)
    accepted, rejected = _return_status(consolidation)
    run = mail.run_mail(
        workspace.settings, period, mail.KIND_REMIND, workspace.directory, _clock_from(now), time.sleep, progress,
        dry_run=dry_run, as_of=as_of, accepted=accepted, rejected=rejected, answers=_answers(consolidation),
    )
    return StepResult(summary=run.summary, outputs=run.outputs, attention=run.attention, data=run.delivery)


def _return_status(consolidation: Consolidation) -> tuple[set[str], dict[str, list[Problem]]]:
    """Units whose return was accepted, and the problems of each unit whose current return was not, from the judgement."""
    returns = consolidation.returns
    accepted = set(returns.loc[returns["status"].isin(["按时报送", "逾期报送"]), "unit"])
    sent = set(returns.loc[returns["returned"].fillna(False).astype(bool), "unit"]) - accepted
    rejected: dict[str, list[Problem]] = {unit: [] for unit in sent}
    for row in consolidation.problems.to_dict("records"):
        if row.get("unit") in rejected:
            rejected[row["unit"]].append(Problem(**{k: (None if v != v else v) for k, v in row.items()}))
    return accepted, rejected


def _answers(consolidation: Consolidation) -> dict[str, list[str]]:
    """Unit → the office's answers to tell it this period (refused requests for 延期), from the judgement."""
    answers: dict[str, list[str]] = {}
    for row in consolidation.refusals.itertuples(index=False):
        answers.setdefault(row.unit, []).append(row.sentence)
    return answers
