"""A task's life after 交办: deadline changes (延期 on a unit's request, 调整 by the office) and 销号.

The office's decisions are data with dates, kept in the master workbook (申请审批 and 销号
sheets, pyxl.master.rows reads them). Everything here is pure: given the decisions and a
period, it says which deadline each task has and which tasks are closed *in that period*,
so re-running any month gives the same answer whatever was decided later.

- A decision counts from the period its date falls in: a 延期 approved on 2025-05-08 moves
  the deadline for May's sheet and judgement onward; April's judgement keeps the old one.
- Several approved changes of one task: the latest decision wins.
- 销号 and 撤销销号 are events; in a period the task is closed when its latest event dated
  in or before that period is 销号.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Iterable, Mapping

from pyxl.common.model import Deadline, DutyTable
from pyxl.common.period import Period, chinese_date

KIND_EXTENSION = "延期"  # asked for by a unit in its sheet
KIND_ADJUSTMENT = "调整"  # the office moves a deadline on its own
KINDS = (KIND_EXTENSION, KIND_ADJUSTMENT)
APPROVED, REFUSED = "同意", "不同意"
RESULTS = (APPROVED, REFUSED)
CLOSE, REOPEN = "销号", "撤销销号"
CLOSURE_ACTIONS = (CLOSE, REOPEN)
PENDING_CLOSURE = "待销号"  # the leads report 已完成, the office has not confirmed it yet
CLOSED = "已销号"


def period_of(day: date) -> str:
    """The period (2025-05) a decision dated `day` takes effect in."""
    return str(Period(day.year, day.month))


@dataclass(frozen=True)
class DeadlineChange:
    """One row of 申请审批: a unit's request (延期) or the office's own 调整, with its decision."""

    task: str  # 序号 of the task
    kind: str  # one of KINDS
    period: str = ""  # the period whose sheet carried the request (a 调整: the period it was entered for)
    unit: str = ""  # the unit that asked ("" for an office 调整)
    old_deadline: date | None = None  # the deadline when the request was made
    requested: date | None = None  # 申请新完成时限
    reason: str = ""  # 申请理由
    source: str = ""  # file and cell of the request
    result: str = ""  # one of RESULTS, "" while undecided
    new_deadline: date | None = None  # 新完成时限 (default: the date asked for)
    decided: date | None = None  # 审批日期
    note: str = ""  # 说明

    @property
    def granted(self) -> date | None:
        """The deadline the decision sets, None unless approved with a date."""
        if self.result != APPROVED or self.decided is None:
            return None
        return self.new_deadline or self.requested

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What identifies a unit's request across rebuilds of the master: (period, kind, task, unit)."""
        return (self.period, self.kind, self.task, self.unit)


@dataclass(frozen=True)
class ClosureEvent:
    """One dated row of 销号: the office closes a task (销号) or undoes it (撤销销号)."""

    task: str
    action: str  # one of CLOSURE_ACTIONS
    day: date
    note: str = ""


@dataclass(frozen=True)
class Adjustment:
    """A deadline in force in a period because of a decision: what it was and what it is."""

    task: str
    kind: str
    old: date | None
    old_text: str  # the wording of the original deadline (6月底)
    new: date
    decided: date
    unit: str = ""
    note: str = ""


@dataclass(frozen=True)
class TaskLife:
    """The office's decisions on the tasks of a plan year."""

    changes: tuple[DeadlineChange, ...] = ()
    closures: tuple[ClosureEvent, ...] = ()

    # ------------------------------------------------------------ deadlines

    def _granted_by(self, period: str) -> dict[str, DeadlineChange]:
        """Task → the latest approved change decided in or before `period`."""
        chosen: dict[str, DeadlineChange] = {}
        dated = [c for c in self.changes if c.granted is not None and period_of(c.decided) <= period]
        for change in sorted(dated, key=lambda c: (c.decided, c.period, c.unit)):
            chosen[change.task] = change
        return chosen

    def adjustments(self, duty: DutyTable, period: str) -> dict[str, Adjustment]:
        """Task → the adjustment in force in `period` (old deadline from `duty`, as written in the master)."""
        result = {}
        for number, change in self._granted_by(str(period)).items():
            try:
                task = duty.task(number)
            except KeyError:
                continue
            old = task.deadline
            original = [d for d in task.deadlines if d.date == old] if old else []
            old_text = original[0].phrase if original else (chinese_date(old) if old else "未定时限")
            result[number] = Adjustment(number, change.kind, old, old_text, change.granted, change.decided,
                                        change.unit, change.note)
        return result

    def apply(self, duty: DutyTable, period: str) -> DutyTable:
        """`duty` with each task's deadline as it stands in `period`; the table itself is not changed.

        The adjusted task has one deadline, the new date, whose phrase says what it was
        (split shows 2025年9月30日（原6月底，已延期）); a target dated like the old deadline
        (the task's milestone) moves with it.
        """
        moved = self.adjustments(duty, period)
        if not moved:
            return duty
        tasks = []
        for task in duty.tasks:
            adjustment = moved.get(task.number)
            if adjustment is None:
                tasks.append(task)
                continue
            verb = "已延期" if adjustment.kind == KIND_EXTENSION else "已调整"
            targets = [replace(t, deadline=adjustment.new) if t.deadline is not None and t.deadline == adjustment.old else t
                       for t in task.targets]
            tasks.append(replace(task, deadlines=[Deadline(verb, adjustment.new, was=adjustment.old_text)], targets=targets))
        return replace(duty, tasks=tasks)

    def refusals(self, period: str) -> list[DeadlineChange]:
        """Requests refused by a decision dated in `period`: the unit is told in that period's reminder or 督办单."""
        return [c for c in self.changes if c.result == REFUSED and c.decided is not None and period_of(c.decided) == str(period)]

    def undecided(self) -> list[DeadlineChange]:
        """Requests still waiting for the office."""
        return [c for c in self.changes if c.kind == KIND_EXTENSION and not (c.result in RESULTS and c.decided is not None)]

    # ------------------------------------------------------------ 销号

    def closed(self, period: str) -> set[str]:
        """Tasks closed (已销号) in `period`: their latest event dated in or before it is 销号."""
        state: dict[str, str] = {}
        for event in sorted((e for e in self.closures if period_of(e.day) <= str(period)), key=lambda e: e.day):
            state[event.task] = event.action
        return {task for task, action in state.items() if action == CLOSE}


def refusal_sentence(change: DeadlineChange) -> str:
    """One sentence for the unit's reminder or 督办单: which task, what was asked, why not."""
    asked = f"延期至{chinese_date(change.requested)}" if change.requested else "延期"
    why = f"，理由：{change.note}" if change.note.strip() else ""
    return (f"第{change.task}项任务申请{asked}，督查室{chinese_date(change.decided)}审核不同意{why}；"
            f"请仍按原完成时限推进。")


def task_events(life: TaskLife, pending: Mapping[str, Iterable[str]] | None = None) -> dict[tuple[str, str], list[str]]:
    """(task 序号, period) → what happened to the task in that period, as short Chinese phrases, in date order.

    For a task's history (one column per month): a request (申请延期至…), the decision
    (同意延期至… / 不同意延期), the office's 调整, 销号 and 撤销销号 from `life`; and
    已完成待销号 for the tasks each period's judgement found 已完成 but not closed
    (`pending`: period → task numbers, e.g. from the tasks table's 销号状态).
    """
    events: dict[tuple[str, str], list[tuple[date | None, str]]] = {}

    def add(task: str, period: str, day: date | None, text: str) -> None:
        events.setdefault((task, period), []).append((day, text))

    for change in life.changes:
        if change.kind == KIND_EXTENSION and change.period:
            asked = f"至{chinese_date(change.requested)}" if change.requested else ""
            add(change.task, change.period, None, f"{change.unit}申请延期{asked}".strip())
        if change.decided is None or change.result not in RESULTS:
            continue
        when = period_of(change.decided)
        if change.result == APPROVED and change.granted is not None:
            verb = "同意延期" if change.kind == KIND_EXTENSION else "调整完成时限"
            add(change.task, when, change.decided, f"{verb}至{chinese_date(change.granted)}（{chinese_date(change.decided)}）")
        elif change.result == REFUSED:
            add(change.task, when, change.decided, f"不同意延期（{chinese_date(change.decided)}）")
    for event in life.closures:
        add(event.task, period_of(event.day), event.day, f"{event.action}（{chinese_date(event.day)}）")
    for period, tasks in (pending or {}).items():
        for task in tasks:
            add(str(task), str(period), None, "已完成待销号")
    return {key: [text for _, text in sorted(items, key=lambda i: (i[0] is not None, i[0] or date.min))]
            for key, items in sorted(events.items())}
