"""Composing a message: encoded-word limits, drafts, the ledger file surviving a crash."""

from __future__ import annotations

import email
import email.header
import email.policy
import re

import pytest

from pyxl.common.errors import PyxlError
from pyxl.mail.ledger import Ledger, LedgerLine
from pyxl.mail.message import Attachment, compose, envelope_sender, to_bytes

NAMES = [
    "plain.xlsx",
    "01_区财政局.xlsx",
    "12_长清区文昌街道办事处（含经济开发区管理委员会、大学科技园）关于重点工作推进情况.xlsx",
    "07_A区B局—“专项”工作 2025.xlsx",
]


@pytest.mark.parametrize("name", NAMES)
def test_attachment_name_encoded_words_are_legal_and_round_trip(name):
    message = compose("督查室 <d@cq.example>", ["a@cq.example"], "主题", "正文", Attachment(name, b"\x00data"), None)
    raw = to_bytes(message)
    text = raw.decode("ascii")
    words = re.findall(r"=\?UTF-8\?B\?[^?]*\?=", text)
    assert words and all(len(word) <= 75 for word in words)  # RFC 2047's limit
    for word in words:  # each word holds whole characters: decodes on its own
        [(chunk, charset)] = email.header.decode_header(word)
        chunk.decode(charset)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    [part] = list(parsed.iter_attachments())
    assert part.get_filename() == name and part.get_payload(decode=True) == b"\x00data"


def test_draft_is_marked_unsent_and_sent_mail_is_not():
    draft = email.message_from_bytes(to_bytes(compose("d@cq.example", [], "主题", "正文", None, None, draft=True)))
    sent = email.message_from_bytes(to_bytes(compose("d@cq.example", ["a@cq.example"], "主题", "正文", None, None)))
    assert draft["X-Unsent"] == "1" and sent["X-Unsent"] is None


def test_sender_without_address_is_a_settings_error():
    with pytest.raises(PyxlError, match="mail.sender"):
        envelope_sender("督查室")


def _line(unit: str, result: str = "成功") -> LedgerLine:
    return LedgerLine("分发", "2025-06", unit, f"{unit}@cq.example", "a.xlsx", "ab" * 32, "2025-06-28T09:30:00", result, "250 OK")


def test_ledger_survives_a_line_cut_by_a_crash(tmp_path):
    ledger = Ledger(tmp_path / "发送记录.csv")
    ledger.append(_line("甲局"))
    with ledger.path.open("a", encoding="utf-8") as handle:
        handle.write("分发,2025-06,乙局")  # the machine died mid-line
    ledger.append(_line("丙局", "失败"))
    lines = ledger.read()
    assert [(l.unit, l.result) for l in lines] == [("甲局", "成功"), ("丙局", "失败")]
    assert ledger.succeeded() == {("分发", "2025-06", "甲局", "甲局@cq.example")}  # no 催报 round, nothing of 丙局


def test_ledger_keeps_outside_text_out_of_excel_formulas(tmp_path):
    from pyxl.mail.ledger import Ledger, LedgerLine

    ledger = Ledger(tmp_path / "发送记录.csv")
    line = LedgerLine("分发", "2025-06", "区财政局", "=evil@example", "a.xlsx", "ab", "2025-07-01T09:00:00", "失败",
                      "-ERR =HYPERLINK(\"x\")")
    ledger.append(line)
    raw = (tmp_path / "发送记录.csv").read_text(encoding="utf-8-sig")
    assert ",=" not in raw and ",-" not in raw
    assert ledger.read() == [line]
