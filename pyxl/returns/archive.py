"""The archive of returned files and its ledger: returns/<period>/.

Every file received is stored byte for byte as `<sha256[:16]>_<original name>`
and never modified. The ledger `回收记录.csv` (UTF-8 with BOM, so Excel opens
it) is append-only: a file's state is its last line. A file already in the
ledger is not recorded again; when a unit's newer return supersedes an older
one, a `superseded` line for the older file is appended and both files stay.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import astuple, fields
from pathlib import Path

from pyxl.common.errors import PyxlError
from pyxl.common.files import csv_cell, csv_value, write_bytes_atomic
from pyxl.common.model import LedgerEntry

LEDGER_NAME = "回收记录.csv"
LEDGER_COLUMNS = [f.name for f in fields(LedgerEntry)]
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def archive_name(sha256: str, name: str) -> str:
    """`<sha256[:16]>_<name>`, with characters Windows refuses replaced."""
    safe = _UNSAFE.sub("_", name).strip(" .") or "file"
    return f"{sha256[:16]}_{safe[:120]}"


def store(returns_dir: Path, sha256: str, name: str, data: bytes) -> Path:
    """Keep `data` under returns_dir; an existing copy is never rewritten."""
    target = Path(returns_dir) / archive_name(sha256, name)
    if not target.exists():
        write_bytes_atomic(target, data)
    return target


def read_ledger(returns_dir: Path) -> list[LedgerEntry]:
    """Every line of the ledger, oldest first (empty when there is none yet)."""
    path = Path(returns_dir) / LEDGER_NAME
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise PyxlError(f"回收记录 {path} 无法读取（{error}）：请勿手工修改它；如已改动，请从备份恢复。") from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not set(LEDGER_COLUMNS) - {"sender"} <= set(reader.fieldnames):
        raise PyxlError(f"回收记录 {path} 的表头不对：请勿手工修改它；如已改动，请从备份恢复。")
    entries = []
    for row in reader:
        values = {k: csv_value(row.get(k) or "") for k in LEDGER_COLUMNS}
        values["unit"] = values["unit"] or None
        values["period"] = values["period"] or None
        values["problem_count"] = int(values["problem_count"] or 0)
        entries.append(LedgerEntry(**values))
    return entries


def append_ledger(returns_dir: Path, entries: list[LedgerEntry]) -> Path:
    """Add lines at the end; earlier lines are kept exactly as they were."""
    path = Path(returns_dir) / LEDGER_NAME
    old = path.read_bytes() if path.exists() else b""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if not old:
        writer.writerow(LEDGER_COLUMNS)
    for entry in entries:
        writer.writerow([csv_cell(v) for v in astuple(entry)])
    new = buffer.getvalue().encode("utf-8")
    if not old:
        new = b"\xef\xbb\xbf" + new
    if entries or not old:
        write_bytes_atomic(path, old + new)
    return path


def collected_in_other_periods(returns_dir: Path) -> dict[str, str]:
    """sha256 → period, for every file already collected into another period's archive.

    The inbox is not emptied between months: last month's e-mails are still
    there when this month is collected. They were recorded then, and must
    not come back as wrong-period returns now.
    """
    returns_dir = Path(returns_dir)
    found: dict[str, str] = {}
    for other in sorted(returns_dir.parent.glob(f"*/{LEDGER_NAME}")):
        if other.parent.resolve() != returns_dir.resolve():
            found.update(dict.fromkeys((entry.sha256 for entry in read_ledger(other.parent)), other.parent.name))
    return found


def latest_states(entries: list[LedgerEntry]) -> dict[str, LedgerEntry]:
    """sha256 → its last ledger line (its current state), in first-seen order."""
    states: dict[str, LedgerEntry] = {}
    for entry in entries:
        states[entry.sha256] = entry
    return states


def is_unit_return(entry: LedgerEntry, period: str) -> bool:
    """A unit's return for `period` still in the running (accepted or rejected, not superseded)."""
    return entry.status in ("accepted", "rejected") and bool(entry.unit) and entry.period == period


def current_by_unit(entries: list[LedgerEntry], period: str) -> dict[str, LedgerEntry]:
    """unit → its current return of `period`: the latest received, not superseded."""
    current: dict[str, LedgerEntry] = {}
    for entry in latest_states(entries).values():
        if not is_unit_return(entry, period):
            continue
        known = current.get(entry.unit)
        if known is None or entry.received >= known.received:
            current[entry.unit] = entry
    return current
