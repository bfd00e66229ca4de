"""Distribution by e-mail: each unit gets exactly its own sheet; reminders chase the missing ones.

The core takes plain inputs (the split manifest, the unit directory, the set
of accepted units and the problems of rejected ones) and an injected clock,
sleep and SMTP connector, so it runs against a real server in tests with no
delay and never reads the clock itself. Every attempt is written to the
period's send ledger right after the server answers; a re-run sends only
what has not gone out.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import smtplib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Callable, Iterable, Mapping

from openpyxl import load_workbook

from pyxl.common.config import Settings
from pyxl.common.errors import PyxlError
from pyxl.common.files import write_bytes_atomic
from pyxl.common.model import UnitDirectory
from pyxl.common.period import Period, chinese_date
from pyxl.common.problems import Problem
from pyxl.common.units import UnitIndex
from pyxl.distribution.layout import ID_UNIT, IDENTITY_SHEET, MANIFEST_COLUMNS, MANIFEST_NAME
from pyxl.mail.ledger import (
    KIND_REMIND,
    KIND_SEND,
    KIND_SEND_BACK,
    LEDGER_NAME,
    RESULT_BAD_ATTACHMENT,
    RESULT_FAILED,
    RESULT_NO_ADDRESS,
    RESULT_OK,
    RESULT_UNKNOWN,
    Ledger,
    LedgerLine,
)
from pyxl.mail.message import Attachment, MailTemplates, compose, envelope_sender, one_line, to_bytes
from pyxl.mail.smtp import MailStop, OutcomeUnknown, SmtpConnector, quit_quietly, reply_text, smtp_password, transmit

OUTBOX_FOLDER = "outbox"
# Each kind of mail has a subject and a body template: templates/mail/<prefix>_subject.txt.j2, <prefix>_body.txt.j2.
TEMPLATE_PREFIX = {KIND_SEND: "send", KIND_REMIND: "remind", KIND_SEND_BACK: "send_back"}
# Two dropped connections in a row: the server is gone or throttling us; stop and resume later.
MAX_DROPS_IN_A_ROW = 2

Progress = Callable[[int, int, str], None]
Clock = Callable[[], datetime]
Sleep = Callable[[float], None]


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class ManifestEntry:
    """One line of `分发/分发清单.csv`: a unit's workbook as split wrote it."""

    unit: str
    path: Path
    task_count: int
    indicator_count: int
    sha256: str


def read_manifest(folder: Path, period: object, root: Path | None = None) -> list[ManifestEntry]:
    """The split manifest in `folder`; missing means split has not run for this period."""
    path = Path(folder) / MANIFEST_NAME
    if not path.exists():
        raise PyxlError(f"找不到分发清单 {path}：请先运行 pyxl split --period {period} 生成各单位的填报表。")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and not set(MANIFEST_COLUMNS) <= set(rows[0]):
        raise PyxlError(f"分发清单 {path} 的列不对（应为 {'、'.join(MANIFEST_COLUMNS)}）：请重新运行 pyxl split --period {period}。")
    entries = []
    for row in rows:
        name = row["文件"].strip()
        candidate = Path(name)
        if not candidate.is_absolute():
            beside = Path(folder) / candidate
            candidate = beside if beside.exists() or root is None or not (root / candidate).exists() else root / candidate
        try:
            entries.append(
                ManifestEntry(row["单位"].strip(), candidate, int(row["任务数"] or 0), int(row["指标数"] or 0), row["SHA256"].strip().lower())
            )
        except ValueError:
            raise PyxlError(f"分发清单 {path} 中「{row['单位']}」一行的任务数或指标数不是整数：请重新运行 pyxl split --period {period}。") from None
    return entries


def templates_from(template_path: Callable[[str], Path]) -> MailTemplates:
    """The four mail templates, each found through the workspace (else the bundled default)."""
    names = [f"{prefix}_{part}" for prefix in TEMPLATE_PREFIX.values() for part in ("subject", "body")]
    return MailTemplates({name: template_path(f"mail/{name}.txt.j2") for name in names})


# ---------------------------------------------------------------- what to send


@dataclass(frozen=True)
class Outgoing:
    """One message to one unit (before the ledger says what already went out)."""

    kind: str  # 分发 / 催报
    round: str
    unit: str
    addresses: tuple[str, ...]
    subject: str
    body: str
    attachment: ManifestEntry | None
    draft_name: str


def _outgoing(
    kind: str,
    round_: str,
    entry: ManifestEntry,
    directory: UnitDirectory,
    templates: MailTemplates,
    values: Mapping[str, object],
    attach: bool,
) -> Outgoing:
    """The message of `kind` to `entry`'s unit: the templates of that kind rendered with `values` and the unit's own."""
    unit = directory.unit(entry.unit)
    values = {
        **values,
        "unit": entry.unit,
        "contact": unit.contact if unit else "",
        "task_count": entry.task_count,
        "indicator_count": entry.indicator_count,
        "attachment": entry.path.name,
    }
    prefix = TEMPLATE_PREFIX[kind]
    return Outgoing(
        kind=kind,
        round=round_,
        unit=entry.unit,
        addresses=tuple(unit.emails) if unit else (),
        subject=one_line(templates.render(f"{prefix}_subject", **values)),
        body=templates.render(f"{prefix}_body", **values),
        attachment=entry if attach else None,
        draft_name=f"{kind}_{entry.path.stem}.eml",
    )


def plan_distribution(
    entries: Iterable[ManifestEntry], directory: UnitDirectory, templates: MailTemplates, context: Mapping[str, object],
    answers: Mapping[str, list[str]] | None = None,
) -> list[Outgoing]:
    """One message per manifest entry, with that unit's own workbook attached.

    `context` holds the values shared by every mail (district, year, period,
    period_code, due_date, sender_name, reply_to); `answers` the office's answers
    to tell each unit (a refused request for 延期), one sentence each.
    """
    round_ = str(context["period_code"])
    return [_outgoing(KIND_SEND, round_, entry, directory, templates,
                      {**context, "answers": list((answers or {}).get(entry.unit, []))}, attach=True)
            for entry in entries]


def plan_reminders(
    entries: Iterable[ManifestEntry],
    directory: UnitDirectory,
    accepted: set[str],
    rejected: Mapping[str, list[Problem]],
    templates: MailTemplates,
    context: Mapping[str, object],
    as_of: date,
    answers: Mapping[str, list[str]] | None = None,
) -> list[Outgoing]:
    """催报 to every unit in the manifest whose return has not been accepted.

    `answers` holds, per unit, the office's answers to tell it (a refused request for
    延期, pyxl.common.life.refusal_sentence), one sentence each.

    A unit that sent nothing gets its sheet again (in case it was lost); a
    unit whose return was rejected gets the problems to fix, and no
    attachment: it should correct its own file.
    """
    planned = []
    for entry in entries:
        if entry.unit in accepted:
            continue
        returned = entry.unit in rejected
        values = {
            **context,
            "as_of": chinese_date(as_of),
            "returned": returned,
            # the unit knows its sheet and cells, not where its file sits in our archive
            "problems": [
                {"where": replace(p, file=None).where(), "message": p.message, "code": p.code}
                for p in rejected.get(entry.unit, []) if p.is_error
            ],
            "answers": list((answers or {}).get(entry.unit, [])),
        }
        planned.append(_outgoing(KIND_REMIND, as_of.isoformat(), entry, directory, templates, values, attach=not returned))
    return planned


@dataclass(frozen=True)
class SendBack:
    """One return the office sends back (退回重报): to whom, why, and the sheet to redo."""

    unit: str
    round: str  # period/SHA256 prefix of the return sent back: one mail per return, never resent by a re-run
    sheet: ManifestEntry  # the unit's sheet, pre-filled with what it returned
    problems: tuple[Problem, ...]  # what to fix, cell by cell
    note: str  # the office's own words, may be empty
    received: str  # when the return sent back arrived (2025年7月3日)
    reply_by: str  # the date to return the redone sheet by (2025年7月10日)


def plan_send_backs(items: Iterable[SendBack], directory: UnitDirectory, templates: MailTemplates,
                    context: Mapping[str, object]) -> list[Outgoing]:
    """One 退回 mail per return: each cell to fix and the office's note, the pre-filled sheet attached."""
    planned = []
    for item in items:
        values = {
            **context,
            "note": item.note,
            "received": item.received,
            "reply_by": item.reply_by,
            # the unit knows its sheet and cells, not where its file sits in our archive
            "problems": [{"where": replace(p, file=None).where(), "message": p.message, "code": p.code,
                          "severity": "错误" if p.is_error else "提示"} for p in item.problems],
        }
        outgoing = _outgoing(KIND_SEND_BACK, item.round, item.sheet, directory, templates, values, attach=True)
        planned.append(replace(outgoing, unit=item.unit))
    return planned


# ---------------------------------------------------------------- the attachment


def load_attachment(entry: ManifestEntry) -> tuple[Attachment | None, str]:
    """The unit's workbook, or None and why it must not be sent.

    The bytes must hash to the manifest's SHA256 and the workbook's identity
    sheet must name this unit: a wrong attachment leaks another unit's data.
    """
    if not entry.path.exists():
        return None, f"找不到附件 {entry.path.name}：请重新运行 pyxl split"
    data = entry.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != entry.sha256:
        return None, f"附件 {entry.path.name} 与分发清单中的 SHA256 不一致（生成后被改动过）：请重新运行 pyxl split"
    named = _identity_unit(data)
    if named != entry.unit:
        return None, f"附件 {entry.path.name} 的识别信息写的是「{named or '（无）'}」而不是「{entry.unit}」：请重新运行 pyxl split"
    return Attachment(entry.path.name, data), ""


def _identity_unit(data: bytes) -> str | None:
    """The unit the workbook's identity sheet names (None when it names none or is no workbook)."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # not a workbook at all: reported as a mismatch by the caller
        return None
    try:
        if IDENTITY_SHEET not in book.sheetnames:
            return None
        for row in book[IDENTITY_SHEET].iter_rows(min_col=1, max_col=2, values_only=True):
            if row and row[0] == ID_UNIT:
                return None if row[1] is None else str(row[1]).strip()
        return None
    finally:
        book.close()


# ---------------------------------------------------------------- the batch


@dataclass
class Delivery:
    """What one run did, unit by unit."""

    sent: list[str] = field(default_factory=list)  # every pending address accepted
    partly: list[str] = field(default_factory=list)  # some addresses refused
    failed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # handed over, no answer: may have arrived, not resent
    already: list[str] = field(default_factory=list)  # went out on an earlier run
    no_address: list[str] = field(default_factory=list)
    bad_attachment: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # sent earlier, the sheet has changed since
    not_attempted: list[str] = field(default_factory=list)  # left for the next run after a stop
    stopped: MailStop | None = None
    notes: list[str] = field(default_factory=list)  # one Chinese line per failure
    # dry run: unit → the addresses a real run would mail now (what the ribbon asks about)
    planned: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Every unit was served (now or earlier): nothing refused, failed, skipped or left for the next run."""
        return not (self.partly or self.failed or self.unknown or self.no_address or self.bad_attachment or self.not_attempted or self.stopped)


def _pending(item: Outgoing, done: set[tuple[str, str, str, str]], force: bool) -> list[str]:
    """The item's addresses still to mail: those the ledger (`Ledger.succeeded`) has not seen reached, or all when forced."""
    return [a for a in item.addresses if force or (item.kind, item.round, item.unit, a) not in done]


def deliver(
    outgoing: list[Outgoing],
    ledger: Ledger,
    connect: Callable[[], smtplib.SMTP],
    sender: str,
    clock: Clock,
    sleep: Sleep,
    per_minute: int,
    progress: Progress,
    force_units: set[str] = frozenset(),  # type: ignore[assignment]
) -> Delivery:
    """Send each planned message to its addresses not yet served, recording every attempt.

    Pace: at most `per_minute` messages a minute (0: no limit), by calling
    `sleep` between two messages. A refused recipient is recorded and the
    batch carries on; a dropped connection is recorded for the message in
    flight and the next message reconnects; a message handed over whole whose
    answer never came (timeout, connection closed after DATA) is 结果未知 and
    never sent again by itself, since the server may have queued it; two drops
    (or unanswered messages) in a row, an
    unreachable server or a rejected login stop the batch (recorded for the
    message in hand), and the units left are sent on the next run.
    """
    batch = _Batch(ledger, connect, sender, clock, 60.0 / per_minute if per_minute else 0.0, sleep)
    total = len(outgoing)
    try:
        for index, item in enumerate(outgoing):
            if batch.report.stopped is not None:
                batch.report.not_attempted.append(item.unit)
                continue
            progress(index, total, f"{item.kind}：{item.unit}")
            batch.handle(item, item.unit in force_units)
        progress(total, total, "完成")
    finally:
        batch.close()
    return batch.report


class _Batch:
    """One run of `deliver`: the connection, the pace, the drops in a row and the report so far."""

    def __init__(self, ledger: Ledger, connect: Callable[[], smtplib.SMTP], sender: str, clock: Clock,
                 interval: float, sleep: Sleep) -> None:
        self.ledger, self.connect, self.sender, self.clock = ledger, connect, sender, clock
        self.interval, self.sleep = interval, sleep
        self.envelope_from = envelope_sender(sender)
        self.report = Delivery()
        # Taken at the start: what this run appends is never asked about again (one message per unit and round).
        self.done = ledger.succeeded()
        self.sent_hashes = {(l.kind, l.round, l.unit): l.sha256 for l in ledger.read() if l.ok}
        self.smtp: smtplib.SMTP | None = None
        self.drops = 0
        self.transmitted = 0

    def record(self, item: Outgoing, address: str, sha: str, result: str, reply: str) -> None:
        """One ledger line, written right after the server answered."""
        name = item.attachment.path.name if item.attachment else ""
        self.ledger.append(LedgerLine(item.kind, item.round, item.unit, address, name, sha,
                                      self.clock().isoformat(timespec="seconds"), result, reply))

    def handle(self, item: Outgoing, forced: bool) -> None:
        """Send `item` to the addresses it still needs, or record why it is not sent."""
        report = self.report
        if not item.addresses:
            self.record(item, "", item.attachment.sha256 if item.attachment else "", RESULT_NO_ADDRESS, "")
            report.no_address.append(item.unit)
            report.notes.append(f"{item.unit}：没有邮箱，未发送（请在单位名录中填写邮箱后重新运行）")
            return
        pending = _pending(item, self.done, forced)
        if not pending:
            report.already.append(item.unit)
            previous = self.sent_hashes.get((item.kind, item.round, item.unit))
            if item.attachment and previous and previous != item.attachment.sha256:
                report.changed.append(item.unit)
            return
        attachment, sha = None, ""
        if item.attachment is not None:
            attachment, why = load_attachment(item.attachment)
            sha = item.attachment.sha256
            if attachment is None:
                for address in pending:
                    self.record(item, address, sha, RESULT_BAD_ATTACHMENT, why)
                report.bad_attachment.append(item.unit)
                report.notes.append(f"{item.unit}：{why}")
                return
        message = compose(self.sender, pending, item.subject, item.body, attachment, self.clock())
        self.send(item, pending, sha, to_bytes(message))

    def send(self, item: Outgoing, pending: list[str], sha: str, data: bytes) -> None:
        """Transmit one message, keeping the pace, and record each address's outcome."""
        report = self.report
        if self.transmitted and self.interval:
            self.sleep(self.interval)
        try:
            if self.smtp is None:
                self.smtp = self.connect()
            results = transmit(self.smtp, self.envelope_from, pending, data)
        except MailStop as stop:
            for address in pending:
                self.record(item, address, sha, RESULT_FAILED, stop.reply)
            report.failed.append(item.unit)
            report.stopped = stop
            return
        except OutcomeUnknown as unknown:
            self.unanswered(item, pending, sha, unknown)
            return
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, OSError) as error:
            self.dropped(item, pending, sha, error)
            return
        self.drops = 0
        self.transmitted += 1
        for address in pending:
            ok, reply = results[address]
            self.record(item, address, sha, RESULT_OK if ok else RESULT_FAILED, reply)
            if not ok:
                report.notes.append(f"{item.unit}：{address} 被拒收（{reply}）")
        accepted = sum(results[a][0] for a in pending)
        if accepted == len(pending):
            report.sent.append(item.unit)
        elif accepted:
            report.partly.append(item.unit)
        else:
            report.failed.append(item.unit)

    def dropped(self, item: Outgoing, pending: list[str], sha: str, error: Exception) -> None:
        """The connection broke while sending `item`: record it, reconnect next time, stop after two in a row."""
        report = self.report
        if isinstance(error, smtplib.SMTPResponseException):
            reply = reply_text(error.smtp_code, error.smtp_error)
        else:
            reply = f"连接中断：{error}"
        for address in pending:
            self.record(item, address, sha, RESULT_FAILED, reply)
        report.failed.append(item.unit)
        report.notes.append(f"{item.unit}：发送时服务器断开连接（{reply}），下次运行时重发")
        if self.smtp is not None:
            self.smtp.close()
        self.smtp = None
        self.drops += 1
        self.transmitted += 1
        if self.drops >= MAX_DROPS_IN_A_ROW:
            report.stopped = MailStop(reply, "服务器连续断开连接（可能是限流）：请稍后重新运行，已发送的不会重发")

    def unanswered(self, item: Outgoing, pending: list[str], sha: str, unknown: OutcomeUnknown) -> None:
        """The message went over whole but no answer came: 结果未知 for its recipients, never resent by itself."""
        report = self.report
        for address in pending:
            refused = unknown.refused.get(address)
            if refused is not None:
                self.record(item, address, sha, RESULT_FAILED, refused[1])
            else:
                self.record(item, address, sha, RESULT_UNKNOWN, unknown.reply)
        report.unknown.append(item.unit)
        if self.smtp is not None:
            self.smtp.close()
        self.smtp = None
        self.drops += 1  # a server that stops answering is dropping us: two in a row stop the batch
        self.transmitted += 1
        if self.drops >= MAX_DROPS_IN_A_ROW:
            report.stopped = MailStop(unknown.reply, "服务器连续没有回复（可能过载或限流）：请稍后重新运行，已发出或结果未知的不会重发")

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        if self.smtp is not None:
            quit_quietly(self.smtp)


def write_drafts(
    outgoing: list[Outgoing],
    ledger: Ledger,
    folder: Path,
    sender: str,
    progress: Progress,
    force_units: set[str] = frozenset(),  # type: ignore[assignment]
    report: Delivery | None = None,
) -> tuple[list[Path], list[str]]:
    """Dry run: each message a real run would send, as an unsent .eml draft; returns (paths, lines to print).

    `report`, when given, is filled with what a real run would do now:
    `planned` (unit → addresses), `already`, `no_address`, `bad_attachment`.
    """
    report = report if report is not None else Delivery()
    envelope_sender(sender)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    kinds = {item.kind for item in outgoing}
    for old in folder.glob("*.eml"):  # drafts of an earlier dry run of the same kind would mislead
        if old.name.split("_", 1)[0] in kinds:
            old.unlink()
    paths, lines = [], []
    done = ledger.succeeded()
    for index, item in enumerate(outgoing):
        progress(index, len(outgoing), f"草稿：{item.unit}")
        pending = _pending(item, done, item.unit in force_units)
        if item.addresses and not pending:
            lines.append(f"  {item.unit}：已发送过，不再发送")
            report.already.append(item.unit)
            continue
        attachment = None
        if item.attachment is not None:
            attachment, why = load_attachment(item.attachment)
            if attachment is None:
                lines.append(f"  {item.unit}：不能发送——{why}")
                report.bad_attachment.append(item.unit)
                continue
        if pending:
            report.planned[item.unit] = tuple(pending)
        else:
            report.no_address.append(item.unit)
        message = compose(sender, pending, item.subject, item.body, attachment, None, draft=True)
        path = write_bytes_atomic(folder / item.draft_name, to_bytes(message))
        paths.append(path)
        to = "、".join(pending) if pending else "（没有邮箱，请在草稿中填写收件人）"
        extra = f"，附件 {attachment.name}" if attachment else ""
        lines.append(f"  {item.unit} → {to}：{item.subject}{extra}")
    progress(len(outgoing), len(outgoing), "完成")
    return paths, lines


def summarise(delivery: Delivery, kind: str, ledger_path: str) -> list[str]:
    """Chinese summary lines of a real run."""
    lines = [f"{kind}：本次发出 {len(delivery.sent) + len(delivery.partly)} 个单位，此前已发 {len(delivery.already)} 个。"]
    if delivery.partly:
        lines.append(f"部分邮箱被拒收：{'、'.join(delivery.partly)}。")
    if delivery.failed:
        lines.append(f"发送失败（下次运行时重发）：{'、'.join(delivery.failed)}。")
    if delivery.unknown:
        units = "、".join(delivery.unknown)
        again = ("确认没有收到的，用 pyxl send --resend --unit 单位名 补发" if kind == KIND_SEND
                 else "确认没有收到的，请直接联系该单位")
        lines.append(
            f"结果未知（邮件已交给服务器，但服务器没有确认，可能已经送达）：{units}。为免对方收到重复邮件，"
            f"不会自动重发：请先向该单位核实是否收到，或在邮件服务器 / 发件箱中查看；{again}。"
        )
    if delivery.no_address:
        lines.append(f"没有邮箱、未发送：{'、'.join(delivery.no_address)}。")
    if delivery.bad_attachment:
        lines.append(f"附件有误、未发送：{'、'.join(delivery.bad_attachment)}。")
    if delivery.changed:
        lines.append(
            f"以下单位的填报表在发送后重新生成过，没有自动补发：{'、'.join(delivery.changed)}；"
            "如需补发请加 --resend --unit 单位名。"
        )
    lines.extend(delivery.notes)
    if delivery.stopped is not None:
        lines.append(
            f"已停止发送：{delivery.stopped.reply}。{delivery.stopped.advice}；"
            f"尚未发送 {len(delivery.not_attempted)} 个单位，改正后重新运行即可继续。"
        )
    lines.append(f"发送记录：{ledger_path}")
    return lines


# ---------------------------------------------------------------- the step


@dataclass
class MailRun:
    """What `send_sheets` / `send_reminders` report: Chinese lines, files written, whether to act."""

    summary: list[str]
    outputs: list[Path]
    attention: bool
    delivery: Delivery | None = None


def _select(entries: list[ManifestEntry], directory: UnitDirectory, names: list[str] | None) -> list[ManifestEntry]:
    """The entries of the units named with --unit (any spelling the directory knows, a group for its members), in the order asked; all when none."""
    if not names:
        return entries
    by_unit = {entry.unit: entry for entry in entries}
    chosen, unmatched = UnitIndex(directory).pick(names, by_unit)
    if unmatched:
        resolution = unmatched[0]
        raise PyxlError(
            f"单位「{resolution.raw}」不在本期的分发清单中：请检查 --unit 的写法，或先运行 pyxl split --unit {resolution.raw}。"
        )
    return [by_unit[unit] for unit in chosen]


def mail_context(settings: Settings, period: Period) -> dict[str, object]:
    """The values every mail of `period` shares (district, office, period, due date, sender …)."""
    due = settings.due_date(period)
    sender_name, reply_to = parseaddr(settings.mail.sender)
    return {
        "district": settings.district,
        "level": settings.level,  # 区 / 县 / 市: never written into a template
        "government": settings.government_name,
        "office": settings.office_name,
        "year": settings.year,
        "period": period.label,
        "period_code": str(period),
        "due_date": chinese_date(due),
        "sender_name": sender_name or settings.office_name,
        "reply_to": reply_to,
    }


def run_mail(
    settings: Settings,
    period: Period,
    kind: str,
    directory: UnitDirectory,
    clock: Clock,
    sleep: Sleep,
    progress: Progress,
    dry_run: bool = False,
    units: list[str] | None = None,
    resend: bool = False,
    as_of: date | None = None,
    accepted: set[str] | None = None,
    rejected: Mapping[str, list[Problem]] | None = None,
    environ: Mapping[str, str] | None = None,
    answers: Mapping[str, list[str]] | None = None,
) -> MailRun:
    """The whole mail step for `kind` (分发 or 催报): plan from the manifest, then drafts or delivery.

    For 催报, `accepted` holds the units whose return was accepted and
    `rejected` the problems of each unit whose current return was rejected;
    nothing is sent on or before the due date.
    """
    if resend and not units:
        raise PyxlError("--resend 须与 --unit 一起使用，指明要补发的单位，以免把全部邮件重发一遍。")
    out = settings.out_dir(period)
    entries = _select(read_manifest(settings.distribution_dir(period), period, settings.root), directory, units)
    context = mail_context(settings, period)
    templates = templates_from(settings.template_path)
    due = settings.due_date(period)
    if kind == KIND_REMIND:
        if as_of is None or as_of <= due:
            day = chinese_date(as_of) if as_of else "今天"
            return MailRun([f"{period.label}的报送截止日是 {chinese_date(due)}，{day}尚未过期：不发催报。"], [], False)
        planned = plan_reminders(entries, directory, accepted or set(), rejected or {}, templates, context, as_of, answers)
        if not planned:
            return MailRun([f"{period.label}各单位的报表均已通过审核：无需催报。"], [], False)
    else:
        planned = plan_distribution(entries, directory, templates, context, answers)
    ledger = Ledger(out / LEDGER_NAME)
    force = {item.unit for item in planned} if resend else set()
    if dry_run:
        preview = Delivery()
        paths, lines = write_drafts(planned, ledger, out / OUTBOX_FOLDER, settings.mail.sender, progress, force, preview)
        summary = [f"{kind}（试运行，未发送）：{len(paths)} 封邮件草稿写入 {settings.relative(out / OUTBOX_FOLDER)}/，"
                   "可用 Outlook 或 Foxmail 打开检查：", *lines]
        return MailRun(summary, paths, False, preview)
    password = smtp_password(settings.mail, os.environ if environ is None else environ)
    delivery = deliver(
        planned, ledger, SmtpConnector(settings.mail, password), settings.mail.sender, clock, sleep,
        settings.mail.per_minute, progress, force,
    )
    if delivery.stopped is not None and not (delivery.sent or delivery.partly):
        raise PyxlError(
            f"{kind}未能开始：{delivery.stopped.reply}。{delivery.stopped.advice}；"
            f"已记入 {settings.relative(ledger.path)}，改正后重新运行即可。"
        )
    return MailRun(summarise(delivery, kind, settings.relative(ledger.path)), [ledger.path], not delivery.complete, delivery)


def run_send_back(
    settings: Settings,
    period: Period,
    items: list[SendBack],
    directory: UnitDirectory,
    clock: Clock,
    sleep: Sleep,
    progress: Progress,
    dry_run: bool = False,
    environ: Mapping[str, str] | None = None,
) -> MailRun:
    """The 退回重报 mails: drafts with `dry_run`, else sent and recorded in the period's send ledger.

    A return already sent back (its round in the ledger) is not sent again.
    """
    out = settings.out_dir(period)
    planned = plan_send_backs(items, directory, templates_from(settings.template_path), mail_context(settings, period))
    ledger = Ledger(out / LEDGER_NAME)
    if dry_run:
        preview = Delivery()
        paths, lines = write_drafts(planned, ledger, out / OUTBOX_FOLDER, settings.mail.sender, progress, set(), preview)
        summary = [f"{KIND_SEND_BACK}（试运行，未发送）：{len(paths)} 封邮件草稿写入 {settings.relative(out / OUTBOX_FOLDER)}/，"
                   "可用 Outlook 或 Foxmail 打开检查：", *lines]
        return MailRun(summary, paths, False, preview)
    password = smtp_password(settings.mail, os.environ if environ is None else environ)
    delivery = deliver(planned, ledger, SmtpConnector(settings.mail, password), settings.mail.sender, clock, sleep,
                       settings.mail.per_minute, progress)
    if delivery.stopped is not None and not (delivery.sent or delivery.partly):
        raise PyxlError(
            f"{KIND_SEND_BACK}未能开始：{delivery.stopped.reply}。{delivery.stopped.advice}；"
            f"已记入 {settings.relative(ledger.path)}，改正后重新运行即可。"
        )
    return MailRun(summarise(delivery, KIND_SEND_BACK, settings.relative(ledger.path)), [ledger.path],
                   not delivery.complete, delivery)
