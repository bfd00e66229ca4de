"""The LibreOffice test clerk, for any test that needs a file filled in a real spreadsheet program.

    from clerk import FillJob, fill_workbooks, require_libreoffice

    @pytest.mark.libreoffice
    def test_something(tmp_path):
        require_libreoffice()
        fill_workbooks([FillJob(source, {"G5": 3400, "J5": "已开工"}, [tmp_path / "a.xlsx", tmp_path / "a.ods"])])

One soffice start serves every job of a call (starting costs ~1.5 s, a file
~0.2 s), so batch the files of a test together. The clerk only types into
cells the sheet leaves unlocked and fails the call otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Mapping, Sequence

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("uno_clerk.py")
FORMATS = (".xlsx", ".xls", ".ods")


class ClerkError(AssertionError):
    """LibreOffice refused a job (a locked cell, a file it cannot open) or did not finish in time."""


@dataclass
class FillJob:
    """Open `source`, type `values` (A1 address → number, text or date), save a copy to each of `save_as`."""

    source: Path
    values: Mapping[str, object]
    save_as: Sequence[Path]
    sheet: str | None = None  # default: the first visible sheet

    def to_json(self) -> dict:
        def convert(value: object) -> object:
            return {"date": value.isoformat()} if isinstance(value, date) else value

        return {
            "source": str(self.source),
            "sheet": self.sheet,
            "values": {address: convert(value) for address, value in self.values.items()},
            "save_as": [str(path) for path in self.save_as],
        }


def _die_with_parent() -> None:
    # Runs in the child before exec: if pytest is killed, the clerk (and, through
    # its own PR_SET_PDEATHSIG, soffice) goes with it instead of lingering.
    import ctypes
    import signal

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def libreoffice_missing() -> str | None:
    """Why the clerk cannot run here, or None when it can."""
    if shutil.which("soffice") is None or not Path("/usr/lib/libreoffice/program/soffice.bin").exists():
        return "LibreOffice (soffice) 未安装：apt-get install libreoffice-calc-nogui python3-uno fonts-noto-cjk"
    if not Path(SYSTEM_PYTHON).exists():
        return f"缺少 {SYSTEM_PYTHON}（Debian 自带的 Python，python3-uno 只装在它里面）"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        return f"{SYSTEM_PYTHON} 不能 import uno：apt-get install python3-uno"
    return None


def libreoffice_available() -> bool:
    return libreoffice_missing() is None


def require_libreoffice() -> None:
    """Skip the calling test with the reason when LibreOffice is missing; fail instead under PYXL_REQUIRE_LIBREOFFICE=1."""
    import pytest

    reason = libreoffice_missing()
    if reason is None:
        return
    if os.environ.get("PYXL_REQUIRE_LIBREOFFICE") == "1":
        pytest.fail(f"PYXL_REQUIRE_LIBREOFFICE=1，但{reason}")
    pytest.skip(reason)


def fill_workbooks(jobs: Sequence[FillJob], timeout: float | None = None) -> None:
    """Run every job in one LibreOffice session; raise ClerkError naming each job that failed."""
    if not jobs:
        return
    timeout = timeout or 60 + 5 * len(jobs)
    with tempfile.TemporaryDirectory(prefix="pyxl-clerk-") as folder:
        jobs_path, results_path = Path(folder) / "jobs.json", Path(folder) / "results.json"
        jobs_path.write_text(json.dumps([job.to_json() for job in jobs], ensure_ascii=False), encoding="utf-8")
        env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        env.pop("PYTHONPATH", None)  # Debian's python must not see the venv's packages
        env.pop("PYTHONHOME", None)
        try:
            run = subprocess.run(
                [SYSTEM_PYTHON, str(SCRIPT), str(jobs_path), str(results_path), str(timeout)],
                capture_output=True, text=True, timeout=timeout + 30, env=env, preexec_fn=_die_with_parent,
            )
        except subprocess.TimeoutExpired:
            raise ClerkError(f"LibreOffice did not finish {len(jobs)} job(s) within {timeout + 30:.0f} s") from None
        if run.returncode != 0 or not results_path.exists():
            raise ClerkError(f"the clerk script failed (exit {run.returncode}):\n{run.stderr[-3000:]}")
        results = json.loads(results_path.read_text(encoding="utf-8"))
    failures = [f"{job.source}: {result['error']}" for job, result in zip(jobs, results) if not result["ok"]]
    if failures:
        raise ClerkError("LibreOffice refused:\n" + "\n".join(failures))
