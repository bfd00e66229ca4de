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
    assert Period.parse(period).due_date(day) == due


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
