"""Province scale in the live master: a button makes a bounded number of Excel calls, never one per unit or cell.

Each adapter call is one or a few COM calls in real Excel (about a
millisecond each), so a button pressed on a 500-unit workspace must make
as many adapter calls as on a small one. Pressed through the in-memory
adapter on a real master built from a generated province document.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime
from pathlib import Path

import yaml
from openpyxl.utils.cell import coordinate_from_string, range_boundaries

from pyxl import pipeline
from pyxl.common.config import load_settings
from pyxl.common.model import SHEET_NAMES, SUMMARY_SHEETS
from pyxl.common.period import Period
from pyxl.demo.clerk import UnitScript, fill_unit_workbook
from pyxl.excel import run_button
from pyxl.mail.deliver import read_manifest
from pyxl.master.live import cell_ranges
from pyxl.master.memory import MemoryBook
from pyxl.workspace import Workspace

NOW = datetime(2025, 7, 10, 9, 0, 0)
PERIOD = Period(2025, 6)
TEXT = "围绕产业链构建人才链，加快重点项目建设，推动项目早日竣工投产。"


def _province(folder: Path, units: int, returning: int) -> MemoryBook:
    """A workspace of `units` units (one task led by each), its master, and `returning` units' filled returns in inbox/."""
    pipeline.init_workspace(folder)
    names = [f"第{i:03d}委办局" for i in range(units)]
    rng = random.Random(units)
    lines = ["# 2025 年《政府工作报告》重点工作 责任分工", "", "## 一、重点工作", ""]
    for i in range(units):
        lead = names[i % units]
        others = rng.sample([n for n in names if n != lead], min(2, units - 1))
        target = f"全年新增企业{10 + i}家以上。" if i % 3 == 0 else ""
        lines += [f"{i + 1}.{TEXT}{target}（牵头单位：{lead}；责任单位：{'、'.join(others)}）", ""]
    (folder / "责任分工.txt").write_text("\n".join(lines), encoding="utf-8")
    config = folder / "config.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["paths"]["document"] = "责任分工.txt"
    data["units"] = [{"name": n, "kind": "区直部门", "email": [f"u{i}@province.example"]} for i, n in enumerate(names)]
    data["groups"] = {}
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    settings = load_settings(config)
    pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 7, 1, 8, 0, 0))
    workspace = Workspace.load(settings)
    pipeline.split_sheets(workspace, PERIOD)
    targets = {t.target_key(i): target for t in workspace.duty.tasks for i, target in enumerate(t.targets)}
    entries = read_manifest(settings.distribution_dir(PERIOD), PERIOD, settings.root)
    for number, entry in enumerate(entries[:returning]):
        # some behind, so the indicators' lights are red and yellow as well as green
        script = UnitScript(pace=0.7, status="滞后") if number % 2 == 0 else UnitScript()
        fill_unit_workbook(entry.path, settings.inbox_dir / entry.path.name, script, targets,
                           PERIOD.schedule_fraction(2025), rng, datetime(2025, 7, 3, 16, 0))
    return MemoryBook.open(settings.workbook_path)


def _button_calls(book: MemoryBook, button: str) -> Counter:
    book.calls.clear()
    assert run_button(book, button, NOW) is not None, book.alerts[-1]
    return Counter(book.calls)


def test_a_button_makes_as_many_excel_calls_for_500_units_as_for_5(tmp_path):
    small, large = _province(tmp_path / "5", 5, 5), _province(tmp_path / "500", 500, 30)
    for button in ("collect_returns", "consolidate_period", "write_report"):
        few, many = _button_calls(small, button), _button_calls(large, button)
        assert many == few, button  # the same calls, sheet by sheet: none per unit or per cell
        # about one call per sheet it writes (the period's tables, the dashboard and its charts), never more
        assert sum(many.values()) <= len(SHEET_NAMES) + len(SUMMARY_SHEETS) + 10, button
    # the lights of the 500-unit run were coloured (green, yellow, red), within those few calls
    assert len(set(large.marks[SHEET_NAMES["indicators"]].values())) >= 2
    assert len(large.read_table(SHEET_NAMES["returns"])) == 1 + 500


def test_cells_to_colour_become_few_addresses_that_cover_exactly_them():
    cells = [f"F{row}" for row in range(2, 900) if row % 7] + ["G5", "G6", "A1"]
    addresses = cell_ranges(cells)
    assert all(len(address) <= 255 for address in addresses)
    assert len(addresses) < len(cells) / 20  # fewer calls than the 20 cells a call it made before
    covered = []
    for address in addresses:
        for part in address.split(","):
            first_col, first_row, last_col, last_row = range_boundaries(part)
            assert first_col == last_col
            column = coordinate_from_string(part.split(":")[0])[0]
            covered += [f"{column}{row}" for row in range(first_row, last_row + 1)]
    assert sorted(covered) == sorted(cells)
