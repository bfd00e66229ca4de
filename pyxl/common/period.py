"""Reporting periods: `2025-06` is the month of June 2025.

Time is always passed in: nothing here reads the clock.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from pyxl.common.errors import PyxlError


def chinese_date(day: date) -> str:
    """A date as Chinese documents write it: 2025年7月5日."""
    return f"{day.year}年{day.month}月{day.day}日"


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

    def due_date(self, due_day: int) -> date:
        """Returns are due on `due_day` of the next month (clamped to its last day)."""
        last_day = self.next().last_day
        return last_day.replace(day=min(due_day, last_day.day))

    def schedule_fraction(self, plan_year: int) -> float:
        """序时进度: share of the plan year elapsed at the end of this period (m/12)."""
        if self.year < plan_year:
            return 0.0
        if self.year > plan_year:
            return 1.0
        return self.month / 12
