"""The period's judgement: consolidated from the archive, with evidence and the accountability across months."""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pyxl.common.files import write_text_atomic
from pyxl.common.model import CATEGORIES, FLAG_KINDS, LIGHT_LABELS, LIGHTS, Consolidation
from pyxl.common.period import Period, chinese_date
from pyxl.common.problems import problems_to_csv
from pyxl.pipeline.archive import archived_returns
from pyxl.pipeline.result import StepResult
from pyxl.workspace import Workspace


def _judge(workspace: Workspace, period: Period, as_of: date) -> Consolidation:
    """The period's judgement: the one `consolidate` kept when nothing it was made from changed, else made in memory (no files written)."""
    kept = _kept_judgement(workspace, period, as_of)
    return kept.consolidation if kept is not None else _consolidate(workspace, period, as_of)[0]


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
    from pyxl.outputs import summary
    from pyxl.outputs.notices import NOTICE_FOLDER, read_notice_list
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
    issued_notices = read_notice_list(settings.out_dir(period.previous()) / NOTICE_FOLDER)
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
    kept = _Kept(result, problems, [output.name for output in outputs])
    _keep_judgement(workspace, period, as_of, kept)
    return _consolidated(workspace, period, kept)


def _judged_period(workspace: Workspace, period: Period, as_of: date) -> StepResult:
    """The period's judgement as `consolidate_period` gives it, taken from the last `consolidate` when still valid.

    `consolidate` keeps its judgement beside 汇总_<period>.xlsx with a fingerprint
    of everything it was made from (see `_fingerprint`); when the workspace still
    has that fingerprint and the same as_of, the judgement is loaded and the
    summary workbook is left as it is (it holds this very judgement). Otherwise —
    anything changed, the file is missing, torn or not this workspace's — the
    period is consolidated afresh, writing the summary and the judgement again.
    """
    kept = _kept_judgement(workspace, period, as_of)
    if kept is None:
        return consolidate_period(workspace, period, as_of)
    return _consolidated(workspace, period, kept)


def _consolidated(workspace: Workspace, period: Period, kept: "_Kept") -> StepResult:
    """consolidate_period's result for a judgement and the files it wrote."""
    settings = workspace.settings
    out = settings.out_dir(period)
    result = kept.consolidation
    return StepResult(
        summary=_consolidation_summary(result, period) + [f"汇总表：{settings.relative(out / kept.outputs[0])}"],
        outputs=[out / name for name in kept.outputs],
        # the office's own decision cells that could not be read (申请审批, 销号) are named too
        problems=[*kept.problems, *workspace.life_problems],
        attention=not result.flags.empty,  # every flag, red or yellow, is something to act on
        data=result,
    )


# ---------------------------------------------------------------- the judgement kept between commands

JUDGEMENT_FILE = ".pyxl-judgement"  # in out/<period>/, beside the summary workbook
_MAGIC = b"pyxl-judgement 2\n"


@dataclass
class _Kept:
    """What `consolidate` keeps: the judgement, the current returns' problems, the files it wrote (names in out/<period>/)."""

    consolidation: Consolidation
    problems: list
    outputs: list[str]


def _fingerprint(workspace: Workspace, period: Period, as_of: date, own: list[str]) -> bytes:
    """A digest of everything a judgement of `period` at `as_of` can be made from.

    Deliberately wider than what the judgement reads, so nothing can be missed:
    pyxl's version and source files, the libraries that count and pickle, the
    settings in force (config.yaml overlaid with the master's 设置), as_of, and
    the path, size and modification time of every file of the workspace —
    master workbook (申请审批, 销号 …), duty document, every period's archive
    with its 回执, 佐证材料 and caches, earlier months' 汇总 workbooks and 督办单
    lists, the sent sheets (identity checks read them), the secret key. Left
    out are only what no judgement reads: logs/, inbox/, lock files (Office's
    ~$, pyxl's own), pyxl's temporaries, and the period's own outputs in
    out/<period>/ other than its 分发/ folder and the files `consolidate` wrote
    with the judgement (`own`: the summary workbook, the problem list).
    """
    from importlib import metadata

    import pyxl
    from pyxl.common.files import LOCK_NAME, TEMP_PREFIX
    from pyxl.distribution import layout

    settings = workspace.settings
    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            digest.update(str(part).encode("utf-8", "surrogateescape"))
            digest.update(b"\x1f")
        digest.update(b"\x1e")

    versions = []
    for name in ("pandas", "numpy", "chinesecalendar", "python-calamine", "openpyxl"):
        try:
            versions.append(metadata.version(name))
        except metadata.PackageNotFoundError:
            versions.append("")
    add(pyxl.__version__, layout.TEMPLATE_VERSION, *versions, str(period), as_of.isoformat())
    add(settings.model_dump_json())
    out = settings.out_dir(period)
    skipped = {os.path.normcase(os.path.abspath(p)) for p in (settings.logs_dir, settings.inbox_dir, out)}

    def add_file(path: str) -> None:
        try:
            stat = os.stat(path)
        except OSError:
            add(path, "missing")
            return
        add(path, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)

    def walk(folder: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            add(folder, "unreadable")
            return
        for entry in entries:
            # never read: Office's lock files, pyxl's own lock (Windows deletes it after each command) and temporaries
            if entry.name.startswith(("~$", TEMP_PREFIX)) or entry.name == LOCK_NAME:
                continue
            if entry.is_dir(follow_symlinks=False):
                if os.path.normcase(os.path.abspath(entry.path)) not in skipped:
                    walk(entry.path)
            else:
                add_file(entry.path)

    package = Path(pyxl.__file__).parent
    for source in sorted(package.rglob("*.py")):  # a changed module may judge differently, or not unpickle
        add_file(str(source))
    roots = [settings.root, settings.path(settings.paths.returns), settings.path(settings.paths.out),
             settings.workbook_path, settings.path(settings.paths.document)]
    top = os.path.abspath(settings.root)
    for root in roots:  # the root, and any configured path outside it
        path = os.path.abspath(root)
        if root is not settings.root and (path == top or path.startswith(top.rstrip(os.sep) + os.sep)):
            continue
        (walk if os.path.isdir(path) else add_file)(path)
    walk(str(settings.distribution_dir(period)))
    for name in own:
        add(name)
        add_file(str(out / name))
    return digest.digest()


def _keep_judgement(workspace: Workspace, period: Period, as_of: date, kept: _Kept) -> None:
    """Write out/<period>/.pyxl-judgement: an HMAC under the workspace's key, the names of the files written with it, the fingerprint, the pickled judgement.

    The fingerprint is taken after the summary and every cache the judgement
    wrote (.parsed.json, the sent sheets' index). Keeping it is only for speed:
    when it cannot be written, the next report consolidates again.
    """
    from pyxl.common.files import write_bytes_atomic
    from pyxl.distribution import layout

    settings = workspace.settings
    target = settings.out_dir(period) / JUDGEMENT_FILE
    try:
        key = layout.workspace_key(settings.root, create=True)
        names = "\n".join(kept.outputs).encode("utf-8")
        sealed = (len(names).to_bytes(4, "big") + names + _fingerprint(workspace, period, as_of, kept.outputs)
                  + pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL))
        write_bytes_atomic(target, _MAGIC + hmac.new(key, sealed, hashlib.sha256).digest() + sealed)
    except OSError:
        target.unlink(missing_ok=True)


def _kept_judgement(workspace: Workspace, period: Period, as_of: date) -> _Kept | None:
    """The judgement `consolidate` kept, when its seal is this workspace's and the workspace still has its fingerprint; else None."""
    from pyxl.distribution import layout

    settings = workspace.settings
    try:
        data = (settings.out_dir(period) / JUDGEMENT_FILE).read_bytes()
    except OSError:
        return None
    key = layout.workspace_key(settings.root)
    head = len(_MAGIC)
    if key is None or not data.startswith(_MAGIC) or len(data) < head + 36:
        return None
    seal, sealed = data[head:head + 32], data[head + 32:]
    # the seal first: nothing is read further, let alone unpickled, that this workspace's consolidate did not write whole
    if not hmac.compare_digest(seal, hmac.new(key, sealed, hashlib.sha256).digest()):
        return None
    size = int.from_bytes(sealed[:4], "big")
    names = sealed[4:4 + size].decode("utf-8").split("\n")
    fingerprint, payload = sealed[4 + size:4 + size + 32], sealed[4 + size + 32:]
    if not hmac.compare_digest(fingerprint, _fingerprint(workspace, period, as_of, names)):
        return None
    try:
        kept = pickle.loads(payload)
    except Exception:  # noqa: BLE001 (sealed but unreadable, e.g. another pandas: consolidate afresh)
        return None
    if not isinstance(kept, _Kept) or not isinstance(kept.consolidation, Consolidation) or kept.outputs != names:
        return None
    return kept


def _consolidation_summary(result: Consolidation, period: Period) -> list[str]:
    """Chinese summary lines of a consolidation: categories, lights, returns, flags."""
    def counted(values, order, labels=None) -> str:
        counts = values.value_counts()
        parts = [f"{(labels or {}).get(key, key)} {int(counts[key])}" for key in order if counts.get(key, 0)]
        return "、".join(parts) or "无"

    from pyxl.outputs.counting import return_sentence  # the bulletin's own sentence, so the two never disagree

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
    from pyxl.common.life import PENDING_CLOSURE
    from pyxl.outputs.bulletin import life_sentence

    sentence = life_sentence(result)
    lines = [sentence] if sentence else []
    if (result.tasks["closure"] == PENDING_CLOSURE).any():
        lines.append("核实后点功能区「销号」或运行 pyxl close 销号。")
    return lines
