"""The reading mark survives the process dying on a file (it is rewritten in place, not replaced per file)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from datetime import datetime

from test_collect_support import OTHER, PERIOD, UNIT, filled

from pyxl import pipeline
from pyxl.common.period import Period
from pyxl.returns import reading_mark
from pyxl.workspace import Workspace

NOW = datetime(2025, 7, 3, 9, 0)


def _sent(settings, unit):
    return next(p for p in settings.distribution_dir(PERIOD).glob("*.xlsx") if p.name.endswith(f"_{unit}.xlsx"))


def test_a_process_killed_while_reading_leaves_the_mark_of_that_file(ws):
    filled(_sent(ws, OTHER), ws.inbox_dir / "a.xlsx")  # read first (sorted), then the one it dies on
    filled(_sent(ws, UNIT), ws.inbox_dir / "b.xlsx")
    script = textwrap.dedent(f"""
        import os
        from datetime import datetime
        from pyxl import pipeline
        from pyxl.common.config import load_settings
        from pyxl.common.period import Period
        from pyxl.returns import collect, reading_mark
        from pyxl.workspace import Workspace

        real = collect.read_return

        def dies_on_b(data, **kw):
            if kw["source"].endswith("b.xlsx"):
                os._exit(9)  # no cleanup, no flush of Python buffers: as a crash
            return real(data, **kw)

        collect.read_return = dies_on_b
        settings = load_settings({str(ws.root / "config.yaml")!r})
        pipeline.collect_returns(Workspace.load(settings), Period(2025, 6), None, now=datetime(2025, 7, 3, 9, 0))
    """)
    died = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert died.returncode == 9, died.stderr
    mark = ws.returns_dir(PERIOD) / reading_mark.READING_MARK
    digest = hashlib.sha256((ws.inbox_dir / "b.xlsx").read_bytes()).hexdigest()
    assert mark.read_text(encoding="utf-8") == f"{digest}\tinbox/b.xlsx\n"  # the last file noted, whole

    again = pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=NOW)
    assert [(p.file, p.code) for p in again.problems] == [("inbox/b.xlsx", "file-crashed")]
    assert {r.source for r in again.data} == {"inbox/a.xlsx"} and not mark.exists()
