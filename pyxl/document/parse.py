"""Parse a 责任分工 document into the duty table.

The document's lines are walked once: headings (一、 and （一）, with or
without markdown marks) open sections and subsections; numbered items
(1. / 1、 / ★ / （一）, or table rows) open tasks; any other line continues the
current task, so page breaks and blank lines inside a task, a unit name or a
label change nothing. Each task's text is then split into the task itself and
its unit labels (（牵头单位：…；责任单位：…）, labels on their own lines,
（X牵头，Y、Z配合）, or the lead unit of its section heading); units are
canonicalised through the unit directory. Targets and deadlines come from
parse_targets / parse_deadlines. Oddities are Problems and parsing carries on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pyxl.common.errors import PyxlError
from pyxl.common.model import DutyTable, Section, Subsection, Task, UnitDirectory
from pyxl.common.problems import Problem, problem, register_code
from pyxl.common.units import UnitIndex, normalise_name
from pyxl.document.deadlines import find_deadlines, parse_deadline_cell
from pyxl.document.labels import LABEL, split_labels, split_units
from pyxl.document.read import Line, read_lines, text_lines
from pyxl.document.targets import find_targets

STAGE = "导入分工"  # shown in the README table of problem codes
NO_LEAD = register_code(
    "task-without-lead-unit", "error", "任务没有牵头单位：请在分工文件或主控工作簿的任务清单中补上牵头单位。", STAGE
)
UNKNOWN_UNIT = register_code(
    "unknown-unit", "error", "单位名称不在单位名录中：请改成名录中的名称，或在 config.yaml 中为它添加单位或别名。", STAGE
)
NUMBERING_GAP = register_code("numbering-gap", "warning", "任务编号不连续（跳号）：请核对分工文件是否漏了任务。", STAGE)
NUMBERING_REPEAT = register_code(
    "numbering-repeat", "error", "任务编号重复：后一项已改编号以示区别，请核对分工文件并改正编号。", STAGE
)
TRUNCATED = register_code(
    "truncated-item", "error", "最后一项任务在中途中断，文件可能不完整：请核对原文件，补全后重新导入。", STAGE
)
OPEN_GROUP = register_code(
    "open-group", "warning", "单位写作「相关部门」等开放性表述：须由督查室在主控工作簿中指定具体单位，程序不会猜测。", STAGE
)

_CN_NUMERAL = "一二三四五六七八九十"
_MARKDOWN = re.compile(r"^#+\s*")
_SECTION = re.compile(rf"^([{_CN_NUMERAL}]{{1,3}})\s*[、.．]\s*(.+)$")
_CN_ITEM = re.compile(rf"^[（(]\s*([{_CN_NUMERAL}]{{1,3}})\s*[)）]\s*(.*)$")
_ITEM = re.compile(r"^(\d{1,3})\s*[.．、]\s*(?!\d)(.*)$")
_STAR = re.compile(r"^★\s*(?:(\d{1,3})\s*[.．、]?)?\s*(.*)$")
_HEADING_LEAD = re.compile(r"^(.+?)牵头(?:的)?(?:重点)?(?:工作|任务)")
_CJK_SPACE = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")
_ENDS_COMPLETE = tuple("。.！!？?）)”\"；;")
_COLUMNS = {
    "number": ("序号", "编号"),
    "text": ("重点工作", "工作任务", "任务内容", "主要任务", "工作内容", "任务"),
    "lead": ("牵头单位", "牵头部门"),
    "responsible": ("责任单位", "配合单位", "协办单位", "责任部门"),
    "deadline": ("完成时限", "时限", "完成时间"),
}


@dataclass
class _Item:
    number: str
    line: int
    section: str
    subsection: str | None
    parts: list[str] = field(default_factory=list)
    lead: list[str] = field(default_factory=list)  # from a table column or a heading
    responsible: list[str] = field(default_factory=list)
    deadline_cell: str = ""
    from_table: bool = False


def _plain(text: str) -> tuple[str, bool]:
    """A line without markdown marks (##, **), and whether it was a markdown heading."""
    heading = bool(_MARKDOWN.match(text))
    text = _MARKDOWN.sub("", text).strip()
    if text.startswith("**") and text.endswith("**"):
        text = text[2:-2].strip()
    return text.replace("**", ""), heading


def _title_of(lines: list[Line]) -> str:
    candidates = []
    for line in lines:
        text, heading = _plain(line.text)
        if not text or line.cells:
            continue
        if _SECTION.match(text) or _ITEM.match(text) or _CN_ITEM.match(text):
            break
        if text.startswith("附件"):
            continue
        candidates.append((("分工" in text or "工作报告" in text), heading, text))
    if not candidates:
        return ""
    best = max(candidates, key=lambda c: (c[0], c[1]))
    return _CJK_SPACE.sub("", best[2])


def _column_map(cells: tuple[str, ...]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = re.sub(r"\s", "", cell)
        for key, words in _COLUMNS.items():
            if key not in found and any(word in name for word in words):
                found[key] = index
                break
    return found if "text" in found and ("number" in found or "lead" in found) else None


class _Parser:
    def __init__(self, lines: list[Line], directory: UnitDirectory, default_year: int, source: str) -> None:
        self.lines = lines
        self.index = UnitIndex(directory)
        self.source = source
        self.title = _title_of(lines)
        found = re.search(r"(20\d{2})\s*年", self.title)
        self.year = int(found[1]) if found else default_year
        self.sections: list[Section] = []
        self.items: list[_Item] = []
        self.problems: list[Problem] = []
        self.defaults: dict[str, list[str]] = {}  # section / subsection id → lead units of its heading
        # unknown name → (task number, line) of each task naming it, and the closest known name:
        # reported once per name with its tasks, not once per task
        self.unknown: dict[str, tuple[list[tuple[str, int | None]], str | None]] = {}
        texts = [_plain(line.text)[0] for line in lines if not line.cells]
        self.arabic_items = any(_ITEM.match(t) or _STAR.match(t) for t in texts) or any(line.cells for line in lines)
        self.restarts = sum(1 for t in texts if (m := _ITEM.match(t)) and m[1] == "1") > 1

    def note(self, code: str, message: str, line: int | None) -> None:
        self.problems.append(problem(code, message, file=self.source, line=line))

    # ---- walking the lines
    def walk(self) -> None:
        columns: dict[str, int] | None = None
        for line in self.lines:
            if line.cells is not None:
                columns = self.row(line, columns)
                continue
            text, heading = _plain(line.text)
            if not text:
                continue
            if self.heading(text, heading, line):
                continue
            if self.new_item(text, line):
                continue
            if self.items:
                self.items[-1].parts.append(text)

    def heading(self, text: str, markdown: bool, line: Line) -> bool:
        section = _SECTION.match(text)
        if section and (markdown or len(text) <= 60) and not LABEL.search(text):
            title = section[2].strip()
            self.sections.append(Section(section[1], title))
            self.defaults[section[1]] = self.heading_lead(title)
            return True
        sub = _CN_ITEM.match(text)
        if sub and self.arabic_items and not LABEL.search(text):
            if not self.sections:
                self.sections.append(Section("", ""))
            sub_id = f"（{sub[1]}）"
            self.sections[-1].subsections.append(Subsection(sub_id, sub[2].strip()))
            self.defaults[f"{self.sections[-1].id}{sub_id}"] = self.heading_lead(sub[2])
            return True
        return False

    def heading_lead(self, title: str) -> list[str]:
        _, lead, _, found, _ = split_labels(title)
        if found:
            return lead
        match = _HEADING_LEAD.match(title)
        return split_units(match[1]) if match else []

    def place(self) -> tuple[str, str | None]:
        if not self.sections:
            return "", None
        section = self.sections[-1]
        return section.id, section.subsections[-1].id if section.subsections else None

    def new_item(self, text: str, line: Line) -> bool:
        section, subsection = self.place()
        if match := _ITEM.match(text):
            number, rest = match[1], match[2]
        elif (match := _STAR.match(text)) and text.startswith("★"):
            stars = sum(1 for item in self.items if item.number.startswith("★"))
            number, rest = f"★{match[1] or stars + 1}", match[2]
        elif (match := _CN_ITEM.match(text)) and not self.arabic_items:
            number, rest = f"（{match[1]}）", match[2]
        else:
            return False
        item = _Item(number, line.number, section, subsection)
        if rest:
            item.parts.append(rest)
        self.items.append(item)
        return True

    def row(self, line: Line, columns: dict[str, int] | None) -> dict[str, int] | None:
        cells = line.cells or ()
        header = _column_map(cells)
        if header is not None:
            return header
        distinct = [c for c in dict.fromkeys(cells) if c]
        if columns is None or len(distinct) <= 1:
            text = distinct[0] if distinct else ""
            if text:
                plain, markdown = _plain(text)
                if not self.heading(plain, markdown, line) and not self.new_item(plain, line) and self.items:
                    self.items[-1].parts.append(plain)
            return columns

        def cell(key: str) -> str:
            index = columns.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        number = re.sub(r"[.．、\s]", "", cell("number"))
        if not number and self.items and self.items[-1].from_table:
            item = self.items[-1]  # a row continued across a page break
        else:
            section, subsection = self.place()
            item = _Item(number or str(len(self.items) + 1), line.number, section, subsection, from_table=True)
            self.items.append(item)
        item.parts.append(cell("text"))
        item.lead += split_units(cell("lead"))
        item.responsible += split_units(cell("responsible"))
        item.deadline_cell = (item.deadline_cell + cell("deadline")).strip()
        return columns

    # ---- numbering
    def check_numbering(self) -> None:
        """Give every item a unique number and report repeats and gaps in the document's numbering."""
        seen: dict[str, int] = {}
        previous: int | None = None
        previous_section = None
        for item in self.items:
            if self.restarts and item.number.isdigit():
                if item.section != previous_section:
                    previous = None  # each section counts from 1 again
                item.number = f"{item.section}-{item.number}" if item.section else item.number
            previous_section = item.section
            self._make_unique(item, seen)
            previous = self._check_gap(item, previous)

    def _make_unique(self, item: _Item, seen: dict[str, int]) -> None:
        """A repeated number: a numbered one is reported and suffixed b; （一） takes its section's name."""
        if item.number in seen:
            if re.search(r"\d", item.number):
                self.note(
                    NUMBERING_REPEAT,
                    f"任务编号 {item.number} 重复（第 {seen[item.number]} 行已有）：本项暂编为 {item.number}b，请核对分工文件并改正编号。",
                    item.line,
                )
                item.number = f"{item.number}b"
            else:  # （一） restarts in each section: name it by its section
                item.number = f"{item.section}{item.number}"
        seen.setdefault(item.number, item.line)

    def _check_gap(self, item: _Item, previous: int | None) -> int | None:
        """Report numbers skipped between the previous item and this one; returns this item's count."""
        digits = re.sub(r"\D", "", item.number)
        if not digits or item.number.endswith("b") or not (item.number[0].isdigit() or self.restarts):
            return previous
        value = int(digits) if not self.restarts else int(item.number.rsplit("-", 1)[-1])
        if previous is not None and value > previous + 1:
            missing = f"{previous + 1}" if value == previous + 2 else f"{previous + 1}—{value - 1}"
            self.note(
                NUMBERING_GAP,
                f"任务编号从 {previous} 跳到 {value}，缺少第 {missing} 项：请核对分工文件是否漏了任务。",
                item.line,
            )
        return value

    # ---- units
    def resolve(self, raws: list[str], item: _Item, role: str, truncated: bool) -> list[str]:
        names: list[str] = []
        for position, raw in enumerate(raws):
            found = self.index.resolve(raw)
            name = found.canonical
            if name is None:
                if truncated and position == len(raws) - 1:
                    continue  # the cut-off fragment of the last name; truncated-item says so
                name = normalise_name(raw)
                places, _ = self.unknown.setdefault(name, ([], found.suggestion))
                if item.number not in [number for number, _ in places]:
                    places.append((item.number, item.line))
            elif found.is_group and self.index.expand(name)[1]:
                self.note(
                    OPEN_GROUP,
                    f"第 {item.number} 项的{role}写作「{name}」，没有指明具体单位：请在主控工作簿的任务清单中指定具体单位。",
                    item.line,
                )
            if name not in names:
                names.append(name)
        return names

    def task(self, item: _Item, last: bool) -> Task:
        full = "".join(item.parts)
        text, lead_raw, responsible_raw, found, closed = split_labels(full)
        lead_raw = item.lead + lead_raw
        responsible_raw = item.responsible + responsible_raw
        truncated = last and not item.from_table and ((found and not closed) or (not found and not text.endswith(_ENDS_COMPLETE)))
        if truncated:
            tail = full.strip()[-12:]
            self.note(
                TRUNCATED,
                f"第 {item.number} 项在「…{tail}」处中断，文件可能不完整：请核对原文件，补全后重新导入。",
                item.line,
            )
        if not lead_raw:  # the lead unit its subsection's or section's heading names
            lead_raw = list(self.defaults.get(f"{item.section}{item.subsection or ''}") or self.defaults.get(item.section, []))
        lead = self.resolve(lead_raw, item, "牵头单位", truncated and not responsible_raw)
        responsible = self.resolve(responsible_raw, item, "责任单位", truncated)
        if not lead and not truncated:
            self.note(
                NO_LEAD,
                f"第 {item.number} 项没有牵头单位：请在分工文件中补上「牵头单位：…」，或在主控工作簿的任务清单中填写。",
                item.line,
            )
        deadlines = find_deadlines(text, self.year)
        in_text = {d.phrase for d in deadlines}
        # a 完成时限 cell's deadlines (each phrase once already) after the ones the text names
        deadlines += [extra for extra in parse_deadline_cell(item.deadline_cell, self.year) if extra.phrase not in in_text]
        return Task(
            number=item.number,
            section=item.section,
            subsection=item.subsection,
            text=text,
            lead_units=lead,
            responsible_units=responsible,
            lead_units_raw=[r.strip() for r in lead_raw],
            responsible_units_raw=[r.strip() for r in responsible_raw],
            targets=find_targets(text),
            deadlines=deadlines,
            line=item.line,
        )

    def run(self) -> DutyTable:
        self.walk()
        if not self.items:
            raise PyxlError(
                f"{self.source} 中没有找到编号的重点工作（如「1.……（牵头单位：……）」）：请确认选择了责任分工文件，或把任务改成带编号的条目后重试。"
            )
        self.check_numbering()
        tasks = [self.task(item, index == len(self.items) - 1) for index, item in enumerate(self.items)]
        sections = [s for s in self.sections if s.id or s.subsections]
        for name, (places, suggestion) in self.unknown.items():
            hint = f"，最接近的是「{suggestion}」" if suggestion else ""
            numbers = "、".join(number for number, _ in places)
            self.note(
                UNKNOWN_UNIT,
                f"单位「{name}」不在单位名录中（第 {numbers} 项）{hint}：请改正名称，或在 config.yaml 的 units 中为它添加单位或别名。",
                places[0][1],
            )
        problems = sorted(self.problems, key=lambda p: (p.line or 0))
        return DutyTable(self.title or Path(self.source).stem, self.year, sections, tasks, problems)


def parse_lines(lines: list[Line], directory: UnitDirectory, default_year: int, source_name: str) -> DutyTable:
    """The duty table of already-read lines (see parse_document)."""
    return _Parser(lines, directory, default_year, source_name).run()


def parse_text(text: str, directory: UnitDirectory, default_year: int, source_name: str = "分工文件.txt") -> DutyTable:
    """Parse a document given as text (tests, pasted text)."""
    return parse_lines(text_lines(text), directory, default_year, source_name)


def parse_document(path: Path, directory: UnitDirectory, default_year: int) -> DutyTable:
    """Parse a .txt / .md / .docx duty document into the duty table.

    The plan year comes from the title (2025 年《政府工作报告》…), else
    `default_year`. Raises PyxlError only when the file cannot be used at all
    (missing, empty, binary, unsupported type, no numbered tasks); everything
    else odd is a Problem in `DutyTable.problems`, with its line number.
    """
    path = Path(path)
    return parse_lines(read_lines(path), directory, default_year, path.name)


__all__ = ["parse_document", "parse_text", "parse_lines"]
