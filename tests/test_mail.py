"""Distribution by e-mail against a real SMTP server on loopback (aiosmtpd).

The unit workbooks are made by the real split step; the server records what
it receives, and can refuse a recipient, drop the connection or demand a
login, as real office servers do.
"""

from __future__ import annotations

import csv
import email
import email.policy
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml
from aiosmtpd.smtp import AuthResult, LoginPassword

from pyxl import pipeline
from pyxl.cli import main
from pyxl.common.config import load_settings
from pyxl.common.errors import PyxlError
from pyxl.common.period import Period
from pyxl.demo.mailserver import LoopbackMailServer, MailRecorder
from pyxl.distribution.layout import MANIFEST_NAME
from pyxl.mail.deliver import Ledger, deliver, plan_distribution, read_manifest, templates_from
from pyxl.mail.ledger import LEDGER_COLUMNS, LEDGER_NAME
from pyxl.mail.smtp import SmtpConnector
from pyxl.workspace import Workspace

PERIOD = Period(2025, 6)
NOW = datetime(2025, 6, 28, 9, 30)
# A few units of the example directory: enough for every failure, fast to split.
UNITS = ["区发展改革局", "区财政局", "区工业信息化和科技局", "区教育体育局", "区水务局"]
USER, PASSWORD = "duchashi@changqing.example", "Right-Passw0rd"
# What run_mail passes every template, for the tests that plan mail themselves.
CONTEXT = {"district": "长清区", "level": "区", "government": "长清区人民政府", "office": "长清区人民政府督查室",
           "year": 2025, "period": PERIOD.label, "period_code": str(PERIOD),
           "due_date": "2025年7月5日", "sender_name": "督查室", "reply_to": "duchashi@changqing.example"}


# ---------------------------------------------------------------- the server


class Recorder(MailRecorder):
    """The loopback server's recorder, misbehaving on request."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse: set[str] = set()
        self.drop_after: int | None = None  # drop the connection at MAIL once this many were accepted
        self.drops_left = 0  # how many times to drop (a large number: the server is down)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        if self.drop_after is not None and len(self.messages) >= self.drop_after and self.drops_left > 0:
            self.drops_left -= 1
            server.transport.close()  # no answer: the client sees the connection vanish
            return "421 4.3.2 closing"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def server():
    """A plain SMTP server on a free loopback port."""
    with LoopbackMailServer(Recorder()) as running:
        yield running.handler, running.port


@pytest.fixture
def auth_server():
    """A server that requires a login (plain AUTH allowed without TLS on loopback)."""
    with LoopbackMailServer(Recorder(), auth_required=True, auth_require_tls=False, authenticator=_authenticator) as running:
        yield running.handler, running.port


# ---------------------------------------------------------------- the workspace


def _configure(workspace: Path, port: int, **mail) -> None:
    config = workspace / "config.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["mail"].update({"host": "127.0.0.1", "port": port, "per_minute": 0, "timeout": 5, **mail})
    for unit in data["units"]:
        if unit["name"] == "区教育体育局":  # a unit with two addresses
            unit["email"] = ["jtj@changqing.example", "jtj-bgs@changqing.example"]
        if unit["name"] == "区水务局":  # a unit without an address
            unit["email"] = []
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def split_workspace(workspace: Path) -> Path:
    """The example workspace with the sheets of UNITS split for 2025-06 (the real split step)."""
    _configure(workspace, 25)
    pipeline.split_sheets(Workspace.load(load_settings(workspace / "config.yaml")), PERIOD, units=UNITS)
    return workspace


def _settings(workspace: Path, port: int, **mail):
    _configure(workspace, port, **mail)
    return load_settings(workspace / "config.yaml")


def _ledger(workspace: Path) -> list[dict]:
    path = workspace / "out" / str(PERIOD) / LEDGER_NAME
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(LEDGER_COLUMNS)
    return rows


def _manifest(workspace: Path) -> dict[str, dict]:
    with (workspace / "out" / str(PERIOD) / "分发" / MANIFEST_NAME).open(encoding="utf-8-sig") as handle:
        return {row["单位"]: row for row in csv.DictReader(handle)}


def _attachments(message) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_payload(decode=True)) for part in message.iter_attachments()]


def _addresses_received(handler: Recorder) -> list[str]:
    return sorted(address for to, _ in handler.messages for address in to)


def _all_addresses(settings) -> list[str]:
    directory = settings.unit_directory()
    return sorted(a for name in UNITS for a in directory.unit(name).emails)


# ---------------------------------------------------------------- sending


def test_each_unit_receives_exactly_its_own_sheet(split_workspace, server):
    handler, port = server
    settings = _settings(split_workspace, port)
    steps = []
    result = pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW, progress=lambda d, t, text: steps.append((d, t)))

    manifest = _manifest(split_workspace)
    folder = split_workspace / "out" / str(PERIOD) / "分发"
    received = handler.received()
    assert len(received) == 4  # 区水务局 has no address
    for to, message in received:
        unit = next(name for name in UNITS if settings.unit_directory().unit(name).emails and
                    sorted(to) == sorted(settings.unit_directory().unit(name).emails))
        subject = str(message["Subject"])
        assert unit in subject and PERIOD.label in subject
        [(name, data)] = _attachments(message)
        assert name == manifest[unit]["文件"]
        assert data == (folder / name).read_bytes()  # byte for byte, this unit's own file
        body = message.get_body(("plain",)).get_content()
        assert f"任务{manifest[unit]['任务数']}项" in body and "2025年7月7日" in body and "duchashi@changqing.example" in body
        assert str(message["From"]).startswith("长清区政府督查室")

    rows = _ledger(split_workspace)
    expected = []
    for unit in UNITS:
        emails = settings.unit_directory().unit(unit).emails
        sha = manifest[unit]["SHA256"]
        if not emails:
            expected.append(("分发", "2025-06", unit, "", manifest[unit]["文件"], sha, "无邮箱"))
        expected += [("分发", "2025-06", unit, a, manifest[unit]["文件"], sha, "成功") for a in emails]
    assert [(r["类型"], r["轮次"], r["单位"], r["邮箱"], r["附件"], r["附件SHA256"], r["结果"]) for r in rows] == expected
    assert all(r["服务器回复"].startswith("250 2.0.0 Ok: queued as Q") for r in rows if r["结果"] == "成功")
    assert all(r["时间"].startswith("2025-06-28T09:3") for r in rows)
    assert result.exit_code == 1 and any("区水务局" in line for line in result.summary)  # the missing address is reported
    assert steps[-1] == (len(UNITS), len(UNITS))

    # A second run sends nothing again.
    again = pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    assert len(handler.messages) == 4
    assert any("此前已发 4 个" in line for line in again.summary)


def test_attachment_name_is_readable_by_2047_and_2231_readers(split_workspace, server):
    handler, port = server
    pipeline.send_sheets(Workspace.load(_settings(split_workspace, port)), PERIOD, now=NOW, units=["区工业信息化和科技局"])
    [(_, raw)] = handler.messages
    text = raw.decode("ascii")  # every header and body line is 7-bit
    assert 'name="=?UTF-8?B?' in text and 'filename="=?UTF-8?B?' in text and "filename*0*=utf-8''" in text
    # Folded lines stay short; the xlsx MIME type is one 81-character token, as Outlook writes it too.
    assert all(len(line) <= 78 for line in text.splitlines() if not line.startswith("Content-Type: application/vnd."))
    expected = "03_区工业信息化和科技局.xlsx"

    # A reader that only knows RFC 2047 (Outlook, Foxmail, QQ): drop filename*, decode the encoded-words.
    only_2047 = email.message_from_bytes(raw.replace(b"filename*", b"x-ignored*"), policy=email.policy.compat32)
    part = next(p for p in only_2047.walk() if p.get_content_maintype() == "application")
    for value in (part.get_param("name"), part.get_param("filename", header="Content-Disposition")):
        decoded = "".join(
            chunk.decode(charset) if isinstance(chunk, bytes) else chunk
            for chunk, charset in email.header.decode_header(value.replace("\r\n", ""))
        )
        assert decoded == expected
    # A strict RFC 2231 reader: only filename* left.
    only_2231 = email.message_from_bytes(
        raw.replace(b'filename="', b'x-old="').replace(b' name="', b' x-old="'), policy=email.policy.default
    )
    assert next(only_2231.iter_attachments()).get_filename() == expected
    # Python's own parser with both present.
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert next(message.iter_attachments()).get_filename() == expected
    assert "区工业信息化和科技局" in str(message["Subject"])


def test_refused_recipient_is_recorded_and_resent_next_run_only(split_workspace, server):
    handler, port = server
    settings = _settings(split_workspace, port)
    handler.refuse = {"jtj-bgs@changqing.example"}
    first = pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    assert any("区教育体育局" in line and "部分邮箱被拒收" in line for line in first.summary)
    refused = [r for r in _ledger(split_workspace) if r["邮箱"] == "jtj-bgs@changqing.example"]
    assert [(r["结果"], r["服务器回复"][:3]) for r in refused] == [("失败", "550")]

    handler.refuse = set()  # the office had the mailbox fixed
    pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    assert _addresses_received(handler) == _all_addresses(settings)  # each address exactly once
    assert handler.messages[-1][0] == ["jtj-bgs@changqing.example"]


def test_dropped_connection_is_resumed_without_duplicates(split_workspace, server):
    handler, port = server
    settings = _settings(split_workspace, port)
    handler.drop_after, handler.drops_left = 2, 1
    first = pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    assert len(handler.messages) == 3  # the third unit's mail was lost with the connection, the rest carried on
    dropped = [r for r in _ledger(split_workspace) if r["结果"] == "失败"]
    assert [r["单位"] for r in dropped] == ["区工业信息化和科技局"] and "连接中断" in dropped[0]["服务器回复"]
    assert first.exit_code == 1

    second = pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    assert _addresses_received(handler) == _all_addresses(settings)
    assert any("本次发出 1 个单位" in line for line in second.summary)


def test_server_going_down_stops_the_batch_and_the_next_run_finishes_it(split_workspace, server):
    handler, port = server
    settings = _settings(split_workspace, port)
    handler.drop_after, handler.drops_left = 1, 1000
    first = pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    assert len(handler.messages) == 1
    assert any("已停止发送" in line for line in first.summary)
    # Two failures recorded, the units after them left untouched for the next run.
    assert [r["单位"] for r in _ledger(split_workspace) if r["结果"] == "失败"] == ["区财政局", "区工业信息化和科技局"]

    handler.drops_left = 0
    pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    assert _addresses_received(handler) == _all_addresses(settings)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_rejected_login_is_recorded_and_the_right_password_completes(split_workspace, auth_server, monkeypatch):
    handler, port = auth_server
    settings = _settings(split_workspace, port, username=USER, password_env="PYXL_TEST_SMTP_PASSWORD", allow_plain_login=True)
    monkeypatch.delenv("PYXL_TEST_SMTP_PASSWORD", raising=False)
    with pytest.raises(PyxlError, match="PYXL_TEST_SMTP_PASSWORD"):  # no password anywhere: nothing attempted
        pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    assert not (split_workspace / "out" / str(PERIOD) / LEDGER_NAME).exists()

    monkeypatch.setenv("PYXL_TEST_SMTP_PASSWORD", "Wrong-Passw0rd")
    with pytest.raises(PyxlError, match="拒绝登录") as stop:
        pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    assert "Wrong-Passw0rd" not in str(stop.value)  # the password never appears in a message or the ledger
    rows = _ledger(split_workspace)
    assert [(r["单位"], r["结果"], r["服务器回复"][:3]) for r in rows] == [("区发展改革局", "失败", "535")]
    assert "Wrong-Passw0rd" not in (split_workspace / "out" / str(PERIOD) / LEDGER_NAME).read_text(encoding="utf-8-sig")
    assert handler.messages == []

    monkeypatch.setenv("PYXL_TEST_SMTP_PASSWORD", "全角口令")  # smtplib logs in with ASCII only: a stop, not a traceback
    with pytest.raises(PyxlError, match="全角"):
        pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)

    monkeypatch.setenv("PYXL_TEST_SMTP_PASSWORD", PASSWORD)
    pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    assert _addresses_received(handler) == _all_addresses(settings)


def test_pace_sleeps_between_messages(split_workspace, server):
    handler, port = server
    settings = _settings(split_workspace, port, per_minute=30)
    out = settings.out_dir(PERIOD)
    entries = read_manifest(out / "分发", PERIOD)
    planned = plan_distribution(entries, settings.unit_directory(), templates_from(settings.template_path), CONTEXT)
    slept: list[float] = []
    delivery = deliver(planned, Ledger(out / LEDGER_NAME), SmtpConnector(settings.mail, None), settings.mail.sender,
                       clock=lambda: NOW, sleep=slept.append, per_minute=30, progress=lambda *a: None)
    assert len(delivery.sent) == 4 and slept == [2.0, 2.0, 2.0]  # 30 a minute: 2 s between messages, none before the first


def test_resend_needs_named_units_and_sends_only_those(split_workspace, server):
    handler, port = server
    settings = _settings(split_workspace, port)
    pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    with pytest.raises(PyxlError, match="--unit"):
        pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW, resend=True)
    pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW, units=["区财政局"], resend=True)
    assert len(handler.messages) == 5 and handler.messages[-1][0] == ["czj@changqing.example"]
    with pytest.raises(PyxlError, match="不在本期的分发清单"):
        pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW, units=["区不存在局"])


def test_changed_workbook_is_not_sent(split_workspace, server):
    handler, port = server
    settings = _settings(split_workspace, port)
    folder = settings.out_dir(PERIOD) / "分发"
    target = folder / _manifest(split_workspace)["区财政局"]["文件"]
    target.write_bytes(target.read_bytes() + b"\0")  # changed after split: the manifest's hash no longer matches
    result = pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    assert "czj@changqing.example" not in _addresses_received(handler)
    assert [r["结果"] for r in _ledger(split_workspace) if r["单位"] == "区财政局"] == ["附件不符"]
    assert any("SHA256" in line for line in result.summary)


def test_manifest_from_another_unit_is_never_attached(split_workspace, server):
    """A manifest line pointing at another unit's file (hash updated too) is caught by the identity sheet."""
    handler, port = server
    settings = _settings(split_workspace, port)
    path = settings.out_dir(PERIOD) / "分发" / MANIFEST_NAME
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    finance = next(r for r in rows if r[0] == "区财政局")
    water = next(r for r in rows if r[0] == "区水务局")
    finance[1], finance[4] = water[1], water[4]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    assert "czj@changqing.example" not in _addresses_received(handler)
    row = next(r for r in _ledger(split_workspace) if r["单位"] == "区财政局")
    assert row["结果"] == "附件不符" and "区水务局" in row["服务器回复"]


def test_missing_manifest_says_run_split_first(workspace, server):
    _, port = server
    with pytest.raises(PyxlError, match="pyxl split --period 2025-06"):
        pipeline.send_sheets(Workspace.load(_settings(workspace, port)), PERIOD, now=NOW)


def test_unknown_template_variable_is_an_error(split_workspace, server):
    handler, port = server
    settings = _settings(split_workspace, port)
    local = split_workspace / "templates" / "mail"
    local.mkdir(parents=True)
    (local / "send_subject.txt.j2").write_text("{{ unit }} {{ 期限 }}", encoding="utf-8")
    with pytest.raises(PyxlError, match="send_subject.txt.j2.*期限"):
        pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    assert handler.messages == []
    # A correct local template is used instead of the bundled one.
    (local / "send_subject.txt.j2").write_text("请填报：{{ unit }}（{{ period }}）", encoding="utf-8")
    pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW, units=["区财政局"])
    assert str(handler.received()[0][1]["Subject"]) == "请填报：区财政局（2025年6月）"


# ---------------------------------------------------------------- dry run


def test_dry_run_writes_one_draft_per_unit_and_sends_nothing(split_workspace, server, capsys):
    handler, port = server
    _settings(split_workspace, port)
    code = main(["--config", str(split_workspace / "config.yaml"), "send", "--period", "2025-06", "--dry-run"])
    assert code == 0
    printed = capsys.readouterr()
    assert "区财政局 → czj@changqing.example" in printed.out and "[5/5]" in printed.err
    outbox = split_workspace / "out" / str(PERIOD) / "outbox"
    drafts = sorted(outbox.glob("*.eml"))
    assert len(drafts) == len(UNITS)
    folder = split_workspace / "out" / str(PERIOD) / "分发"
    for draft in drafts:
        message = email.message_from_bytes(draft.read_bytes(), policy=email.policy.default)
        assert message["X-Unsent"] == "1"
        [(name, data)] = _attachments(message)
        assert data == (folder / name).read_bytes() and name.split("_", 1)[1][:-5] in str(message["Subject"])
    water = next(d for d in drafts if "区水务局" in d.name)
    assert email.message_from_bytes(water.read_bytes(), policy=email.policy.default)["To"] == ""
    assert handler.messages == [] and not (split_workspace / "out" / str(PERIOD) / LEDGER_NAME).exists()


# ---------------------------------------------------------------- reminders


def test_reminders_chase_missing_and_rejected_units_only(split_workspace, server):
    from pyxl.common.problems import Problem
    from pyxl.mail.deliver import plan_reminders

    handler, port = server
    settings = _settings(split_workspace, port)
    out = settings.out_dir(PERIOD)
    entries = read_manifest(out / "分发", PERIOD)
    problems = [Problem("collect-bad-status", "状态「完成了」不是可选的状态，应为 已完成/按计划推进/滞后/未启动，请从下拉列表中选择。",
                        file="returns/2025-06/a.xlsx", sheet="填报表", cell="I7")]
    planned = plan_reminders(entries, settings.unit_directory(), {"区发展改革局"}, {"区财政局": problems},
                             templates_from(settings.template_path), CONTEXT, date(2025, 7, 8))
    assert [item.unit for item in planned] == UNITS[1:]
    deliver(planned, Ledger(out / LEDGER_NAME), SmtpConnector(settings.mail, None), settings.mail.sender,
            clock=lambda: NOW, sleep=lambda s: None, per_minute=0, progress=lambda *a: None)
    by_address = {to[0]: message for to, message in handler.received()}
    finance = by_address["czj@changqing.example"]
    body = finance.get_body(("plain",)).get_content()
    assert "未通过审核" in str(finance["Subject"]) and "工作表「填报表」 单元格 I7" in body and "完成了" in body
    assert "returns/" not in body  # our archive path means nothing to the unit
    assert _attachments(finance) == []  # a rejected unit corrects its own file
    tech = by_address["gxkjj@changqing.example"]
    assert "尚未报送" in str(tech["Subject"]) and "2025年7月8日" in tech.get_body(("plain",)).get_content()
    assert len(_attachments(tech)) == 1  # the sheet again, in case it was lost
    rows = _ledger(split_workspace)
    assert {(r["类型"], r["轮次"]) for r in rows} == {("催报", "2025-07-08")}


def test_remind_command_before_and_after_due_date(split_workspace, server):
    handler, port = server
    settings = _settings(split_workspace, port)
    early = pipeline.send_reminders(Workspace.load(settings), PERIOD, as_of=date(2025, 7, 5), now=NOW)
    assert "不发催报" in early.summary[0] and handler.messages == []
    late = pipeline.send_reminders(Workspace.load(settings), PERIOD, as_of=date(2025, 7, 8), now=NOW)
    assert len(handler.messages) == 4  # nothing returned yet: every unit with an address
    assert late.exit_code == 1  # 区水务局 has no address
    pipeline.send_reminders(Workspace.load(settings), PERIOD, as_of=date(2025, 7, 8), now=NOW)
    assert len(handler.messages) == 4  # the same day's reminder is not sent twice
    pipeline.send_reminders(Workspace.load(settings), PERIOD, as_of=date(2025, 7, 15), now=NOW)
    assert len(handler.messages) == 8  # a week later is a new round


def test_remind_reads_the_collect_archive(split_workspace, server):
    """A unit that sent its sheet back empty is rejected by collect; its reminder lists the problem."""
    handler, port = server
    settings = _settings(split_workspace, port)
    sheet = settings.out_dir(PERIOD) / "分发" / _manifest(split_workspace)["区财政局"]["文件"]
    (split_workspace / "inbox").mkdir(exist_ok=True)
    (split_workspace / "inbox" / sheet.name).write_bytes(sheet.read_bytes())
    pipeline.collect_returns(Workspace.load(settings), PERIOD, None, now=NOW)
    pipeline.send_reminders(Workspace.load(settings), PERIOD, as_of=date(2025, 7, 8), now=NOW)
    by_address = {to[0]: message for to, message in handler.received()}
    finance = by_address["czj@changqing.example"]
    body = finance.get_body(("plain",)).get_content()
    assert "未通过审核" in str(finance["Subject"]) and "1. 工作表「区财政局」" in body and "inbox/" not in body
    assert "尚未报送" in str(by_address["fgj@changqing.example"]["Subject"])


def test_password_from_the_system_keyring(monkeypatch):
    import keyring
    from keyring.backend import KeyringBackend

    from pyxl.common.config import MailSettings
    from pyxl.mail.smtp import KEYRING_SERVICE, smtp_password

    class MemoryKeyring(KeyringBackend):
        priority = 1
        stored = {(KEYRING_SERVICE, USER): PASSWORD}

        def get_password(self, service, username):
            return self.stored.get((service, username))

        def set_password(self, service, username, password):
            self.stored[(service, username)] = password

        def delete_password(self, service, username):
            self.stored.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        mail = MailSettings(username=USER, password_env="PYXL_TEST_SMTP_PASSWORD")
        assert smtp_password(mail, {}) == PASSWORD
        assert smtp_password(mail, {"PYXL_TEST_SMTP_PASSWORD": "from-env"}) == "from-env"  # the variable wins
        assert smtp_password(MailSettings(username=""), {}) is None  # no login
        with pytest.raises(PyxlError, match="keyring set pyxl-smtp other"):
            smtp_password(MailSettings(username="other"), {})
    finally:
        keyring.set_keyring(previous)


def test_resplit_sheet_is_not_sent_again_without_resend(split_workspace, server):
    handler, port = server
    settings = _settings(split_workspace, port)
    pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    config = split_workspace / "config.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["split"]["sheet_password"] = "cq2025"  # the office re-splits with a password: every sheet changes
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    settings = load_settings(config)
    pipeline.split_sheets(Workspace.load(settings), PERIOD, units=UNITS)
    result = pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
    assert len(handler.messages) == 4
    assert any("重新生成过" in line and "区财政局" in line for line in result.summary)
