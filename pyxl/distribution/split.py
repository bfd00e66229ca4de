"""Split the duty table into one protected workbook per unit for a reporting period.

Groups are expanded here (各街镇 → its ten streets and towns); an open group
(相关部门) that staff have not assigned is reported, never guessed. Each unit
gets the tasks it leads (with one row per target) and then the tasks it is
responsible for. The writing of one workbook lives in `pyxl.distribution.unit_sheet`.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Collection, Iterable, Iterator, Mapping, Sequence

from pyxl.common.errors import PyxlError
from pyxl.common.collector import older_objects_frozen
from pyxl.common.files import atomic_path, sha256_file, write_bytes_atomic, write_text_atomic
from pyxl.common.model import DutyTable, ReturnRow, Target, Task, UnitReturn
from pyxl.common.period import chinese_date
from pyxl.common.problems import Problem, problem, register_code
from pyxl.common.units import UnitIndex
from pyxl.distribution import layout
from pyxl.distribution.fast_book import FastBookWriter
from pyxl.distribution.unit_sheet import SheetRow, file_name_part, plan_unit_sheet, sheet_name_for, write_unit_workbook

__all__ = [
    "SheetRow",
    "SplitPlan",
    "SplitOutput",
    "build_unit_rows",
    "plan_split",
    "write_unit_workbook",
    "write_unit_files",
    "select_units",
    "latest_answers",
]

STAGE = "分单位表"
OPEN_GROUP = register_code(
    "split-open-group",
    "warning",
    "任务的牵头或责任单位是开放性表述（如「相关部门」），尚未指定具体单位，该任务没有发给任何单位：请在 config.yaml 的 groups 中为该组填写 members 后重新生成。",
    STAGE,
)
EMPTY_GROUP = register_code(
    "split-empty-group",
    "warning",
    "任务写的是单位组（如「各街镇」），但该组没有成员单位，任务没有发给任何单位：请在 config.yaml 的 groups 中补全成员后重新生成。",
    STAGE,
)
UNIT_WITHOUT_TASKS = register_code(
    "split-unit-without-tasks",
    "warning",
    "单位名录中的单位本期没有任何任务，没有为它生成填报表：如属遗漏，请在分工表中补充后重新生成。",
    STAGE,
)
SHEET_NAME_CHANGED = register_code(
    "split-sheet-name-changed",
    "warning",
    "单位名称含有工作表名称不允许的字符或超过 31 个字符，工作表名已相应调整（报回识别不受影响）：如需要可在单位名录中改用简称。",
    STAGE,
)

_UNIT_FILE = re.compile(r"^\d+_.+\.xlsx$")


# ---------------------------------------------------------------- rows


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else format(value, "g")


def target_text(target: Target) -> str:
    """目标值 in words: 增长5.6%以上，力争6% · 增长5.6%，力争超过5.6% · 260家以上 · 不超过0%."""
    value = f"{_number(target.value)}{target.unit}"
    if target.kind == "growth":
        value = f"增长{value}"
    suffix = {">=": "以上", "<=": "以内"}.get(target.comparator, "")
    if target.kind == "growth" and target.comparator == "<=" and target.value == 0:
        value, suffix = "零增长", ""
    exceeds = target.stretch_exceeds
    if exceeds and target.stretch == target.value:
        suffix = ""  # 增长5.6%以上，力争超过5.6% says the same bar twice: read as the document does
    text = value + suffix
    if target.stretch is not None:
        text += f"，力争{'超过' if exceeds else ''}{_number(target.stretch)}{target.unit}"
    return text


def task_deadline_text(task: Task) -> str:
    """完成时限 of a task row: each deadline phrase with its date when it has one."""
    parts = []
    for deadline in task.deadlines:
        if deadline.was and deadline.date:  # moved by the office: the new date, and what it was (pyxl.common.life)
            parts.append(f"{chinese_date(deadline.date)}（原{deadline.was}，{deadline.phrase}）")
        elif deadline.date:
            parts.append(f"{deadline.phrase}（{chinese_date(deadline.date)}）")
        else:
            parts.append(deadline.phrase)
    return "；".join(parts)


def _target_deadline_text(target: Target) -> str:
    if target.deadline is not None:
        return chinese_date(target.deadline)
    return "年底（仅年度考核）" if target.annual_only else "年底前"


_NOT_WORDS = re.compile(r"[\s。；;，,、.：:]+")
SAME_AS_ABOVE = "（同上）"


def repeats_task(task: Task) -> bool:
    """A task whose targets say what the task says (建成5G基站300个。 → 5G基站 300个; 城乡居民收入分别增长5.5%和6%)."""
    text = _NOT_WORDS.sub("", task.text)
    return bool(task.targets) and all(_NOT_WORDS.sub("", target.phrase) == text for target in task.targets)


def task_rows(task: Task, role: str) -> list[SheetRow]:
    """The rows a task puts on a unit's sheet: the task, then its targets when the unit leads it.

    A task whose targets only repeat its text would ask the clerk the same
    thing twice: each target row reads （同上） and asks only its figure, and
    the task row asks everything else (progress, status, the texts) once.
    """
    single = role == layout.ROLE_LEAD and repeats_task(task)
    # only a lead unit may ask for a new deadline, once per task (on the task row)
    reports = tuple(c for c in layout.INPUT_COLUMNS if c not in layout.REQUEST_COLUMNS)
    task_asks = layout.INPUT_COLUMNS if role == layout.ROLE_LEAD else reports
    task_asks = tuple(c for c in task_asks if c != "本期完成值") if single else task_asks
    rows = [SheetRow(task.number, task.number, None, task.text, role, "", "", task_deadline_text(task), asks=task_asks)]
    if role == layout.ROLE_LEAD:
        for i, target in enumerate(task.targets):
            rows.append(
                SheetRow(
                    task.target_key(i), task.number, i, SAME_AS_ABOVE if single else target.phrase, role,
                    target.metric, target_text(target), _target_deadline_text(target),
                    asks=("本期完成值",) if single else reports,
                )
            )
    return rows


def _task_roles(index: UnitIndex, task: Task, source: str | None) -> tuple[dict[str, str], list[Problem]]:
    """Unit → its role in `task` (lead wins over responsible), and the problems of groups nobody is in."""
    leads, responsible = index.task_units(task)
    roles = {**dict.fromkeys(leads, layout.ROLE_LEAD), **dict.fromkeys(responsible, layout.ROLE_RESPONSIBLE)}
    problems = []
    for names, label in ((task.lead_units, "牵头单位"), (task.responsible_units, "责任单位")):
        for name in names:
            members, is_open = index.expand(name)
            if not members:
                problems.append(_group_problem(task, name, label, is_open, source))
    return roles, problems


def _group_problem(task: Task, name: str, label: str, is_open: bool, source: str | None) -> Problem:
    where = {"line": task.line, "file": source}
    if is_open:
        return problem(
            OPEN_GROUP,
            f"任务 {task.number} 的{label}「{name}」是开放性表述，尚未指定具体单位，本任务没有发给「{name}」中的任何单位；"
            f"请在主控工作簿「任务清单」中把它改成具体单位，或在 config.yaml 的 groups.{name}.members 中列出成员，然后重新生成。",
            **where,
        )
    return problem(
        EMPTY_GROUP,
        f"任务 {task.number} 的{label}「{name}」是单位组，但没有成员单位；请在 config.yaml 的 groups.{name}.members 中补全后重新生成。",
        **where,
    )


def build_unit_rows(duty: DutyTable, index: UnitIndex, unit: str) -> list[SheetRow]:
    """The rows of `unit`'s sheet: lead tasks first (each followed by its targets), then responsible tasks.

    `unit` is a canonical unit name; groups in the duty table are expanded
    with `index`. Unassigned groups are reported by `plan_split`.
    """
    return plan_split(duty, index).rows.get(unit, [])


# ---------------------------------------------------------------- the plan


@dataclass
class SplitPlan:
    """Every unit that owns a task, in file order, with its rows; and what could not be assigned."""

    rows: dict[str, list[SheetRow]]  # unit → rows, in file order
    numbers: dict[str, int]  # unit → NN of its file name
    problems: list[Problem] = field(default_factory=list)

    def file_name(self, unit: str) -> str:
        width = max(2, len(str(len(self.numbers))))
        return f"{self.numbers[unit]:0{width}d}_{file_name_part(unit)}.xlsx"


def plan_split(duty: DutyTable, index: UnitIndex, source: str | None = None) -> SplitPlan:
    """Assign every task to the units that own it (groups expanded) in one pass.

    `source` names the duty table's file in the problems (the master or the document).

    Files are numbered in the order of the unit directory, then units the
    directory does not know in order of first appearance, so a unit keeps
    its number whichever units a run selects.
    """
    lead: dict[str, list[Task]] = {}
    responsible: dict[str, list[Task]] = {}
    owners: dict[str, None] = {}  # every unit with a task, in order of first appearance
    problems: list[Problem] = []
    for task in duty.tasks:
        roles, found = _task_roles(index, task, source)
        problems.extend(found)
        for unit, role in roles.items():
            (lead if role == layout.ROLE_LEAD else responsible).setdefault(unit, []).append(task)
            owners.setdefault(unit)

    known = {u.name for u in index.directory.units}
    order = [u.name for u in index.directory.units if u.name in owners] + [unit for unit in owners if unit not in known]

    rows: dict[str, list[SheetRow]] = {}
    for unit in order:
        unit_rows: list[SheetRow] = []
        for task in lead.get(unit, ()):
            unit_rows.extend(task_rows(task, layout.ROLE_LEAD))
        for task in responsible.get(unit, ()):
            unit_rows.extend(task_rows(task, layout.ROLE_RESPONSIBLE))
        rows[unit] = unit_rows
        sheet_name = sheet_name_for(unit)
        if sheet_name != unit:
            problems.append(
                problem(
                    SHEET_NAME_CHANGED,
                    f"单位「{unit}」不能直接用作工作表名（不允许 []:*?/\\ 等字符或超过 31 个字符），已改为「{sheet_name}」；"
                    "报回仍按隐藏的识别信息认单位，如需要可在单位名录中改用简称。",
                    unit=unit,
                )
            )
    for unit in index.directory.units:
        if unit.name not in owners:
            problems.append(
                problem(
                    UNIT_WITHOUT_TASKS,
                    f"单位名录中的「{unit.name}」在分工表中没有任何任务，未为它生成填报表；如属遗漏，请在分工表中补充后重新生成。",
                    unit=unit.name,
                )
            )
    return SplitPlan(rows, {unit: i + 1 for i, unit in enumerate(order)}, problems)


# ---------------------------------------------------------------- files


@dataclass
class SplitOutput:
    """What `write_unit_files` wrote, and the stale workbooks it removed."""

    written: list[Path]  # the unit workbooks written by this run
    manifest: Path
    archive: Path  # the zip of every unit workbook in the folder
    removed: list[Path] = field(default_factory=list)  # stale workbooks of units no longer in the plan


def write_unit_files(
    folder: Path,
    archive: Path,
    plan: SplitPlan,
    period: str,
    due_date: date,
    year: int,
    password: str = "",
    previous: Mapping[str, Mapping[str, ReturnRow]] | None = None,
    only: Sequence[str] | None = None,
    key: bytes | None = None,
) -> SplitOutput:
    """Write the unit workbooks of `plan` into `folder`, then the manifest and the zip `archive`.

    With `only`, just those units' files are rewritten; the manifest and the
    zip still list every unit's file in the folder. Without it, workbooks of
    units no longer in the plan are removed. Every file is written atomically
    and its bytes depend only on the inputs.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    previous = previous or {}
    selected = set(plan.rows) if only is None else set(only)
    written: list[Path] = []
    hashes: dict[str, str] = {}  # unit → SHA-256 of its file, for the manifest
    # XlsxWriter's workbook, sheets and formats refer to each other, so only the
    # cycle collector frees them: collect now and then to keep memory flat in the
    # number of units (the fast writer makes no cycles, but each shape's first
    # sheet is XlsxWriter's). Everything alive before the loop (the duty table, the
    # master, the plan) is frozen out of those collections, so each one walks
    # only the last few workbooks, not the whole heap: its cost stays flat too.
    # Each workbook goes into the zip and the manifest's hash from the bytes just
    # written, so no file is read back; a unit not rewritten (`only`) is read once.
    writer = FastBookWriter()  # XlsxWriter's bytes; XlsxWriter itself only for the first sheet of each shape
    with older_objects_frozen(), _zip_writer(Path(archive), period) as bundle:
        for count, unit in enumerate(plan.rows, start=1):
            target = folder / plan.file_name(unit)
            if unit in selected:
                data = writer.write(plan_unit_sheet(  # bytes in memory: one file creation per workbook, the atomic write
                    unit, period, plan.rows[unit], due_date,
                    previous=previous.get(unit), password=password, year=year, key=key,
                ))
                write_bytes_atomic(target, data)
                written.append(target)
            else:
                try:
                    data = target.read_bytes()
                except FileNotFoundError:
                    continue
            hashes[unit] = hashlib.sha256(data).hexdigest()
            bundle(target.name, data)
            if count % 25 == 0:
                gc.collect()

    removed: list[Path] = []
    if only is None:
        expected = {plan.file_name(unit) for unit in plan.rows}
        for path in sorted(folder.iterdir()):
            if _UNIT_FILE.match(path.name) and path.name not in expected:
                path.unlink()
                removed.append(path)

    manifest = folder / layout.MANIFEST_NAME
    write_text_atomic(manifest, manifest_text(plan, folder, list(hashes), hashes), encoding="utf-8-sig")
    return SplitOutput(written, manifest, Path(archive), removed)


def manifest_text(plan: SplitPlan, folder: Path, units: Sequence[str], hashes: Mapping[str, str] | None = None) -> str:
    """分发清单.csv: one line per unit file (file name relative to the 分发 folder).

    `hashes` gives a unit's file hash when the caller has it; otherwise the file is read.
    """
    hashes = hashes or {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(layout.MANIFEST_COLUMNS)
    for unit in units:
        rows = plan.rows[unit]
        tasks = sum(row.target_index is None for row in rows)
        name = plan.file_name(unit)
        writer.writerow([unit, name, tasks, len(rows) - tasks, hashes.get(unit) or sha256_file(folder / name)])
    return buffer.getvalue()


@contextmanager
def _zip_writer(target: Path, period: str) -> Iterator[Callable[[str, bytes], None]]:
    """Yield a function adding (name, bytes) to the zip `target`, written atomically when the block ends.

    A fixed time stamp per entry keeps the zip identical on a re-run; the
    workbooks are zip files already, so they are stored, not compressed again.
    """
    stamp = (int(period[:4]), int(period[5:7]), 1, 0, 0, 0)
    with atomic_path(target) as temporary:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_STORED) as bundle:
            yield lambda name, data: bundle.writestr(zipfile.ZipInfo(name, stamp), data)


def select_units(plan: SplitPlan, index: UnitIndex, names: Sequence[str]) -> list[str]:
    """Canonical names of the units asked for with `--unit`; a name that owns no task stops the step."""
    chosen, unmatched = index.pick(names, plan.rows)
    if unmatched:
        resolution = unmatched[0]
        hint = f"（是不是「{resolution.suggestion}」？）" if resolution.suggestion and resolution.canonical is None else ""
        raise PyxlError(
            f"单位「{resolution.raw}」本期没有任何任务，或不在单位名录中{hint}：请检查 --unit 的写法，或先在分工表中为它分配任务。"
        )
    return chosen


def latest_answers(
    returns_newest_first: Iterable[Sequence[UnitReturn]], units: Collection[str]
) -> dict[str, dict[str, ReturnRow]]:
    """Each unit's rows from the newest accepted return among earlier periods, by row key.

    `returns_newest_first` yields the current returns of one period at a
    time, newest period first; it is consumed only until every unit is found.
    """
    wanted = set(units)
    found: dict[str, dict[str, ReturnRow]] = {}
    for returns in returns_newest_first:
        for unit_return in returns:
            if unit_return.accepted and unit_return.unit in wanted and unit_return.unit not in found:
                found[unit_return.unit] = {row.key: row for row in unit_return.rows}
        if len(found) == len(wanted):
            break
    return found
