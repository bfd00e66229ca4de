"""Back from the units: collecting returned sheets (files and the office mailbox) and confirming the doubtful ones."""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from pyxl.common.errors import PyxlError
from pyxl.common.files import write_text_atomic
from pyxl.common.logs import log_exception
from pyxl.common.period import Period
from pyxl.common.problems import Problem, problems_to_csv
from pyxl.pipeline.archive import _keep_validations, _kept_validations
from pyxl.pipeline.life import _request_lines, requests_in
from pyxl.pipeline.result import Progress, StepResult, no_progress
from pyxl.workspace import Workspace

if TYPE_CHECKING:  # imported by the step that fetches mail
    from pyxl.returns import mailbox


def collect_returns(
    workspace: Workspace,
    period: Period,
    paths: list[Path] | None,
    now: datetime,
    progress: Progress = no_progress,
    environ: Mapping[str, str] | None = None,
    received_at: datetime | None = None,
) -> StepResult:
    """Archive, recognise and validate returned sheets (default: the inbox, and the mailbox when set).

    Every file given is archived byte for byte under returns/<period>/ and
    recorded once in its ledger; the problems of the files new in this run
    are returned. `data` is the list of UnitReturn read in this run. With no
    paths and `inbox_mail.host` set, the new messages of the office mailbox
    are fetched too (pyxl.returns.mailbox), batch by batch, each batch
    archived before it is noted as taken. `received_at` is when the office
    received the files given as files (no e-mail records it); without it
    their modification time counts where it can be true.
    """
    from pyxl.returns import collect, confirm

    if received_at is not None and received_at > now:
        raise PyxlError(f"收到时间 {received_at:%Y-%m-%d %H:%M} 在现在之后：请写实际收到这些文件的日期。")

    settings = workspace.settings
    use_mailbox = paths is None and bool(settings.inbox_mail.host)
    if paths is None:
        inbox = settings.inbox_dir
        if inbox.is_dir():
            paths = [inbox]
        elif use_mailbox:
            paths = []
        else:
            raise PyxlError(f"收件箱文件夹 {settings.relative(inbox)} 不存在：请先新建它并放入各单位报回的文件，或在命令后写出文件路径。")
    missing = [str(p) for p in paths if not Path(p).exists()]
    if paths and len(missing) == len(paths):
        raise PyxlError(f"找不到要收取的文件或文件夹：{'、'.join(missing)}。请检查路径，或不写路径以收取 inbox/。")
    duty, directory = workspace.duty, workspace.directory
    # the validations kept by the last command, taken before this one writes anything: collect changes no input
    # of an archived return's validation, so the returns not collected now are not validated again
    validated = _kept_validations(workspace, period)

    def collect_files(files: list[Path], extra: list = ()) -> "collect.Collected":
        return collect.collect(
            [Path(p) for p in files], returns_dir=settings.returns_dir(period), workspace=settings.root, period=str(period),
            duty=duty, directory=directory, now=now, sent_dir=settings.distribution_dir(period), extra=extra,
            log_bug=lambda context: log_exception(settings.logs_dir, context), received_at=received_at,
        )

    outcomes = [collect_files(paths)] if paths else []
    mailbox_lines: list[str] = []
    mailbox_outputs: list[Path] = []
    mailbox_problems: list[Problem] = []
    if use_mailbox:
        run = _fetch_mailbox(workspace, period, now, progress, environ,
                             lambda batch: outcomes.append(collect_files([], [i for f in batch for i in f.items])))
        mailbox_problems = run.problems
        mailbox_lines.append(
            f"邮箱 {settings.inbox_mail.username}「{run.folder}」：{run.since} 以来可能带附件的邮件 {run.candidates} 封，"
            f"本次收取 {run.taken} 封，以前已收取 {run.known} 封，无附件 {run.without_attachment} 封"
            + (f"，过大未下载 {len(run.problems)} 封" if run.problems else "")
            + (f"，已移到「{settings.inbox_mail.move_to}」{run.moved} 封" if run.moved else "") + "。"
            + (f"邮件中原样带回的本室下发原表（回复引用或退信）{run.quoted} 个，不作为报回。" if run.quoted else "")
        )
        if run.ledger is not None:
            mailbox_lines.append(f"邮箱收取记录：{settings.relative(run.ledger)}")
            mailbox_outputs.append(run.ledger)
    returns = [r for o in outcomes for r in o.returns]
    problems = [*mailbox_problems, *(p for o in outcomes for p in o.problems)]
    entries = [e for o in outcomes for e in o.entries]
    duplicates = sum(o.duplicates for o in outcomes)
    earlier = sum(o.earlier for o in outcomes)
    ledger = next((o.ledger for o in reversed(outcomes) if o.ledger is not None), None)
    # the units' current returns, for the summary: those read just now are not read again,
    # and the steps after this one in the same command (consolidate, remind) take them as they are
    for outcome in outcomes:
        validated.update(outcome.validated)
    current = collect.read_archive(settings.returns_dir(period), settings.root, duty, directory,
                                   sent_dir=settings.distribution_dir(period), validated=validated)
    workspace.archives[str(period)] = current
    _keep_validations(workspace, period, validated)  # all collect writes into the archive is written
    accepted = sum(r.accepted for r in current)
    summary = [
        *mailbox_lines,
        f"{period} 回收：本次新收文件 {len(returns)} 份填报表"
        f"（另有 {sum(e.status == 'container' for e in entries)} 个压缩包/邮件），已收过而跳过 {duplicates} 个。",
        *([f"另有 {earlier} 个文件（邮件、压缩包及其中的表格）已在以前的期次收取过（如上月留在收件箱中的），本期不再收取；可以把它们移出收件箱。"]
          if earlier else []),
        f"目前共有 {len(current)} 个单位报送，其中 {accepted} 个采用、{len(current) - accepted} 个退回待改。",
    ]
    summary += _loose_lines(outcomes, settings.due_date(period))
    evidence_lines = [e for e in entries if e.status == "evidence"]
    if evidence_lines:
        owners = list(dict.fromkeys(e.unit for e in evidence_lines))
        summary.append(f"佐证材料：本次收到 {len(evidence_lines)} 个文件（{'、'.join(owners[:5])}{'等' if len(owners) > 5 else ''}），"
                       f"已按单位原样归档在 {settings.relative(settings.returns_dir(period) / '佐证材料')}/。")
    requests = requests_in(current, period, workspace.life.apply(duty, str(period)))
    if requests:
        summary += [f"本期延期申请 {len(requests)} 项（点功能区「审批申请」或运行 pyxl decide，列入主控工作簿「申请审批」表后审批）：",
                    *_request_lines(requests)]
    answered = [r for o in outcomes for r in o.replies]
    if answered:
        good = [r for r in answered if r.accepted]
        summary.append(
            f"本次收到督办单回执 {len(answered)} 份，已登记 {len(good)} 份"
            + (f"（{'、'.join(f'{r.unit}（{r.period}）' for r in good[:10])}{'等' if len(good) > 10 else ''}）" if good else "")
            + (f"，有误未采用 {len(answered) - len(good)} 份（见问题清单）" if len(good) < len(answered) else "") + "。")
    waiting = confirm.pending_returns(settings.returns_dir(period), str(period))
    if waiting:
        summary.append(
            f"待确认 {len(waiting)} 份（发件邮箱不是该单位登记的邮箱，或邮件日期异常）：{_pending_names(waiting)}。"
            "它们已归档，但不计入、也不替换该单位已采用的报表；请向该单位核实后运行 pyxl confirm --unit 单位名"
            "（或点功能区「确认报表」）。"
        )
    outputs = [*([ledger] if ledger else []), *mailbox_outputs]
    if ledger is not None:
        summary.append(f"回收记录：{settings.relative(ledger)}")
    # every problem in one list (the terminal shows the first 20): this run's files, then what the
    # units' current returns still have, so a re-run keeps the list of what is to be fixed
    listed = list(dict.fromkeys([*problems, *(p for r in current for p in r.problems)]))
    problems_path = settings.out_dir(period) / collect.PROBLEMS_CSV.format(period=period)
    if listed or problems_path.exists():
        write_text_atomic(problems_path, problems_to_csv(listed), encoding="utf-8-sig")
        outputs.append(problems_path)
        summary.append(f"问题清单（{len(listed)} 个）：{settings.relative(problems_path)}")
    return StepResult(summary=summary, outputs=outputs, problems=problems, data=returns,
                      # a return this run left 待确认 waits for the office: something to act on
                      attention=any(e.status == "pending" for e in entries),
                      problems_file=problems_path if listed else None)


def _fetch_mailbox(workspace: Workspace, period: Period, now: datetime, progress: Progress,
                   environ: Mapping[str, str] | None, record: Callable) -> "mailbox.MailboxRun":
    """Fetch the mailbox's new messages since the period's sheets were sent (else inbox_mail.lookback_days)."""
    from pyxl.mail.ledger import KIND_SEND, Ledger, LEDGER_NAME as SEND_LEDGER
    from pyxl.returns import mailbox

    settings = workspace.settings
    mail = settings.inbox_mail
    sent = [line.time for line in Ledger(settings.out_dir(period) / SEND_LEDGER).read()
            if line.kind == KIND_SEND and line.round == str(period) and line.ok]
    # IMAP's SINCE is a date in the server's zone: one day earlier covers any zone
    since = (datetime.fromisoformat(min(sent)).date() - timedelta(days=1)) if sent else (now.date() - timedelta(days=mail.lookback_days))
    password = mailbox.imap_password(mail, os.environ if environ is None else environ)
    own = {hashlib.sha256(path.read_bytes()).hexdigest() for path in settings.distribution_dir(period).glob("*.xlsx")}
    return mailbox.fetch_mailbox(
        mail, password, returns_dir=settings.returns_dir(period), since=since, now=now, record=record,
        progress=progress, ca_file=settings.path(mail.ca_file) if mail.ca_file else None, own_sheets=own,
    )


def _loose_lines(outcomes: list, due: date) -> list[str]:
    """How the returns handed over as files were dated, said whenever one counts as late by it."""
    loose: dict[str, list[datetime]] = {}
    for outcome in outcomes:
        for how, times in outcome.loose.items():
            loose.setdefault(how, []).extend(times)
    late = sum(moment.date() > due for times in loose.values() for moment in times)
    if not late:
        return []
    ways = {"stated": "按 --received 写明的时间", "file": "按文件的修改时间", "now": "按本次收取的时间（文件的修改时间晚于现在或早于本期下发，不可信）"}
    counted = "，".join(f"{ways[how]} {len(times)} 份" for how, times in loose.items())
    total = sum(len(times) for times in loose.values())
    return [f"直接放入收件箱的报表（不是整封邮件）没有到达时间的记录，本次 {total} 份的收到时间：{counted}。"
            f"其中 {late} 份晚于报送截止 {due:%Y-%m-%d}，计为逾期报送；若实际是按时收到的，"
            "收取时请用 pyxl collect --received 日期 写明收到日期（已收取的文件不会再收取）。"]


def _pending_names(entries: list) -> str:
    return "、".join(f"{e.unit}（{e.source}{'，发件人 ' + e.sender if e.sender else ''}）" for e in entries[:10]) + (
        "等" if len(entries) > 10 else "")


def confirm_returns(workspace: Workspace, period: Period, units: list[str] | None = None) -> StepResult:
    """The 待确认 returns of the period; with `units`, confirm theirs so they count (the office checked the sender).

    Without `units` nothing changes: the result lists what waits, and `data`
    holds those ledger lines; with `units`, `data` is the lines appended.
    """
    from pyxl.returns import archive, confirm

    settings = workspace.settings
    waiting = confirm.pending_returns(settings.returns_dir(period), str(period))
    if not waiting:
        return StepResult(summary=[f"{period} 没有待确认的报表。"], data=[])
    if units is None:
        return StepResult(
            summary=[f"{period} 待确认 {len(waiting)} 份：{_pending_names(waiting)}。",
                     "核实发件人后，运行 pyxl confirm --unit 单位名 确认（可重复 --unit）。"],
            attention=True, data=waiting,
        )
    chosen = []
    for name in units:
        resolved = workspace.index.resolve(name)
        if resolved.canonical is None or resolved.canonical not in {e.unit for e in waiting}:
            raise PyxlError(f"「{name}」没有待确认的报表：待确认的单位是 {'、'.join(sorted({e.unit for e in waiting}))}。")
        chosen.append(resolved.canonical)
    appended = confirm.confirm(settings.returns_dir(period), settings.root, str(period), chosen, workspace.duty,
                               workspace.directory, sent_dir=settings.distribution_dir(period))
    confirmed = [e for e in appended if e.status == "confirmed"]
    superseded = [e for e in appended if e.status == "superseded"]
    summary = [f"已确认 {len(confirmed)} 份报表：{'、'.join(e.unit for e in confirmed)}，现按报送时间参与汇总。"]
    if superseded:
        summary.append(f"其中 {len(superseded)} 份较早的报表因此被替换（原件仍保留）。")
    left = confirm.pending_returns(settings.returns_dir(period), str(period))
    if left:
        summary.append(f"仍待确认 {len(left)} 份：{_pending_names(left)}。")
    return StepResult(summary=summary, outputs=[settings.returns_dir(period) / archive.LEDGER_NAME], data=appended)
