"""What every step returns (StepResult) and how it reports progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pyxl.common.errors import PyxlError
from pyxl.common.problems import Problem


# progress(done, total, text): terminal line or Excel status bar
Progress = Callable[[int, int, str], None]


def no_progress(done: int, total: int, text: str) -> None:
    """The default progress callback: says nothing."""


@dataclass
class StepResult:
    """What a step did: Chinese summary lines, files written, problems found."""

    summary: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    attention: bool = False  # flags or failures to act on, besides problems
    data: object = None  # the step's main value (DutyTable, consolidation …)
    problems_file: Path | None = None  # where the step wrote all its problems, if it did

    def data_json(self) -> object:
        """The step's main value as JSON-ready data (for `--json`)."""
        to_json = getattr(self.data, "to_json", None)
        if to_json is None:
            raise PyxlError("这个命令没有 JSON 输出。")
        return to_json()

    @property
    def exit_code(self) -> int:
        """0 done; 1 done with errors or flags to act on. Hints (severity warning) alone are not problems to act on."""
        return 1 if (self.attention or any(p.is_error for p in self.problems)) else 0
