"""The unit directory: canonical names, aliases, groups.

The duty document spells the same unit in several ways (区工业信息化和科技局,
区工业和信息化和科技局 …). Every name is canonicalised through the aliases
in config.yaml (or the 单位 sheet of the master); a name we don't know is a
problem that suggests the closest known one. Group names (各街镇) stay group
names in the duty table and are expanded only where per-unit sheets are made.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Collection, Iterable

from pyxl.common.model import Task, UnitDirectory

_SPACES = re.compile(r"\s+")


def normalise_name(raw: str) -> str:
    """Strip the spaces and line breaks a page break leaves inside a name."""
    return _SPACES.sub("", raw).strip("，,、；;。.：: ")


@dataclass(frozen=True)
class Resolution:
    """What a unit name as written resolves to."""

    raw: str
    canonical: str | None  # a unit or group name, None when unknown
    is_group: bool = False
    suggestion: str | None = None  # the closest known name, for an unknown one


class UnitIndex:
    """Fast lookup of units and groups by any of their spellings."""

    def __init__(self, directory: UnitDirectory) -> None:
        self.directory = directory
        self._by_spelling: dict[str, tuple[str, bool]] = {}
        for unit in directory.units:
            for spelling in (unit.name, *unit.aliases):
                self._by_spelling[normalise_name(spelling)] = (unit.name, False)
        for group in directory.groups:
            for spelling in (group.name, *group.aliases):
                self._by_spelling[normalise_name(spelling)] = (group.name, True)
        self._expanded: dict[str, tuple[list[str], bool]] = {}

    def resolve(self, raw: str) -> Resolution:
        """Canonical name of `raw`, or a suggestion when it is unknown."""
        key = normalise_name(raw)
        found = self._by_spelling.get(key)
        if found:
            return Resolution(raw, found[0], found[1])
        close = difflib.get_close_matches(key, list(self._by_spelling), n=1, cutoff=0.6)
        suggestion = self._by_spelling[close[0]][0] if close else None
        return Resolution(raw, None, False, suggestion)

    def expand(self, name: str) -> tuple[list[str], bool]:
        """Units a canonical name stands for, and whether it is an open group.

        A unit stands for itself; 各街镇 for its members; an open group
        (相关部门) for nobody until staff assign units, which the caller reports.
        """
        if name not in self._expanded:  # every task names 各街镇 again: expand each name once
            group = self.directory.group(name)
            if group is None:
                self._expanded[name] = ([name], False)
            elif group.open:
                self._expanded[name] = (list(group.members), True)
            else:  # groups may nest (各部门 → 各区直部门 …)
                self._expanded[name] = (self.units_of(group.members), False)
        members, is_open = self._expanded[name]
        return list(members), is_open

    def units_of(self, names: Iterable[str]) -> list[str]:
        """The units `names` stand for, groups expanded, each unit once, in order."""
        units: dict[str, None] = {}
        for name in names:
            units.update(dict.fromkeys(self.expand(name)[0]))
        return list(units)

    def pick(self, names: Iterable[str], available: Collection[str]) -> tuple[list[str], list[Resolution]]:
        """The units among `available` that `names` ask for (`--unit`), and the names that match none.

        Any spelling the directory knows is accepted, and a group stands for
        its members that are available. Units come once, in the order asked.
        """
        chosen: dict[str, None] = {}
        unmatched: list[Resolution] = []
        for name in names:
            resolution = self.resolve(name)
            canonical = resolution.canonical or name.strip()
            found = [canonical] if canonical in available else []
            if not found and resolution.is_group:
                found = [member for member in self.expand(canonical)[0] if member in available]
            if found:
                chosen.update(dict.fromkeys(found))
            else:
                unmatched.append(resolution)
        return list(chosen), unmatched

    def task_units(self, task: Task) -> tuple[list[str], list[str]]:
        """(lead units, responsible units) of a task, groups expanded.

        A unit named both lead and responsible (directly or through a group)
        counts as lead only: it reports once, with the lead's targets.
        """
        leads = self.units_of(task.lead_units)
        responsible = [unit for unit in self.units_of(task.responsible_units) if unit not in leads]
        return leads, responsible
