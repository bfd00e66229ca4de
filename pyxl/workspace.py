"""One loaded workspace: what every step of a command needs, read once.

A command or a ribbon button loads the workspace once and hands it to every
step it runs. The master workbook is read at most once per workspace (the
first time a step needs it, never for a step that does not), and what it
holds — the 设置 sheet's values over config.yaml, the duty table, the unit
directory and their problems — is derived from that one reading. The problems
of the master's cells are collected here, once.

Time is not part of the workspace: `period`, `as_of` and `now` are passed to
each step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pyxl.common.config import Settings
from pyxl.common.model import DutyTable, UnitDirectory
from pyxl.common.problems import Problem
from pyxl.common.units import UnitIndex
from pyxl.document import parse
from pyxl.master import rows as master


@dataclass
class Workspace:
    """config.yaml, and the saved master workbook read once and only when needed."""

    config: Settings  # config.yaml as written (building the master starts from it)

    @classmethod
    def load(cls, settings: Settings) -> "Workspace":
        """The workspace of these settings; nothing is read until a step asks."""
        return cls(settings)

    @property
    def root(self) -> Path:
        """The workspace folder (the one that holds config.yaml)."""
        return self.config.root

    @cached_property
    def saved(self) -> master.MasterData | None:
        """The saved master's data sheets, read once; None before `pyxl build-workbook`."""
        workbook = self.config.workbook_path
        if not workbook.exists():
            return None
        return master.read_master(workbook, self.config.relative(workbook))

    @cached_property
    def settings(self) -> Settings:
        """config.yaml overlaid with the master's 设置 sheet.

        The ribbon runs with what the clerk sees in 设置 (当前期次, 回收截止日,
        thresholds); the CLI's monthly commands run with the same values.
        """
        if self.saved is None:
            return self.config
        return master.apply_master_settings(self.config, self.saved.settings_values())

    @cached_property
    def duty(self) -> DutyTable:
        """The duty table: the saved master when it exists (staff edits count), else the document.

        Cells of the master that cannot be read are in the table's `problems`.
        """
        if self.saved is not None:
            return self.saved.duty_table(self.config.year)
        return self.parse_document()

    def parse_document(self, document: Path | None = None) -> DutyTable:
        """Parse a duty document (default: the configured one) with config.yaml's units."""
        path = Path(document) if document is not None else self.config.document_path
        return parse.parse_document(path, self.config.unit_directory(), self.config.year)

    @cached_property
    def _units(self) -> tuple[UnitDirectory, list[Problem]]:
        if self.saved is not None:
            return self.saved.unit_directory(self.config)
        return self.config.unit_directory(), []

    @property
    def directory(self) -> UnitDirectory:
        """The unit directory: the master's 单位 sheet (staff keep e-mails there), else config.yaml's.

        Groups (各街镇 …) always come from config.yaml.
        """
        return self._units[0]

    @property
    def unit_problems(self) -> list[Problem]:
        """Problems of the 单位 sheet's cells the directory was read from."""
        return self._units[1]

    @cached_property
    def index(self) -> UnitIndex:
        """The unit directory's name index (aliases, groups)."""
        return UnitIndex(self.directory)
