"""The master workbook with a value typed far outside its tables: every command stops in one Chinese line.

The office edits the master by hand; a value left at XFD1048576 (Ctrl+↓,
Ctrl+→, a keystroke) made python-calamine ask for hundreds of GB and end
the process without a word, from the CLI and from the ribbon alike. Each
case runs `pyxl` in its own process, so a regression shows as a failed
test, not as an aborted test run.
"""

from __future__ import annotations

import re
import subprocess
import sys

import openpyxl
import pytest

from pyxl.cli import main


@pytest.fixture
def built(workspace):
    assert main(["--config", str(workspace / "config.yaml"), "build-workbook"]) in (0, 1)
    return workspace


def _type_into_master(workspace, sheet: str, cell: str) -> None:
    path = workspace / "workbook" / "Responsibilities.xlsm"
    book = openpyxl.load_workbook(path, keep_vba=True)
    book[sheet][cell] = "误操作"
    book.save(path)


def _split(workspace) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pyxl.cli", "--config", str(workspace / "config.yaml"), "split",
                           "--period", "2025-06"], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("sheet, cell, reach", [
    ("任务清单", "XFD1048576", "XFD1048576"),
    ("指标", "A150000", r"[A-Z]+150000"),  # the corner Ctrl+End goes to: the table's last column, the far row
    ("单位", "GZ2", r"GZ[0-9]+"),
])
def test_a_value_far_outside_a_master_table_stops_every_command_in_words(built, sheet, cell, reach):
    _type_into_master(built, sheet, cell)
    done = _split(built)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert len(lines) == 1 and "程序内部错误" not in lines[0], done.stderr
    assert re.search(f"「{sheet}」表的内容一直延伸到 {reach}，", lines[0]) and "Ctrl+End" in lines[0], lines[0]
    assert not (built / "out" / "2025-06" / "分发").exists()


def test_a_value_a_little_outside_the_table_is_just_read(built):
    _type_into_master(built, "任务清单", "Z500")  # a note beside the table: within any sane extent
    done = _split(built)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert list((built / "out" / "2025-06" / "分发").glob("*.xlsx"))
