"""Consolidation at its boundaries: 序时进度, lights, categories, the returns table, determinism."""

from __future__ import annotations

import json
import random
from datetime import date, datetime

import pandas as pd
import pytest
from test_consolidate_support import (
    DEVELOPMENT,
    FINANCE,
    GUYUNHU,
    HOUSING,
    JUNE,
    TOWNS,
    WENCHANG,
    bad_value,
    duty,
    indicator,
    return_line,
    run,
    target,
    task,
    task_line,
    task_row,
    unit_return,
    value_row,
)

from pyxl.common.period import Period
from pyxl.judgement.consolidate import completion_rate, deadline_fraction, task_category

# ---------------------------------------------------------------- indicators


@pytest.mark.parametrize(
    "reported, light, completion",
    [
        (600, "green", 100.0),  # met exactly: 6/12 of 1200
        (599, "yellow", 99.83),
        (540, "yellow", 90.0),  # exactly the yellow ratio
        (539, "red", 89.83),
        (700, "green", 116.67),
    ],
)
def test_cumulative_target_is_judged_against_m_over_12(reported, light, completion):
    table = duty(task(1, targets=[target(1200)]))
    result = run(table, [unit_return(FINANCE, task_row(1, "按计划推进", 50), value_row("1-1", reported))])
    row = indicator(result, "1-1")
    assert (row["expected"], row["light"], row["completion"]) == (600, light, completion)
    assert row["deviation"] == reported - 600
    assert row["reported_by"] == FINANCE


def test_schedule_fraction_at_month_ends_of_the_year():
    table = duty(task(1, targets=[target(1200)]))
    for month, expected in [(1, 100), (3, 300), (11, 1100), (12, 1200)]:
        period = Period(2025, month)
        result = run(table, [unit_return(FINANCE, value_row("1-1", expected), period=period)], period=period,
                     as_of=period.next().first_day)
        row = indicator(result, "1-1")
        assert (row["expected"], row["light"]) == (expected, "green"), month
        assert result.schedule_fraction == month / 12


@pytest.mark.parametrize(
    "reported, light, stretch_met",
    [(4.5, "green", True), (4.2, "green", False), (4.0, "green", False), (3.0, "yellow", False), (2.9, "red", False)],
)
def test_growth_target_is_compared_directly_and_stretch_is_a_second_bar(reported, light, stretch_met):
    table = duty(task(2, targets=[target(4, kind="growth", unit="%", stretch=4.5)]))
    result = run(table, [unit_return(FINANCE, value_row("2-1", reported))])
    row = indicator(result, "2-1")
    assert (row["expected"], row["light"], row["stretch_met"]) == (4, light, stretch_met)
    assert row["deviation"] == pytest.approx(reported - 4)
    assert pd.isna(row["completion"])  # points, not a rate


def test_stretch_of_a_cumulative_target_scales_with_the_schedule():
    table = duty(task(1, targets=[target(1200, stretch=1300)]))
    met = run(table, [unit_return(FINANCE, value_row("1-1", 650))])
    missed = run(table, [unit_return(FINANCE, value_row("1-1", 649))])
    assert indicator(met, "1-1")["stretch_met"] is True
    assert indicator(missed, "1-1")["stretch_met"] is False
    assert indicator(missed, "1-1")["light"] == "green"


def test_annual_only_indicator_is_exempt_before_december_and_judged_in_december():
    table = duty(task(1, targets=[target(80, kind="ratio", unit="%", annual_only=True)]))
    november, december = Period(2025, 11), Period(2025, 12)
    before = run(table, [unit_return(FINANCE, value_row("1-1", 10), period=november)], period=november,
                 as_of=date(2025, 12, 10))
    row = indicator(before, "1-1")
    assert row["light"] == "exempt" and pd.isna(row["expected"]) and row["reported"] == 10
    judged = run(table, [unit_return(FINANCE, value_row("1-1", 10), period=december)], period=december,
                 as_of=date(2026, 1, 10))
    row = indicator(judged, "1-1")
    assert (row["light"], row["expected"]) == ("red", 80)


def test_annual_only_cumulative_indicator_is_judged_on_the_full_target_in_december():
    table = duty(task(1, targets=[target(1000, annual_only=True)]))
    december = Period(2025, 12)
    result = run(table, [unit_return(FINANCE, value_row("1-1", 1000), period=december)], period=december,
                 as_of=date(2026, 1, 5))
    assert (indicator(result, "1-1")["expected"], indicator(result, "1-1")["light"]) == (1000, "green")


@pytest.mark.parametrize("reported, light", [(0, "green"), (-2, "green"), (0.8, "yellow"), (1.0, "yellow"), (1.5, "red")])
def test_zero_growth_ceiling_inverts_the_comparison(reported, light):
    table = duty(task(62, targets=[target(0, kind="growth", comparator="<=", unit="%", metric="新增违建")]))
    result = run(table, [unit_return(FINANCE, value_row("62-1", reported))])
    assert indicator(result, "62-1")["light"] == light


@pytest.mark.parametrize("reported, light, completion", [(500, "green", 100.0), (450, "green", 110.0),
                                                         (550, "yellow", 90.0), (560, "red", 88.0)])
def test_cumulative_ceiling_counts_the_overshoot_against_the_plan(reported, light, completion):
    table = duty(task(7, targets=[target(1000, comparator="<=", unit="吨", kind="measure", metric="能耗")]))
    result = run(table, [unit_return(FINANCE, value_row("7-1", reported))])
    row = indicator(result, "7-1")
    assert (row["expected"], row["light"], row["completion"]) == (500, light, completion)


@pytest.mark.parametrize(
    "reported, light, completion",
    [(-100, "green", 100.0), (-80, "green", 120.0), (-105, "yellow", 95.0), (-120, "red", 80.0)],
)
def test_negative_plan_completion_rewards_doing_better_than_the_plan(reported, light, completion):
    # 减亏: a planned loss of 200 万元 for the year, -100 by June
    table = duty(task(9, targets=[target(-200, kind="amount", unit="万元", metric="国企利润")]))
    result = run(table, [unit_return(FINANCE, value_row("9-1", reported))])
    row = indicator(result, "9-1")
    assert (row["expected"], row["light"], row["completion"]) == (-100, light, completion)


@pytest.mark.parametrize("reported, light", [(-3.5, "green"), (-3.0, "green"), (-2.5, "yellow"), (-1.9, "red")])
def test_decrease_target_is_a_negative_ceiling_on_growth(reported, light):
    # 单位GDP能耗下降3%: growth <= -3
    table = duty(task(8, targets=[target(-3, kind="growth", comparator="<=", unit="%", metric="单位GDP能耗")]))
    result = run(table, [unit_return(FINANCE, value_row("8-1", reported))])
    assert indicator(result, "8-1")["light"] == light


def test_completion_rate_rule():
    assert completion_rate(50, 100, ">=") == 0.5
    assert completion_rate(-50, -100, ">=") == 1.5
    assert completion_rate(110, 100, "<=") == pytest.approx(0.9)
    assert completion_rate(5, 0, ">=") is None


def test_zero_plan_is_met_or_not():
    table = duty(task(3, targets=[target(0, kind="level", unit="起", metric="重大事故")], lead=(FINANCE,)))
    assert indicator(run(table, [unit_return(FINANCE, value_row("3-1", 0))]), "3-1")["light"] == "green"
    assert indicator(run(table, [unit_return(FINANCE, value_row("3-1", -1))]), "3-1")["light"] == "red"


def test_target_with_an_earlier_deadline_is_on_schedule_relative_to_it():
    # 6月底前新增 300 家: by March half of it
    table = duty(task(4, targets=[target(300, deadline=date(2025, 6, 30))]))
    march = Period(2025, 3)
    result = run(table, [unit_return(FINANCE, value_row("4-1", 150), period=march)], period=march,
                 as_of=date(2025, 4, 1))
    assert (indicator(result, "4-1")["expected"], indicator(result, "4-1")["light"]) == (150, "green")
    assert deadline_fraction(date(2025, 6, 30), JUNE, 2025) == 1.0
    assert deadline_fraction(date(2025, 6, 30), Period(2025, 9), 2025) == 1.0
    assert deadline_fraction(None, Period(2025, 9), 2025) == 0.75


def test_value_comes_from_the_lead_unit_not_a_responsible_unit():
    table = duty(task(5, lead=(DEVELOPMENT,), responsible=(FINANCE,), targets=[target(100)]))
    result = run(table, [unit_return(FINANCE, value_row("5-1", 50))])
    row = indicator(result, "5-1")
    assert pd.isna(row["reported"]) and row["light"] == "none" and row["expected"] == 50


# ---------------------------------------------------------------- tasks


@pytest.mark.parametrize(
    "status, percent, category",
    [
        ("已完成", None, "已完成"),
        (None, 100, "已完成"),
        ("未启动", None, "未启动"),
        (None, 0, "未启动"),
        ("按计划推进", 60, "超序时进度"),
        ("按计划推进", 50, "达序时进度"),
        ("按计划推进", 49.9, "欠序时进度"),
        ("按计划推进", None, "达序时进度"),
        ("滞后", 70, "欠序时进度"),
        (None, None, "未报送"),
    ],
)
def test_task_category_against_the_schedule(status, percent, category):
    assert task_category(status, percent, 0.5) == category


def test_task_rows_carry_the_lead_report_and_each_responsible_unit():
    table = duty(task(1, lead=(FINANCE,), responsible=(TOWNS, HOUSING)))
    long_text = "完成拆迁" * 30
    result = run(
        table,
        [
            unit_return(FINANCE, task_row(1, "按计划推进", 55, "已完成招标", "资金紧张")),
            unit_return(WENCHANG, task_row(1, "已完成", 100, long_text)),
            unit_return(GUYUNHU, task_row(1), accepted=False, problems=[bad_value(GUYUNHU)]),
        ],
    )
    row = task_line(result, 1)
    assert (row["lead_status"], row["lead_percent"], row["lead_progress"], row["lead_issues"]) == (
        "按计划推进", 55, "已完成招标", "资金紧张")
    assert row["category"] == "超序时进度"
    reports = row["responsible_reports"].split("\n")
    assert reports[0].startswith(f"{WENCHANG}：已完成，100.0%，完成拆迁") and reports[0].endswith("…")
    assert reports[1:] == [f"{GUYUNHU}：报送未通过校验", f"{HOUSING}：未报送"]


def test_several_lead_units_count_as_the_least_advanced():
    table = duty(task(62, lead=(FINANCE, HOUSING, DEVELOPMENT)))
    result = run(
        table,
        [
            unit_return(FINANCE, task_row(62, "已完成", 100, "已拆除")),
            unit_return(HOUSING, task_row(62, "按计划推进", 40, "排查中")),
        ],
    )
    row = task_line(result, 62)
    # DEVELOPMENT has not reported: the task is 未报送 for it, so the task is 未报送, never 已完成
    assert (row["category"], row["lead_status"], row["lead_percent"]) == ("未报送", "按计划推进", 40)
    assert row["lead_progress"] == f"【{FINANCE}】已拆除\n【{HOUSING}】排查中"
    leads = result.leads[result.leads["number"] == "62"].set_index("unit")["category"].to_dict()
    assert leads == {FINANCE: "已完成", HOUSING: "欠序时进度", DEVELOPMENT: "未报送"}


def test_task_not_reported_when_no_lead_return_is_accepted():
    table = duty(task(1, targets=[target(10)]))
    result = run(table, [unit_return(FINANCE, task_row(1, "已完成", 100), value_row("1-1", 10), accepted=False,
                                     problems=[bad_value(FINANCE)])])
    assert task_line(result, 1)["category"] == "未报送"
    assert indicator(result, "1-1")["light"] == "none"


def test_task_with_a_june_deadline_is_half_way_in_march():
    table = duty(task(4, deadline=date(2025, 6, 30)))
    march = Period(2025, 3)
    result = run(table, [unit_return(FINANCE, task_row(4, "按计划推进", 50), period=march)], period=march,
                 as_of=date(2025, 4, 3))
    row = task_line(result, 4)
    assert (row["expected_percent"], row["category"]) == (50, "达序时进度")


def test_previous_category_and_change_come_from_history():
    table = duty(task(1), task(2), task(3))
    may = Period(2025, 5)
    history = {
        "2025-05": [unit_return(FINANCE, task_row(1, "滞后", 20), task_row(2, "按计划推进", 60), task_row(3, "按计划推进", 45),
                                period=may)]
    }
    current = [unit_return(FINANCE, task_row(1, "按计划推进", 50), task_row(2, "滞后", 45), task_row(3, "按计划推进", 60))]
    result = run(table, current, history=history)
    assert [(task_line(result, n)["previous_category"], task_line(result, n)["change"]) for n in (1, 2, 3)] == [
        ("欠序时进度", "上升"), ("超序时进度", "下降"), ("超序时进度", "持平")]
    first = run(table, current)  # nothing archived for May
    assert task_line(first, 1)["previous_category"] is None and task_line(first, 1)["change"] == ""


# ---------------------------------------------------------------- 回收情况


def test_return_received_on_the_due_date_is_on_time_and_the_day_after_is_late():
    table = duty(task(1, lead=(FINANCE,), responsible=(HOUSING, DEVELOPMENT)))
    result = run(
        table,
        [
            unit_return(FINANCE, task_row(1, "按计划推进", 50), received=datetime(2025, 7, 5, 23, 59)),
            unit_return(HOUSING, task_row(1, "按计划推进", 50), received=datetime(2025, 7, 6, 0, 1)),
        ],
    )
    assert result.due_date == date(2025, 7, 5)
    assert return_line(result, FINANCE)["late"] is False
    assert return_line(result, HOUSING)["late"] is True
    missing = return_line(result, DEVELOPMENT)
    assert (missing["returned"], missing["accepted"], missing["late"]) == (False, None, None)


def test_leap_year_due_date_on_29_february():
    table = duty(task(1, responsible=(HOUSING,)), year=2024)
    january = Period(2024, 1)
    result = run(
        table,
        [
            unit_return(FINANCE, task_row(1, "按计划推进", 10), period=january, received=datetime(2024, 2, 29, 17)),
            unit_return(HOUSING, task_row(1, "按计划推进", 10), period=january, received=datetime(2024, 3, 1, 8)),
        ],
        period=january,
        as_of=date(2024, 3, 1),
        due_day=31,
    )
    assert result.due_date == date(2024, 2, 29)
    assert (return_line(result, FINANCE)["late"], return_line(result, HOUSING)["late"]) == (False, True)
    assert Period(2025, 1).due_date(31) == date(2025, 2, 28)


def test_groups_are_expanded_and_every_unit_with_tasks_gets_a_row_in_directory_order():
    table = duty(task(1, lead=(FINANCE,), responsible=(TOWNS,)), task(2, lead=(DEVELOPMENT,), responsible=(FINANCE,)))
    result = run(table, [])
    assert list(result.returns["unit"]) == [DEVELOPMENT, FINANCE, WENCHANG, GUYUNHU]
    assert return_line(result, FINANCE)["task_count"] == 2
    assert return_line(result, WENCHANG)["kind"] == "街镇"


def test_rejected_return_is_listed_with_its_problems_and_its_values_unused():
    table = duty(task(1, targets=[target(1200)]))
    rejected = unit_return(FINANCE, task_row(1, "已完成", 100), value_row("1-1", 5000), accepted=False,
                           problems=[bad_value(FINANCE, "G5"), bad_value(FINANCE, "G6")])
    result = run(table, [rejected])
    line = return_line(result, FINANCE)
    assert (line["returned"], line["accepted"], line["problem_count"]) == (True, False, 2)
    assert list(zip(result.problems["file"], result.problems["cell"], result.problems["code"])) == [
        ("returns/2025-06/区财政局.xlsx", "G5", "value-not-number"),
        ("returns/2025-06/区财政局.xlsx", "G6", "value-not-number"),
    ]
    assert list(result.problems["unit"]) == [FINANCE, FINANCE]
    assert pd.isna(indicator(result, "1-1")["reported"])


def test_newer_accepted_return_supersedes_the_older_one():
    table = duty(task(1, targets=[target(1200)]))
    older = unit_return(FINANCE, value_row("1-1", 100), received=datetime(2025, 7, 2, 9), name="第一次")
    newer = unit_return(FINANCE, value_row("1-1", 600), received=datetime(2025, 7, 4, 9), name="第二次")
    broken = unit_return(FINANCE, value_row("1-1", 9), received=datetime(2025, 7, 6, 9), name="第三次", accepted=False,
                         problems=[bad_value(FINANCE)])
    result = run(table, [newer, broken, older])
    assert indicator(result, "1-1")["reported"] == 600
    line = return_line(result, FINANCE)
    assert (line["file"], line["accepted"], line["late"], line["problem_count"]) == (
        "第二次.xlsx", True, False, 1)  # the file's own name, not the archive's path


# ---------------------------------------------------------------- determinism and JSON


def _sample():
    table = duty(
        task(1, lead=(FINANCE,), responsible=(TOWNS,), targets=[target(1200, stretch=1300), target(4, kind="growth", unit="%")]),
        task(2, lead=(DEVELOPMENT, HOUSING), deadline=date(2025, 6, 30)),
    )
    current = [
        unit_return(FINANCE, task_row(1, "按计划推进", 50, "推进"), value_row("1-1", 580), value_row("1-2", 3.5)),
        unit_return(WENCHANG, task_row(1, "未启动"), value_row("1-1", 700)),
        unit_return(DEVELOPMENT, task_row(2, "滞后", 30), accepted=False, problems=[bad_value(DEVELOPMENT)]),
        unit_return(HOUSING, task_row(2, "按计划推进", 80), received=datetime(2025, 7, 8)),
    ]
    return table, current


def test_rerunning_gives_identical_tables_whatever_the_order_of_returns():
    table, current = _sample()
    first = run(table, current)
    shuffled = list(current)
    random.Random(7).shuffle(shuffled)
    for again in (run(table, current), run(table, shuffled)):
        for name in ("tasks", "indicators", "returns", "flags", "problems"):
            pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))
    assert len(first.flags) > 0


def test_json_has_every_table_as_records_with_iso_dates():
    table, current = _sample()
    data = json.loads(json.dumps(run(table, current).to_json(), ensure_ascii=False))
    assert (data["period"], data["due_date"], data["schedule_fraction"]) == ("2025-06", "2025-07-05", 0.5)
    assert set(data) >= {"tasks", "indicators", "returns", "flags", "problems"}
    housing = next(r for r in data["returns"] if r["unit"] == HOUSING)
    assert housing["received"].startswith("2025-07-08T00:00") and housing["late"] is True
    assert next(r for r in data["tasks"] if r["number"] == "2")["deadline"] == "2025-06-30"
    assert next(r for r in data["indicators"] if r["key"] == "1-2")["completion"] is None


def test_stretch_beyond_a_value_is_met_only_above_it():
    from dataclasses import replace

    from pyxl.common.config import ThresholdSettings
    from pyxl.common.period import Period
    from pyxl.judgement.consolidate import judge_target

    growth = target(5.6, kind="growth", unit="%", stretch=5.6)
    beyond = replace(growth, stretch_exceeds=True)
    june = Period(2025, 6)
    assert judge_target(growth, 5.6, june, 2025, ThresholdSettings()).stretch_met is True
    assert judge_target(beyond, 5.6, june, 2025, ThresholdSettings()).stretch_met is False
    assert judge_target(beyond, 5.7, june, 2025, ThresholdSettings()).stretch_met is True


def test_percentages_compare_as_the_bulletin_quotes_them_to_one_decimal():
    july = 7 / 12  # 序时进度 58.333…%, quoted as 58.3%
    assert task_category("按计划推进", 58.3, july) == "达序时进度"
    assert task_category("按计划推进", 58.33, july) == "达序时进度"
    assert task_category("按计划推进", 58.2, july) == "欠序时进度"
    assert task_category("按计划推进", 58.4, july) == "超序时进度"


def test_a_cumulative_target_short_by_a_rounding_is_green():
    from pyxl.common.config import ThresholdSettings
    from pyxl.judgement.consolidate import judge_target

    jobs = target(3400, unit="人")  # 新增城镇就业3400人: 1983.33 due by July
    assert judge_target(jobs, 1983, Period(2025, 7), 2025, ThresholdSettings()).light == "green"
    assert judge_target(jobs, 1980, Period(2025, 7), 2025, ThresholdSettings()).light == "yellow"


@pytest.mark.parametrize("reported, by_ratio, by_points", [
    (600, "green", "green"),  # on 序时 (June: 600 of 1200)
    (540, "yellow", "green"),  # 5 points of the year's target behind: inside the city's 10-point band
    (420, "red", "yellow"),  # 15 points behind
    (240, "red", "yellow"),  # 30 points behind: the band's edge is still yellow
    (200, "red", "red"),  # 33.3 points behind
])
def test_light_bands_by_ratio_or_by_points_behind_as_offices_set_them(reported, by_ratio, by_points):
    from pyxl.common.config import ThresholdSettings
    from pyxl.judgement.consolidate import judge_target

    count = target(1200, kind="count", unit="人")
    june = Period(2025, 6)
    city = ThresholdSettings(cumulative_band="points", green_points_behind=10, red_points_behind=30)
    assert judge_target(count, reported, june, 2025, ThresholdSettings()).light == by_ratio
    assert judge_target(count, reported, june, 2025, city).light == by_points
    # an upper limit (不超过) is behind by as much when as far above 序时
    ceiling = target(1200, kind="count", unit="人", comparator="<=")
    assert judge_target(ceiling, 1200 - reported, june, 2025, city).light == by_points
