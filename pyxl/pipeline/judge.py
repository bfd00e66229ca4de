"""The period's judgement: consolidated from the archive, with evidence and the accountability across months."""

from __future__ import annotations

from datetime import date

from pyxl.common.files import write_text_atomic
from pyxl.common.model import CATEGORIES, FLAG_KINDS, LIGHT_LABELS, LIGHTS, Consolidation
from pyxl.common.period import Period, chinese_date
from pyxl.common.problems import problems_to_csv
from pyxl.pipeline.archive import archived_returns
from pyxl.pipeline.kept_judgement import Kept, _keep_judgement, _kept_judgement
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
    kept = Kept(result, problems, [output.name for output in outputs])
    _keep_judgement(workspace, period, as_of, kept)
    return _consolidated(workspace, period, kept)


def _judged_period(workspace: Workspace, period: Period, as_of: date) -> StepResult:
    """The period's judgement as `consolidate_period` gives it, taken from the last `consolidate` when still valid.

    `consolidate` keeps its judgement beside 汇总_<period>.xlsx with a fingerprint
    of everything it was made from (pipeline.kept_judgement); when the workspace still
    has that fingerprint and the same as_of, the judgement is loaded and the
    summary workbook is left as it is (it holds this very judgement). Otherwise —
    anything changed, the file is missing, torn or not this workspace's — the
    period is consolidated afresh, writing the summary and the judgement again.
    """
    kept = _kept_judgement(workspace, period, as_of)
    if kept is None:
        return consolidate_period(workspace, period, as_of)
    return _consolidated(workspace, period, kept)


def _consolidated(workspace: Workspace, period: Period, kept: Kept) -> StepResult:
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
