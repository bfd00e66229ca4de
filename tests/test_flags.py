"""The five flags at their boundaries: due dates, deadlines, lights, conflicts, stale text."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from test_consolidate_support import (
    DEVELOPMENT,
    FINANCE,
    GUYUNHU,
    HOUSING,
    TOWNS,
    WENCHANG,
    bad_value,
    duty,
    flags_of,
    run,
    target,
    task,
    task_row,
    unit_return,
    value_row,
)

from pyxl.common.config import ThresholdSettings
from pyxl.common.period import Period

# ---------------------------------------------------------------- 逾期未报


def test_overdue_returns_only_after_the_due_date():
    table = duty(task(1, lead=(FINANCE,), responsible=(HOUSING,)))
    current = [unit_return(FINANCE, task_row(1, "按计划推进", 50))]
    on_due_date = run(table, current, as_of=date(2025, 7, 5))
    assert flags_of(on_due_date, "逾期未报") == []
    day_after = run(table, current, as_of=date(2025, 7, 6))
    [flag] = flags_of(day_after, "逾期未报")
    assert (flag["unit"], flag["level"]) == (HOUSING, "red")
    assert "未报送" in flag["reason"] and "2025年7月5日" in flag["reason"]


def test_a_rejected_return_is_still_overdue_and_says_why():
    table = duty(task(1))
    result = run(table, [unit_return(FINANCE, task_row(1, "按计划推进", 50), accepted=False, problems=[bad_value(FINANCE)])],
                 as_of=date(2025, 7, 6))
    [flag] = flags_of(result, "逾期未报")
    assert flag["unit"] == FINANCE and "未通过校验" in flag["reason"]


def test_overdue_returns_at_a_leap_year_month_end():
    table = duty(task(1), year=2024)
    january = Period(2024, 1)
    assert flags_of(run(table, [], period=january, as_of=date(2024, 2, 29), due_day=31), "逾期未报") == []
    assert len(flags_of(run(table, [], period=january, as_of=date(2024, 3, 1), due_day=31), "逾期未报")) == 1


def test_group_members_are_flagged_one_by_one():
    table = duty(task(1, lead=(FINANCE,), responsible=(TOWNS,)))
    result = run(table, [unit_return(FINANCE, task_row(1, "按计划推进", 50)), unit_return(WENCHANG, task_row(1, "按计划推进", 50))])
    assert [f["unit"] for f in flags_of(result, "逾期未报")] == [GUYUNHU]


# ---------------------------------------------------------------- 任务逾期


@pytest.mark.parametrize(
    "as_of, status, flagged",
    [
        (date(2025, 6, 30), "按计划推进", False),  # the deadline day itself
        (date(2025, 7, 1), "按计划推进", True),
        (date(2025, 7, 1), "已完成", False),
    ],
)
def test_task_overdue_after_its_deadline_without_completion(as_of, status, flagged):
    table = duty(task(8, deadline=date(2025, 6, 30)))
    result = run(table, [unit_return(FINANCE, task_row(8, status, 90))], as_of=as_of)
    found = flags_of(result, "任务逾期")
    assert bool(found) == flagged
    if flagged:
        assert (found[0]["key"], found[0]["unit"], found[0]["level"]) == ("8", FINANCE, "red")
        assert "2025年6月30日" in found[0]["reason"]


def test_task_without_a_report_is_overdue_too():
    table = duty(task(8, deadline=date(2025, 5, 31)))
    [flag] = flags_of(run(table, [], as_of=date(2025, 6, 20)), "任务逾期")
    assert "未报送" in flag["reason"]


# ---------------------------------------------------------------- 指标滞后


@pytest.mark.parametrize(
    "reported, expected_flags",
    [
        (650, []),  # on target and on the stretch
        (600, [("yellow", "但低于力争值")]),  # met exactly, stretch missed
        (560, [("yellow", "也低于力争值")]),
        (500, [("red", "也低于力争值")]),
    ],
)
def test_lagging_indicator_levels(reported, expected_flags):
    table = duty(task(1, targets=[target(1200, stretch=1300, metric="新增市场主体")]))
    result = run(table, [unit_return(FINANCE, value_row("1-1", reported))])
    found = flags_of(result, "指标滞后")
    assert [(f["level"], next(t for _, t in expected_flags if t in f["reason"])) for f in found] == expected_flags
    for flag in found:
        assert flag["key"] == "1-1" and flag["unit"] == FINANCE and "新增市场主体" in flag["reason"]


def test_growth_lag_is_in_points_and_thresholds_are_configurable():
    table = duty(task(3, targets=[target(8.5, kind="growth", unit="%", metric="规上工业增加值")]))
    current = [unit_return(FINANCE, value_row("3-1", 7.0))]
    [flag] = flags_of(run(table, current), "指标滞后")
    assert flag["level"] == "red" and "个百分点" in flag["reason"]
    lenient = ThresholdSettings(growth_yellow_points=2.0)
    [flag] = flags_of(run(table, current, thresholds=lenient), "指标滞后")
    assert flag["level"] == "yellow"


def test_exempt_and_unreported_indicators_raise_no_lag_flag():
    table = duty(task(1, targets=[target(80, kind="ratio", unit="%", annual_only=True), target(100)]))
    result = run(table, [unit_return(FINANCE, value_row("1-1", 1))])
    assert flags_of(result, "指标滞后") == []


# ---------------------------------------------------------------- 数据待核实


@pytest.mark.parametrize("other, flagged", [(104, False), (105, False), (106, True), (94, True)])
def test_conflicting_values_beyond_the_tolerance(other, flagged):
    table = duty(task(1, lead=(FINANCE,), responsible=(HOUSING,), targets=[target(200, unit="亿元", kind="amount")]))
    result = run(table, [unit_return(FINANCE, value_row("1-1", 100)), unit_return(HOUSING, value_row("1-1", other))])
    found = flags_of(result, "数据待核实")
    assert bool(found) == flagged
    if flagged:
        assert found[0]["key"] == "1-1" and FINANCE in found[0]["reason"] and HOUSING in found[0]["reason"]


def test_two_responsible_units_disagreeing_is_not_a_conflict_with_the_lead():
    table = duty(task(1, lead=(FINANCE,), responsible=(HOUSING, DEVELOPMENT), targets=[target(200)]))
    result = run(table, [unit_return(HOUSING, value_row("1-1", 10)), unit_return(DEVELOPMENT, value_row("1-1", 90))])
    assert flags_of(result, "数据待核实") == []


def test_done_against_not_started_is_a_conflict():
    table = duty(task(62, lead=(FINANCE, HOUSING), responsible=(DEVELOPMENT,)))
    result = run(
        table,
        [
            unit_return(FINANCE, task_row(62, "已完成", 100)),
            unit_return(HOUSING, task_row(62, "按计划推进", 50)),
            unit_return(DEVELOPMENT, task_row(62, "未启动")),
        ],
    )
    [flag] = flags_of(result, "数据待核实")
    assert flag["key"] == "62" and "已完成" in flag["reason"] and "未启动" in flag["reason"]
    assert flag["unit"] == f"{FINANCE}、{DEVELOPMENT}"


def test_rejected_values_never_conflict():
    table = duty(task(1, lead=(FINANCE,), responsible=(HOUSING,), targets=[target(200)]))
    result = run(table, [unit_return(FINANCE, value_row("1-1", 100)),
                         unit_return(HOUSING, value_row("1-1", 900), accepted=False, problems=[bad_value(HOUSING)])])
    assert flags_of(result, "数据待核实") == []


# ---------------------------------------------------------------- 连续未更新


def _history(texts: dict[str, str], unit=FINANCE):
    return {
        key: [unit_return(unit, task_row(1, "按计划推进", 30, text), period=Period.parse(key))] for key, text in texts.items()
    }


def test_stale_progress_after_n_periods_including_this_one():
    table = duty(task(1))
    current = [unit_return(FINANCE, task_row(1, "按计划推进", 50, "正在推进项目前期工作"))]
    two = _history({"2025-05": "正在推进项目前期工作", "2025-04": "已完成立项"})
    assert flags_of(run(table, current, history=two), "连续未更新") == []
    three = _history({"2025-05": "正在推进 项目前期工作\n", "2025-04": "正在推进项目前期工作"})  # spacing is no change
    [flag] = flags_of(run(table, current, history=three), "连续未更新")
    assert (flag["unit"], flag["key"], flag["level"]) == (FINANCE, "1", "yellow")
    assert "2025-04" in flag["reason"] and "3 期" in flag["reason"]
    longer = ThresholdSettings(stale_periods=4)
    assert flags_of(run(table, current, history=three, thresholds=longer), "连续未更新") == []


def test_a_missing_period_breaks_the_run_and_completed_tasks_are_left_alone():
    table = duty(task(1))
    text = "正在推进项目前期工作"
    gap = {"2025-05": [], "2025-04": _history({"2025-04": text})["2025-04"]}
    current = [unit_return(FINANCE, task_row(1, "按计划推进", 50, text))]
    assert flags_of(run(table, current, history=gap), "连续未更新") == []
    done = [unit_return(FINANCE, task_row(1, "已完成", 100, text))]
    assert flags_of(run(table, done, history=_history({"2025-05": text, "2025-04": text})), "连续未更新") == []


def test_flags_are_ordered_by_kind_then_level():
    table = duty(
        task(1, lead=(FINANCE,), responsible=(HOUSING,), targets=[target(1200, stretch=1300)], deadline=date(2025, 6, 30)),
        task(2, lead=(DEVELOPMENT,), targets=[target(100)]),
    )
    result = run(
        table,
        [
            unit_return(FINANCE, task_row(1, "未启动"), value_row("1-1", 600)),
            unit_return(HOUSING, task_row(1, "已完成", 100), value_row("1-1", 700)),
            unit_return(DEVELOPMENT, value_row("2-1", 10), received=datetime(2025, 7, 9)),
        ],
    )
    kinds = [(f["flag"], f["level"]) for f in flags_of(result)]
    # 1-1 is contested (600 against 700): no light, so no 指标滞后 on it until the office decides
    assert kinds == [("任务逾期", "red"), ("指标滞后", "red"), ("数据待核实", "yellow"), ("数据待核实", "yellow")]
