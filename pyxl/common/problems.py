"""Problems found in a user's file are data, not exceptions.

Every problem has a stable kebab-case code, a position (file, sheet, cell or
line) and one Chinese sentence saying what was found, what was expected and
how to fix it. Stages collect problems and carry on; the same rows feed the
问题 sheet, a CSV and the note back to a unit.

Each stage declares the codes it can emit with `register_code` at import
time, so the README's table of codes is generated from one registry and a
test fails when a code is used without being documented.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields
from typing import Iterable, Literal

from pyxl.common.files import csv_cell

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class CodeInfo:
    code: str
    severity: Severity
    description: str  # Chinese, for the README table: what it means and what to do
    stage: str


_REGISTRY: dict[str, CodeInfo] = {}


def register_code(code: str, severity: Severity, description: str, stage: str) -> str:
    """Declare a problem code once; returns the code so modules can keep it as a constant."""
    known = _REGISTRY.get(code)
    if known is not None and known != CodeInfo(code, severity, description, stage):
        raise ValueError(f"problem code {code!r} registered twice with different meanings")
    _REGISTRY[code] = CodeInfo(code, severity, description, stage)
    return code


def registered_codes() -> dict[str, CodeInfo]:
    """All codes declared so far (import the stage modules first to see all of them)."""
    return dict(_REGISTRY)


@dataclass(frozen=True)
class Problem:
    """One finding in one place of a user's file."""

    code: str
    message: str
    file: str | None = None  # path relative to the workspace, as the user knows it
    sheet: str | None = None
    cell: str | None = None  # A1 notation, as Excel shows it
    line: int | None = None  # for text documents
    severity: Severity = "error"
    unit: str | None = None  # the unit the file belongs to, when known

    @property
    def is_error(self) -> bool:
        """Whether the problem stops the file's values being used (a warning does not)."""
        return self.severity == "error"

    def where(self) -> str:
        """Position in words, e.g. `inbox/a.xlsx 工作表「区财政局」 单元格 G7`."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"工作表「{self.sheet}」")
        if self.cell:
            parts.append(f"单元格 {self.cell}")
        if self.line is not None:
            parts.append(f"第 {self.line} 行")
        return " ".join(parts)


def problem(code: str, message: str, **position) -> Problem:
    """Build a Problem whose severity comes from the registry."""
    info = _REGISTRY.get(code)
    if info is None:
        raise KeyError(f"problem code {code!r} is not registered")
    return Problem(code=code, message=message, severity=info.severity, **position)


PROBLEM_COLUMNS = [f.name for f in fields(Problem)]
PROBLEM_LABELS = {
    "code": "代码",
    "message": "说明",
    "file": "文件",
    "sheet": "工作表",
    "cell": "单元格",
    "line": "行",
    "severity": "级别",
    "unit": "单位",
}
SEVERITY_LABELS = {"error": "错误", "warning": "提示"}


def problems_to_rows(problems: Iterable[Problem]) -> list[dict]:
    """One dict per problem, keyed by PROBLEM_COLUMNS (the rows of a problems table)."""
    return [asdict(p) for p in problems]


def problems_to_csv(problems: Iterable[Problem]) -> str:
    """CSV text with Chinese headers, every cell safe to open in Excel.

    File names, sheet names and the values quoted in messages come from the
    units' files: a cell starting with = + - @ gets a leading apostrophe.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([PROBLEM_LABELS[c] for c in PROBLEM_COLUMNS])
    for item in problems:
        values = asdict(item)
        values["severity"] = SEVERITY_LABELS.get(item.severity, item.severity)
        writer.writerow([csv_cell(values[c]) for c in PROBLEM_COLUMNS])
    return buffer.getvalue()


def has_errors(problems: Iterable[Problem]) -> bool:
    """Whether any of `problems` is an error rather than a warning."""
    return any(p.is_error for p in problems)
