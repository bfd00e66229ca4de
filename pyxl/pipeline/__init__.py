"""The steps of the monthly loop, each one library function.

One ribbon button = one CLI command = one function here, with one name:
the button id is the function name (`collect_returns`), the command is its
short form (`pyxl collect`). Each function takes the command's loaded
`Workspace` (settings, the master read once, duty table, units), chains the
stages, writes its outputs atomically and returns a StepResult. Stages never
import a later stage; this module and the shells are the only places that
know the order of the loop.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from pyxl.common.config import CONFIG_NAME
from pyxl.common.errors import PyxlError
from pyxl.common.files import write_text_atomic
from pyxl.common.logs import log_exception
from pyxl.common.model import CATEGORIES, FLAG_KINDS, LIGHT_LABELS, LIGHTS, Consolidation
from pyxl.common.period import Period, chinese_date
from pyxl.common.problems import Problem, problems_to_csv
from pyxl.document import parse
from pyxl.example import example_config
from pyxl.workspace import Workspace

if TYPE_CHECKING:  # imported by the step that fetches mail
    from pyxl.returns import mailbox

# progress(done, total, text): terminal line or Excel status bar
Progress = Callable[[int, int, str], None]


def no_progress(done: int, total: int, text: str) -> None:
    """The default progress callback: says nothing."""


@dataclass
class StepResult:
    """What a step did: Chinese summary lines, files written, problems found."""

    summary: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    attention: bool = False  # flags or failures to act on, besides problems
    data: object = None  # the step's main value (DutyTable, consolidation …)
    problems_file: Path | None = None  # where the step wrote all its problems, if it did

    def data_json(self) -> object:
        """The step's main value as JSON-ready data (for `--json`)."""
        to_json = getattr(self.data, "to_json", None)
        if to_json is None:
            raise PyxlError("这个命令没有 JSON 输出。")
        return to_json()

    @property
    def exit_code(self) -> int:
        """0 done; 1 done with errors or flags to act on. Hints (severity warning) alone are not problems to act on."""
        return 1 if (self.attention or any(p.is_error for p in self.problems)) else 0


# ---------------------------------------------------------------- duty table


def parse_document(workspace: Workspace, document: Path | None = None) -> StepResult:
    """Parse a duty document (default: the configured one, else the bundled example)."""
    duty = workspace.parse_document(document)
    units = {name for task in duty.tasks for name in (*task.lead_units, *task.responsible_units)}
    summary = [
        f"「{duty.title}」（{duty.year} 年）：{len(duty.sections)} 个部分、"
        f"{sum(len(s.subsections) for s in duty.sections)} 个小节、{len(duty.tasks)} 项任务、"
        f"{sum(len(t.targets) for t in duty.tasks)} 个量化指标、{sum(len(t.deadlines) for t in duty.tasks)} 个时限、"
        f"涉及 {len(units)} 个单位（含单位组）；发现问题 {len(duty.problems)} 个。"
    ]
    return StepResult(summary=summary, problems=list(duty.problems), data=duty)


def build_workbook(
    workspace: Workspace, document: Path | None = None, force: bool = False, reimport: bool = False, *, now: datetime
) -> StepResult:
    """Create workbook/Responsibilities.xlsm from a duty document.

    Refuses while Excel holds the workbook, and to replace it without `force`.
    With `force` the rows staff edited in 任务清单, 指标, 单位 and 设置 are
    carried over from the saved file; `reimport` takes 任务清单 and 指标 from
    the document again (单位 and 设置 stay). Units and aliases added to
    config.yaml since are merged into 单位. Either way the old file is backed
    up (named by `now`, passed in like all time) and replaced atomically.
    """
    from pyxl.master import build as workbook_build

    settings = workspace.config
    target = settings.workbook_path
    if target.parent.exists() and not target.parent.is_dir():
        raise PyxlError(f"{settings.relative(target.parent)} 是一个文件，不是文件夹：请改 config.yaml 的 paths.workbook，或移走这个文件。")
    # checked before parsing, so a refusal costs nothing; write_master checks again before writing
    workbook_build.check_replaceable(target, force, settings.relative(target))
    saved = workspace.saved
    summary: list[str] = []
    problems: list[Problem] = []
    if saved is not None and not reimport:
        content = workbook_build.MasterContent.carried_over(saved, settings)
        summary.append(f"已保留工作簿中的修改：任务 {len(content.tasks) - 1} 项、指标 {len(content.indicators) - 1} 个、"
                       f"单位 {len(content.units) - 1} 个。")
        if document is not None:
            summary.append(f"未重新导入 {document}：要按这个分工文件重新导入任务清单和指标（丢弃这两表中的修改），请加 --reimport。")
    else:
        # a re-import rewrites 任务清单 and 指标 only (as the ribbon's 导入分工文件 does): the
        # 单位 sheet's e-mails and aliases and the 设置 sheet stay, and names resolve through them
        directory = (workbook_build.MasterContent.carried_over(saved, settings).unit_directory(settings)
                     if saved is not None else settings.unit_directory())
        path = Path(document) if document is not None else settings.document_path
        duty = parse.parse_document(path, directory, settings.year)
        problems = list(duty.problems)
        if saved is not None:
            content = workbook_build.MasterContent.carried_over(saved, settings, table=duty, document=settings.relative(path))
        else:
            content = workbook_build.MasterContent.fresh(settings, duty, directory, document=settings.relative(path))
        summary.append(f"已导入「{duty.title}」：任务 {len(duty.tasks)} 项、指标 {sum(len(t.targets) for t in duty.tasks)} 个。")
        if saved is not None:
            summary.append("「单位」「设置」两表中的修改已保留。")
    summary += content.notes
    backup = workbook_build.write_master(target, content, now, force=force)
    summary.insert(0, f"已生成主控工作簿 {settings.relative(target)}。")
    if backup is not None:
        summary.append(f"原工作簿已备份为 {settings.relative(backup)}。")
    return StepResult(summary=summary, outputs=[target], problems=problems)


def excel_setup(workspace: Workspace, *, now: datetime) -> StepResult:
    """Write this machine's interpreter and PYTHONPATH into the workbook's xlwings.conf sheet.

    The workbook is rebuilt through the same path as `build_workbook --force`
    (never saved with openpyxl), keeping every edit the staff made.
    """
    from pyxl.master import build as workbook_build

    settings = workspace.config
    target = settings.workbook_path
    if workspace.saved is None:
        raise PyxlError(f"找不到主控工作簿 {settings.relative(target)}：请先运行 pyxl build-workbook。")
    workbook_build.check_not_open(target)
    saved = workspace.saved
    conf = workbook_build.machine_conf()
    content = workbook_build.MasterContent.carried_over(saved, settings, conf)
    backup = workbook_build.write_master(target, content, now, force=True)
    summary = [f"已把本机 Python 写入 {settings.relative(target)} 的 xlwings.conf 表："]
    summary += [f"  {key} = {value}" for key, value in conf.items()]
    if any(value.startswith("%") for value in conf.values()):
        summary.append("  （%…% 是本机用户或程序文件夹，在别的电脑上按同样方式安装的 Python 也能用；否则在那台电脑上再运行一次 pyxl excel-setup。）")
    expanded = {key: workbook_build.expand_portable(value, os.environ) for key, value in conf.items()}
    checked = [str(target), *(v for k, v in expanded.items() if k != "PYTHONPATH"), *expanded["PYTHONPATH"].split(";")]
    unsafe = {path: chars for path in checked if path and (chars := workbook_build.unsafe_path_chars(path))}
    summary += [f"注意：路径 {path} 中含有 {chars}，Excel 启动 Python 时会被命令提示符改写，按钮将无法运行："
                "请把文件夹改名（中文和空格没有问题）后再运行 pyxl excel-setup。" for path, chars in unsafe.items()]
    summary += content.notes
    summary.append(f"原工作簿已备份为 {settings.relative(backup)}。" if backup else "")
    return StepResult(summary=[line for line in summary if line], outputs=[target])


# ---------------------------------------------------------------- the month


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


def archived_returns(workspace: Workspace, period: Period) -> list:
    """The current return of each unit for `period` (collect.read_archive), read once per command.

    Consolidate, report, remind and split's pre-fill all want them; a
    command that runs several of those (`pyxl month`, a ribbon button) reads
    the archive once, and collect hands on the returns it has just read.
    """
    from pyxl.returns import collect

    key = str(period)
    if key not in workspace.archives:
        settings = workspace.settings
        workspace.archives[key] = collect.read_archive(
            settings.returns_dir(period), settings.root, workspace.duty, workspace.directory,
            sent_dir=settings.distribution_dir(period),
        )
    return workspace.archives[key]


def collect_returns(
    workspace: Workspace,
    period: Period,
    paths: list[Path] | None,
    now: datetime,
    progress: Progress = no_progress,
    environ: Mapping[str, str] | None = None,
) -> StepResult:
    """Archive, recognise and validate returned sheets (default: the inbox, and the mailbox when set).

    Every file given is archived byte for byte under returns/<period>/ and
    recorded once in its ledger; the problems of the files new in this run
    are returned. `data` is the list of UnitReturn read in this run. With no
    paths and `inbox_mail.host` set, the new messages of the office mailbox
    are fetched too (pyxl.returns.mailbox), batch by batch, each batch
    archived before it is noted as taken.
    """
    from pyxl.returns import collect

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

    def collect_files(files: list[Path], extra: list = ()) -> "collect.Collected":
        return collect.collect(
            [Path(p) for p in files], returns_dir=settings.returns_dir(period), workspace=settings.root, period=str(period),
            duty=duty, directory=directory, now=now, sent_dir=settings.distribution_dir(period), extra=extra,
            log_bug=lambda context: log_exception(settings.logs_dir, context),
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
    current = collect.read_archive(settings.returns_dir(period), settings.root, duty, directory,
                                   sent_dir=settings.distribution_dir(period),
                                   reuse={r.sha256: r for r in returns})
    workspace.archives[str(period)] = current
    accepted = sum(r.accepted for r in current)
    summary = [
        *mailbox_lines,
        f"{period} 回收：本次新收文件 {len(returns)} 份填报表"
        f"（另有 {sum(e.status == 'container' for e in entries)} 个压缩包/邮件），已收过而跳过 {duplicates} 个。",
        *([f"另有 {earlier} 个文件（邮件、压缩包及其中的表格）已在以前的期次收取过（如上月留在收件箱中的），本期不再收取；可以把它们移出收件箱。"]
          if earlier else []),
        f"目前共有 {len(current)} 个单位报送，其中 {accepted} 个采用、{len(current) - accepted} 个退回待改。",
    ]
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
    waiting = collect.pending_returns(settings.returns_dir(period), str(period))
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


def _judge(workspace: Workspace, period: Period, as_of: date) -> Consolidation:
    """The period's judgement, consolidated in memory (no files written)."""
    return _consolidate(workspace, period, as_of)[0]


def _pending_names(entries: list) -> str:
    return "、".join(f"{e.unit}（{e.source}{'，发件人 ' + e.sender if e.sender else ''}）" for e in entries[:10]) + (
        "等" if len(entries) > 10 else "")


def confirm_returns(workspace: Workspace, period: Period, units: list[str] | None = None) -> StepResult:
    """The 待确认 returns of the period; with `units`, confirm theirs so they count (the office checked the sender).

    Without `units` nothing changes: the result lists what waits, and `data`
    holds those ledger lines; with `units`, `data` is the lines appended.
    """
    from pyxl.returns import archive, collect

    settings = workspace.settings
    waiting = collect.pending_returns(settings.returns_dir(period), str(period))
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
    appended = collect.confirm(settings.returns_dir(period), settings.root, str(period), chosen, workspace.duty,
                               workspace.directory, sent_dir=settings.distribution_dir(period))
    confirmed = [e for e in appended if e.status == "confirmed"]
    superseded = [e for e in appended if e.status == "superseded"]
    summary = [f"已确认 {len(confirmed)} 份报表：{'、'.join(e.unit for e in confirmed)}，现按报送时间参与汇总。"]
    if superseded:
        summary.append(f"其中 {len(superseded)} 份较早的报表因此被替换（原件仍保留）。")
    left = collect.pending_returns(settings.returns_dir(period), str(period))
    if left:
        summary.append(f"仍待确认 {len(left)} 份：{_pending_names(left)}。")
    return StepResult(summary=summary, outputs=[settings.returns_dir(period) / archive.LEDGER_NAME], data=appended)


def _consolidate(workspace: Workspace, period: Period, as_of: date) -> tuple[Consolidation, list]:
    """(the period's judgement, the current returns it was made from)."""
    from pyxl.judgement import consolidate

    settings, duty, directory = workspace.settings, workspace.duty, workspace.directory

    def archived(earlier: Period) -> list:
        return archived_returns(workspace, earlier)

    current = archived(period) if settings.returns_dir(period).is_dir() else []
    history = {}
    earlier = period.previous()
    # the previous category needs one earlier period, a stale run stale_periods - 1 of them
    for _ in range(max(1, settings.thresholds.stale_periods - 1)):
        if earlier.year < duty.year:  # another plan year's task numbers mean other tasks
            break
        if settings.returns_dir(earlier).is_dir():
            history[str(earlier)] = archived(earlier)
        earlier = earlier.previous()
    result = consolidate.consolidate(
        duty, directory, current, history, period, as_of, settings.thresholds, settings.due_date(period),
        settings.notices, life=workspace.life,
    )
    return _with_evidence(workspace, period, result, current), current


def _with_evidence(workspace: Workspace, period: Period, result: Consolidation, current: list) -> Consolidation:
    """The judgement with the period's 佐证材料 list: what each row named and the files archived (pyxl.returns.evidence)."""
    from dataclasses import replace

    import pandas as pd

    from pyxl.common.model import EVIDENCE_COLUMNS
    from pyxl.returns import evidence

    folder = workspace.settings.returns_dir(period)
    files = evidence.read_index(folder) if folder.is_dir() else []
    rows = evidence.evidence_rows(current, files, str(period), workspace.duty)
    return replace(result, evidence=pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS)))


def _with_accountability(workspace: Workspace, period: Period, result: Consolidation) -> Consolidation:
    """The judgement with the 督办 ladder, the month's scores and the ranking across the plan year.

    Earlier months count as they were issued: their flags, scores, tasks,
    indicators and ladder steps are read back from their own 汇总 workbooks (a
    month never consolidated is left out, not taken as a clean month); this
    month's come from `result`. Also: last month's 督办单 against the 回执
    recorded in any month's archive (answered in time? — the score's notice
    deduction), the caught-up light rule when the office sets it
    (thresholds.caught_up_light), and each task's history with its events.
    """
    from dataclasses import replace

    from pyxl.judgement import escalation, history, notices, scoring
    from pyxl.outputs import report, summary
    from pyxl.returns import replies

    settings = workspace.settings
    rules = settings.accountability
    flags, scores, months = [], {}, []
    issued_months: dict[str, dict] = {}
    for month in range(1, period.month if period.year == result.year else 1):
        earlier = Period(period.year, month)
        issued = summary.read_issued(settings.out_dir(earlier) / f"汇总_{earlier}.xlsx",
                                     ("flags", "scores", "tasks", "indicators", "escalation"))
        if issued is not None:
            issued_months[str(earlier)] = issued
            flags.append((str(earlier), issued["flags"]))
            if not issued["scores"].empty:
                scores[str(earlier)] = issued["scores"]
            months.append(history.Month(str(earlier), issued["tasks"], issued["indicators"], issued["escalation"]))
    previous = str(period.previous())
    if settings.thresholds.caught_up_light == "yellow" and previous in issued_months:
        before = issued_months[previous]["indicators"]
        lights = dict(zip(before["key"].astype(str), before["light"].astype(str))) if len(before) else {}
        result = replace(result, indicators=escalation.caught_up_lights(result.indicators, lights))
    # last month's 督办单: answered by their reply date? (the replies are found in any month's archive)
    issued_notices = report.read_notice_list(settings.out_dir(period.previous()) / report.NOTICE_FOLDER)
    answered = replies.read_replies(settings.returns_dir(period).parent, settings.root, previous, workspace.directory) \
        if issued_notices else []
    reply_rows = notices.reply_table(issued_notices, answered, result.as_of, previous)
    flags.append((str(period), result.flags))
    scores[str(period)] = scoring.score_period(result, rules.score, notices.late_or_missing(reply_rows))
    items = escalation.escalate(flags, rules.ladder)
    ladder_rows = escalation.escalation_table(items, rules.ladder)
    months.append(history.Month(str(period), result.tasks, result.indicators, ladder_rows))
    return replace(result, escalation=ladder_rows, scores=scores[str(period)], ranking=scoring.rank_units(scores),
                   replies=reply_rows, history=history.task_history(months, task_events(workspace, months), rules.ladder))


def task_events(workspace: Workspace, months: list) -> dict[tuple[str, str], list[str]]:
    """(task number, period) → the month's events in words for each task's history.

    From the office's decisions in the master (pyxl.common.life: 申请延期, 同意延期至…,
    不同意延期, 调整完成时限至…, 销号, 撤销销号, each in the month it happened) and the
    months' judgements (已完成待销号 in each month a task waited for 销号).
    """
    from pyxl.common import life

    pending = {month.period: [str(n) for n, state in zip(month.tasks["number"], month.tasks["closure"])
                              if state == life.PENDING_CLOSURE]
               for month in months if "closure" in month.tasks.columns}
    return life.task_events(workspace.life, pending)


def consolidate_period(workspace: Workspace, period: Period, as_of: date) -> StepResult:
    """Consolidate the archive into 汇总_<period>.xlsx with flags.

    Reads only the duty table and the archive (this period, and as many
    earlier periods of the plan year as the previous category and the
    连续未更新 flag need), so a re-run gives the same tables. `data` is the
    Consolidation; `attention` is set when there are flags (exit code 1).
    """
    from pyxl.outputs import summary
    from pyxl.returns import collect

    settings = workspace.settings
    result, current = _consolidate(workspace, period, as_of)
    result = _with_accountability(workspace, period, result)
    path = summary.write_summary(settings.out_dir(period) / f"汇总_{period}.xlsx", result, root=settings.root)
    problems = [problem for item in current for problem in item.problems]
    # the problems CSV lists what the 问题 sheet lists: the problems of each unit's current return
    problems_path = settings.out_dir(period) / collect.PROBLEMS_CSV.format(period=period)
    outputs = [path]
    if problems or problems_path.exists():
        write_text_atomic(problems_path, problems_to_csv(problems), encoding="utf-8-sig")
        outputs.append(problems_path)
    return StepResult(
        summary=_consolidation_summary(result, period) + [f"汇总表：{settings.relative(path)}"],
        outputs=outputs,
        # the office's own decision cells that could not be read (申请审批, 销号) are named too
        problems=[*problems, *workspace.life_problems],
        attention=not result.flags.empty,  # every flag, red or yellow, is something to act on
        data=result,
    )


def _consolidation_summary(result: Consolidation, period: Period) -> list[str]:
    """Chinese summary lines of a consolidation: categories, lights, returns, flags."""
    def counted(values, order, labels=None) -> str:
        counts = values.value_counts()
        parts = [f"{(labels or {}).get(key, key)} {int(counts[key])}" for key in order if counts.get(key, 0)]
        return "、".join(parts) or "无"

    from pyxl.outputs.report import return_sentence  # the bulletin's own sentence, so the two never disagree

    red = int((result.flags["level"] == "red").sum())
    return [
        f"{period.label}汇总（截至{chinese_date(result.as_of)}，序时进度 {result.schedule_fraction:.1%}）："
        f"重点任务 {len(result.tasks)} 项——{counted(result.tasks['category'], CATEGORIES)}。",
        f"指标 {len(result.indicators)} 个——{counted(result.indicators['light'], LIGHTS, LIGHT_LABELS)}。",
        f"回收：{return_sentence(result.returns)}（截止{chinese_date(result.due_date)}）",
        f"预警 {len(result.flags)} 条（红色 {red} 条）：{counted(result.flags['flag'], FLAG_KINDS)}。",
        *_life_summary(result),
    ]


def _life_summary(result: Consolidation) -> list[str]:
    """销号 and moved deadlines in the judgement, when there are any (the same words as the 通报)."""
    from pyxl.outputs.report import life_sentence

    lines = [life_sentence(result)] if life_sentence(result) else []
    if (result.tasks["closure"] == "待销号").any():
        lines.append("核实后点功能区「销号」或运行 pyxl close 销号。")
    return lines


def write_report(workspace: Workspace, period: Period, as_of: date) -> StepResult:
    """Write the bulletin (督查通报, DOCX and HTML) and the per-unit 督办单.

    Consolidates first (so the bulletin always shows the tables of the same
    run), then writes out/<period>/督查通报_<period>.docx/.html and
    out/<period>/督办单/<unit>.docx for every unit the rule selects, each with its
    回执 (<unit>_回执.xlsx) and the list of those issued; the reply-by date is
    period.reply_working_days working days after `as_of`. Then the 任务历程
    pages (out/<period>/任务历程/).
    """
    # Imported here: docxtpl and matplotlib are only loaded by the steps that draw.
    from pyxl.distribution import layout
    from pyxl.outputs import history_pages, report

    settings = workspace.settings
    consolidated = consolidate_period(workspace, period, as_of)
    consolidation = consolidated.data
    templates = report.ReportTemplates(
        bulletin_docx=settings.template_path("report/bulletin.docx"),
        bulletin_html=settings.template_path("report/bulletin.html.j2"),
        notice_docx=settings.template_path("report/notice.docx"),
    )
    reply_by = report.reply_by_date(as_of, settings.period.reply_working_days, settings.period.calendar)
    written = report.write_bulletin(consolidation, settings.out_dir(period), templates, report.Issuer.from_settings(settings),
                                    reply_by, reply_key=layout.workspace_key(settings.root, create=True))
    notices = [path for path in written if path.parent.name == report.NOTICE_FOLDER and path.suffix == ".docx"]
    pages = history_pages.write_history_pages(consolidation, settings.out_dir(period))
    counts = report.category_counts(consolidation.tasks)
    headline = "，".join(f"{row.category}{row.count}项" for row in counts.itertuples(index=False) if row.count)
    summary = [
        *consolidated.summary,
        f"已生成{period.label}督查通报：重点任务{len(consolidation.tasks)}项（{headline or '无任务'}）。",
        f"督办单{len(notices)}份（{'、'.join(p.stem for p in notices[:10])}{'等' if len(notices) > 10 else ''}），"
        f"请于{report.format_date(reply_by)}前回复（各附《督办单回执》，单位填写后报回，收取时自动登记）。"
        if notices
        else "本期没有红色预警，未生成督办单。",
        f"任务历程：{settings.relative(pages[0])}（每项任务一页，逐月对照）。",
    ]
    return StepResult(
        summary=summary,
        outputs=[*consolidated.outputs, *written, *pages],
        problems=consolidated.problems,
        attention=consolidated.attention,
        data=consolidation,
    )


# ---------------------------------------------------------------- a task's life: 延期/调整 and 销号


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
    from openpyxl.utils import get_column_letter

    from pyxl.distribution import layout
    from pyxl.judgement.consolidate import file_name

    name = file_name(item.source or item.file)
    column = get_column_letter(layout.COLUMNS.index("申请新完成时限") + 1)
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


def run_month(workspace: Workspace, period: Period, as_of: date, now: datetime, dry_run: bool = True,
              environ: Mapping[str, str] | None = None) -> StepResult:
    """The monthly run: collect the inbox, consolidate, write the report, send reminders (drafts with dry_run).

    write_report consolidates first and writes 汇总_<period>.xlsx besides the
    bulletin, so the month consolidates once. An empty or missing inbox is no
    reason to stop: the month still consolidates what the archive holds.
    Exit code 1 when any step found problems or there are red flags.
    """
    settings = workspace.settings
    steps = []
    if settings.inbox_dir.is_dir() or settings.inbox_mail.host:
        steps.append(collect_returns(workspace, period, None, now, environ=environ))
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


WORKSPACE_FOLDERS = ("inbox", "returns", "out", "workbook", "templates", "logs")


def init_workspace(folder: Path) -> StepResult:
    """Create a new workspace: the example config.yaml (with comments) and empty folders.

    The config names no duty document: nothing runs on the bundled example's
    tasks and units until the office has put its own document and units in.
    """
    folder = Path(folder)
    config = folder / CONFIG_NAME
    if folder.exists() and not folder.is_dir():
        raise PyxlError(f"{folder} 是一个文件，不是文件夹：新建工作目录请写一个新文件夹的名称，如 pyxl init 沁县督查。")
    if config.exists():
        raise PyxlError(f"{config} 已存在：新建工作目录请换一个空文件夹。")
    blocking = [name for name in WORKSPACE_FOLDERS if (folder / name).exists() and not (folder / name).is_dir()]
    if blocking:
        raise PyxlError(f"{folder} 中已有名为「{'、'.join(blocking)}」的文件：新建工作目录请换一个空文件夹。")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(config, example_config().read_text(encoding="utf-8"))
        made = [config]
        for name in WORKSPACE_FOLDERS:
            (folder / name).mkdir(exist_ok=True)
            made.append(folder / name)
    except OSError as error:
        raise PyxlError(f"无法在 {folder} 新建工作目录（{error.strerror or error}）：请换一个有写入权限的文件夹。") from None
    return StepResult(
        summary=[
            f"已新建工作目录 {folder}。接下来：",
            "  1. 把本区县的责任分工文件放进这个文件夹，在 config.yaml 的 paths.document 写上文件名；",
            "  2. 在 config.yaml 中改 district（区县名称）、year、office（称谓），把 units 换成本区县的单位名录和邮箱；",
            "  3. 运行 pyxl build-workbook，按提示补全单位名录后再运行 pyxl split。",
        ],
        outputs=made,
    )


def open_output_folder(workspace: Workspace, period: Period) -> StepResult:
    """The folder of the period's outputs (the ribbon opens it in Explorer)."""
    folder = workspace.settings.out_dir(period)
    folder.mkdir(parents=True, exist_ok=True)
    return StepResult(summary=[f"输出文件夹：{folder}"], outputs=[folder])
