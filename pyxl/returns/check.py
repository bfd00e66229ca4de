"""Check: recognise and validate one returned workbook (`read_return`).

A return is recognised by its content (the hidden identity sheet of
`pyxl.distribution.layout`), never by its file name; when the identity sheet is gone (a
clerk copied the rows into a new file) the visible title, the unit line in A2
and the rows' 序号 are used instead, with a warning. Every check yields
Problem values; a return with an error is archived and reported but its
values are not used, one with only warnings is used.

Who sent it. A return sent from another unit's registered address is an
error; one from an address not its unit's is doubted by `pyxl.returns.collect`
(待确认, until `pyxl.returns.confirm`). A file name that names another unit
only is a warning: clerks rename files, and the content decides. The identity
hash is keyed with the workspace's secret, so a forged identity sheet is told
apart from a tampered one (`pyxl.returns.sent` says whom each hash went to).

Nothing here writes; nothing is read without limits (`pyxl.common.spreadsheets`).
"""

from __future__ import annotations

import hmac
import operator
import re
from dataclasses import replace
from datetime import datetime
from pathlib import PurePosixPath

from pyxl.common.model import DutyTable, ReturnRow, UnitDirectory, UnitReturn, split_row_key
from pyxl.common.problems import has_errors
from pyxl.common.spreadsheets import Book, Sheet, Unreadable, as_text, cell_name, column_letters, is_blank, read_book
from pyxl.common.units import UnitIndex, normalise_name
from pyxl.common.values import looks_like_formula
from pyxl.distribution import layout
from pyxl.returns.cells import PercentCell, check_request, read_input
from pyxl.returns.codes import (
    COLUMN_MISSING,
    COLUMN_MOVED,
    FORMULA_NO_VALUE,
    FORMULA_TEXT,
    IDENTITY_FORGED,
    IDENTITY_MISSING,
    LOCKED_CHANGED,
    NAMED_OTHER,
    PERIOD_MISMATCH,
    RETURN_EMPTY,
    ROW_DELETED,
    ROW_INSERTED,
    ROW_REORDERED,
    SENT_BY_OTHER,
    SHEET_RENAMED,
    TABLE_NOT_FOUND,
    TASK_UNKNOWN,
    TEMPLATE_VERSION,
    UNIT_UNKNOWN,
    UNIT_UNRECOGNISED,
    Checker,
)
from pyxl.returns.identity import find_header, header_hint, read_identity
from pyxl.returns.sent import SentCopies

# （2025年6月） in the title; sheets sent by earlier versions wrote （2025-06）
_PERIOD_IN_TITLE = re.compile(r"[（(]\s*(\d{4})\s*(?:-|年)\s*(\d{1,2})\s*月?\s*[)）]")
_COLUMN_OF = {title: i for i, title in enumerate(layout.COLUMNS)}


def _footer(sheet: Sheet, after: int) -> tuple[int | None, dict[str, str]]:
    """First footer row below the header and the values typed right of each label."""
    first, values = None, {}
    for r in range(after + 1, len(sheet.rows) + 1):
        row = sheet.rows[r - 1]
        # a label cell holds the label: a row whose text holds none of them has none (most rows: the tasks)
        text = "\x00".join([value for value in row if isinstance(value, str)])
        for label in layout.FOOTER_LABELS:  # a loop, not any() over a generator: asked of every row
            if label in text:
                break
        else:
            continue
        for c, value in enumerate(row, start=1):
            if not isinstance(value, str) or not value:
                continue
            label = value.strip().rstrip("：:")
            if label in layout.FOOTER_LABELS and label not in values:
                first = first or r
                values[label] = as_text(sheet.value(r, c + 1))
    return first, values


class UnitLookup:
    """The directory's spellings and addresses (built once per directory by `unit_lookup`, not once per return)."""

    def __init__(self, directory: UnitDirectory) -> None:
        self.index = UnitIndex(directory)
        self.owners: dict[str, list[str]] = {}
        for unit in directory.units:
            for address in unit.emails:
                self.owners.setdefault(address.lower(), []).append(unit.name)
        spellings = sorted(
            ((normalise_name(s), u.name) for u in directory.units for s in (u.name, *u.aliases) if len(normalise_name(s)) >= 3),
            key=lambda pair: -len(pair[0]),
        )
        # each spelling under its first three characters, with its place in the longest-first order
        self._by_start: dict[str, list[tuple[int, str, str]]] = {}
        for rank, (spelled, unit) in enumerate(spellings):
            self._by_start.setdefault(spelled[:3], []).append((rank, spelled, unit))

    def named_in(self, text: str) -> str | None:
        """The unit whose longest spelling (of three characters or more) `text` holds; the directory's first on a tie.

        Looked up at each place in `text` by the three characters there, not
        by trying every spelling of a 500-unit directory on every return.
        """
        best: tuple[int, str] | None = None
        for start in range(len(text) - 2):
            for rank, spelled, unit in self._by_start.get(text[start:start + 3], ()):
                if (best is None or rank < best[0]) and text.startswith(spelled, start):
                    best = (rank, unit)
        return best[1] if best is not None else None


_LAST_LOOKUP: list[tuple[UnitDirectory, UnitLookup]] = []


def unit_lookup(directory: UnitDirectory) -> UnitLookup:
    # A run uses one directory: keep its lookup, found by identity. (An lru_cache
    # hashed the whole directory on every return: 500 units, 500 hashes each time.)
    if not _LAST_LOOKUP or _LAST_LOOKUP[0][0] is not directory:
        _LAST_LOOKUP[:] = [(directory, UnitLookup(directory))]
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
    lookup = unit_lookup(directory)
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
        key = layout.cell_text(cells[key_column - 1] if key_column <= len(cells) else "")
        if key and key not in found and (expected is None or key in expected_set):
            found[key] = r  # nearly every row: a row with its 序号 is never blank, so not looked at cell by cell
            continue
        if not key and all(is_blank(v) for v in cells):
            continue
        place = cell_name(r, key_column)
        if not key:
            check.add(ROW_INSERTED, f"第 {r} 行没有序号，是下发表中没有的行：请删除该行，内容写在对应任务的「进展情况」中。", cell=place)
        elif key in found:
            check.add(ROW_INSERTED, f"序号「{key}」重复出现（第 {found[key]} 行和第 {r} 行）：请删除重复的行。", cell=place)
        else:
            check.add(ROW_INSERTED, f"序号「{key}」不是下发给本单位的行：请删除该行，或核对序号是否被改动。", cell=place)
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
    # each input column with its letters, so a cell's name is made without a call per cell
    inputs = [(title_text, column, column_letters(column))
              for title_text in layout.INPUT_COLUMNS if (column := columns.get(title_text)) is not None]
    for key, r in found.items():
        task_number, target_index = split_row_key(key, task_numbers)
        if duty is not None and not _in_duty(duty, task_number, target_index):
            check.add(TASK_UNKNOWN, f"序号「{key}」在分工表中找不到：请用本期下发的表重新填报。", cell=cell_name(r, key_column))
        row = ReturnRow(key=key, task_number=task_number, target_index=target_index, cell_row=r)
        cells = sheet.rows[r - 1]
        for title_text, column, letters in inputs:
            raw = cells[column - 1] if column <= len(cells) else ""
            blank = raw is None or (isinstance(raw, str) and not raw.strip())  # is_blank, once per cell
            if blank and not formula_cells:  # the cell's name is made only when it may be reported
                continue
            place = f"{letters}{r}"
            if place in formula_cells:
                check.add(FORMULA_NO_VALUE, f"单元格是公式 {formula_cells[place]}，但没有保存计算结果：请在 Excel/WPS 中重新计算并保存，或直接填数值。", cell=place)
                any_input = True
                continue
            if blank:
                continue
            any_input = True
            if isinstance(raw, str) and looks_like_formula(raw) and title_text not in ("本期完成值", "完成进度(%)"):
                check.add(FORMULA_TEXT, f"「{title_text}」的内容「{raw.strip()[:40]}」形如公式，只按文字保存、不会执行：请核对内容。", cell=place)
            if place in sheet.percent_cells and isinstance(raw, (int, float)) and not isinstance(raw, bool):
                # Excel stores "60%" typed by the clerk as 0.6 shown as 60%: read what they see
                raw = PercentCell(raw)
            read_input(check, row, title_text, raw, place, target_units.get(key, ""))
        check_request(check, row, r, columns)
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


def _check_locked(check: Checker, sheet: Sheet, columns: dict[str, int], found: dict[str, int],
                  expected: list[str], ident: dict[str, str], sent: SentCopies | None, key: bytes | None = None) -> None:
    """Compare the locked cells with the identity hash; on a mismatch say which cells changed.

    In a workspace that keys its hashes, a plain hash we never issued, or a
    keyed one where we hold no key, is a forged identity sheet.
    """
    locked = [columns[t] - 1 for t in layout.LOCKED_COLUMNS]
    # the locked cells of a row that reaches past them, taken at once (itemgetter of two or more gives a tuple)
    take, beyond = (operator.itemgetter(*locked), max(locked)) if len(locked) > 1 else (None, 0)
    rows = []
    for k in expected:  # row by row: the locked cells of the row, '' beyond the row's last cell
        cells = sheet.rows[found[k] - 1]
        rows.append(take(cells) if take is not None and beyond < len(cells)
                    else [cells[c] if c < len(cells) else "" for c in locked])
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


def _check_sender(check: Checker, unit: str, sender: str, source: str, lookup: UnitLookup) -> None:
    """A return sent from another unit's address (error), or whose file name names another unit (warning)."""
    owners = lookup.owners.get(sender.lower(), []) if sender else []
    if owners and unit not in owners:
        check.add(SENT_BY_OTHER, f"这是「{unit}」的报表，却由「{owners[0]}」的邮箱 {sender} 发来：请与该单位核实后，由「{unit}」重新报送。", sheet=None)
    name = normalise_name(PurePosixPath(source.rsplit("!", 1)[-1]).stem)
    named = lookup.named_in(name)
    if named is not None and named != unit:
        check.add(NAMED_OTHER, f"文件名「{PurePosixPath(source).name}」写的是「{named}」，内容是「{unit}」的报表：以内容为准，请核对是否发错。", sheet=None)
