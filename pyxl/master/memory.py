"""An in-memory workbook behind the Excel adapter interface, for tests and the demo.

It starts from a real workbook file (read with python-calamine), keeps every
sheet as rows, really reflects each write, and records what a clerk would
have seen: message boxes, status texts, coloured cells, charts (their
specifications: kind, title, the ranges they plot), opened folders.
`save()` writes the whole book back to its file through the same build path
as `pyxl build-workbook` (macros and ribbon included), so the pipeline reads
exactly what the buttons wrote, as it does after Excel saves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from pyxl.common.files import write_bytes_atomic
from pyxl.master import rows as master
from pyxl.master.build import MasterContent
from pyxl.master.live import BUILT_SHEETS, ChartSpec, as_excel_holds, excel_values
from pyxl.master.xlsm import SheetSpec, build_package

Rows = list[list[Any]]


def _trim(rows: Rows) -> Rows:
    """calamine pads with "" where Excel gives None; and drops trailing empty rows."""
    rows = [[None if cell == "" else cell for cell in row] for row in rows]
    while rows and all(cell is None for cell in rows[-1]):
        rows.pop()
    return rows


@dataclass
class MemoryBook:
    """A workbook held as {sheet name: rows}, with a record of what the user saw."""

    path: Path
    sheets: dict[str, Rows]
    answers: list[bool] = field(default_factory=list)  # replies to confirm(), in order; then "yes"
    alerts: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    statuses: list[str | None] = field(default_factory=list)
    marks: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet → cell → colour
    charts: dict[str, list[ChartSpec]] = field(default_factory=dict)  # sheet → its charts
    opened: list[Path] = field(default_factory=list)
    saves: int = 0
    sent: dict[str, Rows] = field(default_factory=dict)  # sheet → the values last sent to Excel for it
    formulas: list[tuple[str, str]] = field(default_factory=list)  # (sheet, text) Excel would have run
    # Every call a button made, as (method, sheet or ""): each is one or a few calls into
    # Excel in the real adapter, so their number must not grow with units or cells.
    calls: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def open(cls, path: Path, answers: Sequence[bool] = ()) -> "MemoryBook":
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        sheets = {name: _trim([list(r) for r in book.get_sheet_by_name(name).to_python(skip_empty_area=False)])
                  for name in book.sheet_names}
        return cls(Path(path), sheets, answers=list(answers))

    @property
    def folder(self) -> Path:
        return self.path.parent

    def read_table(self, sheet: str) -> Rows:
        self.calls.append(("read_table", sheet))
        return [list(row) for row in self.sheets.get(sheet, [])]

    def write_table(self, sheet: str, rows: Rows) -> None:
        self.calls.append(("write_table", sheet))
        width = max((len(row) for row in rows), default=0)  # one rectangular block, as Excel holds it
        sent = excel_values([list(row) + [None] * (width - len(row)) for row in rows])  # as XlwingsBook sends them
        self.sent[sheet] = sent
        held = []
        for row in sent:
            cells = []
            for value in row:
                value, formula = as_excel_holds(value)
                if formula:
                    self.formulas.append((sheet, value))
                cells.append(value)
            held.append(cells)
        self.sheets[sheet] = _trim(held)
        self.marks.pop(sheet, None)  # the real adapter clears the old fills too

    def mark_cells(self, sheet: str, cells: Sequence[str], color: str) -> None:
        self.calls.append(("mark_cells", sheet))
        for cell in cells:
            self.marks.setdefault(sheet, {})[cell] = color

    def set_charts(self, sheet: str, charts: Sequence[ChartSpec]) -> None:
        self.calls.append(("set_charts", sheet))
        if sheet in self.sheets:  # as in Excel: charts live on a sheet that exists
            self.charts[sheet] = list(charts)

    def values(self, sheet: str, address: str) -> Rows:
        """The values of an A1 range ("B4:C9") of a sheet, as Excel would plot them (missing cells None)."""
        from openpyxl.utils.cell import range_boundaries

        first_col, first_row, last_col, last_row = range_boundaries(address)
        rows = self.sheets.get(sheet, [])
        return [
            [rows[r - 1][c - 1] if r - 1 < len(rows) and c - 1 < len(rows[r - 1]) else None
             for c in range(first_col, last_col + 1)]
            for r in range(first_row, last_row + 1)
        ]

    def status(self, text: str | None) -> None:
        self.calls.append(("status", ""))
        self.statuses.append(text)

    def alert(self, message: str, title: str = "") -> None:
        self.calls.append(("alert", ""))
        self.alerts.append(message)

    def confirm(self, message: str, title: str = "") -> bool:
        self.calls.append(("confirm", ""))
        self.questions.append(message)
        return self.answers.pop(0) if self.answers else True

    def open_folder(self, folder: Path) -> None:
        self.opened.append(Path(folder))

    def save(self) -> None:
        self.calls.append(("save", ""))
        data = master.MasterData({name: rows for name, rows in self.sheets.items()})
        content = MasterContent.from_rows(data)
        # the sheets the buttons added are plain blocks: an empty header cell stays empty
        content.extra = [SheetSpec(name, rows or [[""]], [16] * max(len(rows[0]) if rows else 1, 1), table=False)
                         for name, rows in self.sheets.items() if name not in BUILT_SHEETS]
        write_bytes_atomic(self.path, build_package(content.sheets()))
        self.saves += 1
