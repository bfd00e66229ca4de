"""The send ledger of a period: `out/<period>/发送记录.csv`, append-only.

One line per address per attempt, written right after the server answered,
so a crash or a dropped connection never loses the fact that a mail went
out, and a re-run never sends it twice by accident. UTF-8 with BOM so the
office opens it in Excel.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import astuple, dataclass
from pathlib import Path

from pyxl.common.files import csv_cell, csv_value

LEDGER_NAME = "发送记录.csv"
LEDGER_COLUMNS = ("类型", "轮次", "单位", "邮箱", "附件", "附件SHA256", "时间", "结果", "服务器回复")

KIND_SEND = "分发"
KIND_REMIND = "催报"
KIND_SEND_BACK = "退回"  # a return sent back to be redone (退回重报); its round names the return sent back

RESULT_OK = "成功"
RESULT_FAILED = "失败"  # refused, dropped, login rejected: sent again on the next run
# Handed over whole, but the server's answer never came: it may have been queued.
# Never sent again by itself (the unit could get two copies); the office checks and resends on purpose.
RESULT_UNKNOWN = "结果未知"
RESULT_NO_ADDRESS = "无邮箱"
RESULT_BAD_ATTACHMENT = "附件不符"


@dataclass(frozen=True)
class LedgerLine:
    """One attempt to mail one address, as a row of the ledger (LEDGER_COLUMNS, in order)."""

    kind: str  # 分发 / 催报 / 退回
    round: str  # 分发: the period (2025-06); 催报: the as-of date (2025-07-08); 退回: period/SHA256 prefix of the return
    unit: str
    address: str
    attachment: str  # file name, empty when none
    sha256: str
    time: str  # ISO date-time
    result: str
    reply: str  # the server's answer, e.g. "250 2.0.0 Ok: queued"

    @property
    def ok(self) -> bool:
        return self.result == RESULT_OK

    @property
    def may_have_arrived(self) -> bool:
        """Sent, or handed over with no answer: a re-run must not send it again by itself."""
        return self.result in (RESULT_OK, RESULT_UNKNOWN)


class Ledger:
    """Read and append the ledger file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def read(self) -> list[LedgerLine]:
        """Every whole line of the ledger, oldest first; [] before the first mail."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        lines = []
        for row in rows[1:]:
            if len(row) == len(LEDGER_COLUMNS):  # a line cut by a crash is ignored: its mail is retried
                lines.append(LedgerLine(*(csv_value(cell) for cell in row)))
        return lines

    def succeeded(self) -> set[tuple[str, str, str, str]]:
        """(kind, round, unit, address) of every address a mail reached or may have reached (结果未知): what a re-run must not send again."""
        return {(l.kind, l.round, l.unit, l.address) for l in self.read() if l.may_have_arrived}

    def append(self, line: LedgerLine) -> None:
        """Append one line and make it durable before the next mail goes out."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists() or self.path.stat().st_size == 0
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        if new:
            writer.writerow(LEDGER_COLUMNS)
        # server replies and addresses come from outside: never a formula in Excel
        writer.writerow([csv_cell(value) for value in astuple(line)])
        text = buffer.getvalue()
        if new:
            text = "\ufeff" + text
        elif not self._ends_with_newline():
            text = "\r\n" + text  # after a crash mid-line, start clean
        with self.path.open("a", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as handle:
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) == b"\n"
