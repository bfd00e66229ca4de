"""Mail never duplicates silently: a send whose outcome is unknown is recorded as 结果未知 and not resent.

Real loopback servers (aiosmtpd) that misbehave after the whole message was
handed over: one closes the connection right after queuing, one answers
only after the client's timeout. Both queue the message, so the unit has it;
a second run must not send it again, and the summary says how to check and
resend on purpose.
"""

from __future__ import annotations

import asyncio

import pytest
from test_mail import PASSWORD, PERIOD, USER, NOW, Recorder, _authenticator, _ledger, _settings, split_workspace  # noqa: F401

from pyxl import pipeline
from pyxl.common.errors import PyxlError
from pyxl.demo.mailserver import LoopbackMailServer
from pyxl.mail.ledger import RESULT_UNKNOWN
from pyxl.workspace import Workspace


class QueuesThenMisbehaves(Recorder):
    """Queues every message; for the `bad` one (1-based), drops the connection or answers late."""

    def __init__(self, how: str, bad: int = 2) -> None:
        super().__init__()
        self.how, self.bad = how, bad

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        answer = await super().handle_DATA(server, session, envelope)  # queued: the unit will get it
        if len(self.messages) == self.bad:
            if self.how == "drop":
                server.transport.close()
            else:
                await asyncio.sleep(3)  # the client gave up after 1 s
        return answer


@pytest.mark.parametrize("how", ["drop", "slow"])
def test_no_answer_after_data_is_unknown_never_resent_and_explained(split_workspace, how):
    handler = QueuesThenMisbehaves(how)
    with LoopbackMailServer(handler) as running:
        settings = _settings(split_workspace, running.port, timeout=1)
        first = pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
        rows = _ledger(split_workspace)
        unknown = [r for r in rows if r["结果"] == RESULT_UNKNOWN]
        assert [r["单位"] for r in unknown] == [rows[1]["单位"]]
        assert first.exit_code == 1 and first.data.unknown == [rows[1]["单位"]]
        assert any("结果未知" in line and "--resend --unit" in line for line in first.summary)
        delivered = len(handler.messages)

        second = pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
        assert len(handler.messages) == delivered  # nothing sent twice by itself
        recipients = [address for to, _ in handler.messages for address in to]
        assert len(recipients) == len(set(recipients))
        assert second.data.already and rows[1]["单位"] in second.data.already

        # the office checked and resends on purpose
        pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW, units=[rows[1]["单位"]], resend=True)
        assert len(handler.messages) == delivered + 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_over_an_unencrypted_connection_is_refused_unless_config_says_so(split_workspace, monkeypatch):
    handler = Recorder()
    with LoopbackMailServer(handler, auth_required=True, auth_require_tls=False, authenticator=_authenticator) as running:
        monkeypatch.setenv("PYXL_TEST_SMTP_PASSWORD", PASSWORD)
        settings = _settings(split_workspace, running.port, username=USER, password_env="PYXL_TEST_SMTP_PASSWORD")
        with pytest.raises(PyxlError, match="allow_plain_login") as stop:
            pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
        assert PASSWORD not in str(stop.value) and handler.messages == []

        settings = _settings(split_workspace, running.port, username=USER, password_env="PYXL_TEST_SMTP_PASSWORD",
                             allow_plain_login=True)
        pipeline.send_sheets(Workspace.load(settings), PERIOD, now=NOW)
        assert handler.messages
