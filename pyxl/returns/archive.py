"""The archive of returned files and its ledger: returns/<period>/.

Every file received is stored byte for byte as `<sha256[:16]>_<original name>`
and never modified. The ledger `回收记录.csv` (UTF-8 with BOM, so Excel opens
it) is append-only: a file's state is its last line. A file already in the
ledger is not recorded again; when a unit's newer return supersedes an older
one, a `superseded` line for the older file is appended and both files stay.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import astuple, fields, replace
from pathlib import Path

from pyxl.common.errors import PyxlError
from pyxl.common.files import append_csv, atomic_path, csv_value, read_csv_record, write_bytes_atomic
from pyxl.common.model import LedgerEntry

LEDGER_NAME = "回收记录.csv"
LEDGER_COLUMNS = [f.name for f in fields(LedgerEntry)]
# What the office reads in Excel: Chinese headers and states. Ledgers written before (English
# headers and states) are still read, and appended to in their own words so a file never mixes.
LEDGER_HEADERS = {
    "file": "存档文件", "source": "来源", "unit": "单位", "period": "期次", "received": "收到时间",
    "sha256": "SHA256", "status": "状态", "problem_count": "问题数", "sender": "发件人",
}
STATUS_LABELS = {
    "accepted": "采用", "rejected": "退回待改", "superseded": "已被新报表替代", "duplicate": "重复", "container": "压缩包或邮件",
    "pending": "待确认", "confirmed": "已确认采用", "evidence": "佐证材料",
    "reply": "督办回执", "reply-rejected": "督办回执退回",  # replies to 督办单 (pyxl.returns.replies)
}
_FIELD_OF = {**{header: name for name, header in LEDGER_HEADERS.items()}, **{name: name for name in LEDGER_COLUMNS}}
_STATUS_OF = {**{label: status for status, label in STATUS_LABELS.items()}, **{status: status for status in STATUS_LABELS}}
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


# File systems limit a name to 255 bytes (ext4: UTF-8 bytes; NTFS: 255 UTF-16 units): a Chinese
# character is 3 UTF-8 bytes, so names are cut by bytes, well below, keeping the extension.
MAX_NAME_BYTES = 180


def archive_name(sha256: str, name: str) -> str:
    """`<sha256[:16]>_<name>`, characters Windows refuses replaced, at most MAX_NAME_BYTES UTF-8 bytes."""
    safe = _UNSAFE.sub("_", name).strip(" .") or "file"
    stem, dot, suffix = safe.rpartition(".")
    if not dot or len(suffix.encode("utf-8")) > 16:
        stem, suffix = safe, ""
    room = MAX_NAME_BYTES - 17 - (len(suffix.encode("utf-8")) + 1 if suffix else 0)
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").strip(" .") or "file"
    return f"{sha256[:16]}_{stem}{'.' + suffix if suffix else ''}"


def store(returns_dir: Path, sha256: str, name: str, data: bytes) -> Path:
    """Keep `data` under returns_dir; an existing copy is never rewritten."""
    target = Path(returns_dir) / archive_name(sha256, name)
    if not target.exists():
        write_bytes_atomic(target, data)
    return target


def store_file(returns_dir: Path, sha256: str, name: str, source: Path) -> Path:
    """Keep a copy of the file at `source` (too large to hold in memory), streamed; never rewritten."""
    target = Path(returns_dir) / archive_name(sha256, name)
    if not target.exists():
        with atomic_path(target) as temporary, open(source, "rb") as reading, open(temporary, "wb") as writing:
            shutil.copyfileobj(reading, writing, 1 << 20)
    return target


def read_ledger(returns_dir: Path) -> list[LedgerEntry]:
    """Every line of the ledger, oldest first (empty when there is none yet)."""
    path = Path(returns_dir) / LEDGER_NAME
    reader = read_csv_record(path, "回收记录")
    if reader is None:
        return []
    found = {_FIELD_OF.get(header, header) for header in reader.fieldnames or []}
    if not set(LEDGER_COLUMNS) - {"sender"} <= found:
        raise PyxlError(f"回收记录 {path} 的表头不对：请勿手工修改它；如已改动，请从备份恢复。")
    entries = []
    for raw in reader:
        row = {_FIELD_OF.get(header, header): value for header, value in raw.items() if header is not None}
        values = {k: csv_value(row.get(k) or "") for k in LEDGER_COLUMNS}
        values["status"] = _STATUS_OF.get(values["status"], values["status"])
        values["unit"] = values["unit"] or None
        values["period"] = values["period"] or None
        values["problem_count"] = int(values["problem_count"] or 0)
        entries.append(LedgerEntry(**values))
    return entries


def append_ledger(returns_dir: Path, entries: list[LedgerEntry]) -> Path:
    """Add lines at the end; earlier lines are kept exactly as they were."""
    path = Path(returns_dir) / LEDGER_NAME
    start = path.read_bytes()[:16] if path.exists() else b""
    if entries or not start:
        english = start.lstrip(b"\xef\xbb\xbf").startswith(b"file,")  # a ledger from before the Chinese headers
        append_csv(path, [LEDGER_HEADERS[name] for name in LEDGER_COLUMNS],
                   (astuple(entry if english else replace(entry, status=STATUS_LABELS.get(entry.status, entry.status)))
                    for entry in entries))
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
    """A unit's return for `period` still in the running (accepted, confirmed or rejected; not superseded, not 待确认)."""
    return entry.status in ("accepted", "confirmed", "rejected") and bool(entry.unit) and entry.period == period


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


def supersede(ledger: list[LedgerEntry], new: list[LedgerEntry], period: str) -> list[LedgerEntry]:
    """New lines, with a `superseded` line for every return that is no longer its unit's current one."""
    current = {e.sha256 for e in current_by_unit(ledger + new, period).values()}

    def outrun(entry: LedgerEntry) -> bool:
        return is_unit_return(entry, period) and entry.sha256 not in current

    lines = [replace(entry, status="superseded") for entry in latest_states(ledger).values() if outrun(entry)]
    lines += [replace(entry, status="superseded") if outrun(entry) else entry for entry in new]
    return lines
