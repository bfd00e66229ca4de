"""Collect: recognise, validate and archive the sheets the units sent back.

A return is recognised by its content (the hidden identity sheet of
`pyxl.distribution.layout`), never by its file name; when the identity sheet is gone (a
clerk copied the rows into a new file) the visible title, the unit line in A2
and the rows' 序号 are used instead, with a warning. Every check yields
Problem values; a return with an error is archived and reported but its
values are not used, one with only warnings is used.

Who sent it, and when. A mailed return whose sender is not one of the unit's
registered addresses (another unit's is an error besides), whose Date lies in
the future, or which arrived before the unit's sheet was sent, is archived as
待确认 (`pending`): it never displaces an accepted return until the office
confirms it (`confirm`). The received time is our server's Received stamp,
not the sender's Date. A file name that names another unit only is a
warning: clerks rename files, and the content decides. The identity hash is
keyed with the workspace's secret, so a forged identity sheet is told apart
from a tampered one.

One file never stops the rest, and nothing is read without limits (see
`pyxl.returns.readers` and `pyxl.returns.intake`).

Nothing here writes except `collect`, which stores files through
`pyxl.returns.archive` and never touches what it was given.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Callable, Sequence

from pyxl.common.files import sha256_file
from pyxl.common.model import STATUSES, DutyTable, LedgerEntry, ReturnRow, UnitDirectory, UnitReturn, split_row_key
from pyxl.common.problems import Problem, has_errors, problem
from pyxl.common.units import UnitIndex, normalise_name
from pyxl.common.values import Reading, is_percent_unit, looks_like_formula, read_number
from pyxl.distribution import layout
from pyxl.returns import evidence, parsed, replies, sendback
from pyxl.returns.archive import (
    append_ledger,
    collected_in_other_periods,
    current_by_unit,
    is_unit_return,
    latest_states,
    read_ledger,
    store,
    store_file,
)
from pyxl.returns.codes import (
    COLUMN_MISSING,
    COLUMN_MOVED,
    DATE_DOUBTFUL,
    FILE_CRASHED,
    FILE_TOO_LARGE,
    FORMULA_NO_VALUE,
    FORMULA_TEXT,
    IDENTITY_FORGED,
    IDENTITY_MISSING,
    LOCKED_CHANGED,
    NAMED_OTHER,
    PERCENT_NOT_NUMBER,
    PERCENT_RANGE,
    PERIOD_MISMATCH,
    REQUEST_DATE_INVALID,
    REQUEST_INCOMPLETE,
    RETURN_EMPTY,
    ROW_DELETED,
    ROW_INSERTED,
    ROW_REORDERED,
    SENDER_UNVERIFIED,
    SENT_BY_OTHER,
    SHEET_RENAMED,
    STATUS_INVALID,
    TABLE_NOT_FOUND,
    TASK_UNKNOWN,
    TEMPLATE_VERSION,
    UNIT_UNKNOWN,
    UNIT_UNRECOGNISED,
    VALUE_NOT_NUMBER,
    VALUE_READ_AS,
    Checker,
)
from pyxl.returns.identity import find_header, header_hint, read_identity
from pyxl.returns.intake import Item, gather
from pyxl.returns.readers import Book, Sheet, Unreadable, as_text, cell_name, is_blank, read_book
from pyxl.returns.sent import SentCopies, first_sent

# （2025年6月） in the title; sheets sent by earlier versions wrote （2025-06）
_PERIOD_IN_TITLE = re.compile(r"[（(]\s*(\d{4})\s*(?:-|年)\s*(\d{1,2})\s*月?\s*[)）]")
_COLUMN_OF = {title: i for i, title in enumerate(layout.COLUMNS)}


def _footer(sheet: Sheet, after: int) -> tuple[int | None, dict[str, str]]:
    """First footer row below the header and the values typed right of each label."""
    first, values = None, {}
    for r in range(after + 1, len(sheet.rows) + 1):
        for c, value in enumerate(sheet.rows[r - 1], start=1):
            if not isinstance(value, str) or not value:
                continue
            label = value.strip().rstrip("：:")
            if label in layout.FOOTER_LABELS and label not in values:
                first = first or r
                values[label] = as_text(sheet.value(r, c + 1))
    return first, values


class _Lookup:
    """The directory's spellings and addresses (built once per directory by `_lookup`, not once per return)."""

    def __init__(self, directory: UnitDirectory) -> None:
        self.index = UnitIndex(directory)
        self.owners: dict[str, list[str]] = {}
        for unit in directory.units:
            for address in unit.emails:
                self.owners.setdefault(address.lower(), []).append(unit.name)
        self.spellings = sorted(
            ((normalise_name(s), u.name) for u in directory.units for s in (u.name, *u.aliases) if len(normalise_name(s)) >= 3),
            key=lambda pair: -len(pair[0]),
        )


_LAST_LOOKUP: list[tuple[UnitDirectory, _Lookup]] = []


def _lookup(directory: UnitDirectory) -> _Lookup:
    # A run uses one directory: keep its lookup, found by identity. (An lru_cache
    # hashed the whole directory on every return: 500 units, 500 hashes each time.)
    if not _LAST_LOOKUP or _LAST_LOOKUP[0][0] is not directory:
        _LAST_LOOKUP[:] = [(directory, _Lookup(directory))]
    return _LAST_LOOKUP[0][1]


def read_return(
    data: bytes,
    *,
    file: str,
    source: str,
    sha256: str,
    received: datetime,
    period: str,
    duty: DutyTable | None,
    directory: UnitDirectory,
    sender: str = "",
    sent: SentCopies | None = None,
    secret: bytes | None = None,
    book: Book | Unreadable | None = None,
) -> UnitReturn:
    """Recognise and validate one returned workbook; problems name `source` as the file.

    `secret` is the workspace's key for identity hashes (`layout.workspace_key`);
    `book` is the workbook already parsed from `data` (the archive's parsed
    form, `pyxl.returns.parsed`); without it `data` is read here.
    """
    result = UnitReturn(unit=None, period=None, file=file, sha256=sha256, received=received, source=source)
    check = Checker(source)
    result.problems = check.problems
    book = read_book(data) if book is None else book
    if isinstance(book, Unreadable):
        check.add(book.code, f"「{PurePosixPath(source).name}」无法读取：{book.reason}。请对方用 Excel 或 WPS 打开确认后，另存为 .xlsx 重发。",
                  cell=book.cell, sheet=book.sheet)
        return result
    ident = read_identity(book)
    sheet = book.sheet(ident.get(layout.ID_SHEET, "")) if ident else None
    if ident is not None and sheet is None:
        visible = [s for s in book.sheets if s.visible and s.name != layout.IDENTITY_SHEET]
        sheet = next((s for s in visible if find_header(s, None)), None)
        if sheet is not None:
            check.add(SHEET_RENAMED, f"工作表「{ident.get(layout.ID_SHEET)}」被改名为「{sheet.name}」，已按内容读取：今后请勿改工作表名。", sheet=sheet.name)
    if ident is None:
        sheet = next((s for s in book.sheets if s.visible and find_header(s, None)), None)
    if sheet is None:
        check.add(TABLE_NOT_FOUND, "找不到填报表的表头（序号、任务内容……下步措施）：请在下发的原表上填写后重发。")
        return result
    check.sheet = sheet.name
    header = find_header(sheet, header_hint(ident))
    if header is None:
        check.add(TABLE_NOT_FOUND, "找不到填报表的表头（序号、任务内容……下步措施）：请勿删除或改动表头行。")
        return result

    # ---- who and when
    title = as_text(sheet.value(1, 1))
    unit_line = as_text(sheet.value(2, 1))
    if ident is not None:
        written_unit, written_period = ident.get(layout.ID_UNIT, ""), ident.get(layout.ID_PERIOD, "")
        version = ident.get(layout.ID_VERSION)
        result.template_version = version
        if version and version not in layout.VERSION_COLUMNS:  # an older known version is read by its own header
            check.add(TEMPLATE_VERSION, f"模板版本是 {version}，当前版本是 {layout.TEMPLATE_VERSION}：数据照常读取，请核对。")
    else:
        found = _PERIOD_IN_TITLE.search(title)
        written_period = f"{found.group(1)}-{int(found.group(2)):02d}" if found else ""
        written_unit = unit_line.split(layout.UNIT_LABEL, 1)[1].split()[0] if unit_line.startswith(layout.UNIT_LABEL) and unit_line[len(layout.UNIT_LABEL):].strip() else ""
        if not written_unit:
            check.add(UNIT_UNRECOGNISED, "隐藏识别表和 A2「填报单位：」都没有，无法确定是哪个单位的报表：请在下发的原表上填写后重发。", cell="A2")
            return result
        check.add(IDENTITY_MISSING, f"隐藏识别表 {layout.IDENTITY_SHEET} 不见了，已按标题和 A2 识别为「{written_unit}」「{written_period or '期次不明'}」：请核对，今后请在下发的原表上填写。", cell="A2")
    lookup = _lookup(directory)
    resolved = lookup.index.resolve(written_unit)
    if resolved.canonical is None or resolved.is_group:
        hint_text = f"（是不是「{resolved.suggestion}」？）" if resolved.suggestion else ""
        check.add(UNIT_UNKNOWN, f"报表的单位「{written_unit}」不在单位名录中{hint_text}：请核对单位名称，或在单位名录中补充该单位。", cell=None if ident else "A2")
        result.unit = None
    else:
        result.unit = check.unit = resolved.canonical
        # problems found before we knew the unit (in place: result.problems is this list)
        check.problems[:] = [replace(item, unit=result.unit) for item in check.problems]
    result.period = written_period or None
    if written_period != period:
        check.add(PERIOD_MISMATCH, f"这是「{written_period or '期次不明'}」的报表，本次收取的是 {period}：请用本期下发的表重新填报。", cell=None if ident else "A1")
    if result.unit:
        _check_sender(check, result.unit, sender, source, lookup)

    # ---- columns
    header_cells = [as_text(v) for v in sheet.rows[header - 1]]
    columns: dict[str, int] = {}
    for c, text in enumerate(header_cells, start=1):
        if text in _COLUMN_OF and text not in columns:
            columns[text] = c
    # the columns of the template the sheet was made from: one sent before an upgrade has fewer
    wanted = layout.columns_of(result.template_version) if ident is not None else _columns_by_header(columns)
    missing = [t for t in wanted if t not in columns]
    for title_text in missing:
        place = cell_name(header, _COLUMN_OF[title_text] + 1)
        check.add(COLUMN_MISSING, f"表头缺少「{title_text}」列（应在 {place}）：请在下发的原表上填写，勿删改表头。", cell=place)
    if "序号" not in columns:
        return result
    if not missing and [columns[t] for t in wanted] != list(range(1, len(wanted) + 1)):
        moved = next(t for t in wanted if columns[t] != _COLUMN_OF[t] + 1)
        check.add(COLUMN_MOVED, f"「{moved}」列被移到了 {cell_name(header, columns[moved])}，已按列名读取：今后请勿移动列。", cell=cell_name(header, columns[moved]))

    footer_row, footer = _footer(sheet, header)
    result.filled_by = footer.get("填报人", "")
    result.phone = footer.get("联系电话", "")
    result.filled_date = footer.get("填报日期", "")

    # ---- rows
    expected = [k for k in ident.get(layout.ID_KEYS, "").split(layout.KEY_SEPARATOR) if k] if ident else None
    expected_set = set(expected or [])
    key_column = columns["序号"]
    found: dict[str, int] = {}
    last = (footer_row - 1) if footer_row else len(sheet.rows)
    for r in range(header + 1, last + 1):
        cells = sheet.rows[r - 1]
        if all(is_blank(v) for v in cells):
            continue
        key = layout.cell_text(sheet.value(r, key_column))
        place = cell_name(r, key_column)
        if not key:
            check.add(ROW_INSERTED, f"第 {r} 行没有序号，是下发表中没有的行：请删除该行，内容写在对应任务的「进展情况」中。", cell=place)
        elif key in found:
            check.add(ROW_INSERTED, f"序号「{key}」重复出现（第 {found[key]} 行和第 {r} 行）：请删除重复的行。", cell=place)
        elif expected is not None and key not in expected_set:
            check.add(ROW_INSERTED, f"序号「{key}」不是下发给本单位的行：请删除该行，或核对序号是否被改动。", cell=place)
        else:
            found[key] = r
    if expected is not None:
        for key in expected:
            if key not in found:
                check.add(ROW_DELETED, f"下发的序号「{key}」这一行不见了：请恢复该行并填报（可重新使用下发的原表）。")
        order = [k for k in found if k in expected_set]
        wanted = [k for k in expected if k in found]
        if order != wanted:
            first_moved = next(k for k, w in zip(order, wanted) if k != w)
            check.add(ROW_REORDERED, f"行的顺序被调整（序号「{first_moved}」不在原位置），已按序号读取：今后请勿排序或移动行。", cell=cell_name(found[first_moved], key_column))
        if not missing and len(wanted) == len(expected):
            _check_locked(check, sheet, columns, found, expected, ident, sent, secret)

    # ---- values
    formula_cells = sheet.uncached_formulas
    any_input = False
    target_units = _target_units(duty)
    task_numbers = _task_numbers(duty)
    for key, r in found.items():
        task_number, target_index = split_row_key(key, task_numbers)
        if duty is not None and not _in_duty(duty, task_number, target_index):
            check.add(TASK_UNKNOWN, f"序号「{key}」在分工表中找不到：请用本期下发的表重新填报。", cell=cell_name(r, key_column))
        row = ReturnRow(key=key, task_number=task_number, target_index=target_index, cell_row=r)
        for title_text in layout.INPUT_COLUMNS:
            if title_text not in columns:
                continue
            place = cell_name(r, columns[title_text])
            raw = sheet.value(r, columns[title_text])
            if place in formula_cells:
                check.add(FORMULA_NO_VALUE, f"单元格是公式 {formula_cells[place]}，但没有保存计算结果：请在 Excel/WPS 中重新计算并保存，或直接填数值。", cell=place)
                any_input = True
                continue
            if is_blank(raw):
                continue
            any_input = True
            if isinstance(raw, str) and looks_like_formula(raw) and title_text not in ("本期完成值", "完成进度(%)"):
                check.add(FORMULA_TEXT, f"「{title_text}」的内容「{raw.strip()[:40]}」形如公式，只按文字保存、不会执行：请核对内容。", cell=place)
            if place in sheet.percent_cells and isinstance(raw, (int, float)) and not isinstance(raw, bool):
                # Excel stores "60%" typed by the clerk as 0.6 shown as 60%: read what they see
                raw = PercentCell(raw)
            _read_input(check, row, title_text, raw, place, target_units.get(key, ""))
        _check_request(check, row, r, columns)
        result.rows.append(row)
    formula_outside = [c for c in formula_cells if c not in {p.cell for p in check.problems}]
    for place in formula_outside:
        if _row_of(place) > header and (footer_row is None or _row_of(place) < footer_row):
            check.add(FORMULA_NO_VALUE, f"单元格是公式 {formula_cells[place]}，但没有保存计算结果：请在 Excel/WPS 中重新计算并保存。", cell=place)
    if found and not any_input:
        check.add(RETURN_EMPTY, "所有填报栏（本期完成值、完成进度、状态、进展情况等）都是空的：请填写后重发。")
    result.accepted = result.unit is not None and not has_errors(check.problems)
    return result


def _columns_by_header(found: dict[str, int]) -> tuple[str, ...]:
    """Without an identity sheet: the newest template whose every column the header has, else the current one."""
    for columns in sorted(layout.VERSION_COLUMNS.values(), key=len, reverse=True):
        if all(title in found for title in columns):
            return columns
    return layout.COLUMNS


def _row_of(place: str) -> int:
    return int(re.sub(r"^[A-Z]+", "", place))


def _target_units(duty: DutyTable | None) -> dict[str, str]:
    return duty.target_units() if duty is not None else {}


_LAST_NUMBERS: list[tuple[DutyTable, int, frozenset[str]]] = []


def _task_numbers(duty: DutyTable | None) -> frozenset[str]:
    """The duty table's task numbers: made once per table (found by identity), not once per return."""
    if duty is None:
        return frozenset()
    if not _LAST_NUMBERS or _LAST_NUMBERS[0][0] is not duty or _LAST_NUMBERS[0][1] != len(duty.tasks):
        _LAST_NUMBERS[:] = [(duty, len(duty.tasks), frozenset(task.number for task in duty.tasks))]
    return _LAST_NUMBERS[0][2]


def _in_duty(duty: DutyTable, task_number: str, target_index: int | None) -> bool:
    try:
        task = duty.task(task_number)
    except KeyError:
        return False
    return target_index is None or 0 <= target_index < len(task.targets)


class PercentCell(float):
    """A number cell the clerk sees as a percentage: 0.6 shown as 60%."""

    @property
    def shown(self) -> str:
        return format(float(self) * 100, ".12g") + "%"


def _reading(raw: object, unit: str) -> Reading:
    """A number cell as the clerk meant it: a percent-formatted cell as shown, anything else by `read_number`."""
    return _read_percent_cell(raw, unit) if isinstance(raw, PercentCell) else read_number(raw, unit)


def _read_percent_cell(raw: PercentCell, target_unit: str) -> Reading:
    """What the clerk saw ("60%") read like typed text; noted only when the unit is not a percentage."""
    reading = read_number(raw.shown, target_unit)
    if is_percent_unit(target_unit) and not reading.error:
        return Reading(reading.value)
    return reading


def _read_input(check: Checker, row: ReturnRow, title_text: str, raw: object, place: str, target_unit: str) -> None:
    """Interpret one input cell into `row`, reporting what was read or why it cannot be."""
    if isinstance(raw, PercentCell) and title_text not in ("本期完成值", "完成进度(%)"):
        raw = raw.shown  # a text column: keep the text the clerk sees
    if title_text == "本期完成值":
        row.value_text = raw.shown if isinstance(raw, PercentCell) else as_text(raw)
        reading = _reading(raw, target_unit)
        if reading.error:
            check.add(VALUE_NOT_NUMBER, f"「本期完成值」填的是「{row.value_text[:40]}」，不是数字：请只填数字，文字说明写在「进展情况」中。", cell=place)
        else:
            row.value = reading.value
            if reading.note:
                check.add(VALUE_READ_AS, f"「本期完成值」{reading.note}：如不对请改成数字重报。", cell=place)
    elif title_text == "完成进度(%)":
        reading = _reading(raw, "%")
        if reading.error:
            check.add(PERCENT_NOT_NUMBER, f"「完成进度(%)」填的是「{as_text(raw)[:40]}」，不是数字：请填 0 到 100 之间的数字。", cell=place)
        elif reading.value is None:  # 无, —: nothing to report, as if left blank
            check.add(VALUE_READ_AS, f"「完成进度(%)」{reading.note}：如有进度请填 0 到 100 之间的数字。", cell=place)
        elif not 0 <= reading.value <= 100:
            check.add(PERCENT_RANGE, f"「完成进度(%)」是 {format(reading.value, '.12g')}，不在 0 到 100 之间：请填 0 到 100 之间的数字。", cell=place)
        else:
            row.percent = reading.value
            if reading.note:
                check.add(VALUE_READ_AS, f"「完成进度(%)」{reading.note}：如不对请改成数字重报。", cell=place)
    elif title_text == "状态":
        status = as_text(raw)
        if status in STATUSES:
            row.status = status
        else:
            check.add(STATUS_INVALID, f"「状态」填的是「{status[:20]}」，应为 {'、'.join(STATUSES)} 之一：请从下拉列表中选择。", cell=place)
    elif title_text == "申请新完成时限":
        day = request_date(raw)
        if day is None:
            check.add(REQUEST_DATE_INVALID, f"「申请新完成时限」填的是「{as_text(raw)[:20]}」，不是日期：延期申请未受理；"
                                            "确需延期请填日期（如 2025-09-30）并写明理由后重报。", cell=place)
        else:
            row.requested_deadline = day
    else:
        # Kept exactly as typed (a leading = stays text): outputs write it as text.
        setattr(row, layout.INPUT_FIELDS[title_text], raw if isinstance(raw, str) else as_text(raw))


_DATE_TEXT = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def request_date(raw: object) -> date | None:
    """申请新完成时限 as the clerk meant it: a date cell, or a date typed as text (2025-09-30, 2025/9/30, 2025年9月30日)."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    found = _DATE_TEXT.match(as_text(raw).translate(_FULL_WIDTH_DIGITS)) if isinstance(raw, str) else None
    if found is None:
        return None
    try:
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:  # 2025-02-30
        return None


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９／－．", "0123456789/-.")


def _check_request(check: Checker, row: ReturnRow, excel_row: int, columns: dict[str, int]) -> None:
    """A request needs both a date and a reason; one without the other is not taken (a problem on the empty cell)."""
    if not all(t in columns for t in layout.REQUEST_COLUMNS):
        return
    date_place = cell_name(excel_row, columns["申请新完成时限"])
    if any(p.cell == date_place and p.code == REQUEST_DATE_INVALID for p in check.problems):
        row.request_reason = ""
        return
    has_date, has_reason = row.requested_deadline is not None, bool(row.request_reason.strip())
    if has_date == has_reason:
        return
    empty = "申请理由" if has_date else "申请新完成时限"
    check.add(REQUEST_INCOMPLETE, f"延期申请缺少「{empty}」：申请未受理；确需延期请两项都填后重报。",
              cell=cell_name(excel_row, columns[empty]))
    row.requested_deadline, row.request_reason = None, ""


def _check_locked(check: Checker, sheet: Sheet, columns: dict[str, int], found: dict[str, int],
                  expected: list[str], ident: dict[str, str], sent: SentCopies | None, key: bytes | None = None) -> None:
    """Compare the locked cells with the identity hash; on a mismatch say which cells changed.

    In a workspace that keys its hashes, a plain hash we never issued, or a
    keyed one where we hold no key, is a forged identity sheet.
    """
    rows = [[sheet.value(found[k], columns[t]) for t in layout.LOCKED_COLUMNS] for k in expected]
    written = ident.get(layout.ID_HASH, "")
    keyed = written.startswith(layout.KEYED_PREFIX)
    issued_to = sent.issued_to(written) if sent is not None else None
    claimed = (ident.get(layout.ID_UNIT, ""), ident.get(layout.ID_PERIOD, ""))
    if (keyed and key is None) or (not keyed and key is not None and issued_to is None) or (issued_to not in (None, claimed)):
        check.add(IDENTITY_FORGED, "隐藏识别表 pyxl_id 的校验值不是本室下发时写入的（识别表被伪造或从别的表复制改动）："
                                   "报表未采用，请对方在本期下发的原表上填写后重发。")
        return
    digest = layout.locked_hash(ident.get(layout.ID_UNIT, ""), ident.get(layout.ID_PERIOD, ""), rows, key if keyed else None)
    if hmac.compare_digest(digest, written):
        return
    original = sent.locked(ident.get(layout.ID_HASH, "")) if sent is not None else None
    if original is None:
        check.add(LOCKED_CHANGED, "锁定栏（任务内容、本单位职责、指标、目标值、完成时限）的内容与下发时不同：请恢复原文，意见写在「存在问题」中。")
        return
    changed = False
    for key, values in zip(expected, rows):
        before = original.get(key)
        if before is None:
            continue
        for title_text, now_value, then_value in zip(layout.LOCKED_COLUMNS, values, before):
            if layout.cell_text(now_value) != then_value:
                changed = True
                place = cell_name(found[key], columns[title_text])
                check.add(LOCKED_CHANGED, f"锁定的「{title_text}」被改成「{layout.cell_text(now_value)[:30]}」，下发时是「{then_value[:30]}」：请恢复原文，意见写在「存在问题」中。", cell=place)
    if not changed:
        check.add(LOCKED_CHANGED, "锁定栏的内容与下发时不同：请恢复原文，意见写在「存在问题」中。")


def _check_sender(check: Checker, unit: str, sender: str, source: str, lookup: _Lookup) -> None:
    """A return sent from another unit's address (error), or whose file name names another unit (warning)."""
    owners = lookup.owners.get(sender.lower(), []) if sender else []
    if owners and unit not in owners:
        check.add(SENT_BY_OTHER, f"这是「{unit}」的报表，却由「{owners[0]}」的邮箱 {sender} 发来：请与该单位核实后，由「{unit}」重新报送。", sheet=None)
    name = normalise_name(PurePosixPath(source.rsplit("!", 1)[-1]).stem)
    named = next((owner for spelled, owner in lookup.spellings if spelled in name), None)  # the longest name wins
    if named is not None and named != unit:
        check.add(NAMED_OTHER, f"文件名「{PurePosixPath(source).name}」写的是「{named}」，内容是「{unit}」的报表：以内容为准，请核对是否发错。", sheet=None)


# ---------------------------------------------------------------- the problem list


PROBLEMS_CSV = "回收问题_{period}.csv"


# ---------------------------------------------------------------- collecting a batch


@dataclass
class Collected:
    """What one collect run did."""

    returns: list[UnitReturn]  # the returns read in this run (new files only)
    problems: list[Problem]  # every problem of this run, files that could not be read included
    entries: list[LedgerEntry]  # ledger lines appended
    duplicates: int = 0  # files already collected before (not recorded again)
    ledger: Path | None = None
    earlier: int = 0  # files collected into another period before (last month's mail left in the inbox)
    replies: list = field(default_factory=list)  # replies to 督办单 read in this run (pyxl.returns.replies)


READING_MARK = ".pyxl-reading"  # in returns/<period>/: the file being read, should the process die on it


def collect(
    paths: list[Path],
    *,
    returns_dir: Path,
    workspace: Path,
    period: str,
    duty: DutyTable | None,
    directory: UnitDirectory,
    now: datetime,
    sent_dir: Path | None = None,
    extra: Sequence[Item] = (),
    log_bug: Callable[[str], Path] | None = None,
) -> Collected:
    """Archive every given file as received, read the returns among them, append to the ledger.

    `extra` are items received another way (the mailbox: pyxl.returns.mailbox),
    collected after the files exactly as if they had been files.

    A file already in the ledger (same SHA-256) is skipped, so collecting the
    same inbox twice changes nothing. A newer return of a unit supersedes its
    older one (by received time); a return for another period or of an
    unknown unit never supersedes anything.

    One file never stops the rest: whatever goes wrong inside it (a bug
    included, logged through `log_bug(context)`, which returns the log's
    path) becomes a problem and a `rejected` ledger line. A file the
    previous run died reading (its mark is still there) is not read again.
    """
    workspace = Path(workspace)
    returns_dir = Path(returns_dir)

    root = workspace.resolve()  # once: resolving walks every folder of the path

    def relative(path: Path) -> str:
        path = Path(path)
        try:  # the parent resolved, never the file itself: a link is shown where it lies
            return (path.parent.resolve() / path.name).relative_to(root).as_posix()
        except ValueError:
            return str(path)

    ledger = read_ledger(returns_dir)
    known = latest_states(ledger)
    elsewhere = collected_in_other_periods(returns_dir)
    sent = SentCopies(sent_dir)
    mark = _ReadingMark(returns_dir / READING_MARK)
    died_on = _read_mark(mark.path)
    sent_at = first_sent(sent_dir, period)
    secret = layout.workspace_key(workspace)
    kept = parsed.ParsedCache(returns_dir)  # each return parsed once, here: later reads of the archive reuse it
    new: list[LedgerEntry] = []
    returns: list[UnitReturn] = []
    answered: list[replies.NoticeReply] = []
    problems: list[Problem] = []
    duplicates = earlier = 0
    # 佐证材料: the other files of one e-mail or zip wait until its return (whichever order they came in) names the unit
    lookup = _lookup(directory)
    held: list[tuple[Item, str]] = []
    root_units: dict[str, set[str]] = {}
    root_return: dict[str, str] = {}
    indexed: list[evidence.EvidenceFile] = []

    def archive_other(item: Item, digest: str) -> None:
        """A file not a spreadsheet: a unit's evidence when its e-mail or zip says whose, else archived and skipped as before."""
        nonlocal duplicates
        if digest in known:  # the same photo twice in one mail: stored and indexed once
            duplicates += 1
            return
        origin = item.source.split("!", 1)[0]
        # whose: the unit whose return came in the same e-mail or zip, else the one unit the sender's address belongs to
        units = root_units.get(origin) or (set(lookup.owners.get(item.sender.lower(), [])) if item.sender else set())
        refused = evidence.refusal(item.name, item.data)
        skipped = [p for p in item.problems if p.code == "file-skipped"]
        if refused is None and len(units) == 1 and item.parent is not None and evidence.is_evidence_type(item.name):
            unit = next(iter(units))
            item.problems = [p for p in item.problems if p not in skipped]
            archived = relative(evidence.store_evidence(returns_dir, unit, digest, item.name, item.data))
            stamp = (item.received or now).isoformat(sep=" ", timespec="seconds")
            indexed.append(evidence.EvidenceFile(archived, item.name, len(item.data), digest, stamp, unit, period,
                                                 root_return.get(origin, ""), item.source, item.sender))
            entry = LedgerEntry(archived, item.source, unit, period, stamp, digest, "evidence", len(item.problems), item.sender)
        else:
            if refused is not None:
                item.problems = [p for p in item.problems if p not in skipped] + [problem(
                    evidence.EVIDENCE_REFUSED, f"「{item.name}」{refused}：未打开、不作为佐证材料，已原样隔离存档；请对方只发送照片、PDF、Word 等文件。",
                    file=item.source)]
            archived = relative(store(returns_dir, digest, item.name, item.data))
            stamp = (item.received or now).isoformat(sep=" ", timespec="seconds")
            entry = LedgerEntry(archived, item.source, None, None, stamp, digest, "rejected", len(item.problems), item.sender)
        problems.extend(item.problems)
        known[digest] = entry
        new.append(entry)

    def release() -> None:
        for waiting, digest in held:
            archive_other(waiting, digest)
        held.clear()

    for item in itertools.chain(gather(paths, relative), extra):
        if held and item.source.split("!", 1)[0] != held[0][0].source.split("!", 1)[0]:
            release()  # the e-mail or zip they came in is done
        if item.kind in ("missing", "skipped"):
            problems.extend(item.problems)
            continue
        digest = sha256_file(item.path) if item.path is not None else hashlib.sha256(item.data).hexdigest()
        if digest in elsewhere and digest not in known:
            earlier += 1  # recorded, with its problems, when that period was collected
            continue
        if item.kind == "other" and item.path is None:
            if digest in known:
                problems.extend(p for p in item.problems if p.code != "file-skipped")
                duplicates += 1
                continue
            held.append((item, digest))
            continue
        problems.extend(item.problems)
        if digest in known:
            duplicates += 1
            if known[digest].unit and item.kind == "sheet":  # the same return again, now with its evidence
                root_units.setdefault(item.source.split("!", 1)[0], set()).add(known[digest].unit)
            continue
        if item.path is not None:
            archived = relative(store_file(returns_dir, digest, item.name, item.path))
            item.problems.append(problem(FILE_TOO_LARGE, f"「{item.name}」有 {item.path.stat().st_size // (1 << 20)} MB，远大于填报表：已原样归档，未读取。请对方发送填报表本身。", file=item.source))
            problems.extend(item.problems)
            item.kind = "other"
        else:
            archived = relative(store(returns_dir, digest, item.name, item.data))
        received = item.received or now
        stamp = received.isoformat(sep=" ", timespec="seconds")
        entry = LedgerEntry(archived, item.source, None, None, stamp, digest, "container", len(item.problems), item.sender)
        if item.kind == "sheet":
            if digest in died_on:
                found = [problem(FILE_CRASHED, f"上次收取时读取「{item.name}」中途中断（程序意外退出），为免再次中断不再读取：已原样归档，请对方用 Excel 或 WPS 另存后重发。", file=item.source)]
                problems.extend(found)
                entry = replace(entry, status="rejected", problem_count=len(found))
            else:
                mark.note(digest, item.source)
                try:
                    book = read_book(item.data)
                    kept.put(digest, book)
                    if replies.is_reply(book):  # a 督办回执, never a monthly return: recorded under its 督办单's period
                        reply = replies.read_reply(book, file=archived, source=item.source, sha256=digest,
                                                   received=datetime.fromisoformat(stamp), directory=directory, secret=secret)
                        replies.check_sender(reply, item.sender, directory)
                        answered.append(reply)
                        problems.extend(reply.problems)
                        entry = replace(entry, unit=reply.unit, period=reply.period, problem_count=len(reply.problems),
                                        status=replies.STATUS_ACCEPTED if reply.accepted else replies.STATUS_REJECTED)
                        known[digest] = entry
                        new.append(entry)
                        continue
                    # received as the ledger keeps it (to the second), so this return equals read_archive's
                    unit_return = read_return(item.data, file=archived, source=item.source, sha256=digest,
                                              received=datetime.fromisoformat(stamp), period=period, duty=duty,
                                              directory=directory, sender=item.sender, sent=sent, secret=secret, book=book)
                except Exception:  # a bug met in this one file: recorded, and the rest of the inbox proceeds
                    where = log_bug(f"collect {item.source}") if log_bug is not None else None
                    found = [problem(FILE_CRASHED, f"读取「{item.name}」时程序出错，已原样归档、跳过该文件"
                                     + (f"，详情见日志 {where}" if where else "") + "：请把日志发给维护人员，并请对方另存后重发。",
                                     file=item.source)]
                    problems.extend(found)
                    entry = replace(entry, status="rejected", problem_count=len(found))
                else:
                    doubted = _doubt(item, unit_return, directory, now, sent_at)
                    if unit_return.unit:
                        origin = item.source.split("!", 1)[0]  # the e-mail or zip it came in
                        root_units.setdefault(origin, set()).add(unit_return.unit)
                        root_return.setdefault(origin, archived)
                    returns.append(unit_return)
                    problems.extend(unit_return.problems)
                    status = "accepted" if unit_return.accepted else "rejected"
                    entry = replace(entry, unit=unit_return.unit, period=unit_return.period,
                                    status="pending" if doubted else status, problem_count=len(unit_return.problems))
        elif item.kind == "other":
            entry = replace(entry, status="rejected")
        known[digest] = entry
        new.append(entry)
    release()
    kept.save()
    evidence.append_index(returns_dir, indexed)
    if indexed or any(row.evidence for item in returns for row in item.rows):
        files = evidence.read_index(returns_dir)
        for i, item in enumerate(returns):
            checked = evidence.with_evidence(item, [f for f in files if f.unit == item.unit])
            problems.extend(p for p in checked.problems if p.code == evidence.EVIDENCE_MISSING)
            returns[i] = checked
    appended = _supersede(ledger, new, period)
    ledger_path = append_ledger(returns_dir, appended) if appended or not ledger else None
    mark.remove()
    return Collected(returns, problems, appended, duplicates, ledger_path, earlier, answered)


# A sender's clock may run a little fast; more than this ahead of ours is a date in the future.
CLOCK_SLACK = timedelta(hours=1)


def _doubt(item, unit_return: UnitReturn, directory: UnitDirectory, now: datetime, sent_at: dict[str, datetime]) -> bool:
    """Whether a mailed return must wait for the office (待确认): an unverified sender or an impossible date.

    Adds the warning that says why to the return's problems. Only a return of
    this period of a known unit can displace anything, so only those wait.
    """
    unit = unit_return.unit
    if not unit or not unit_return.period:
        return False
    doubted = False
    add = functools.partial(problem, file=unit_return.source, unit=unit)
    if item.sender:
        known = directory.unit(unit)
        addresses = {address.lower() for address in (known.emails if known else [])}
        if any(p.code == SENT_BY_OTHER for p in unit_return.problems):
            doubted = True
        elif addresses and item.sender.lower() not in addresses:
            unit_return.problems.append(add(SENDER_UNVERIFIED, f"「{unit}」的报表从 {item.sender} 发来，这不是该单位登记的邮箱"
                                                                 f"（{'、'.join(sorted(addresses))}）：已标为待确认，核实后请运行 pyxl confirm --unit {unit}。"))
            doubted = True
    if item.dated is not None and item.dated > now + CLOCK_SLACK:
        unit_return.problems.append(add(DATE_DOUBTFUL, f"邮件日期是 {item.dated:%Y-%m-%d %H:%M}，在收取时间 {now:%Y-%m-%d %H:%M} 之后（在未来）："
                                                       f"已标为待确认，核实后请运行 pyxl confirm --unit {unit}。"))
        doubted = True
    first = sent_at.get(unit)
    arrived = item.received or now
    if first is not None and item.sender and arrived < first:
        unit_return.problems.append(add(DATE_DOUBTFUL, f"邮件的收到时间 {arrived:%Y-%m-%d %H:%M} 早于本期填报表发给该单位的时间 {first:%Y-%m-%d %H:%M}："
                                                       f"已标为待确认，核实后请运行 pyxl confirm --unit {unit}。"))
        doubted = True
    return doubted


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
    appended = _supersede(ledger, lines, period)
    if appended:
        append_ledger(returns_dir, appended)
    return appended


def _read_mark(mark: Path) -> set[str]:
    """The SHA-256 the previous run was reading when it died (empty when it finished)."""
    try:
        return {mark.read_text(encoding="utf-8").split("\t", 1)[0].strip()} - {""}
    except (OSError, UnicodeDecodeError):
        return set()


class _ReadingMark:
    """The file being read, noted before reading it: one file kept open and rewritten in place.

    Replacing the mark by rename for every file (an atomic write) cost more
    than reading the file. The mark is only ever read by the next run, after
    this process has ended or died: a write that returned is in the file by then.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = None

    def note(self, digest: str, source: str) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "wb")  # noqa: SIM115 (open for the whole run)
        data = f"{digest}\t{source}\n".encode("utf-8")
        self._handle.seek(0)
        self._handle.write(data)
        self._handle.truncate(len(data))
        self._handle.flush()

    def remove(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self.path.exists():
            self.path.unlink()


def _supersede(ledger: list[LedgerEntry], new: list[LedgerEntry], period: str) -> list[LedgerEntry]:
    """New lines, with a `superseded` line for every return that is no longer its unit's current one."""
    current = {e.sha256 for e in current_by_unit(ledger + new, period).values()}

    def outrun(entry: LedgerEntry) -> bool:
        return is_unit_return(entry, period) and entry.sha256 not in current

    lines = [replace(entry, status="superseded") for entry in latest_states(ledger).values() if outrun(entry)]
    lines += [replace(entry, status="superseded") if outrun(entry) else entry for entry in new]
    return lines


def read_archive(
    returns_dir: Path,
    workspace: Path,
    duty: DutyTable | None,
    directory: UnitDirectory,
    sent_dir: Path | None = None,
    reuse: dict[str, UnitReturn] | None = None,
) -> list[UnitReturn]:
    """The current return of each unit for the period of `returns_dir`, re-read from the archived original.

    Accepted or rejected, latest received and not superseded; re-validated
    here, so the answer depends only on the archive, the duty table and the
    directory. Units in directory order, then any others by name. The
    original's cells come from its parsed form when collect kept one
    (`pyxl.returns.parsed`); `reuse` (SHA-256 → UnitReturn) holds returns
    just read from the same originals with the same duty table and directory.
    """
    returns_dir = Path(returns_dir)
    period = returns_dir.name
    current = current_by_unit(read_ledger(returns_dir), period)
    order = {u.name: i for i, u in enumerate(directory.units)}
    sent = SentCopies(sent_dir)
    secret = layout.workspace_key(workspace)
    kept = parsed.ParsedCache(returns_dir)
    results = []
    for unit in sorted(current, key=lambda name: (order.get(name, len(order)), name)):
        entry = current[unit]
        if reuse and entry.sha256 in reuse:
            results.append(reuse[entry.sha256])
            continue
        path = Path(workspace) / entry.file
        book = kept.book(entry.sha256, lambda path=path: path.read_bytes() if path.exists() else b"")
        results.append(
            read_return(b"", file=entry.file, source=entry.source, sha256=entry.sha256,
                        received=datetime.fromisoformat(entry.received), period=period, duty=duty,
                        directory=directory, sent=sent, secret=secret, book=book,
                        sender="" if entry.status == "confirmed" else entry.sender)  # confirmed: the office vouched
        )
    kept.save()  # originals archived before the parsed forms were kept
    files = evidence.read_index(returns_dir)
    checked = [evidence.with_evidence(item, [f for f in files if f.unit == item.unit]) for item in results]
    return sendback.mark(checked, sendback.read_records(returns_dir))  # 退回重报 until a newer return arrives

