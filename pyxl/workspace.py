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

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from pyxl.common.config import Settings
from pyxl.common.life import TaskLife
from pyxl.common.errors import PyxlError
from pyxl.common.model import DutyTable, UnitDirectory
from pyxl.common.period import Period
from pyxl.common.problems import Problem
from pyxl.common.units import UnitIndex
from pyxl.master import rows as master


@dataclass
class Workspace:
    """config.yaml, and the saved master workbook read once and only when needed."""

    config: Settings  # config.yaml as written (building the master starts from it)
    # period → its units' current returns, read from the archive once per command (pipeline.archived_returns)
    archives: dict[str, list] = field(default_factory=dict, repr=False)

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
        thresholds); the CLI's monthly commands run with the same values. A
        setting edited in config.yaml after the build that 设置 still overrides
        is never silently lost: it stops the step with a message saying where
        to make the edit (当前期次 only when no --period is given: see
        `period`).
        """
        if self.saved is None:
            return self.config
        for edit in self._config_edits:
            if edit.path != "period.current":
                raise PyxlError(edit.message(self.config.relative(self.config.workbook_path)))
        return master.apply_master_settings(self.config, self.saved.settings_values())

    @cached_property
    def _config_edits(self) -> list[master.ConfigEdit]:
        if self.saved is None:
            return []
        return master.config_edits(self.config, self.saved.settings_values(), self.saved.baseline_values())

    def period(self, given: Period | None = None) -> Period:
        """The period a step runs on: `given` (--period) overrides both homes; else 设置's 当前期次, else config.yaml's.

        It must lie in the plan year: another year's task numbers mean other tasks.
        """
        chosen = given if given is not None else self._current_period()
        # the master's 计划年度 without rebuilding its 1,000 task rows (a report from a kept judgement never needs them)
        year = self.saved.plan_year(self.config.year) if self.saved is not None else self.duty.year
        if chosen.year != year:
            source = "--period" if given is not None else "当前期次"
            raise PyxlError(
                f"{source} {chosen} 不在计划年度 {year} 年内：请改成 {year}-01 至 {year}-12 之间的期次"
                f"（{chosen.year} 年的督办请用按 {chosen.year} 年分工文件建立的工作目录）。"
            )
        return chosen

    def _current_period(self) -> Period:
        self.settings  # noqa: B018 (the other settings' edits are named first)
        for edit in self._config_edits:
            if edit.path == "period.current":
                raise PyxlError(edit.message(self.config.relative(self.config.workbook_path)) + "（也可以用 --period 指定期次。）")
        current = self.settings.period.current
        if current:
            return Period.parse(current)
        where = f"主控工作簿「{master.SHEET_SETTINGS}」表的「当前期次」" if self.saved is not None else "config.yaml 的 period.current"
        raise PyxlError(f"没有指定期次：请加 --period 2025-06，或在{where}中填写当前期次。")

    def check_built_for_this_district(self) -> None:
        """Refuse to split or mail from a master built for another district or from another document.

        区县 and 分工文件 are config.yaml's settings; the 设置 sheet records
        what the master's tasks were imported with. When they differ, the
        tasks and units are another government's: nothing goes out until the
        document is imported again.
        """
        if self.saved is None:
            return
        values = self.saved.settings_values()
        workbook = self.config.relative(self.config.workbook_path)
        built_for = master.cell_str(values.get("区县"))
        if built_for and built_for != self.config.district:
            raise PyxlError(
                f"主控工作簿 {workbook} 是按「{built_for}」的分工文件生成的，而 config.yaml 的 district 是「{self.config.district}」："
                f"请运行 pyxl build-workbook --force --reimport 按本{self.config.level}的分工文件重新导入后再分发"
                f"（区县只在 config.yaml 中修改，不在「{master.SHEET_SETTINGS}」表中）。"
            )
        built_from = master.cell_str(values.get("分工文件"))
        if built_from and self.config.paths.document.strip() and not self._same_file(built_from, self.config.paths.document):
            raise PyxlError(
                f"主控工作簿 {workbook} 是按分工文件「{built_from}」导入的，而 config.yaml 的 paths.document 是「{self.config.paths.document}」："
                "请运行 pyxl build-workbook --force --reimport 重新导入后再分发，或把 paths.document 改回原来的文件。"
            )

    def _same_file(self, recorded: str, configured: str) -> bool:
        return self.config.path(recorded).resolve() == self.config.path(configured).resolve()

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
        from pyxl.document import parse  # python-docx and the document readers: only build-workbook and parse read one

        path = Path(document) if document is not None else self.config.document_path
        return parse.parse_document(path, self.config.unit_directory(), self.config.year)

    @cached_property
    def _units(self) -> tuple[UnitDirectory, list[Problem]]:
        if self.saved is None:
            return self.config.unit_directory(), []
        edits = master.unit_config_edits(self.config, self.saved)
        if edits:
            more = f"（另有 {len(edits) - 1} 处同样的情况）" if len(edits) > 1 else ""
            raise PyxlError(f"{edits[0]}{more}。")
        directory, problems = self.saved.unit_directory(self.config)
        # units and aliases added to config.yaml since the build count at once (a rebuild writes them into 单位)
        known = {spelling for unit in directory.units for spelling in (unit.name, *unit.aliases)}
        configured = {unit.name: unit for unit in self.config.unit_directory().units}
        units = tuple(
            replace(unit, aliases=(*unit.aliases, *(a for a in configured[unit.name].aliases if a not in known)))
            if unit.name in configured else unit
            for unit in directory.units
        )
        added = tuple(unit for unit in configured.values() if not any(s in known for s in (unit.name, *unit.aliases)))
        return UnitDirectory(units + added, directory.groups), problems

    @property
    def directory(self) -> UnitDirectory:
        """The unit directory: the master's 单位 sheet (staff keep e-mails there), else config.yaml's.

        Units and aliases added to config.yaml after the build join it.
        Groups (各街镇 …) always come from config.yaml.
        """
        return self._units[0]

    @property
    def unit_problems(self) -> list[Problem]:
        """Problems of the 单位 sheet's cells the directory was read from."""
        return self._units[1]

    @cached_property
    def _life(self) -> tuple[TaskLife, list[Problem]]:
        if self.saved is None:
            return TaskLife(), []
        return self.saved.task_life()

    @property
    def life(self) -> TaskLife:
        """The office's decisions on the tasks (申请审批, 销号 in the master): deadlines moved, tasks closed."""
        return self._life[0]

    @property
    def life_problems(self) -> list[Problem]:
        """Problems of the 申请审批 and 销号 cells the decisions were read from."""
        return self._life[1]

    def duty_in(self, period: Period) -> DutyTable:
        """The duty table as it stands in `period`: deadlines moved by decisions, closed (销号) tasks left out."""
        duty = self.life.apply(self.duty, str(period))
        closed = self.life.closed(str(period))
        return replace(duty, tasks=[t for t in duty.tasks if t.number not in closed]) if closed else duty

    @cached_property
    def index(self) -> UnitIndex:
        """The unit directory's name index (aliases, groups)."""
        return UnitIndex(self.directory)
