"""Periods and due dates: month ends, year ends, leap years, 序时进度."""

from datetime import date

import pytest

from pyxl.common.errors import PyxlError
from pyxl.common.period import Period


@pytest.mark.parametrize(
    "period, day, due",
    [
        ("2025-06", 5, date(2025, 7, 5)),
        ("2025-12", 5, date(2026, 1, 5)),  # year end rolls over
        ("2024-01", 31, date(2024, 2, 29)),  # leap February clamps to its last day
        ("2025-01", 31, date(2025, 2, 28)),
    ],
)
def test_due_date_is_in_the_next_month(period, day, due):
    assert Period.parse(period).due_date(day, rule="none") == due


@pytest.mark.parametrize(
    "period, day, rule, calendar, due",
    [
        ("2025-06", 5, "next", "china", date(2025, 7, 7)),  # Saturday 5 July → Monday
        ("2025-09", 5, "next", "china", date(2025, 10, 9)),  # National Day holiday 1–8 October
        ("2025-09", 5, "previous", "china", date(2025, 9, 30)),
        ("2025-09", 5, "next", "weekdays", date(2025, 10, 6)),  # Monday–Friday only: the holiday is not known
        ("2025-08", 28, "next", "china", date(2025, 9, 28)),  # a make-up working Sunday stays
        ("2026-01", 17, "next", "china", date(2026, 2, 24)),  # Spring Festival 2026 (15–23 February)
        ("2025-06", 5, "none", "china", date(2025, 7, 5)),
    ],
)
def test_due_date_falls_on_a_working_day(period, day, rule, calendar, due):
    assert Period.parse(period).due_date(day, rule, calendar) == due


def test_working_days_follow_chinas_official_calendar():
    from pyxl.common.period import add_working_days, is_working_day

    assert not is_working_day(date(2025, 10, 3)) and is_working_day(date(2025, 10, 11))  # holiday; make-up Saturday
    assert is_working_day(date(2025, 10, 3), "weekdays")
    # a 督办单 issued on 29 September has five working days: 30 Sep, 9, 10, 11 (Saturday, worked) and 13 October
    assert add_working_days(date(2025, 9, 29), 5) == date(2025, 10, 13)
    # a year the calendar package does not cover yet falls back to Monday–Friday
    assert is_working_day(date(2099, 1, 1)) is True and is_working_day(date(2099, 1, 3)) is False


def test_due_rule_is_a_setting(tmp_path):
    from pyxl.common.config import Settings

    settings = Settings.model_validate({"period": {"return_due_day": 5, "due_rule": "previous"}})
    assert settings.due_date(Period(2025, 9)) == date(2025, 9, 30)
    assert Settings().due_date(Period(2025, 6)) == date(2025, 7, 7)


def test_schedule_fraction_is_months_elapsed_over_twelve():
    assert Period.parse("2025-06").schedule_fraction(2025) == 0.5
    assert Period.parse("2025-11").schedule_fraction(2025) == pytest.approx(11 / 12)
    assert Period.parse("2026-01").schedule_fraction(2025) == 1.0


def test_neighbours_and_labels():
    assert str(Period.parse("2025-01").previous()) == "2024-12"
    assert str(Period.parse("2025-12").next()) == "2026-01"
    assert Period.parse("2025-06").label == "2025年6月"


@pytest.mark.parametrize("text", ["2025-6", "2025-13", "六月", ""])
def test_bad_period_is_a_clear_error(text):
    with pytest.raises(PyxlError, match="2025-06"):
        Period.parse(text)
