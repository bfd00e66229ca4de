"""Builders for hand-made duty tables and returns, shared by the consolidate, flags and summary tests.

Real model objects, built the way parse and collect build them; nothing here is a stub.
"""

from __future__ import annotations

from datetime import date, datetime

from pyxl.common.config import ThresholdSettings
from pyxl.common.model import Deadline, DutyTable, Group, ReturnRow, Section, Target, Task, Unit, UnitDirectory, UnitReturn
from pyxl.common.period import Period
from pyxl.common.problems import Problem
from pyxl.judgement.consolidate import consolidate

FINANCE = "区财政局"
DEVELOPMENT = "区发展改革局"
HOUSING = "区住房城乡建设局"
WENCHANG = "文昌街道"
GUYUNHU = "崮云湖街道"
TOWNS = "各街镇"

DIRECTORY = UnitDirectory(
    units=(
        Unit(DEVELOPMENT, "区直部门"),
        Unit(FINANCE, "区直部门"),
        Unit(HOUSING, "区直部门"),
        Unit(WENCHANG, "街镇"),
        Unit(GUYUNHU, "街镇"),
    ),
    groups=(Group(TOWNS, (WENCHANG, GUYUNHU)),),
)
THRESHOLDS = ThresholdSettings()  # yellow 0.9, growth 1 point, conflict 5%, stale 3
JUNE = Period(2025, 6)


def target(value, kind="count", comparator=">=", stretch=None, unit="家", annual_only=False, deadline=None, metric="指标"):
    return Target(
        phrase=f"{metric}{value}{unit}",
        metric=metric,
        value=value,
        unit=unit,
        kind=kind,
        comparator=comparator,
        stretch=stretch,
        annual_only=annual_only,
        deadline=deadline,
    )


def task(number, lead=(FINANCE,), responsible=(), targets=(), deadline=None, section="一"):
    return Task(
        number=str(number),
        section=section,
        subsection=None,
        text=f"第{number}项重点工作",
        lead_units=list(lead),
        responsible_units=list(responsible),
        targets=list(targets),
        deadlines=[Deadline(f"{deadline.month}月底前完成", deadline)] if deadline else [],
    )


def duty(*tasks, year=2025):
    return DutyTable(title="测试分工", year=year, sections=[Section("一", "经济发展")], tasks=list(tasks))


def task_row(number, status=None, percent=None, progress="", issues=""):
    return ReturnRow(
        key=str(number), task_number=str(number), target_index=None, status=status, percent=percent, progress=progress, issues=issues
    )


def value_row(key, value):
    number, position = key.split("-")
    return ReturnRow(key=key, task_number=number, target_index=int(position) - 1, value=value, value_text=f"{value}")


def unit_return(unit, *rows, period=JUNE, received=None, accepted=True, problems=(), name=None):
    received = received or datetime(period.next().year, period.next().month, 3, 9, 30)
    return UnitReturn(
        unit=unit,
        period=str(period),
        file=f"returns/{period}/{name or unit}.xlsx",
        sha256="0" * 64,
        received=received,
        rows=list(rows),
        accepted=accepted,
        problems=list(problems),
    )


def bad_value(unit, cell="G5"):
    return Problem(
        code="value-not-number",
        message="本期完成值「约一千」不是数字：请填写数字。",
        file=f"returns/2025-06/{unit}.xlsx",
        sheet=unit,
        cell=cell,
        severity="error",
    )


def run(table, current, period=JUNE, as_of=date(2025, 7, 10), history=None, thresholds=THRESHOLDS, due_day=5):
    return consolidate(table, DIRECTORY, current, history or {}, period, as_of, thresholds, due_day)


def flags_of(result, kind=None):
    rows = result.flags.to_dict("records")
    return [r for r in rows if kind is None or r["flag"] == kind]


def indicator(result, key):
    return result.indicators.set_index("key").loc[key].to_dict()


def task_line(result, number):
    return result.tasks.set_index("number").loc[str(number)].to_dict()


def return_line(result, unit):
    return result.returns.set_index("unit").loc[unit].to_dict()
