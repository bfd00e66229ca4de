"""Reporting periods: `2025-06` is the month of June 2025.

Time is always passed in: nothing here reads the clock.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from pyxl.common.errors import PyxlError


def chinese_date(day: date) -> str:
    """A date as Chinese documents write it: 2025年7月5日."""
    return f"{day.year}年{day.month}月{day.day}日"


# How a due date that falls on a rest day is moved (period.due_rule in config.yaml).
DUE_RULES = {"next": "顺延至下一个工作日", "previous": "提前至前一个工作日", "none": "不调整"}
# Which days are working days (period.calendar): China's official calendar (weekends, public
# holidays and the make-up working weekends the State Council publishes each year) or Monday–Friday.
CALENDARS = {"china": "国务院公布的法定节假日与调休安排", "weekdays": "周一至周五"}


def is_working_day(day: date, calendar_name: str = "china") -> bool:
    """Whether `day` is a working day: China's official calendar (chinese-calendar), or Monday to Friday.

    A year the calendar package does not yet cover (the State Council
    publishes each year's holidays in the autumn before) falls back to
    Monday–Friday rather than stopping the month's work.
    """
    if calendar_name == "china":
        import chinese_calendar

        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            pass
    return day.weekday() < 5


def working_day_on_or_around(day: date, rule: str = "next", calendar_name: str = "china") -> date:
    """`day` itself when it is a working day, else the next (rule "next") or previous ("previous") one; "none" keeps it."""
    if rule == "none":
        return day
    step = timedelta(days=-1 if rule == "previous" else 1)
    while not is_working_day(day, calendar_name):
        day += step
    return day


def add_working_days(day: date, count: int, calendar_name: str = "china") -> date:
    """The `count`-th working day after `day` (a 督办单's 办理时限: five working days after it is issued)."""
    left = count
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, calendar_name):
            left -= 1
    return day


_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Period":
        """`2025-06` as a Period; PyxlError with an example of the right form otherwise."""
        match = _PERIOD.match(str(text).strip())
        if not match:
            raise PyxlError(f"期次「{text}」格式不对：请写成 年-月，例如 2025-06。")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """Chinese label: 2025年6月."""
        return f"{self.year}年{self.month}月"

    @property
    def first_day(self) -> date:
        """The 1st of the month."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """The last day of the month (29 February in a leap year)."""
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def next(self) -> "Period":
        """The following month (2025-12 → 2026-01)."""
        return Period(self.year + (self.month == 12), self.month % 12 + 1)

    def previous(self) -> "Period":
        """The month before (2025-01 → 2024-12)."""
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def due_date(self, due_day: int, rule: str = "none", calendar_name: str = "china") -> date:
        """Returns are due on `due_day` of the next month (clamped to its last day), moved to a working day by `rule`.

        With rule "next", 2025-09 with due day 5: 5 October 2025 is in the
        National Day holiday, so the returns are due on Thursday 9 October.
        The settings' rule (period.due_rule) is applied by Settings.due_date.
        """
        last_day = self.next().last_day
        return working_day_on_or_around(last_day.replace(day=min(due_day, last_day.day)), rule, calendar_name)

    def schedule_fraction(self, plan_year: int) -> float:
        """序时进度: share of the plan year elapsed at the end of this period (m/12)."""
        if self.year < plan_year:
            return 0.0
        if self.year > plan_year:
            return 1.0
        return self.month / 12
