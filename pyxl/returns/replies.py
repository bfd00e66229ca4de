"""Replies to 督办单 (回执): recognised by content, checked, recorded like a return.

`collect` hands every readable workbook whose hidden identity sheet says
种类 = 督办回执 (`pyxl.distribution.notice_reply`) to `read_reply` instead of
reading it as a monthly return. A reply is archived byte for byte with the
period's returns and recorded in the same ledger (状态 督办回执 / 督办回执退回,
期次 = the 督办单's period, whichever month it arrives in); `read_replies`
finds every recorded reply to one period's 督办单 again from the archive,
so whether a 督办单 was answered in time is a function of the archive alone.

Problems are data, with the cell to fix, as for monthly returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from pyxl.common.model import UnitDirectory
from pyxl.common.problems import Problem, has_errors, problem
from pyxl.common.spreadsheets import Book, Unreadable, as_text, cell_name, is_blank, read_book
from pyxl.common.units import UnitIndex
from pyxl.common.values import looks_like_formula
from pyxl.distribution import layout, notice_reply
from pyxl.returns.archive import LEDGER_NAME, latest_states, read_ledger
from pyxl.returns.codes import collect_code

STATUS_ACCEPTED, STATUS_REJECTED = "reply", "reply-rejected"


REPLY_FORGED = collect_code("reply-forged", "error", "督办回执的督办事项被改动，或隐藏识别表不是本室写入的：回执未采用，请对方在随督办单下发的原回执上填写后重发。")
REPLY_UNIT_UNKNOWN = collect_code("reply-unit-unknown", "error", "督办回执中的单位不在单位名录中：请核对单位名称，或在单位名录中补充该单位（或别名）。")
REPLY_ROWS_CHANGED = collect_code("reply-rows-changed", "error", "督办回执中的事项行被删除、增加或调换（序号与下发时不同）：请在原回执上逐项填写后重发。")
REPLY_EMPTY = collect_code("reply-empty", "error", "督办回执的「办理结果」全部为空：请逐项填写办理结果后重发。")
REPLY_RESULT_MISSING = collect_code("reply-result-missing", "error", "督办回执某一事项的「办理结果」为空：请逐项填写后重发。")
REPLY_DATE_INVALID = collect_code("reply-date-invalid", "error", "督办回执的「完成时间」不是日期：请填写日期（如 2025-09-30）。")
REPLY_DATE_READ_AS = collect_code("reply-date-interpreted", "warning", "督办回执的「完成时间」填的是文字或数字，已按日期读取：请核对读取结果。")
REPLY_SENDER_UNVERIFIED = collect_code("reply-sender-unverified", "warning", "督办回执从一个不是该单位登记邮箱的地址发来：回执的识别校验值无误，已照常登记；请向该单位核实（或在单位名录中补登该邮箱）。")
REPLY_FORMULA_TEXT = collect_code("reply-formula-text", "warning", "督办回执中的文字以 = + - @ 开头、形如公式：只按文字保存，不会执行；请核对内容。")

_TEXT_DATE = re.compile(r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*日?\s*$")
_SERIALS = (36526, 73050)  # 2000-01-01 … 2099-12-31 as spreadsheet day numbers


@dataclass
class ReplyAnswer:
    """One 督办 item and what the unit answered."""

    key: str
    subject: str
    result: str
    measures: str
    done_by: date | None


@dataclass
class NoticeReply:
    """A unit's reply to a 督办单, read from one file."""

    unit: str | None
    period: str | None  # the 督办单's period (the month it judged)
    number: str
    reply_by: date | None
    file: str
    source: str
    sha256: str
    received: datetime
    answers: list[ReplyAnswer] = field(default_factory=list)
    signed_by: str = ""  # 单位负责人
    problems: list[Problem] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """Recognised, of a known unit, and without errors."""
        return self.unit is not None and not has_errors(self.problems)

    @property
    def on_time(self) -> bool:
        """Received on or before the reply-by date (the whole day counts)."""
        return self.reply_by is not None and self.received < datetime.combine(self.reply_by + timedelta(days=1), datetime.min.time())


def identity(book: Book) -> dict[str, str] | None:
    """The reply's identity pairs, or None when the book is not a 督办回执."""
    sheet = book.sheet(layout.IDENTITY_SHEET)
    if sheet is None:
        return None
    pairs = {as_text(row[0]): as_text(row[1]) for row in sheet.rows if len(row) >= 2 and not is_blank(row[0])}
    return pairs if pairs.get(notice_reply.ID_KIND) == notice_reply.KIND else None


def is_reply(book: Book | Unreadable) -> bool:
    """Whether a readable workbook is a 督办回执 (by its identity sheet, never its file name)."""
    return isinstance(book, Book) and identity(book) is not None


def _date(value: object) -> tuple[date | None, bool]:
    """(the date a cell holds, whether it had to be read from text or a bare number); (None, False) when it is none."""
    if isinstance(value, datetime):
        return value.date(), False
    if isinstance(value, date):
        return value, False
    if isinstance(value, (int, float)) and not isinstance(value, bool) and _SERIALS[0] <= value <= _SERIALS[1]:
        return date(1899, 12, 30) + timedelta(days=int(value)), True
    match = _TEXT_DATE.match(str(value)) if isinstance(value, str) else None
    if match:
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3))), True
        except ValueError:
            return None, False
    return None, False


def read_reply(book: Book, *, file: str, source: str, sha256: str, received: datetime, directory: UnitDirectory,
               secret: bytes | None) -> NoticeReply:
    """Check one 督办回执 (`is_reply(book)` holds); problems name `source` and the cell to fix."""
    ident = identity(book) or {}
    reply_by, _ = _date(ident.get(notice_reply.ID_REPLY_BY, ""))
    reply = NoticeReply(unit=None, period=ident.get(layout.ID_PERIOD) or None, number=ident.get(notice_reply.ID_NUMBER, ""),
                        reply_by=reply_by, file=file, source=source, sha256=sha256, received=received)
    written_unit = ident.get(layout.ID_UNIT, "")
    resolved = UnitIndex(directory).resolve(written_unit)
    unit = resolved.canonical if resolved.canonical is not None and not resolved.is_group else None
    sheet = book.sheet(ident.get(layout.ID_SHEET, notice_reply.SHEET)) or next(
        (s for s in book.sheets if s.visible and s.name != layout.IDENTITY_SHEET), None)

    def add(code: str, message: str, cell: str | None = None) -> None:
        reply.problems.append(problem(code, message, file=source, sheet=sheet.name if sheet else None, cell=cell,
                                      unit=unit or written_unit or None))

    if unit is None:
        add(REPLY_UNIT_UNKNOWN, f"督办回执中的单位「{written_unit}」不在单位名录中：请核对单位名称，或在单位名录中补充该单位（或别名）。")
        return reply
    reply.unit = unit
    if sheet is None:
        add(REPLY_ROWS_CHANGED, "督办回执中找不到填写的工作表：请在随督办单下发的原回执上填写后重发。")
        return reply
    keys = [k for k in ident.get(layout.ID_KEYS, "").split(layout.KEY_SEPARATOR) if k]
    first = notice_reply.HEADER_ROW + 1
    rows = []
    for offset, key in enumerate(keys):
        r = first + offset
        rows.append((r, as_text(sheet.value(r, 1)), as_text(sheet.value(r, 2))))
    found = [k for _, k, _ in rows]
    below = as_text(sheet.value(first + len(keys), 1))
    if found != keys or (below and below not in notice_reply.FOOTER_LABELS):
        add(REPLY_ROWS_CHANGED, f"督办回执的事项序号应为 {'、'.join(keys)}，现为 {'、'.join(found) or '空'}"
            f"{'，且多出了行' if below and below not in notice_reply.FOOTER_LABELS else ''}：请在原回执上逐项填写后重发。",
            cell=cell_name(first, 1))
        return reply
    items = [notice_reply.ReplyItem(key, subject) for _, key, subject in rows]
    expected = notice_reply.reply_hash(written_unit, reply.period or "", reply.number, items, secret)
    if ident.get(layout.ID_HASH, "") != expected:
        add(REPLY_FORGED, "督办回执中的督办事项与本室下发时不同，或识别表不是本室写入的：回执未采用，"
            "请在随督办单下发的原回执上填写后重发。", cell=cell_name(first, 2))
        return reply
    for r, key, subject in rows:
        result, measures, when = (sheet.value(r, c) for c in (3, 4, 5))
        for column, value in ((3, result), (4, measures)):
            if isinstance(value, str) and looks_like_formula(value):
                add(REPLY_FORMULA_TEXT, f"{cell_name(r, column)} 的文字以“{value.strip()[:1]}”开头、形如公式：只按文字保存，不会执行；请核对。",
                    cell=cell_name(r, column))
        done_by, guessed = _date(when)
        if not is_blank(when) and done_by is None:
            add(REPLY_DATE_INVALID, f"事项{key}的「完成时间」“{as_text(when)[:40]}”不是日期：请填写日期（如 2025-09-30）。",
                cell=cell_name(r, 5))
        elif guessed:
            add(REPLY_DATE_READ_AS, f"事项{key}的「完成时间」“{as_text(when)[:40]}”已读作 {done_by.isoformat()}：请核对。",
                cell=cell_name(r, 5))
        reply.answers.append(ReplyAnswer(key, subject, as_text(result), as_text(measures), done_by))
    if keys and all(not a.result for a in reply.answers):
        add(REPLY_EMPTY, "督办回执的「办理结果」全部为空：请逐项填写办理结果后重发。", cell=cell_name(first, 3))
    else:
        for offset, answer in enumerate(reply.answers):
            if not answer.result:
                add(REPLY_RESULT_MISSING, f"事项{answer.key}的「办理结果」为空：请填写后重发。", cell=cell_name(first + offset, 3))
    footer_first = first + len(keys) + 1
    for label in ("单位负责人",):
        down, col = notice_reply.FOOTER_PLACES[label]
        reply.signed_by = as_text(sheet.value(footer_first + down, col + 2))
    return reply


def check_sender(reply: NoticeReply, sender: str, directory: UnitDirectory) -> None:
    """A mailed reply from an address the unit never registered: a warning (the keyed hash already ties it to the unit)."""
    known = directory.unit(reply.unit) if reply.unit else None
    addresses = {address.lower() for address in (known.emails if known else [])}
    if sender and addresses and sender.lower() not in addresses:
        reply.problems.append(problem(REPLY_SENDER_UNVERIFIED, f"「{reply.unit}」的督办回执从 {sender} 发来，这不是该单位登记的邮箱"
                                      f"（{'、'.join(sorted(addresses))}）：已照常登记，请向该单位核实。",
                                      file=reply.source, unit=reply.unit))


def read_replies(returns_root: Path, workspace: Path, period: str, directory: UnitDirectory) -> list[NoticeReply]:
    """Every recorded reply to `period`'s 督办单, whichever month's archive it was collected into, oldest first.

    Re-read from the archived originals: the answer depends on the archive alone.
    """
    found = []
    secret = layout.workspace_key(workspace)
    for ledger in sorted(Path(returns_root).glob(f"*/{LEDGER_NAME}")):
        for entry in latest_states(read_ledger(ledger.parent)).values():
            if entry.status not in (STATUS_ACCEPTED, STATUS_REJECTED) or entry.period != period:
                continue
            path = Path(workspace) / entry.file
            book = read_book(path.read_bytes()) if path.is_file() else None
            if not isinstance(book, Book) or not is_reply(book):
                continue
            found.append(read_reply(book, file=entry.file, source=entry.source, sha256=entry.sha256,
                                    received=datetime.fromisoformat(entry.received), directory=directory, secret=secret))
    return sorted(found, key=lambda r: r.received)
