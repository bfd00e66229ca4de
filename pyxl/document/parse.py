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

A table's columns are known by meaning from its header (labels.column_map:
牵头责任单位 is the lead, 分管县领导 people, never units); a row that is one
cell across the table is a section, numbered in order when it has no number.
Tasks may number from 1 again in each section (or subsection): their keys are
then 一-2, 二-2 (一（二）-2), unique through split, collect and report. The
title is the document's own, not a sentence of the notice that sends it.
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
from pyxl.document.labels import LABEL, column_map, split_labels, split_units
from pyxl.document.numbering import chinese_counting
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
# Any number of digits: task 1000 is a task, not the tail of task 999. A decoration mark in front of
# the number (▲ ● ◆ ■ ※ …) is not part of it; ★ is: it numbers the key tasks in a series of their own.
_MARKS = "▲△●○◆◇■□※▶►➤•·"
_ITEM = re.compile(rf"^(?:[{_MARKS}]\s*)?(?:(\d+)\s*[.．、]|第\s*(\d+)\s*[项条]\s*[.．、：:]?)\s*(?!\d)(.*)$")
_PAREN_ITEM = re.compile(r"^[（(]\s*(\d+)\s*[)）]\s*(?!\d)(.*)$")
_STAR = re.compile(r"^★\s*(?:(\d+)\s*[.．、]?)?\s*(.*)$")
_ROW_NUMBER = re.compile(r"^★?\s*\d+\s*[.．、]?$")
_NOTE_ROW = ("注", "备注", "说明", "附注")
_HEADING_LEAD = re.compile(r"^(.+?)牵头(?:的)?(?:重点)?(?:工作|任务)")
_CJK_SPACE = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")
_ENDS_COMPLETE = tuple("。.！!？?）)”\"；;")
_QUOTED = re.compile(r"《([^《》]{4,})》")
_NOTICE = re.compile(r"关于印发|的通知$|的函$")
_DATE_LINE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")
_TITLE_WORDS = ("分工", "任务", "责任", "工作报告", "方案", "清单", "台账", "计划")


@dataclass
class _Item:
    number: str
    line: int
    section: str
    subsection: str | None
    parts: list[str] = field(default_factory=list)
    # a table's unit cells as written; a row broken over two pages continues them, so a unit name
    # broken at the page (县自然资源 | 局) is split into names only once the row is whole
    lead_cell: str = ""
    responsible_cell: str = ""
    deadline_cell: str = ""
    from_table: bool = False


def _plain(text: str) -> tuple[str, bool]:
    """A line without markdown marks (##, **), and whether it was a markdown heading."""
    heading = bool(_MARKDOWN.match(text))
    text = _MARKDOWN.sub("", text).strip()
    if text.startswith("**") and text.endswith("**"):
        text = text[2:-2].strip()
    return text.replace("**", ""), heading


def _prose(text: str) -> bool:
    """A sentence of a cover notice, an address line, a date or an attachment mark: not a title."""
    return (
        "。" in text
        or text.endswith(("：", ":", "，", ",", "；"))
        or text.startswith(("各", "现将", "附件", "抄送", "印发"))
        or bool(_DATE_LINE.match(text))
        or len(text) > 80
    )


def _title_of(lines: list[Line]) -> str:
    """The document's own title, from the lines before its first section, task or task table.

    A duty document often arrives under a cover notice (关于印发《…》的通知, 现将《…》印发给你们,
    the office's name and a date): the title is the line the notice sends (its 《…》), else a
    title-like line naming a duty document (a heading first, else the last one before the
    body), else the document the notice names.
    """
    candidates: list[tuple[str, bool]] = []
    for line in lines:
        text = line.text
        if line.cells is not None:
            distinct = [c for c in dict.fromkeys(line.cells) if c]
            if column_map(line.cells) or len(distinct) != 1:
                break  # the task table begins
            text = distinct[0]
        text, heading = _plain(text)
        if not text:
            continue
        if _SECTION.match(text) or _ITEM.match(text) or _CN_ITEM.match(text) or (_STAR.match(text) and text.startswith("★")):
            break
        candidates.append((_CJK_SPACE.sub("", text), heading))
    quoted = [_CJK_SPACE.sub("", q) for text, _ in candidates for q in _QUOTED.findall(text)]
    titles = [(text, heading) for text, heading in candidates if not _prose(text) and not _NOTICE.search(text)]
    for text, _ in titles:
        if text in quoted:
            return text
    named = [(text, heading) for text, heading in titles if any(word in text for word in _TITLE_WORDS)]
    if named:
        headings = [text for text, heading in named if heading]
        return headings[0] if headings else named[-1][0]
    named_quotes = [q for q in quoted if any(word in q for word in _TITLE_WORDS)]
    if named_quotes:
        return max(named_quotes, key=len)
    return titles[0][0] if titles else ""


class _Parser:
    def __init__(self, lines: list[Line], directory: UnitDirectory, default_year: int, source: str) -> None:
        self.lines = lines
        self.index = UnitIndex(directory)
        self.source = source
        self.title = _title_of(lines)
        found = re.search(r"(20\d{2})\s*年", self.title)
        self.year = int(found[1]) if found else default_year
        self.sections: list[Section] = []
        self.generated: set[str] = set()  # ids given to sections named without a number (a merged row)
        self.items: list[_Item] = []
        self.problems: list[Problem] = []
        self.defaults: dict[str, list[str]] = {}  # section / subsection id → lead units of its heading
        # unknown name → (task number, line) of each task naming it, and the closest known name:
        # reported once per name with its tasks, not once per task
        self.unknown: dict[str, tuple[list[tuple[str, int | None]], str | None]] = {}
        texts = [_plain(line.text)[0] for line in lines if not line.cells]
        plain_items = any(_ITEM.match(t) for t in texts)
        # （1）（2）… number the tasks only where nothing else does; under 1. 2. they are a task's points
        self.paren_items = not plain_items and any(_PAREN_ITEM.match(t) for t in texts)
        self.arabic_items = (
            plain_items or self.paren_items or any(_STAR.match(t) and t.startswith("★") for t in texts)
            or any(line.cells for line in lines)
        )

    def note(self, code: str, message: str, line: int | None) -> None:
        self.problems.append(problem(code, message, file=self.source, line=line))

    # ---- walking the lines
    def walk(self) -> None:
        columns: dict[str, int] | None = None
        for line in self.lines:
            if line.cells is not None:
                columns = self.row(line, columns)
                continue
            self.text_line(line.text, line)

    def text_line(self, raw: str, line: Line) -> None:
        text, heading = _plain(raw)
        if not text:
            return
        if self.heading(text, heading, line):
            return
        if self.new_item(text, line):
            return
        # a table row's task is in its cells: text after the table (抄送：…, the issuing office) is not part of it
        if self.items and not self.items[-1].from_table:
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

    def unnumbered_section(self, title: str) -> None:
        """A section row that names its section without a number (经济发展类): numbered in order."""
        count = len(self.sections) + 1
        while (section_id := chinese_counting(count)) in {s.id for s in self.sections}:
            count += 1
        self.sections.append(Section(section_id, title))
        self.generated.add(section_id)
        self.defaults[section_id] = self.heading_lead(title)

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
            number, rest = match[1] or match[2], match[3]
        elif (match := _STAR.match(text)) and text.startswith("★"):
            stars = sum(1 for item in self.items if item.number.startswith("★"))
            number, rest = f"★{match[1] or stars + 1}", match[2]
        elif self.paren_items and (match := _PAREN_ITEM.match(text)):
            number, rest = match[1], match[2]
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
        header = column_map(cells)
        if header is not None:
            return header
        filled = [(index, cell.strip()) for index, cell in enumerate(cells) if cell.strip()]
        distinct = list(dict.fromkeys(cell for _, cell in filled))
        if not distinct:
            return columns
        if columns is None:
            # not (yet) a task table: a layout table or a title in a cell reads as text
            self.text_line(distinct[0], line)
            return columns
        if line.merged or (len(distinct) == 1 and (not self._data_cell(filled[0], columns) or self._heading_text(distinct[0]))):
            self.section_row(distinct[0], line)
            return columns

        def cell(key: str) -> str:
            index = columns.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        number = re.sub(r"[.．、\s]", "", cell("number"))
        if self._numbered_section_row(number, cell("text"), cell("lead") or cell("responsible"), line):
            return columns
        if not number and self.items and self.items[-1].from_table:
            item = self.items[-1]  # a row continued across a page break
        else:
            section, subsection = self.place()
            item = _Item(number or str(len(self.items) + 1), line.number, section, subsection, from_table=True)
            self.items.append(item)
        item.parts.append(cell("text"))
        item.lead_cell += cell("lead")
        item.responsible_cell += cell("responsible")  # 分管领导 and 责任人 columns are people: never read
        item.deadline_cell = (item.deadline_cell + cell("deadline")).strip()
        return columns

    def _numbered_section_row(self, number: str, text: str, units: str, line: Line) -> bool:
        """一 | 经济发展 (or （一） | 项目建设) with no units: a section numbered in the 序号 column."""
        if units or not text:
            return False
        if re.fullmatch(rf"[{_CN_NUMERAL}]{{1,3}}", number):
            return self.heading(f"{number}、{_plain(text)[0]}", True, line)
        if re.fullmatch(rf"[（(][{_CN_NUMERAL}]{{1,3}}[)）]", number):
            return self.heading(f"{number}{_plain(text)[0]}", True, line)
        return False

    def _heading_text(self, text: str) -> bool:
        """一、… or （一）… alone in a row: a section row even where it stands in the task's column."""
        plain, _ = _plain(text)
        return bool(_SECTION.match(plain)) or (self.arabic_items and bool(_CN_ITEM.match(plain)))

    @staticmethod
    def _data_cell(filled: tuple[int, str], columns: dict[str, int]) -> bool:
        """Whether a row's only filled cell is part of a task: its text, or its number."""
        index, text = filled
        return index == columns.get("text") or (index == columns.get("number") and bool(_ROW_NUMBER.match(text)))

    def section_row(self, text: str, line: Line) -> None:
        """A row merged across the table (or with one cell outside the task's columns): a section."""
        plain, _ = _plain(text)
        if plain.startswith(_NOTE_ROW):
            return  # 注：… under the table
        if self.heading(plain, False, line) or self.new_item(plain, line):
            return
        self.unnumbered_section(plain)

    # ---- numbering
    def _restart_scope(self) -> str | None:
        """Where the document's 1. 2. 3. count from 1 again: "section", "subsection" or None.

        A 1 after other numbered tasks under a new section (or subsection) heading is a
        restart; under the same heading it is a repeated number (numbering-repeat).
        """
        scope = None
        previous = None
        for item in self.items:
            if not item.number.isdigit():
                continue
            if previous is not None and int(item.number) == 1:
                if item.section != previous.section:
                    scope = scope or "section"
                elif item.subsection != previous.subsection:
                    scope = "subsection"
            previous = item
        return scope

    def check_numbering(self) -> None:
        """Give every item a unique number and report repeats and gaps in the document's numbering.

        Numbering that restarts per section keys a task by its section: 一-2, 二-2 (or
        一（二）-2 when it restarts per subsection), so every key is unique through split,
        collect, consolidate and report.
        """
        scope = self._restart_scope()
        seen: dict[str, int] = {}
        previous: int | None = None
        previous_place = None
        for item in self.items:
            count = int(item.number) if item.number.isdigit() else None
            if scope and count is not None:
                place = item.section if scope == "section" else f"{item.section}{item.subsection or ''}"
                if place != previous_place:
                    previous = None  # each section counts from 1 again
                previous_place = place
                if place:
                    item.number = f"{place}-{item.number}"
            self._make_unique(item, seen)
            if count is not None and not item.number.endswith("b"):
                previous = self._check_gap(item, count, previous)

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

    def _check_gap(self, item: _Item, value: int, previous: int | None) -> int:
        """Report numbers skipped between the previous item and this one; returns this item's count."""
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
        lead_raw = split_units(item.lead_cell) + lead_raw
        responsible_raw = split_units(item.responsible_cell) + responsible_raw
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
        used = {item.section for item in self.items}
        # a section is kept when it has an id of its own or holds tasks (a generated one only then)
        sections = [s for s in self.sections if (s.id or s.subsections) and (s.id not in self.generated or s.id in used)]
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
    """Parse a duty document in any format `read.FORMATS` knows into the duty table.

    The plan year comes from the title (2025 年《政府工作报告》…), else
    `default_year`. Raises PyxlError only when the file cannot be used at all
    (missing, empty, binary, unsupported type, no numbered tasks); everything
    else odd is a Problem in `DutyTable.problems`, with its line number.
    """
    path = Path(path)
    return parse_lines(read_lines(path), directory, default_year, path.name)


__all__ = ["parse_document", "parse_text", "parse_lines"]
