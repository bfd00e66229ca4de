"""Deadlines in a task's text: 6月份竣工, 6月底前, 年底前, 上半年, 三季度, 今年, 全年, 尽快.

Every dated phrase becomes an ISO date in the plan year (the last day of the
period it names); vague ones (尽快) keep their phrase with no date, so staff
see them but nothing is ever flagged overdue on a guess.
"""

from __future__ import annotations

import re
from datetime import date

from pyxl.common.model import Deadline
from pyxl.common.period import Period

_QUARTERS = {"一": 3, "二": 6, "三": 9, "四": 12, "1": 3, "2": 6, "3": 9, "4": 12}

# One alternation, scanned left to right, so each phrase is read once.
_DEADLINE = re.compile(
    r"(?P<explicit_year>(?P<y>20\d{2})\s*年\s*(?:(?P<ym>\d{1,2})\s*月\s*(?:(?P<yd>\d{1,2})\s*日|份|底|末)?|底|末|年底|年末)\s*前?)"
    r"|(?P<day>(?P<dm>\d{1,2})\s*月\s*(?P<dd>\d{1,2})\s*日\s*前?)"
    r"|(?P<month>(?P<m>\d{1,2})\s*月\s*(?P<msuffix>份|底|末|中旬|上旬|下旬)?\s*(?P<mbefore>前)?"
    r"(?:竣工|完工|建成|开工|完成|投用|投产|开业|启用|投入使用)?)"
    r"|(?P<quarter>(?:前|第)?(?P<q>[一二三四1-4])\s*季度(?:末|底)?\s*前?)"
    r"|(?P<half>(?P<h>上|下)半年)"
    r"|(?<![一二三四五六七八九十两\d])(?P<year_end>年底前|年底|年末|年内|今年|全年)"
    r"|(?P<vague>尽快|尽早|适时|近期)"
)


_VERB = re.compile(r"(?:竣工|完工|建成|开工|完成|投用|投产|开业|启用|投入使用)$")


def _date_of(match: re.Match, year: int) -> date | None:
    if match["explicit_year"]:
        explicit = int(match["y"])
        if match["ym"] and match["yd"]:  # 2025年6月15日: a 完成时限 cell, or Excel's date in a sheet
            month, day = int(match["ym"]), int(match["yd"])
            if 1 <= month <= 12 and 1 <= day <= Period(explicit, month).last_day.day:
                return date(explicit, month, day)
            return None
        return Period(explicit, int(match["ym"])).last_day if match["ym"] else date(explicit, 12, 31)
    if match["day"]:
        month, day = int(match["dm"]), int(match["dd"])
        if 1 <= month <= 12 and 1 <= day <= Period(year, month).last_day.day:
            return date(year, month, day)
        return None
    if match["month"]:
        month = int(match["m"])
        if not 1 <= month <= 12:
            return None
        if match["mbefore"] and not match["msuffix"]:
            # "6月前" reads "before June": the end of May. "6月底前" is the end of June.
            return date(year, 1, 1) if month == 1 else Period(year, month - 1).last_day
        return Period(year, month).last_day
    if match["quarter"]:
        return Period(year, _QUARTERS[match["q"]]).last_day
    if match["half"]:
        return date(year, 6, 30) if match["h"] == "上" else date(year, 12, 31)
    if match["year_end"]:
        return date(year, 12, 31)
    return None


def find_deadlines(text: str, year: int) -> list[Deadline]:
    """Every deadline phrase of `text`, in order, each phrase once."""
    found: list[Deadline] = []
    seen: set[str] = set()
    for match in _DEADLINE.finditer(text):
        if match["month"] and not (match["msuffix"] or match["mbefore"] or match.group().rstrip()[-1] != "月"):
            # a bare "6月" (no 份/底/前/verb) is a date in passing, not a deadline
            continue
        phrase = match.group().strip()
        if match["month"] and (match["msuffix"] in ("底", "末") or match["mbefore"]):
            phrase = _VERB.sub("", phrase)  # "6月底前完成" → "6月底前"; "6月份竣工" keeps its verb
        if phrase in seen:
            continue
        seen.add(phrase)
        found.append(Deadline(phrase, _date_of(match, year)))
    return found


def parse_deadline_cell(text: str, year: int) -> list[Deadline]:
    """A 完成时限 table cell: its deadlines, or the whole cell as a vague phrase."""
    text = text.strip()
    if not text:
        return []
    return find_deadlines(text, year) or [Deadline(text, None)]
