"""退回重报: the returns the office sent back to be redone, and what that does to them.

`returns/<period>/退回记录.csv` (UTF-8 with BOM, append-only) holds one line
per return sent back: the unit, the return's archived file and SHA-256, when,
the office's note and how many problems the mail listed. A return on that list
is not accepted — it carries a `sent-back` error with the office's note, so
the judgement counts it as 报表被退回 exactly like a return that failed its
checks — until a newer return of the unit arrives and becomes the current one.
The line is written only once the mail has gone out (`pyxl send-back`).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields, replace
from pathlib import Path
from typing import Iterable, Sequence

from pyxl.common.errors import PyxlError
from pyxl.common.files import append_csv, csv_value, read_csv_record
from pyxl.common.model import UnitReturn
from pyxl.common.problems import problem, register_code

RECORD_NAME = "退回记录.csv"
SENT_BACK = register_code(
    "sent-back", "error",
    "督查室已把这份报表退回重报（退回邮件写明了要改的单元格和退回意见）：数据暂不采用，单位重新报送后按新报表计。",
    "collect",
)

@dataclass(frozen=True)
class SentBack:
    """One line of 退回记录.csv: a return the office sent back."""

    unit: str
    file: str  # the return's archived copy, relative to the workspace
    sha256: str
    time: str  # ISO date-time the 退回 mail went out
    note: str  # the office's words, may be empty
    problem_count: int = 0  # problems listed in the mail


HEADERS = {"unit": "单位", "file": "存档文件", "sha256": "SHA256", "time": "退回时间", "note": "退回意见", "problem_count": "问题数"}
_FIELD_OF = {header: name for name, header in HEADERS.items()}


def read_records(returns_dir: Path) -> list[SentBack]:
    """Every return sent back in the period, oldest first; [] before the first."""
    path = Path(returns_dir) / RECORD_NAME
    reader = read_csv_record(path, "退回记录")
    records: list[SentBack] = []
    for raw in reader or ():
        row = {_FIELD_OF.get(k, k): csv_value(v or "") for k, v in raw.items() if k is not None}
        try:
            records.append(SentBack(row["unit"], row["file"], row["sha256"], row["time"], row.get("note", ""),
                                    int(row.get("problem_count") or 0)))
        except (KeyError, ValueError):
            raise PyxlError(f"退回记录 {path} 的表头或某一行不对：请勿手工修改它；如已改动，请从备份恢复。") from None
    return records


def append_records(returns_dir: Path, records: Sequence[SentBack]) -> Path | None:
    """Add lines at the end; a return already on the list is not added again."""
    known = {r.sha256 for r in read_records(returns_dir)}
    new = [r for r in records if r.sha256 not in known]
    if not new:
        return None
    return append_csv(Path(returns_dir) / RECORD_NAME, [HEADERS[f.name] for f in fields(SentBack)],
                      (astuple(record) for record in new))


def sent_back_message(record: SentBack) -> str:
    when = record.time[:10]
    said = f"，退回意见：{record.note}" if record.note.strip() else ""
    return f"督查室已于{when}退回重报{said}。请按退回邮件修改后重新报送"


def mark(returns: Iterable[UnitReturn], records: Sequence[SentBack]) -> list[UnitReturn]:
    """The returns with those on the list sent back: not accepted, a `sent-back` error carrying the note.

    Only the very file sent back is marked: a newer return of the unit is judged on its own.
    """
    by_hash = {r.sha256: r for r in records}
    marked = []
    for item in returns:
        record = by_hash.get(item.sha256)
        if record is None:
            marked.append(item)
            continue
        own = problem(SENT_BACK, sent_back_message(record), file=item.source or item.file, unit=item.unit)
        kept = [p for p in item.problems if p.code != SENT_BACK]
        marked.append(replace(item, accepted=False, problems=[own, *kept]))
    return marked
