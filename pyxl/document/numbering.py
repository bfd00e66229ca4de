"""Word's automatic numbering, rendered as the labels a reader sees ("1." "一、" "（一）").

A paragraph typed in Word with automatic numbering does not hold its "1." in
its text: it holds a numbering reference (`w:numPr`: numId and level, on the
paragraph or inherited from its style) that Word resolves through the
numbering part (num → abstractNum → lvl with start, format and lvlText) and
counts as it lays the document out. `Numbering.label` does the same counting,
paragraph by paragraph in document order, so a numbered .docx reads exactly
like the typed document the parser already understands.

What it follows: counters per numId and level; a level restarts when a level
above it advances (or as its `w:lvlRestart` says); `w:start`,
`w:lvlOverride/w:startOverride` and a level redefined inside `w:lvlOverride`;
numbering from the paragraph style (and its base styles, and
`w:numStyleLink`); the formats duty documents use (decimal, Chinese counting,
甲乙丙, circled and full-width digits, letters, Roman numerals).
Bullets are not numbers and give no label, except ★ which marks key tasks.
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn

_LEVELS = 9
_DIGITS = "〇一二三四五六七八九"
_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_KEPT_BULLETS = ("★", "☆")  # 重点任务 marks the parser numbers; other bullets are decoration


def chinese_counting(number: int, digits: str = _DIGITS, ten: str = "十", hundred: str = "百", thousand: str = "千") -> str:
    """`number` in Chinese counting: 一 … 十、十一、二十、一百零一 (up to 9999)."""
    if number <= 0 or number > 9999:
        return str(number)
    parts = []
    zero = False
    for value, name in ((1000, thousand), (100, hundred), (10, ten), (1, "")):
        digit, number = divmod(number, value)
        if digit:
            if zero and parts:
                parts.append("零")
            parts.append(digits[digit] + name)
            zero = False
        else:
            zero = True
    text = "".join(parts)
    # 十一, not 一十一, when ten is the highest place (as people write section numbers)
    return text[1:] if text.startswith(digits[1] + ten) else text


def _roman(number: int) -> str:
    pairs = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
             (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    text = ""
    for value, letters in pairs:
        while number >= value:
            text, number = text + letters, number - value
    return text


def _letter(number: int) -> str:
    # Word repeats the letter past Z: AA, BB …
    return chr(ord("A") + (number - 1) % 26) * ((number - 1) // 26 + 1)


def format_number(number: int, fmt: str) -> str:
    """`number` in Word's numbering format `fmt` (ST_NumberFormat); unknown formats in decimal."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "taiwaneseCounting", "taiwaneseCountingThousand",
               "japaneseCounting", "koreanCounting"):
        return chinese_counting(number)
    if fmt in ("ideographDigital", "taiwaneseDigital", "koreanDigital", "japaneseDigitalTenThousand"):
        return "".join(_DIGITS[int(d)] for d in str(number))
    if fmt == "chineseLegalSimplified":
        return chinese_counting(number, _LEGAL, "拾", "佰", "仟")
    if fmt in ("ideographTraditional", "ideographEnclosedCircle"):
        return _STEMS[(number - 1) % 10]
    if fmt == "ideographZodiac":
        return _BRANCHES[(number - 1) % 12]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= number <= 20:
        return chr(0x2460 + number - 1)
    if fmt == "decimalEnclosedParen" and 1 <= number <= 20:
        return chr(0x2474 + number - 1)
    if fmt == "decimalEnclosedFullstop" and 1 <= number <= 20:
        return chr(0x2488 + number - 1)
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return "".join(chr(0xFF10 + int(d)) for d in str(number))
    if fmt == "decimalZero":
        return f"{number:02d}"
    if fmt == "upperRoman":
        return _roman(number)
    if fmt == "lowerRoman":
        return _roman(number).lower()
    if fmt == "upperLetter":
        return _letter(number)
    if fmt == "lowerLetter":
        return _letter(number).lower()
    if fmt == "none":
        return ""
    return str(number)


@dataclass(frozen=True)
class _Level:
    start: int
    fmt: str  # ST_NumberFormat: decimal, chineseCounting, bullet …
    text: str  # lvlText: "%1." "%1、" "（%1）" "%1.%2"
    restart: int | None  # lvlRestart: restart after this (1-based) level only; 0 never; None after any
    legal: bool  # isLgl: every level's number in decimal (1.1 rather than 一.1)


def _val(element, tag: str) -> str | None:
    child = element.find(qn(tag)) if element is not None else None
    return None if child is None else child.get(qn("w:val"))


def _int(text: str | None, default: int | None) -> int | None:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _read_level(lvl, start_override: int | None) -> _Level:
    legal = lvl.find(qn("w:isLgl"))
    return _Level(
        start=start_override if start_override is not None else _int(_val(lvl, "w:start"), 0) or 0,
        fmt=_val(lvl, "w:numFmt") or "decimal",
        text=_val(lvl, "w:lvlText") or "",
        restart=_int(_val(lvl, "w:lvlRestart"), None),
        legal=legal is not None and legal.get(qn("w:val"), "1") not in ("0", "false", "off"),
    )


class Numbering:
    """The numbering labels of one document's paragraphs, counted in document order.

    Call `label` once for every paragraph (body and table cells) in the order
    they appear: Word counts in that order, so a skipped paragraph would shift
    every later number.
    """

    def __init__(self, document) -> None:
        try:
            self._numbering = document.part.numbering_part.element
        except (NotImplementedError, KeyError):  # a document without a numbering part
            self._numbering = None
        self._styles = document.styles.element
        default = self._styles.default_for(WD_STYLE_TYPE.PARAGRAPH)
        self._default_style = default.styleId if default is not None else None
        self._definitions: dict[int, tuple[str, list[_Level | None], dict[int, int]] | None] = {}
        self._counters: dict[str, list[int | None]] = {}  # per list (abstractNum), per level
        self._overridden: set[tuple[int, int]] = set()  # (numId, level) whose startOverride was applied

    # ---- definitions
    def _style_num_id(self, style_id: str | None) -> int | None:
        style = self._styles.get_by_id(style_id) if style_id else None
        return _int(_val(_num_pr(style.pPr), "w:numId"), None) if style is not None else None

    def _definition(self, num_id: int, hops: int = 0):
        """(list key, levels, start overrides) of a numId, None when it names no list."""
        if num_id in self._definitions:
            return self._definitions[num_id]
        found = None
        if self._numbering is not None and hops < 3:
            try:
                num = self._numbering.num_having_numId(num_id)
            except KeyError:
                num = None
            if num is not None:
                found = self._build(num, hops)
        self._definitions[num_id] = found
        return found

    def _build(self, num, hops: int):
        abstract_id = num.abstractNumId.val
        matches = self._numbering.xpath(f'./w:abstractNum[@w:abstractNumId="{abstract_id}"]')
        if not matches:
            return None
        abstract = matches[0]
        link = _val(abstract, "w:numStyleLink")
        if link is not None:
            # the list is defined by a numbering style: follow it to the num that holds the levels
            linked = self._style_num_id(link)
            base = self._definition(linked, hops + 1) if linked is not None else None
            if base is None:
                return None
            key, levels, _ = base
        else:
            key = f"abstract-{abstract_id}"
            levels = [None] * _LEVELS
            for lvl in abstract.findall(qn("w:lvl")):
                ilvl = _int(lvl.get(qn("w:ilvl")), None)
                if ilvl is not None and 0 <= ilvl < _LEVELS:
                    levels[ilvl] = _read_level(lvl, None)
        levels = list(levels)
        starts: dict[int, int] = {}
        for override in num.lvlOverride_lst:
            ilvl = override.ilvl
            if not 0 <= ilvl < _LEVELS:
                continue
            start = override.startOverride.val if override.startOverride is not None else None
            redefined = override.find(qn("w:lvl"))
            if redefined is not None:
                levels[ilvl] = _read_level(redefined, start)
            if start is not None:
                starts[ilvl] = start
        return key, levels, starts

    # ---- which list a paragraph is in
    def _reference(self, p) -> tuple[int, int, str | None] | None:
        """(numId, level, style id) of a paragraph element, None when it is not numbered."""
        num_pr = _num_pr(p.pPr)
        num_id = _int(_val(num_pr, "w:numId"), None)
        ilvl = _int(_val(num_pr, "w:ilvl"), None)
        style_id = p.style or self._default_style
        seen = set()
        current = style_id
        while (num_id is None or ilvl is None) and current and current not in seen:
            seen.add(current)
            style = self._styles.get_by_id(current)
            if style is None:
                break
            style_pr = _num_pr(style.pPr)
            if num_id is None:
                num_id = _int(_val(style_pr, "w:numId"), None)
            if ilvl is None:
                ilvl = _int(_val(style_pr, "w:ilvl"), None)
            current = style.basedOn_val
        if not num_id:  # absent, or numId 0: numbering switched off for this paragraph
            return None
        return num_id, ilvl if ilvl is not None else -1, style_id

    # ---- counting
    def label(self, paragraph) -> str:
        """The label Word shows in front of `paragraph` ("1." "一、" "（一）"), "" when none.

        Advances the counters: call it exactly once per paragraph, in document order.
        """
        reference = self._reference(paragraph._p)
        if reference is None:
            return ""
        num_id, ilvl, style_id = reference
        definition = self._definition(num_id)
        if definition is None:
            return ""
        key, levels, starts = definition
        if ilvl < 0:
            # a style-linked list: the level is the one that names the paragraph's style
            ilvl = next((i for i, lvl in enumerate(self._abstract_levels_for_style(num_id, style_id)) if lvl), 0)
        level = levels[ilvl] if 0 <= ilvl < _LEVELS else None
        if level is None:
            return ""
        counters = self._counters.setdefault(key, [None] * _LEVELS)
        if ilvl in starts and (num_id, ilvl) not in self._overridden:
            self._overridden.add((num_id, ilvl))
            counters[ilvl] = starts[ilvl]
        else:
            counters[ilvl] = level.start if counters[ilvl] is None else counters[ilvl] + 1
        for deeper in range(ilvl + 1, _LEVELS):
            restart = levels[deeper].restart if levels[deeper] is not None else None
            if restart is None or ilvl < restart:
                counters[deeper] = None
        if level.fmt == "bullet":
            return level.text.strip() if level.text.strip() in _KEPT_BULLETS else ""
        text = level.text
        for index in range(ilvl + 1):  # %1 … %9: a level's text may show the numbers of the levels above it
            shown = levels[index]
            value = counters[index] if counters[index] is not None else (shown.start if shown else 1)
            fmt = "decimal" if level.legal and index < ilvl else (shown.fmt if shown else "decimal")
            text = text.replace(f"%{index + 1}", format_number(value, fmt))
        return text

    def _abstract_levels_for_style(self, num_id: int, style_id: str | None) -> list[bool]:
        """Per level, whether its definition names `style_id` (w:pStyle in the lvl)."""
        if self._numbering is None or not style_id:
            return []
        try:
            num = self._numbering.num_having_numId(num_id)
        except KeyError:
            return []
        flags = [False] * _LEVELS
        for lvl in self._numbering.xpath(f'./w:abstractNum[@w:abstractNumId="{num.abstractNumId.val}"]/w:lvl'):
            ilvl = _int(lvl.get(qn("w:ilvl")), None)
            if ilvl is not None and 0 <= ilvl < _LEVELS and _val(lvl, "w:pStyle") == style_id:
                flags[ilvl] = True
        return flags


def _num_pr(p_pr):
    return p_pr.find(qn("w:numPr")) if p_pr is not None else None


def numbered_text(label: str, text: str) -> str:
    """A paragraph's text with its label in front, as a typed document has it."""
    if not label:
        return text
    # "1.地区生产总值…" as typed; a label ending in a letter or digit keeps a space from its text
    separator = " " if label[-1].isalnum() and text else ""
    return label + separator + text
