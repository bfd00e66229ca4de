"""`pyxl demo`: the whole month on the bundled example district, with nothing mocked.

A shell like the CLI: it creates a fresh workspace, then plays every person
in the loop — the office clerk (build the master, split, send), a real SMTP
server on loopback, some sixty unit clerks answering by e-mail (seeded, so
every run is the same) into the office mailbox, a real IMAP server on
loopback, and the office again (collect from that mailbox, consolidate, flag,
bulletin, reminders) — through the same pipeline functions the ribbon and
the CLI call.
"""

from __future__ import annotations

import hashlib
import random
import shutil
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from pyxl import pipeline
from pyxl.common.config import CONFIG_NAME, Settings, load_settings
from pyxl.common.errors import PyxlError
from pyxl.common.files import write_bytes_atomic
from pyxl.common.model import Consolidation, DutyTable, Target
from pyxl.common.period import Period, chinese_date
from pyxl.demo.clerk import ON_PACE, UnitScript, evidence_document, fill_unit_workbook
from pyxl.demo.imapserver import LoopbackImapServer
from pyxl.demo.mailserver import LoopbackMailServer, MailRecorder
from pyxl.distribution import layout
from pyxl.example import use_example_document
from pyxl.mail.deliver import read_manifest
from pyxl.outputs.counting import category_counts, return_sentence
from pyxl.workspace import Workspace

DEMO_MARKER = ".pyxl-demo"
DEMO_SEED = 2025
# The office mailbox of the demo: an in-memory IMAP server on loopback, with a password of its own
DEMO_MAILBOX = "duchashi@changqing.example"
DEMO_PASSWORD = "demo-imap-password"
DEMO_PASSWORD_ENV = "PYXL_DEMO_IMAP_PASSWORD"
CHINA_TIME = timezone(timedelta(hours=8), "CST")  # the units' clocks, whatever this machine's zone


@dataclass
class _Cast:
    """Who does what this month (unit names)."""

    never: str
    late: str
    typo: str
    finished: str
    wrong_sender: str  # sends `wrong_file_of`'s workbook instead of its own
    wrong_file_of: str
    behind: list[str]
    evidence: list[str]  # attach a 工作台账 and name it in 佐证材料
    forgot_evidence: str  # names a photo in 佐证材料 but sends none


def _prepare_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise PyxlError(f"{folder} 是一个文件，不是文件夹：请用 --dir 写一个新文件夹的名称。")
    if folder.exists() and any(folder.iterdir()):
        if not (folder / DEMO_MARKER).exists():
            raise PyxlError(f"{folder} 已存在且不是以前的演示目录：请换一个文件夹（--dir），以免覆盖其中的文件。")
        shutil.rmtree(folder)  # a previous demo: start again from nothing, so runs are identical
    pipeline.init_workspace(folder)
    use_example_document(folder)  # the demo, and only the demo, runs on the bundled example
    (folder / DEMO_MARKER).write_text("pyxl demo workspace\n", encoding="utf-8")


def _with_mail_server(settings: Settings, port: int, imap: LoopbackImapServer) -> Settings:
    mail = settings.mail.model_copy(update={"host": "127.0.0.1", "port": port, "security": "none", "per_minute": 0})
    inbox_mail = settings.inbox_mail.model_copy(update={
        "host": "127.0.0.1", "port": imap.port, "security": "none", "username": imap.user, "password_env": DEMO_PASSWORD_ENV,
    })
    changed = settings.model_copy(update={"mail": mail, "inbox_mail": inbox_mail})
    changed._root = settings.root
    return changed


def _cast(units: list[str], with_targets: list[str], rng: random.Random) -> _Cast:
    # The clerk who types text into a number cell must have a number cell: a unit leading a target.
    typo = rng.choice(sorted(with_targets))
    pool = [unit for unit in units if unit != typo]
    rng.shuffle(pool)
    never, late, finished, wrong_sender, wrong_file_of = pool[:5]
    rest = pool[5:]
    behind = sorted(rest[: max(1, len(rest) // 6)])
    evidence, forgot = sorted(rest[len(behind):len(behind) + 2]), rest[len(behind) + 2]
    return _Cast(never, late, typo, finished, wrong_sender, wrong_file_of, behind, evidence, forgot)


def _evidence_name(unit: str, period: Period) -> str:
    return f"{unit}{period.month}月工作台账.docx"


def _script(unit: str, cast: _Cast, rng: random.Random, filled: date, period: Period) -> UnitScript:
    if unit in cast.evidence:
        return UnitScript(pace=rng.choice(ON_PACE), filled_date=filled.isoformat(), evidence=f"工作台账：{_evidence_name(unit, period)}")
    if unit == cast.forgot_evidence:
        return UnitScript(pace=rng.choice(ON_PACE), filled_date=filled.isoformat(), evidence="现场照片：施工现场.jpg")
    if unit == cast.finished:
        return UnitScript(pace=1.0, status="已完成", filled_date=filled.isoformat())
    if unit in cast.behind:
        return UnitScript(pace=rng.uniform(0.6, 0.88), status="滞后", filled_date=filled.isoformat())
    return UnitScript(
        pace=rng.choice(ON_PACE), status="按计划推进", typo_in_number=unit == cast.typo, filled_date=filled.isoformat()
    )


def _targets_by_key(duty: DutyTable) -> dict[str, Target]:
    return {task.target_key(i): target for task in duty.tasks for i, target in enumerate(task.targets)}


def _return_mail(sender: str, recipient: str, unit: str, period: Period, sent: datetime, attachment: Path,
                 evidence: dict[str, bytes] | None = None) -> bytes:
    message = EmailMessage()
    # every mail program sets one; the office mailbox knows a message again by it (fixed here: runs stay identical)
    message["Message-ID"] = f"<{period}.{sender.split('@')[0]}.{sent:%Y%m%d%H%M}@{sender.split('@')[-1]}>"
    message["From"] = formataddr((unit, sender))
    message["To"] = recipient
    message["Subject"] = f"回复：{unit} {period} 重点工作推进情况"
    message["Date"] = format_datetime(sent.replace(tzinfo=CHINA_TIME))
    message.set_content(f"督查室：\n\n附件是{unit}{period.label}重点工作推进情况，请查收。\n")
    message.add_attachment(
        attachment.read_bytes(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=attachment.name,
    )
    for name, data in (evidence or {}).items():  # 佐证材料 in the same mail as the sheet
        message.add_attachment(data, maintype="application",
                               subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename=name)
    return message.as_bytes()


def _answer_as_units(workspace: Workspace, period: Period, seed: int, mailbox: LoopbackImapServer) -> tuple[_Cast, int]:
    """Every unit but one fills its own sheet and e-mails it back: the answer arrives in the office mailbox.

    The mail system delivers each answer at the time the unit sent it (its
    INTERNALDATE), so lateness is judged by the server's clock, as in an office.
    A copy of each answer is left in 邮件服务器/收件箱/ to look at.
    """
    settings, duty = workspace.settings, workspace.duty
    rng = random.Random(seed)
    manifest = read_manifest(settings.distribution_dir(period), period, settings.root)
    files = {entry.unit: entry.path for entry in manifest}
    cast = _cast(sorted(files), [entry.unit for entry in manifest if entry.indicator_count], rng)
    directory = workspace.directory
    due = settings.due_date(period)
    fraction = period.schedule_fraction(settings.year)
    targets = _targets_by_key(duty)
    clerk_desk = settings.root / "单位填报"
    office = settings.mail.sender
    sent = 0
    for number, unit in enumerate(sorted(files)):
        if unit == cast.never:
            continue
        day = due + timedelta(days=2) if unit == cast.late else due - timedelta(days=rng.randint(0, 4))
        when = datetime.combine(day, time(16, rng.randint(0, 59)))
        filled = clerk_desk / files[unit].name
        fill_unit_workbook(files[unit], filled, _script(unit, cast, rng, day, period), targets, fraction, rng, when)
        attachment = filled
        if unit == cast.wrong_sender:
            other = cast.wrong_file_of
            attachment = clerk_desk / "错发" / files[other].name
            fill_unit_workbook(files[other], attachment, _script(other, cast, rng, day, period), targets, fraction, rng, when)
        found = directory.unit(unit)
        address = found.emails[0] if found and found.emails else f"unit{number:02d}@changqing.example"
        evidence = {}
        if unit in cast.evidence:
            name = _evidence_name(unit, period)
            evidence[name] = evidence_document(unit, name.removesuffix(".docx"), [
                f"{period.label}，{unit}按分工推进重点工作，已召开专题推进会 1 次，形成会议纪要。",
                "附：推进会签到表、会议纪要、现场照片（略）。"], when)
        data = _return_mail(address, office, unit, period, when, attachment, evidence)
        mailbox.deliver(data, when.replace(tzinfo=CHINA_TIME))
        write_bytes_atomic(settings.root / "邮件服务器" / "收件箱" / f"{number + 1:02d}_{unit}.eml", data)
        sent += 1
    return cast, sent


def run_demo(folder: Path, period: Period = Period(2025, 6), seed: int = DEMO_SEED) -> pipeline.StepResult:
    """Run the whole month for `period` in a fresh workspace at `folder`."""
    folder = Path(folder)
    _prepare_folder(folder)
    # the demo's identity key comes from its seed, so a re-run writes the same sheets (a real workspace's is random)
    secret = folder / layout.SECRET_NAME
    secret.write_text(hashlib.sha256(f"pyxl demo {seed}".encode()).hexdigest() + "\n", encoding="ascii")
    secret.chmod(0o600)
    settings = load_settings(folder / CONFIG_NAME)
    due = settings.due_date(period)
    sent_at = datetime.combine(period.next().first_day, time(9, 0))
    as_of = due + timedelta(days=3)
    result = pipeline.StepResult(
        summary=[f"演示：{settings.district}{settings.year}年，期次 {period}，截止日{chinese_date(due)}，统计至{chinese_date(as_of)}。"]
    )

    with LoopbackMailServer(MailRecorder(folder / "邮件服务器")) as server, \
            LoopbackImapServer(DEMO_MAILBOX, DEMO_PASSWORD) as mailbox:
        settings = _with_mail_server(settings, server.port, mailbox)
        steps = [pipeline.build_workbook(Workspace.load(settings), now=sent_at)]
        workspace = Workspace.load(settings)  # the master just built, read once for the rest of the month
        steps += [
            pipeline.split_sheets(workspace, period),
            pipeline.send_sheets(workspace, period, now=sent_at, dry_run=True),
            pipeline.send_sheets(workspace, period, now=sent_at),
        ]
        cast, answered = _answer_as_units(workspace, period, seed, mailbox)
        month = pipeline.run_month(workspace, period, as_of=as_of, now=datetime.combine(as_of, time(9, 0)), dry_run=False,
                                   environ={DEMO_PASSWORD_ENV: DEMO_PASSWORD})
        steps.append(month)
        received = len(server.handler.messages)

    result.summary.append(
        f"模拟单位：{answered} 个单位报回（{cast.late} 逾期报送，{cast.typo} 在数值栏填了文字，"
        f"{cast.wrong_sender} 错发了{cast.wrong_file_of}的表，{cast.finished} 报告已完成，{'、'.join(cast.evidence)} 随报表发来"
        f"佐证材料，{cast.forgot_evidence} 写了佐证材料却没有附上），{cast.never} 未报送。"
    )
    result.summary.append(f"回环邮件服务器共收到 {received} 封邮件（分发与催报）。")
    result.summary.append(
        f"各单位的回复投递到本机回环 IMAP 邮箱（{DEMO_MAILBOX}，127.0.0.1:{mailbox.port}），「收取回执」直接从该邮箱收取附件；"
        "回复的副本在 邮件服务器/收件箱/ 中可查看。"
    )
    for step in steps:
        result.outputs.extend(step.outputs)
    result.summary.extend(month_summary(month.data))
    # counted from the consolidation's 问题 table: the same rows as the summary's 问题 sheet and the problems CSV
    result.summary.append(f"发现问题 {len(month.data.problems)} 个（均为演示中有意安排的），详见汇总表的「问题」页。")
    result.data = month.data
    # The demo's problems and flags are staged on purpose: it succeeded, so it exits 0.
    return result


def month_summary(consolidation: Consolidation) -> list[str]:
    """A few Chinese lines read off the consolidated tables, counted as the bulletin counts them."""
    categories = category_counts(consolidation.tasks)
    red = consolidation.flags[consolidation.flags["level"] == "red"]
    notices = consolidation.units[consolidation.units["notice_level"] != ""]
    return [
        "回执：" + return_sentence(consolidation.returns),
        "任务：" + "，".join(f"{row.category} {row.count}" for row in categories.itertuples(index=False) if row.count) + "。",
        f"红色预警 {len(red)} 条（每个单位一条）："
        + "，".join(f"{kind} {count}" for kind, count in red["flag"].value_counts().items())
        + f"；逾期未完成的任务 {int(consolidation.tasks['overdue'].sum())} 项。",
        f"督办单 {len(notices)} 份：" + "，".join(f"{level} {count}" for level, count in notices["notice_level"].value_counts().items()) + "。",
    ]
