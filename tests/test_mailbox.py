"""Collect straight from the office mailbox: real IMAP servers on loopback, real TLS, real faults.

Every mailbox test runs twice: against pymap (the pure-Python server the demo
uses) and against Dovecot (the server many mail systems run; Debian's
dovecot-imapd, which .ci/run installs), each started by the test on free ports.

The mailbox holds what an office mailbox holds: the units' answers (a sheet,
a zip, a reply that carries the sheet twice), and unrelated mail (a notice
with a PDF, a plain message, last month's answer). Outlook's .msg files are
written by a second, independent library (aspose-email-foss) and read by
extract-msg.
"""

from __future__ import annotations

import io
import ipaddress
import os
import re
import socket
import threading
import zipfile
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

import pytest
from test_collect_support import OTHER, PERIOD, UNIT, filled

from pyxl import cli, pipeline
from pyxl.common.errors import PyxlError
from pyxl.common.period import Period
from pyxl.demo.imapserver import LoopbackImapServer, free_port
from dovecot_server import DOVECOT, DovecotServer
from pyxl.returns import evidence, mailbox
from pyxl.returns.archive import read_ledger
from pyxl.workspace import Workspace

CHINA = timezone(timedelta(hours=8))
NOW = datetime(2025, 7, 8, 9, 0)
USER, PASSWORD = "duchashi@changqing.example", "qqauthcode1234"
ENV = {"PYXL_IMAP_PASSWORD": PASSWORD}
TOWN = "文昌街道"


# ---------------------------------------------------------------- fixtures



@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, as an intranet mail server may have."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture(params=["pymap", "dovecot"])
def imap_server(request):
    """The kind of IMAP server to start: `imap_server(user, password, security=…, cert=…, key=…)`."""
    if request.param == "dovecot":
        if DOVECOT is None:
            if os.environ.get("PYXL_REQUIRE_DOVECOT"):
                pytest.fail("dovecot is not installed: .ci/run installs dovecot-imapd")
            pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
        return DovecotServer
    return LoopbackImapServer



def sent_file(settings, unit):
    return next(p for p in settings.distribution_dir(PERIOD).glob("*.xlsx") if p.name.endswith(f"_{unit}.xlsx"))


def with_mailbox(settings, server, **changes):
    mail = settings.inbox_mail.model_copy(update={
        "host": "127.0.0.1", "port": server.port, "security": server.security, "username": USER, **changes,
    })
    changed = settings.model_copy(update={"inbox_mail": mail})
    changed._root = settings.root
    return changed


PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 a photo of the site \xff\xd9"


def answer(sender: str, unit: str, attachments: dict[str, bytes], *, quoted: bytes | None = None,
           subject: str | None = None, message_id: bool = True) -> bytes:
    """A unit's reply as its mail client writes it; `quoted`: a whole earlier message attached (a forward)."""
    message = EmailMessage()
    message["From"] = formataddr((unit, sender))
    message["To"] = USER
    message["Subject"] = subject or f"回复：{unit} {PERIOD} 重点工作推进情况"
    message["Date"] = format_datetime(datetime(2025, 7, 3, 15, 0, tzinfo=CHINA))
    if message_id:
        message["Message-ID"] = make_msgid(domain="changqing.example")
    message.set_content(f"督查室：\n附件是{unit}的报表，请查收。\n")
    message.add_alternative(f"<p>督查室：</p><p>附件是{unit}的报表，请查收。</p>", subtype="html")
    for name, data in attachments.items():
        message.add_attachment(data, maintype="application", subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               filename=name)
    if quoted is not None:
        inner = EmailMessage()
        inner.set_content("quoted")
        from email import message_from_bytes, policy
        message.add_attachment(message_from_bytes(quoted, policy=policy.default), filename="原邮件.eml")
    return message.as_bytes()


def settings_mail_to(address: str, unit: str, sheet: Path) -> bytes:
    """The office's own mail to a unit, its blank sheet attached (as pyxl send writes it)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = USER, address, f"{unit} {PERIOD} 重点工作推进情况"
    message["Message-ID"] = make_msgid(domain="changqing.example")
    message.set_content("请填报。")
    message.add_attachment(sheet.read_bytes(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=sheet.name)
    return message.as_bytes()


def bounce(original: bytes) -> bytes:
    """A delivery failure report (RFC 3464) carrying the whole original message back."""
    from email import message_from_bytes, policy

    report = EmailMessage()
    report["From"], report["To"], report["Subject"] = "MAILER-DAEMON@changqing.example", USER, "Undelivered Mail Returned to Sender"
    report["Message-ID"] = make_msgid(domain="changqing.example")
    report.set_content("This is the mail system: your message could not be delivered. 550 5.1.1 User unknown")
    report.add_attachment(message_from_bytes(original, policy=policy.default))
    report.replace_header("Content-Type", report.get("Content-Type").replace("multipart/mixed", "multipart/report"))
    return report.as_bytes()


def plain(sender: str, subject: str, body: str = "你好") -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, USER, subject
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content(body)
    return message.as_bytes()


def notice_with_pdf() -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "bgs@jinan.example", USER, "关于召开会议的通知"
    message["Message-ID"] = make_msgid(domain="jinan.example")
    message.set_content("请参会。")
    message.add_attachment(b"%PDF-1.4 notice", maintype="application", subtype="pdf", filename="会议通知.pdf")
    return message.as_bytes()


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2025, 7, day, hour, minute, tzinfo=CHINA)


def flags(server, folder: str = "INBOX") -> dict[int, tuple]:
    client = server.client()
    try:
        client.select_folder(folder, readonly=True)
        return {uid: data[b"FLAGS"] for uid, data in client.fetch(client.search(["ALL"]), ["FLAGS"]).items()}
    finally:
        client.logout()


def collect(settings, **kwargs):
    return pipeline.collect_returns(Workspace.load(settings), Period(2025, 6), None, now=NOW, environ=ENV, **kwargs)


# ---------------------------------------------------------------- the office's month


def test_answers_are_collected_from_the_mailbox_read_only_and_a_rerun_fetches_nothing(imap_server, ws, certificate, tmp_path):
    finance = filled(sent_file(ws, UNIT), tmp_path / "财政局.xlsx").read_bytes()
    other = filled(sent_file(ws, OTHER), tmp_path / "发改局.xlsx").read_bytes()
    town = filled(sent_file(ws, TOWN), tmp_path / "文昌.xlsx").read_bytes()
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("发改局6月报表.xlsx", other)
    first_try = answer("wenchang@changqing.example", TOWN, {"文昌街道.xlsx": town})
    blank = sent_file(ws, TOWN).read_bytes()
    with imap_server(USER, PASSWORD, security="starttls", cert=certificate[0], key=certificate[1]) as server:
        server.deliver_many([
            # its 佐证材料 in the same reply: archived as the unit's evidence
            (answer("czj@changqing.example", UNIT, {"区财政局 2025年6月.xlsx": finance, "现场照片.jpg": PHOTO}, subject="Re: 报表"),
             at(3, 16, 5)),
            (plain("friend@example.org", "周末聚餐"), at(3, 18)),
            (notice_with_pdf(), at(4)),
            # some mail programs set no Message-ID: the message is known again by its headers, time and size
            (answer("fgj@changqing.example", OTHER, {"发改局.zip": packed.getvalue()}, message_id=False), at(4, 9, 30)),
            # the reply carries the sheet twice: attached, and again inside the earlier message it quotes
            # and the office's own blank sheet comes back too, as mail clients keep the original attachment
            (answer("wenchang@changqing.example", TOWN, {"文昌街道.xlsx": town, sent_file(ws, TOWN).name: blank},
                    quoted=first_try), at(5, 11)),
            (bounce(settings_mail_to("mzj@changqing.example", "区民政局", sent_file(ws, "区民政局"))), at(1, 9, 2)),
            # last month's answer, long before this period's sheets went out: never even looked at
            (answer("czj@changqing.example", UNIT, {"5月.xlsx": b"PK old"}), datetime(2025, 6, 3, 9, tzinfo=CHINA)),
        ])
        settings = with_mailbox(ws, server, ca_file=str(certificate[0]))
        _sent_on(settings, datetime(2025, 7, 1, 9, 0))
        shown = []
        result = collect(settings, progress=lambda done, total, text: shown.append((done, total)))

        assert {r.unit for r in result.data} == {UNIT, OTHER, TOWN}
        assert all(r.accepted for r in result.data), [(p.file, p.code) for p in result.problems]
        by_unit = {r.unit: r for r in result.data}
        assert by_unit[UNIT].received == datetime(2025, 7, 3, 16, 5)  # the server's INTERNALDATE, China time
        assert by_unit[OTHER].received == datetime(2025, 7, 4, 9, 30)
        assert by_unit[OTHER].source.endswith("!发改局.zip!发改局6月报表.xlsx")
        assert by_unit[UNIT].source == "邮箱/INBOX/czj@changqing.example 2025-07-03 16:05!区财政局 2025年6月.xlsx"
        # the town's sheet came twice in one reply: one return, the second copy is a duplicate of the same bytes
        assert sum(r.unit == TOWN for r in result.data) == 1
        assert "本室下发原表（回复引用或退信）2 个，不作为报回" in result.summary[0]
        assert "区民政局" not in {r.unit for r in result.data}  # the bounce of the office's own mail
        assert not any(code == "return-empty" for _, code in {(p.file, p.code) for p in result.problems})
        codes = {(p.file, p.code) for p in result.problems}
        assert any(code == "file-skipped" and file.endswith("会议通知.pdf") for file, code in codes)
        assert shown and shown[-1] == (5, 5)  # the five messages with attachments since the sheets were sent

        ledger = {e.unit: e for e in read_ledger(settings.returns_dir(PERIOD)) if e.unit and e.status != "evidence"}
        assert ledger[UNIT].sender == "czj@changqing.example"
        [photo] = evidence.read_index(settings.returns_dir(PERIOD))
        assert (photo.unit, photo.name, photo.came_with) == (UNIT, "现场照片.jpg", ledger[UNIT].file)
        assert (settings.root / photo.file).read_bytes() == PHOTO and photo.received == "2025-07-03 16:05:00"
        records = mailbox.read_records(settings.returns_dir(PERIOD))
        assert len(records) == 5
        assert next(r for r in records if r.sender == "fgj@changqing.example").message_id.startswith("sha256:")
        assert all(r.message_id.startswith("<") for r in records if r.sender != "fgj@changqing.example")
        assert {r.sender for r in records} == {"czj@changqing.example", "fgj@changqing.example", "mailer-daemon@changqing.example",
                                               "wenchang@changqing.example", "bgs@jinan.example"}
        assert {r.received for r in records} >= {"2025-07-03 16:05:00", "2025-07-04 09:30:00"}
        # read-only: nothing marked read, nothing moved or deleted
        assert all(b"\\Seen" not in f and b"\\Deleted" not in f for f in flags(server).values())
        assert len(flags(server)) == 7

        archive = sorted(p.name for p in settings.returns_dir(PERIOD).iterdir())
        again = collect(settings)
        assert again.data == [] and again.problems == []
        assert "本次收取 0 封，以前已收取 5 封" in again.summary[0]
        assert sorted(p.name for p in settings.returns_dir(PERIOD).iterdir()) == archive
        assert len(mailbox.read_records(settings.returns_dir(PERIOD))) == 5


def _sent_on(settings, moment: datetime) -> None:
    """The send ledger as `pyxl send` leaves it: the period's sheets went out at `moment`."""
    from pyxl.mail.ledger import KIND_SEND, RESULT_OK, Ledger, LedgerLine, LEDGER_NAME

    Ledger(settings.out_dir(PERIOD) / LEDGER_NAME).append(LedgerLine(
        KIND_SEND, PERIOD, UNIT, "czj@changqing.example", "x.xlsx", "", moment.isoformat(sep=" "), RESULT_OK, "250 Ok"))


def test_ssl_with_the_offices_own_certificate_and_processed_mail_moved(imap_server, ws, certificate, tmp_path):
    finance = filled(sent_file(ws, UNIT), tmp_path / "财政局.xlsx").read_bytes()
    with imap_server(USER, PASSWORD, security="ssl", cert=certificate[0], key=certificate[1]) as server:
        server.deliver(answer("czj@changqing.example", UNIT, {"财政局.xlsx": finance}), at(3))
        server.deliver(plain("friend@example.org", "你好"), at(3))
        server.create_folder("已收回执")
        untrusted = with_mailbox(ws, server)
        with pytest.raises(PyxlError, match="证书无法验证.*inbox_mail.ca_file"):
            collect(untrusted)
        settings = with_mailbox(ws, server, ca_file=str(certificate[0]), move_to="已收回执", mark_read=True,
                                lookback_days=30)
        result = collect(settings)
        assert [r.unit for r in result.data] == [UNIT]
        assert len(flags(server, "INBOX")) == 1  # the unrelated message stays where it was
        moved = flags(server, "已收回执")
        assert len(moved) == 1 and all(b"\\Seen" in f for f in moved.values())


@pytest.mark.parametrize("fault, expected", [
    ("password", "拒绝登录.*授权码"),
    ("folder", "没有文件夹「回执」.*inbox_mail.folder"),
    ("move_to", "没有文件夹「已处理」.*inbox_mail.move_to"),
    ("tls", "加密连接失败.*inbox_mail.security"),
    ("refused", "无法连接收件服务器.*连接被拒绝"),
])
def test_each_fault_is_one_chinese_line_and_exit_2_with_nothing_recorded(imap_server, ws, fault, expected, capsys, monkeypatch):
    with imap_server(USER, PASSWORD) as server:
        server.deliver(answer("czj@changqing.example", UNIT, {"a.xlsx": b"PK"}), at(3))
        changes = {"lookback_days": 30}
        if fault == "folder":
            changes["folder"] = "回执"
        elif fault == "move_to":
            changes["move_to"] = "已处理"
        elif fault == "tls":
            changes["security"] = "ssl"  # the server speaks plain IMAP on this port
        elif fault == "refused":
            changes["port"] = free_port()
        settings = with_mailbox(ws, server, **changes)
        environ = {"PYXL_IMAP_PASSWORD": "wrong"} if fault == "password" else ENV
        with pytest.raises(PyxlError, match=expected) as raised:
            pipeline.collect_returns(Workspace.load(settings), Period(2025, 6), None, now=NOW, environ=environ)
        assert "\n" not in str(raised.value)
        assert mailbox.read_records(settings.returns_dir(PERIOD)) == []
        assert read_ledger(settings.returns_dir(PERIOD)) == [] or all(e.status != "accepted" for e in read_ledger(settings.returns_dir(PERIOD)))
        if fault == "password":  # and the command line says it and exits 2
            _write_config(settings)
            monkeypatch.setenv("PYXL_IMAP_PASSWORD", "wrong")
            assert cli.main(["--config", str(settings.root / "config.yaml"), "collect", "--period", PERIOD]) == 2
            err = capsys.readouterr().err
            assert "拒绝登录" in err and "Traceback" not in err


def _write_config(settings) -> None:
    import yaml

    path = settings.root / "config.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["inbox_mail"] = settings.inbox_mail.model_dump()
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_a_message_too_large_is_a_problem_and_is_not_downloaded(imap_server, ws, tmp_path):
    finance = filled(sent_file(ws, UNIT), tmp_path / "财政局.xlsx").read_bytes()
    with imap_server(USER, PASSWORD) as server:
        server.deliver(answer("czj@changqing.example", UNIT, {"财政局.xlsx": finance}), at(3))
        server.deliver(answer("fgj@changqing.example", OTHER, {"扫描件.xlsx": b"PK" + bytes(300_000)}), at(4))
        settings = with_mailbox(ws, server, lookback_days=30, max_message_mb=0.2)
        result = collect(settings)
        assert [r.unit for r in result.data] == [UNIT]
        assert [(p.file, p.code) for p in result.problems if p.code == "mail-too-large"] == [
            ("邮箱/INBOX/fgj@changqing.example 2025-07-04 10:00", "mail-too-large")]
        assert [r.sender for r in mailbox.read_records(settings.returns_dir(PERIOD))] == ["czj@changqing.example"]
        # still there and still reported: the clerk saves it by hand or raises the limit
        assert [p.code for p in collect(settings).problems] == ["mail-too-large"]


class DroppingProxy:
    """A TCP relay to the server that cuts the connection when the client asks for its `cut_at`-th attachment download."""

    def __init__(self, target_port: int, cut_at: int) -> None:
        self.target, self.cut_at, self.downloads = target_port, cut_at, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                if from_client:
                    self.downloads += len(re.findall(rb"BODY\.PEEK\[\d+\.MIME\]", data))
                    if self.downloads >= self.cut_at:
                        break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def close(self) -> None:
        self.listener.close()


def test_a_connection_dropped_mid_fetch_keeps_what_was_recorded_and_the_next_run_resumes(imap_server, ws, tmp_path, monkeypatch):
    units = [UNIT, OTHER, TOWN, "平安街道", "马山镇"]
    sheets = {u: filled(sent_file(ws, u), tmp_path / f"{u}.xlsx").read_bytes() for u in units}
    addresses = {u: ws.unit_directory().unit(u).emails[0] for u in units}
    monkeypatch.setattr(mailbox, "BATCH", 2)
    with imap_server(USER, PASSWORD) as server:
        server.deliver_many([(answer(addresses[u], u, {f"{u}.xlsx": sheets[u]}), at(3, 9, i)) for i, u in enumerate(units)])
        proxy = DroppingProxy(server.port, cut_at=3)  # the third message's download never completes
        try:
            settings = with_mailbox(ws, server, port=proxy.port, lookback_days=30)
            with pytest.raises(PyxlError, match="中途中断.*已收取的 2 封邮件已记录.*继续"):
                collect(settings)
        finally:
            proxy.close()
        returns_dir = settings.returns_dir(PERIOD)
        assert [r.sender for r in mailbox.read_records(returns_dir)] == [addresses[UNIT], addresses[OTHER]]
        assert {e.unit for e in read_ledger(returns_dir) if e.unit} == {UNIT, OTHER}

        resumed = collect(with_mailbox(ws, server, lookback_days=30))
        assert {r.unit for r in resumed.data} == {TOWN, "平安街道", "马山镇"}
        assert "本次收取 3 封，以前已收取 2 封" in resumed.summary[0]
        assert len(mailbox.read_records(returns_dir)) == 5
        assert {e.unit for e in read_ledger(returns_dir) if e.unit} == set(units)


# ---------------------------------------------------------------- Outlook .msg


def outlook_message(sender: str, unit: str, sent: datetime, attachments: dict[str, bytes], embedded=None):
    """A received message as Outlook saves it when dragged out (built by aspose-email-foss, not by pyxl)."""
    from aspose.email_foss import msg

    message = msg.MapiMessage.create(f"回复：{unit} 重点工作推进情况", "督查室：附件请查收。")
    message.set_property(msg.PropertyId.SENDER_NAME, unit)
    message.set_property(msg.PropertyId.SENDER_EMAIL_ADDRESS, sender)
    message.set_property(msg.PropertyId.MESSAGE_DELIVERY_TIME, sent)
    message_id = f"<{unit.encode().hex()[:12]}@changqing.example>"
    message.set_property(msg.PropertyId.INTERNET_MESSAGE_ID, message_id)
    message.set_property(msg.PropertyId.TRANSPORT_MESSAGE_HEADERS, (
        f"From: {formataddr((unit, sender))}\r\nTo: {USER}\r\nDate: {format_datetime(sent)}\r\n"
        f"Subject: reply\r\nMessage-ID: {message_id}\r\n\r\n"))
    message.add_recipient(USER, display_name="督查室")
    for name, data in attachments.items():
        message.add_attachment(name, data, mime_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if embedded is not None:  # a forward: the earlier message itself attached, as Outlook does
        message.add_embedded_message_attachment(embedded, filename="转发的邮件.msg")
    return message


def test_outlook_msg_files_in_the_inbox_are_read_like_eml(ws, tmp_path):
    finance = filled(sent_file(ws, UNIT), tmp_path / "财政局.xlsx").read_bytes()
    town = filled(sent_file(ws, TOWN), tmp_path / "文昌.xlsx").read_bytes()
    pingan = filled(sent_file(ws, "平安街道"), tmp_path / "平安.xlsx").read_bytes()
    outlook_message("czj@changqing.example", UNIT, datetime(2025, 7, 3, 8, 5, tzinfo=timezone.utc),
                    {"区财政局6月.xlsx": finance, "验收报告.pdf": b"%PDF-1.4 acceptance"}).save(ws.inbox_dir / "财政局回复.msg")
    # the unit's address sending another unit's sheet: the sender check sees the .msg's sender
    outlook_message("fgj@changqing.example", OTHER, datetime(2025, 7, 4, 1, 0, tzinfo=timezone.utc),
                    {"文昌.xlsx": town}).save(ws.inbox_dir / "错发.msg")
    # a colleague forwards the town's own message: the sheet inside the embedded message is read too
    original = outlook_message("pingan@changqing.example", "平安街道", datetime(2025, 7, 2, 2, 0, tzinfo=timezone.utc),
                               {"平安街道.xlsx": pingan})
    outlook_message("pingan@changqing.example", "平安街道", datetime(2025, 7, 2, 3, 0, tzinfo=timezone.utc), {},
                    embedded=original).save(ws.inbox_dir / "转发.msg")
    (ws.inbox_dir / "坏的.msg").write_bytes(b"\xd0\xcf\x11\xe0 not really an Outlook file")
    result = pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=NOW)
    by_unit = {r.unit: r for r in result.data}
    assert set(by_unit) == {UNIT, TOWN, "平安街道"}
    assert by_unit["平安街道"].accepted and by_unit["平安街道"].received == datetime(2025, 7, 2, 10, 0)
    assert by_unit["平安街道"].source.startswith("inbox/转发.msg!转发的邮件.msg!")
    assert by_unit[UNIT].accepted and by_unit[UNIT].received == datetime(2025, 7, 3, 16, 5)
    assert by_unit[UNIT].source == "inbox/财政局回复.msg!区财政局6月.xlsx"
    codes = {(p.file, p.code) for p in result.problems}
    assert ("inbox/错发.msg!文昌.xlsx", "sent-by-other-unit") in codes
    assert ("inbox/坏的.msg", "archive-corrupt") in codes
    ledger = read_ledger(ws.returns_dir(PERIOD))
    assert next(e for e in ledger if e.unit == UNIT).sender == "czj@changqing.example"
    # the PDF beside the sheet in the Outlook message is the unit's 佐证材料
    [report] = evidence.read_index(ws.returns_dir(PERIOD))
    assert (report.unit, report.name, report.source) == (UNIT, "验收报告.pdf", "inbox/财政局回复.msg!验收报告.pdf")
    assert (ws.root / report.file).read_bytes() == b"%PDF-1.4 acceptance"


class RecordingProxy(DroppingProxy):
    """A relay that only counts: the commands the client sent and the bytes the server answered."""

    def __init__(self, target_port: int) -> None:
        self.sent, self.answered = b"", 0
        super().__init__(target_port, cut_at=10**9)

    def _pipe(self, source, sink, from_client):
        try:
            while data := source.recv(65536):
                if from_client:
                    self.sent += data
                else:
                    self.answered += len(data)
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.close()
            except OSError:
                pass


def test_only_the_attachments_are_downloaded_never_the_long_bodies_or_unrelated_mail(imap_server, ws, tmp_path):
    finance = filled(sent_file(ws, UNIT), tmp_path / "财政局.xlsx").read_bytes()
    long_text = "本单位上半年工作情况如下。" * 20_000  # a reply that pastes a long report into the body
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "czj@changqing.example", USER, "报表"
    message["Message-ID"] = make_msgid(domain="changqing.example")
    message.set_content(long_text)
    message.add_attachment(finance, maintype="application", subtype="octet-stream", filename="财政局.xlsx")
    with imap_server(USER, PASSWORD) as server:
        server.deliver(message.as_bytes(), at(3))
        server.deliver_many([(plain("friend@example.org", f"通知{i}", long_text), at(3)) for i in range(5)])
        proxy = RecordingProxy(server.port)
        try:
            result = collect(with_mailbox(ws, server, port=proxy.port, lookback_days=30))
        finally:
            proxy.close()
    assert [r.unit for r in result.data] == [UNIT]
    assert len(long_text.encode()) * 6 > 3_000_000
    assert proxy.answered < len(finance) * 1.5 + 50_000  # the sheet (base64) and the headers, not 3 MB of text
    assert b"BODY.PEEK[]" not in proxy.sent and b"BODY[" not in proxy.sent.replace(b"BODY.PEEK[", b"")


def test_hostile_attachments_meet_the_same_limits_as_files(imap_server, ws):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("区财政局.xlsx", bytes(300 * 1024 * 1024))
    nested = io.BytesIO()
    with zipfile.ZipFile(nested, "w") as out:
        out.writestr("a.zip", bomb.getvalue())
    with imap_server(USER, PASSWORD) as server:
        server.deliver(answer("czj@changqing.example", UNIT, {"打包.zip": bomb.getvalue()}), at(3))
        server.deliver(answer("fgj@changqing.example", OTHER, {"套娃.zip": nested.getvalue(), "假的.xlsx": b"%PDF-1.4"}), at(4))
        result = collect(with_mailbox(ws, server, lookback_days=30))
    codes = sorted((p.file.rsplit("!", 1)[-1], p.code) for p in result.problems)
    assert codes == [("a.zip", "archive-too-large"), ("假的.xlsx", "file-not-spreadsheet"), ("打包.zip", "archive-too-large")]
    assert [(r.unit, r.accepted) for r in result.data] == [(None, False)]
