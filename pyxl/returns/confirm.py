"""Confirm: the 待确认 returns, and the office confirming them.

A return collect doubted (`pending`: an unverified sender or an impossible
date) waits in the ledger until the office has checked it; confirming
re-validates its content and lets it supersede older returns.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from pyxl.common.model import DutyTable, LedgerEntry, UnitDirectory
from pyxl.distribution import layout
from pyxl.returns.archive import append_ledger, latest_states, read_ledger, supersede
from pyxl.returns.check import read_return
from pyxl.returns.sent import SentCopies


def pending_returns(returns_dir: Path, period: str) -> list[LedgerEntry]:
    """The returns of `period` waiting for the office (待确认), in ledger order."""
    return [e for e in latest_states(read_ledger(returns_dir)).values() if e.status == "pending" and e.period == period]


def confirm(
    returns_dir: Path,
    workspace: Path,
    period: str,
    units: list[str],
    duty: DutyTable | None,
    directory: UnitDirectory,
    sent_dir: Path | None = None,
) -> list[LedgerEntry]:
    """Confirm the 待确认 returns of `units`: they now count like any other, and may supersede older ones.

    The office has checked who sent them, so the sender is no longer
    questioned; their content is validated as ever. Returns the lines appended.
    """
    returns_dir = Path(returns_dir)
    ledger = read_ledger(returns_dir)
    chosen = [e for e in pending_returns(returns_dir, period) if e.unit in set(units)]
    sent = SentCopies(sent_dir)
    lines = []
    for entry in chosen:
        data = (Path(workspace) / entry.file).read_bytes()
        checked = read_return(data, file=entry.file, source=entry.source, sha256=entry.sha256,
                              received=datetime.fromisoformat(entry.received), period=period, duty=duty,
                              directory=directory, sender="", sent=sent, secret=layout.workspace_key(workspace))
        lines.append(replace(entry, status="confirmed", problem_count=len(checked.problems)))
    appended = supersede(ledger, lines, period)
    if appended:
        append_ledger(returns_dir, appended)
    return appended
