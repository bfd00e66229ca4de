"""What a person meant by what they typed in a number cell.

Clerks type "1,200", "1.2万", "约60%", "１２００" or "3.5亿元" where a number is
asked for. We read what a person would read, and the caller says what was
read (a warning), so the clerk can see it and correct it if we were wrong.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time

_MAGNITUDE = {"": 1.0, "十": 10.0, "百": 100.0, "千": 1e3, "万": 1e4, "十万": 1e5, "百万": 1e6, "千万": 1e7, "亿": 1e8}
_NUMBER = re.compile(
    r"^(?:同比增长|增长|增速|同比|约|大约|约为|近|将近|接近|超过|超|达到|达|累计|共计|共|计)?\s*"
    r"(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*"
    r"(?P<magnitude>十万|百万|千万|十|百|千|万|亿)?\s*"
    r"(?P<rest>.*?)\s*(?:左右|以上|余|多)?$"
)
# What clerks write in a number cell to mean "nothing to report" (after NFKC: ／ → /, － → -).
_NOTHING = {"无", "暂无", "没有", "/", "-", "--", "—", "——", "-—", "不适用", "n/a", "na", "空"}
# What may follow the number: a percent sign or a unit word (元, 人, 家, 公里 …); never digits.
_REST = re.compile(r"^(?:%|个百分点|百分点|[^\d.,+\-=]{1,6})?$")
# What makes Excel, WPS or LibreOffice read typed or pasted text as a formula:
# = + - @ first (=1+1, +1+1, @SUM(1), =cmd|' /C calc'!A0), and tab, CR or LF,
# which Excel strips before looking. Leading spaces do not protect a CSV cell
# in every program, so they are skipped before looking too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


@dataclass(frozen=True)
class Reading:
    """What a cell was read as: a number or None (nothing to report), or an error when it is no number."""

    value: float | None
    note: str | None = None  # set when the text was interpreted: what we read it as
    error: bool = False


def _unit_scale(unit: str) -> tuple[float, str]:
    """亿元 → (1e8, 元); % → (1, %)."""
    for prefix in ("千万", "百万", "十万", "万", "亿", "千", "百"):
        if unit.startswith(prefix) and len(unit) > len(prefix):
            return _MAGNITUDE[prefix], unit[len(prefix):]
    return 1.0, unit


def read_number(value: object, target_unit: str = "") -> Reading:
    """A cell's number; text is interpreted as a person would and noted.

    `target_unit` (亿元, 万元, % …) is the unit the number is asked in: "3.5亿元"
    written for a 万元 target reads as 35000.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return Reading(None)
    if isinstance(value, (bool, datetime, date, time)):
        return Reading(None, error=True)
    if isinstance(value, (int, float)):
        # a cell can hold "1E+999" or "NaN", which read as infinity and not-a-number: no count a clerk reports
        return Reading(float(value)) if math.isfinite(value) else Reading(None, error=True)
    text = str(value).strip()
    normal = unicodedata.normalize("NFKC", text).replace("，", ",").replace(",", "").replace(" ", "").replace("\u3000", "")
    if normal.lower() in _NOTHING:
        return Reading(None, f"「{text}」按未填写读取")
    match = _NUMBER.match(normal)
    if not match or not _REST.match(match.group("rest")):
        return Reading(None, error=True)
    number = float(match.group("number"))
    magnitude = _MAGNITUDE[match.group("magnitude") or ""]
    rest = match.group("rest")
    target_scale, target_base = _unit_scale(target_unit)
    if rest and rest not in ("%", "个百分点", "百分点") and target_base and rest == target_base:
        number = number * magnitude / target_scale  # 3.5亿元 for a 万元 target
    elif rest and rest == target_unit:
        pass  # 12.5亿元 for a 亿元 target: the magnitude is the unit's own
    else:
        number *= magnitude
    if not math.isfinite(number):  # digits beyond any float ("1e999", 400 nines)
        return Reading(None, error=True)
    if number.is_integer():
        number = float(int(number))
    shown = format(number, ".12g")
    return Reading(number, None if shown == text else f"「{text}」按 {shown} 读取")


def looks_like_formula(text: str) -> bool:
    """Text a spreadsheet would run as a formula if written as it is: the one test for every output."""
    return text.lstrip(" ").startswith(FORMULA_STARTS)


def is_percent_unit(unit: str) -> bool:
    """Whether a target's unit is a percentage (half- or full-width sign)."""
    return unit.strip() in ("%", "％")
