"""SMTP for the mail stage: the password, a logged-in connection, one message command by command."""

from __future__ import annotations

import re
import smtplib
import ssl
from typing import Mapping

from pyxl.common.config import MailSettings
from pyxl.common.errors import PyxlError
from pyxl.common.secrets import stored_password

KEYRING_SERVICE = "pyxl-smtp"


def smtp_password(mail: MailSettings, environ: Mapping[str, str]) -> str | None:
    """The password from the environment variable named in the settings, else the system keyring."""
    if not mail.username:
        return None
    value = stored_password(mail.username, mail.password_env, KEYRING_SERVICE, environ)
    if value:
        return value
    raise PyxlError(
        f"没有找到邮箱 {mail.username} 的密码：请设置环境变量 {mail.password_env}，"
        f"或存入系统钥匙串（keyring set {KEYRING_SERVICE} {mail.username}）。"
    )


class OutcomeUnknown(Exception):
    """The whole message was handed over but the server's answer never came (timeout, dropped connection).

    The server may well have queued it: sending it again could give the unit
    a second copy, so it is recorded as 结果未知 and left to the office.
    """

    def __init__(self, reply: str, addresses: list[str], refused: dict[str, tuple[bool, str]]) -> None:
        super().__init__(reply)
        self.reply = reply
        self.addresses = addresses  # the recipients the server had accepted
        self.refused = refused  # those it had refused before DATA


class MailStop(Exception):
    """The server cannot be used at all (unreachable, login rejected): the batch stops."""

    def __init__(self, reply: str, advice: str) -> None:
        super().__init__(reply)
        self.reply = reply
        self.advice = advice


def reply_text(code: int, message: bytes | str) -> str:
    """A server reply as one line for the ledger and the summary: `550 5.1.1 … User unknown`."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}"


class SmtpConnector:
    """Opens logged-in SMTP connections from the mail settings."""

    def __init__(self, mail: MailSettings, password: str | None) -> None:
        self.mail = mail
        self._password = password

    def __call__(self) -> smtplib.SMTP:
        mail = self.mail
        where = f"{mail.host}:{mail.port}"
        try:
            if mail.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    mail.host, mail.port, timeout=mail.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout)
                if mail.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo_or_helo_if_needed()
        except (OSError, smtplib.SMTPException) as error:
            raise MailStop(
                f"无法连接 {where}：{error}",
                f"请检查 config.yaml 中 mail.host、mail.port、mail.security（现为 {mail.security}）与网络",
            ) from None
        if mail.username and not isinstance(smtp, smtplib.SMTP_SSL) and mail.security != "starttls" and not mail.allow_plain_login:
            quit_quietly(smtp)
            raise MailStop(
                f"拒绝在未加密的连接上登录 {where}（密码会以明文经过网络）",
                "请把 mail.security 设为 ssl 或 starttls；只有确知服务器在内网且不支持加密时，"
                "才在 config.yaml 的 mail 下写 allow_plain_login: true",
            )
        if mail.username:
            try:
                smtp.login(mail.username, self._password or "")
            except smtplib.SMTPAuthenticationError as error:
                quit_quietly(smtp)
                raise MailStop(
                    reply_text(error.smtp_code, error.smtp_error),
                    f"服务器拒绝登录：请检查 mail.username（{mail.username}）和环境变量 {mail.password_env} 中的密码"
                    "（有的邮箱须使用「客户端授权码」而不是登录密码）",
                ) from None
            except UnicodeEncodeError:  # smtplib sends the login as ASCII
                quit_quietly(smtp)
                raise MailStop(
                    f"登录 {where} 失败：用户名或密码中有汉字或全角字符",
                    f"请检查 mail.username 和环境变量 {mail.password_env}（SMTP 登录只支持半角字符）",
                ) from None
            except (OSError, smtplib.SMTPException) as error:
                quit_quietly(smtp)
                raise MailStop(f"登录 {where} 失败：{error}", "请检查 mail.security 与服务器是否支持登录") from None
        return smtp


def quit_quietly(smtp: smtplib.SMTP) -> None:
    """Say QUIT, or just close when the server is already gone: ending a batch never raises."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def transmit(smtp: smtplib.SMTP, sender: str, recipients: list[str], data: bytes) -> dict[str, tuple[bool, str]]:
    """One message, command by command, so each address gets the server's own answer.

    smtplib's sendmail hides the final reply ("250 Ok: queued as …") that
    the ledger keeps as proof. A 421 answer means the server is closing: it
    is raised as a disconnection so the caller reconnects.
    """
    code, text = smtp.mail(sender)
    if code == 421:
        raise smtplib.SMTPServerDisconnected(reply_text(code, text))
    if code != 250:
        smtp.rset()
        return {address: (False, reply_text(code, text)) for address in recipients}
    results: dict[str, tuple[bool, str]] = {}
    accepted = []
    for address in recipients:
        code, text = smtp.rcpt(address)
        if code == 421:
            raise smtplib.SMTPServerDisconnected(reply_text(code, text))
        if code in (250, 251):
            accepted.append(address)
        else:
            results[address] = (False, reply_text(code, text))
    if not accepted:
        smtp.rset()
        return results
    code, text = smtp.docmd("data")
    if code == 421:
        raise smtplib.SMTPServerDisconnected(reply_text(code, text))
    if code != 354:
        smtp.rset()
        for address in accepted:
            results[address] = (False, reply_text(code, text))
        return results
    try:
        smtp.send(_wire(data))
    except (OSError, smtplib.SMTPException) as error:
        # the message was cut off before its final ".": a server discards an unfinished message
        raise smtplib.SMTPServerDisconnected(f"连接中断：{error}") from None
    try:
        code, text = smtp.getreply()
    except (OSError, smtplib.SMTPException) as error:
        raise OutcomeUnknown(f"邮件已全部交给服务器，但没有收到服务器的确认（{type(error).__name__}：{error}）",
                             accepted, results) from None
    if code == 421:
        # a server may say "closing" after queuing; what it did with the message is not said
        raise OutcomeUnknown(reply_text(code, text), accepted, results)
    for address in accepted:
        results[address] = (code == 250, reply_text(code, text))
    return results


def _wire(data: bytes) -> bytes:
    """The message as DATA sends it: CRLF line ends, leading dots doubled, the final "." line."""
    data = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"
