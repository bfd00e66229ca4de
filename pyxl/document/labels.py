"""Unit labels of a task: （牵头单位：…；责任单位：…）, labels on their own lines, （X牵头，Y、Z配合）.

`split_labels` separates a task's text from its labels; the task's lines are
already joined, so a label or unit name broken by a page break reads whole.
People's names (责任领导) are dropped: they are never units.
"""

from __future__ import annotations

import re

from pyxl.common.units import normalise_name

LABEL = re.compile(
    r"(责\s*任\s*领\s*导|牵\s*头\s*单\s*位|牵\s*头\s*部\s*门|责\s*任\s*单\s*位|责\s*任\s*部\s*门"
    r"|配\s*合\s*单\s*位|协\s*办\s*单\s*位|参\s*与\s*单\s*位)\s*[:：]"
)
_LEAD_SUPPORT = re.compile(r"^(.+?)牵头(?:[，,；;、\s]*(.+?)(?:配合|参与|协同|协助|协办))?\s*$")
_UNIT_SPLIT = re.compile(r"[、，,；;\n]+")


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
            kind = re.sub(r"\s", "", label.group(1))
            if kind == "责任领导":
                continue  # people's names are never units
            target = lead if kind.startswith("牵头") else responsible
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
