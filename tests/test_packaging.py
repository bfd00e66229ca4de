"""A plain `pip install .` (not editable) carries everything an installed pyxl needs.

The repository keeps templates/ and workbook/ at its top level (the design
card's layout); setup.cfg maps them into the package. If that mapping or the
package data patterns break, `pyxl demo` after a plain install breaks: this
test builds the wheel and looks inside.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow


def test_wheel_contains_example_templates_and_workbook_sources(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("pyxl-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "pyxl/example/config.yaml",
        "pyxl/example/长清区2025年政府工作报告重点工作责任分工.txt",
        "pyxl/workbook/Responsibilities.xlsm",
    }
    expected |= {f"pyxl/templates/{p.relative_to(REPO / 'templates').as_posix()}" for p in (REPO / "templates").rglob("*")
                 if p.is_file() and p.suffix in {".j2", ".docx"}}
    expected |= {f"pyxl/workbook/{p.relative_to(REPO / 'workbook').as_posix()}" for p in (REPO / "workbook").rglob("*")
                 if p.is_file() and p.parent.name in {"vba", "customUI"}}
    assert len(expected) > 8
    assert expected <= names, sorted(expected - names)
