"""Collect: archive a batch of received files, read the returns among them, append to the ledger.

A return is recognised and validated by `pyxl.returns.check`; here a batch
is gathered (`pyxl.returns.intake`), each file archived untouched
(`pyxl.returns.archive`), each spreadsheet read once (its parsed form kept,
`pyxl.returns.parsed`), a 督办回执 told from a monthly return
(`pyxl.returns.replies`), the other files of a return's e-mail or zip kept
as its 佐证材料 (`pyxl.returns.evidence`), and the ledger appended.

Who sent it, and when. A mailed return whose sender is not one of the unit's
registered addresses (another unit's is an error besides), whose Date lies in
the future, or which arrived before the unit's sheet was sent, is archived as
待确认 (`pending`): it never displaces an accepted return until the office
confirms it (`pyxl.returns.confirm`). The received time is our server's
Received stamp, not the sender's Date. A file handed over as a file says
nothing of when it came: the office may state it (`received_at`), else its
modification time is taken when that can be true, else the time of collecting.

One file never stops the rest, and nothing is read without limits (see
`pyxl.common.spreadsheets` and `pyxl.returns.intake`). `read_archive` reads the
units' current returns again from the archive.

Nothing here writes except `collect`, which stores files through
`pyxl.returns.archive` and never touches what it was given.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Sequence

from pyxl.common.files import sha256_file
from pyxl.common.model import DutyTable, LedgerEntry, UnitDirectory, UnitReturn
from pyxl.common.problems import Problem, problem
from pyxl.common.spreadsheets import read_book
from pyxl.distribution import layout
from pyxl.returns import evidence, parsed, replies, sendback
from pyxl.returns.archive import (
    append_ledger,
    collected_in_other_periods,
    current_by_unit,
    latest_states,
    read_ledger,
    store,
    store_file,
    supersede,
)
from pyxl.returns.check import read_return, unit_lookup
from pyxl.returns.codes import DATE_DOUBTFUL, FILE_CRASHED, FILE_TOO_LARGE, SENDER_UNVERIFIED, SENT_BY_OTHER
from pyxl.returns.intake import Item, gather
from pyxl.returns.reading_mark import READING_MARK, ReadingMark, read_mark
from pyxl.returns.sent import SentCopies, first_sent

PROBLEMS_CSV = "回收问题_{period}.csv"


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
    # returns handed over as files (no e-mail says when they came): how their received time was found,
    # "stated" (received_at), "file" (modification time) or "now", with the times
    loose: dict[str, list[datetime]] = field(default_factory=dict)
    # each return read in this run as read_archive would validate it (validation_key → the return before
    # its 待确认 warnings and evidence are added): read_archive takes these rather than validating again
    validated: dict[tuple, UnitReturn] = field(default_factory=dict)


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
    received_at: datetime | None = None,
) -> Collected:
    """Archive every given file as received, read the returns among them, append to the ledger.

    `extra` are items received another way (the mailbox: pyxl.returns.mailbox),
    collected after the files exactly as if they had been files.

    When each item was received: an e-mail's own record of its arrival;
    for a file given as a file, `received_at` when the office states it,
    else the file's modification time if that can be true (not after
    `now`, not before this period's sheets went out), else `now`.

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
    # each folder resolved once per run (an inbox's 500 files share one), and kept as text: a Path made,
    # split and joined for each file was 40 us of every return
    folders: dict[str, str | None] = {}

    def relative(path: Path) -> str:
        parent, name = os.path.split(os.fspath(path))
        if parent not in folders:
            try:
                folders[parent] = Path(parent).resolve().relative_to(root).as_posix()
            except ValueError:
                folders[parent] = None
        inside = folders[parent]  # the parent resolved, never the file itself: a link is shown where it lies
        if inside is None:
            return str(Path(path))
        return name if inside == "." else f"{inside}/{name}"

    ledger = read_ledger(returns_dir)
    known = latest_states(ledger)
    elsewhere = collected_in_other_periods(returns_dir)
    sent = SentCopies(sent_dir)
    mark = ReadingMark(returns_dir / READING_MARK)
    died_on = read_mark(mark.path)
    sent_at = first_sent(sent_dir, period)
    first_out = min(sent_at.values(), default=None)

    def received_time(item: Item) -> tuple[datetime, str]:
        if item.received is not None:
            return item.received, "mail"
        if received_at is not None:
            return received_at, "stated"
        modified = item.modified
        if modified is not None and modified <= now and (first_out is None or modified >= first_out):
            return modified, "file"
        return now, "now"

    secret = layout.workspace_key(workspace)
    kept = parsed.ParsedCache(returns_dir, secret)  # each return parsed once, here: later reads of the archive reuse it
    new: list[LedgerEntry] = []
    returns: list[UnitReturn] = []
    validated: dict[tuple, UnitReturn] = {}
    answered: list[replies.NoticeReply] = []
    loose: dict[str, list[datetime]] = {}
    problems: list[Problem] = []
    duplicates = earlier = 0
    # 佐证材料: the other files of one e-mail or zip wait until its return (whichever order they came in) names the unit
    lookup = unit_lookup(directory)
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
            stamp = received_time(item)[0].isoformat(sep=" ", timespec="seconds")
            indexed.append(evidence.EvidenceFile(archived, item.name, len(item.data), digest, stamp, unit, period,
                                                 root_return.get(origin, ""), item.source, item.sender))
            entry = LedgerEntry(archived, item.source, unit, period, stamp, digest, "evidence", len(item.problems), item.sender)
        else:
            if refused is not None:
                item.problems = [p for p in item.problems if p not in skipped] + [problem(
                    evidence.EVIDENCE_REFUSED, f"「{item.name}」{refused}：未打开、不作为佐证材料，已原样隔离存档；请对方只发送照片、PDF、Word 等文件。",
                    file=item.source)]
            archived = relative(store(returns_dir, digest, item.name, item.data))
            stamp = received_time(item)[0].isoformat(sep=" ", timespec="seconds")
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
        received, how = received_time(item)
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
                    # as read_archive would validate its ledger line, before 待确认's warnings are added
                    validated[validation_key(entry)] = replace(unit_return, problems=list(unit_return.problems))
                    doubted = _doubt(item, unit_return, directory, now, sent_at)
                    if unit_return.unit:
                        origin = item.source.split("!", 1)[0]  # the e-mail or zip it came in
                        root_units.setdefault(origin, set()).add(unit_return.unit)
                        root_return.setdefault(origin, archived)
                    returns.append(unit_return)
                    if how != "mail":
                        loose.setdefault(how, []).append(received)
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
    appended = supersede(ledger, new, period)
    ledger_path = append_ledger(returns_dir, appended) if appended or not ledger else None
    mark.remove()
    return Collected(returns, problems, appended, duplicates, ledger_path, earlier, answered, loose, validated)


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


def validation_key(entry: LedgerEntry) -> tuple[str, str, str, str, str]:
    """What `read_return` is given for a ledger line beyond the period's own inputs: SHA-256, file, source, received, sender.

    A confirmed return is read without its sender: the office vouched for it.
    Two lines with one key validate alike as long as the duty table, the unit
    directory, the sent sheets, the workspace's key and pyxl are the same.
    """
    return entry.sha256, entry.file, entry.source, entry.received, "" if entry.status == "confirmed" else entry.sender


def read_archive(
    returns_dir: Path,
    workspace: Path,
    duty: DutyTable | None,
    directory: UnitDirectory,
    sent_dir: Path | None = None,
    validated: dict[tuple, UnitReturn] | None = None,
) -> list[UnitReturn]:
    """The current return of each unit for the period of `returns_dir`, re-read from the archived original.

    Accepted or rejected, latest received and not superseded; re-validated
    here, so the answer depends only on the archive, the duty table and the
    directory. Units in directory order, then any others by name. The
    original's cells come from its parsed form when collect kept one
    (`pyxl.returns.parsed`).

    `validated` (validation_key → the return exactly as read_return gave it,
    before its evidence and 退回 are marked) holds returns validated before
    with the same duty table, directory, sent sheets, key and pyxl: those are
    taken as they are. On return it holds the validations of the current
    returns only, taken or made here, for the caller to keep.
    """
    returns_dir = Path(returns_dir)
    period = returns_dir.name
    current = current_by_unit(read_ledger(returns_dir), period)
    order = {u.name: i for i, u in enumerate(directory.units)}
    sent = SentCopies(sent_dir)
    secret = layout.workspace_key(workspace)
    kept = parsed.ParsedCache(returns_dir, secret)
    given = dict(validated or {})
    results = []
    for unit in sorted(current, key=lambda name: (order.get(name, len(order)), name)):
        entry = current[unit]
        key = validation_key(entry)
        found = given.get(key)
        if found is None:
            path = Path(workspace) / entry.file
            book = kept.book(entry.sha256, lambda path=path: path.read_bytes() if path.exists() else b"")
            found = read_return(b"", file=entry.file, source=entry.source, sha256=entry.sha256,
                                received=datetime.fromisoformat(entry.received), period=period, duty=duty,
                                directory=directory, sent=sent, secret=secret, book=book, sender=key[4])
        results.append((key, found))
    kept.save()  # originals archived before the parsed forms were kept
    if validated is not None:
        validated.clear()
        validated.update(results)
    files = evidence.read_index(returns_dir)
    checked = [evidence.with_evidence(item, [f for f in files if f.unit == item.unit]) for _, item in results]
    return sendback.mark(checked, sendback.read_records(returns_dir))  # 退回重报 until a newer return arrives
