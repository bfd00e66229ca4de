"""Unit labels and table columns by meaning: lead, responsible, people, deadline, number, text.

Governments name the same thing many ways: 牵头单位 / 牵头部门 / 牵头责任单位 /
主办单位 are the lead; 责任单位 / 配合单位 / 协办单位 / 参与单位 the units
responsible with it; 责任领导 / 分管领导 / 分管县领导 / 责任人 / 联系人 are
people, never units; 完成时限 / 时间节点 / 完成时间 the deadline. `LABEL`
finds them inside a task's text, `column_role` reads them as table headers.

`split_labels` separates a task's text from its labels; the task's lines are
already joined, so a label or unit name broken by a page break reads whole.
"""

from __future__ import annotations

import re

from pyxl.common.units import normalise_name

# ---------------------------------------------------------------- labels in a task's text

# Longest first inside each role, so 牵头责任单位 is never read as its tail 责任单位.
PEOPLE_LABELS = (
    "分管县领导", "分管区领导", "分管市领导", "县级责任领导", "区级责任领导", "市级责任领导", "县级领导",
    "区级领导", "责任领导", "分管领导", "牵头领导", "包抓领导", "联系领导", "责任人", "联系人",
)
LEAD_LABELS = ("牵头责任单位", "牵头单位", "牵头部门", "主办单位", "主责单位", "主责部门")
RESPONSIBLE_LABELS = ("责任单位", "责任部门", "配合单位", "配合部门", "协办单位", "参与单位", "协同单位")


def _spaced(word: str) -> str:
    # a label broken by a page break or a stray space still reads whole: 牵\n头单位
    return r"\s*".join(word)


def _alternation(words) -> str:
    return "|".join(_spaced(w) for w in sorted(words, key=len, reverse=True))


LABEL = re.compile(rf"({_alternation(PEOPLE_LABELS + LEAD_LABELS + RESPONSIBLE_LABELS)})\s*[:：]")
_LEAD_SUPPORT = re.compile(r"^(.+?)牵头(?:[，,；;、\s]*(.+?)(?:配合|参与|协同|协助|协办))?\s*$")
_UNIT_SPLIT = re.compile(r"[、，,；;\n]+")


def label_role(label: str) -> str:
    """"lead", "responsible" or "people" for a label as LABEL found it (spaces allowed)."""
    word = re.sub(r"\s", "", label)
    if word in PEOPLE_LABELS:
        return "people"
    return "lead" if word in LEAD_LABELS else "responsible"


# ---------------------------------------------------------------- table columns

_NOT_A_HEADER = re.compile(r"[、。，,；;！!？?%％]|^[一二三四五六七八九十\d]")
_HEADER_NOISE = re.compile(r"[\s*＊:：]|[（(][^）)]*[）)]")


def column_role(header: str) -> str | None:
    """What a table column holds, from its header: number, text, lead, responsible, people, deadline.

    None for any other column (备注, 进展情况 …). People are checked first and
    the lead before the responsible, so 分管县领导 is never a unit column and
    牵头责任单位 never the responsible one.
    """
    name = _HEADER_NOISE.sub("", header)
    if not name or len(name) > 12 or _NOT_A_HEADER.search(name):  # a short label, not a heading or a sentence
        return None
    units = "单位" in name or "部门" in name  # 责任单位及责任人 names units (with their people)
    if "领导" in name or (not units and (name.endswith(("责任人", "联系人")) or name == "负责人")):
        return "people"
    if "牵头" in name or name.startswith(("主办", "主责")):
        return "lead"
    if units and any(w in name for w in ("责任", "配合", "协办", "参与", "协同", "承办")):
        return "responsible"
    if any(w in name for w in ("时限", "时间", "节点", "期限")):
        return "deadline"
    if name in ("序号", "编号", "序", "任务编号", "任务序号", "项目编号"):
        return "number"
    if any(w in name for w in ("任务", "工作", "内容", "目标", "事项", "举措", "措施", "项目")):
        return "text"
    return None


def column_map(cells: tuple[str, ...] | list[str]) -> dict[str, int] | None:
    """Role → column index of a header row; None when the row is not a task table's header.

    A header names the task text and a number or a unit column; a column whose
    role was already taken is ignored (the first one wins).
    """
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        role = column_role(cell or "")
        if role is not None and role not in found:
            found[role] = index
    if "text" in found and ("number" in found or "lead" in found or "responsible" in found):
        return found
    return None


# ---------------------------------------------------------------- units of a label


def split_units(value: str) -> list[str]:
    """Unit names of a label's value, split on 、 ， , ； and line breaks, as written."""
    names = []
    for name in _UNIT_SPLIT.split(value):
        name = name.strip().strip("。.）)（( ")
        name = re.sub(r"等$", "", name)
        if normalise_name(name):
            names.append(name)
    return names


def _matching_close(text: str, open_at: int) -> int | None:
    depth = 0
    for index in range(open_at, len(text)):
        if text[index] in "（(":
            depth += 1
        elif text[index] in "）)":
            depth -= 1
            if depth == 0:
                return index
    return None


def split_labels(full: str) -> tuple[str, list[str], list[str], bool, bool]:
    """(task text, lead raws, responsible raws, labels found, label group closed)."""
    first = LABEL.search(full)
    if first:
        start, opened = first.start(), False
        before = full[:start].rstrip()
        if before.endswith(("（", "(")):
            start, opened = len(before) - 1, True
        end = len(full)
        closed = True
        if opened:
            close = _matching_close(full, start)
            closed = close is not None
            end = close if close is not None else len(full)
        zone = full[first.start() : end]
        labels = list(LABEL.finditer(zone))
        lead: list[str] = []
        responsible: list[str] = []
        for index, label in enumerate(labels):
            value_end = labels[index + 1].start() if index + 1 < len(labels) else len(zone)
            role = label_role(label.group(1))
            if role == "people":
                continue  # people's names are never units
            target = lead if role == "lead" else responsible
            target.extend(split_units(zone[label.end() : value_end]))
        return full[:start].rstrip(), lead, responsible, True, closed
    # （X牵头，Y、Z配合） at the very end
    stripped = full.rstrip().rstrip("。.")
    if stripped.endswith(("）", ")")):
        depth, index = 0, len(stripped) - 1
        while index >= 0:
            if stripped[index] in "）)":
                depth += 1
            elif stripped[index] in "（(":
                depth -= 1
                if depth == 0:
                    break
            index -= 1
        match = _LEAD_SUPPORT.match(stripped[index + 1 : -1]) if index >= 0 else None
        if match:
            return full[:index].rstrip(), split_units(match[1]), split_units(match[2] or ""), True, True
    return full.strip(), [], [], False, True
