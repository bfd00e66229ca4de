"""The rules of README「序时进度、灯号与预警」and「督办单发给谁」, each on a small made-up month."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from pyxl.common.config import NoticeSettings
from pyxl.judgement.consolidate import consolidate
from pyxl.outputs.bulletin import bulletin_context
from pyxl.outputs.counting import lagging_items, overdue_tasks, return_sentence, return_summary, unit_categories
from pyxl.outputs.notices import notices
from test_consolidate_support import (
    DEVELOPMENT,
    DIRECTORY,
    FINANCE,
    HOUSING,
    JUNE,
    THRESHOLDS,
    bad_value,
    duty,
    flags_of,
    indicator,
    run,
    target,
    task,
    task_line,
    task_row,
    unit_return,
    value_row,
)


# ---------------------------------------------------------------- 报表被退回 / 逾期未报


def _rejected_month(as_of: date):
    table = duty(task(1, lead=(FINANCE,), targets=[target(10)]), task(2, lead=(DEVELOPMENT,)))
    rejected = unit_return(FINANCE, task_row(1, "按计划推进", 50), value_row("1-1", 5), accepted=False,
                           problems=[bad_value(FINANCE, cell="G7")], received=datetime(2025, 7, 3, 10))
    return run(table, [rejected, unit_return(DEVELOPMENT, task_row(2, "按计划推进", 50))], as_of=as_of)


def test_a_rejected_return_is_returned_for_correction_until_the_due_date():
    result = _rejected_month(date(2025, 7, 4))  # due 2025-07-05
    status = result.returns.set_index("unit")["status"].to_dict()
    assert status == {FINANCE: "报表被退回", DEVELOPMENT: "按时报送"}
    assert flags_of(result, "逾期未报") == []
    [flag] = flags_of(result, "报表被退回")
    assert (flag["unit"], flag["level"]) == (FINANCE, "yellow")
    assert "G7" in flag["reason"] and "不是数字" in flag["reason"]  # the cell and what to fix
    assert return_summary(result.returns)["on_time"] == 1  # never counted as on time


def test_a_rejected_return_is_overdue_once_the_due_date_has_passed_and_still_names_the_cell():
    result = _rejected_month(date(2025, 7, 8))
    assert result.returns.set_index("unit").loc[FINANCE, "status"] == "逾期未报"
    [flag] = flags_of(result, "逾期未报")
    assert flag["unit"] == FINANCE and "G7" in flag["reason"]
    [notice] = [n for n in notices(result, date(2025, 7, 15)) if n.unit == FINANCE]
    assert any("G7" in item["reason"] for item in notice.items)
    assert "1个单位报表被退回后未重新报送" in return_sentence(result.returns)


def test_a_unit_that_sent_nothing_before_the_due_date_is_not_yet_overdue():
    table = duty(task(1, lead=(FINANCE,)))
    result = run(table, [], as_of=date(2025, 7, 5))
    assert result.returns.set_index("unit").loc[FINANCE, "status"] == "尚未报送"
    assert flags_of(result) == []


# ---------------------------------------------------------------- several lead units


def test_a_silent_lead_makes_the_task_unreported_never_done():
    table = duty(task(1, lead=(FINANCE, HOUSING)))
    result = run(table, [unit_return(FINANCE, task_row(1, "已完成", 100))])
    assert task_line(result, 1)["category"] == "未报送"
    leads = result.leads.set_index("unit")["category"].to_dict()
    assert leads == {FINANCE: "已完成", HOUSING: "未报送"}
    # each unit credited only with its own report
    units = unit_categories(result.units)
    assert (units.loc[FINANCE, "已完成"], units.loc[FINANCE, "未报送"]) == (1, 0)
    assert (units.loc[HOUSING, "已完成"], units.loc[HOUSING, "未报送"]) == (0, 1)


def test_the_slowest_lead_sets_the_category_and_only_it_is_named_behind():
    table = duty(task(1, lead=(FINANCE, HOUSING)))
    result = run(table, [unit_return(FINANCE, task_row(1, "按计划推进", 60)),
                         unit_return(HOUSING, task_row(1, "按计划推进", 30, issues="资金未到位。"))])
    assert task_line(result, 1)["category"] == "欠序时进度"
    [item] = lagging_items(result).to_dict("records")
    assert item["lead_unit"] == HOUSING and item["issues"] == "资金未到位。"


# ---------------------------------------------------------------- overdue tasks


def test_every_overdue_task_is_named_with_its_date():
    table = duty(task(1, lead=(FINANCE,), deadline=date(2025, 6, 30)), task(2, lead=(FINANCE,), deadline=date(2025, 12, 31)))
    result = run(table, [unit_return(FINANCE, task_row(1, "按计划推进", 100 * 5 / 6), task_row(2, "按计划推进", 50))])
    overdue = overdue_tasks(result)
    assert [(t["number"], t["deadline"]) for t in overdue] == [("1", "2025年6月30日")]
    context = bulletin_context(result, "长清区")
    assert context["overdue_tasks"] == overdue


def test_an_overdue_task_names_only_the_leads_that_have_not_finished_with_their_problems():
    table = duty(task(1, lead=(FINANCE, HOUSING), deadline=date(2025, 6, 30)))
    result = run(table, [unit_return(FINANCE, task_row(1, "已完成", 100)),
                         unit_return(HOUSING, task_row(1, "按计划推进", 70, issues="资金未到位"))])
    [item] = overdue_tasks(result)
    assert (item["lead_unit"], item["issues"]) == (HOUSING, "资金未到位。")


# ---------------------------------------------------------------- contested figures


def _contested(accepted_period="", accepted_value=None):
    goal = dataclasses.replace(target(10, unit="条"), accepted_period=accepted_period, accepted_value=accepted_value)
    table = duty(task(42, lead=(FINANCE, HOUSING), targets=[goal]))
    return run(table, [unit_return(FINANCE, task_row(42, "按计划推进", 50), value_row("42-1", 2)),
                       unit_return(HOUSING, task_row(42, "按计划推进", 50), value_row("42-1", 5))])


def test_a_figure_two_units_report_differently_has_no_light_and_one_flag_with_both_figures():
    result = _contested()
    row = indicator(result, "42-1")
    assert row["light"] == "disputed"
    assert flags_of(result, "指标滞后") == []  # no red light on a contested figure
    [flag] = flags_of(result, "数据待核实")
    assert flag["unit"] == f"{FINANCE}、{HOUSING}"
    assert f"{FINANCE}报2条" in flag["reason"] and f"{HOUSING}报5条" in flag["reason"]
    for unit in (FINANCE, HOUSING):
        [notice] = [n for n in notices(result, date(2025, 7, 15)) if n.unit == unit]
        assert [item["key"] for item in notice.items].count("42-1") == 1


def test_the_figure_the_office_accepts_in_the_master_is_judged():
    result = _contested("2025-06", 2)
    row = indicator(result, "42-1")
    assert (row["light"], row["reported"], row["reported_by"]) == ("red", 2, "督查室核定")  # 2 of 5 due
    assert flags_of(result, "数据待核实") == []
    # an accepted figure for another period does not count this month
    assert indicator(_contested("2025-05", 2), "42-1")["light"] == "disputed"


def test_the_master_reads_and_writes_the_accepted_figure():
    from pyxl.master import rows as master

    goal = dataclasses.replace(target(8, unit="条"), accepted_period="2025-06", accepted_value=4)
    table = duty(task(42, targets=[goal]))
    rows = master.indicator_rows(table)
    header = rows[0]
    assert rows[1][header.index("核定期次")] == "2025-06" and rows[1][header.index("核定完成值")] == 4
    data = master.MasterData(sheets={master.SHEET_TASKS: master.task_rows(table), master.SHEET_INDICATORS: rows})
    [read] = data.duty_table(2025).task("42").targets
    assert (read.accepted_period, read.accepted_value) == ("2025-06", 4)


# ---------------------------------------------------------------- counts in whole things


@pytest.mark.parametrize("value, unit, due", [(5, "所", 3), (8, "条", 4), (2415, "个", 1208), (3400, "人", 1700)])
def test_a_counts_schedule_target_is_a_whole_number(value, unit, due):
    table = duty(task(1, targets=[target(value, unit=unit, stretch=value + 1)]))
    result = run(table, [])
    assert indicator(result, "1-1")["expected"] == due
    assert float(indicator(result, "1-1")["stretch_expected"]).is_integer()  # the 力争 value due by now, whole too


# ---------------------------------------------------------------- who gets a 督办单


def _busy_month(rule: NoticeSettings):
    table = duty(*(task(n, lead=(FINANCE,)) for n in (1, 2, 3, 4)), task(5, lead=(DEVELOPMENT,), targets=[target(100)]),
                 task(6, lead=(HOUSING,)))
    current = [unit_return(FINANCE, *(task_row(n, "按计划推进", 30) for n in (1, 2, 3, 4))),
               unit_return(DEVELOPMENT, task_row(5, "按计划推进", 50), value_row("5-1", 48)),
               unit_return(HOUSING, task_row(6, "按计划推进", 50))]
    return consolidate(table, DIRECTORY, current, {}, JUNE, date(2025, 7, 10), THRESHOLDS, 5, rule)


def test_the_notice_rule_in_the_settings_selects_units_and_levels():
    levels = _busy_month(NoticeSettings()).units.set_index("unit")["notice_level"].to_dict()
    # 4 of 4 lead tasks behind: 约谈建议; a yellow light only: 提示; nothing wrong: none
    assert levels == {FINANCE: "约谈建议", DEVELOPMENT: "提示", HOUSING: ""}
    strict = _busy_month(NoticeSettings(issue_from="督办"))
    assert [n.unit for n in notices(strict, date(2025, 7, 15))] == [FINANCE]
    lenient = _busy_month(NoticeSettings(interview_tasks=5))
    assert lenient.units.set_index("unit").loc[FINANCE, "notice_level"] == "督办"
    # every unit the rule selects gets one
    made = {n.unit: n.level for n in notices(_busy_month(NoticeSettings()), date(2025, 7, 15))}
    assert made == {FINANCE: "约谈建议", DEVELOPMENT: "提示"}
