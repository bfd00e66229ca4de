"""Dovecot, the IMAP server many mail systems run, started by a test on loopback with its own config.

Debian's `dovecot-imapd` (installed by .ci/run). The server runs from a
private folder with its own configuration, log, state and Maildir, listens on
two free ports of 127.0.0.1 (IMAP with STARTTLS, and IMAPS), and is stopped by
its process id. Run as root, the master drops privileges as Dovecot always
does: logins run as `dovenull`, the mailbox as `nobody`. Run as an ordinary
user, everything runs as that user.

`DovecotServer` offers what `pyxl.demo.imapserver.LoopbackImapServer` offers
(port, security, client, deliver …), so a test can run against either.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from pyxl.demo.imapserver import LoopbackImapServer, free_port

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)


class DovecotServer(LoopbackImapServer):
    """`with DovecotServer(user, password, security=…, cert=…, key=…) as server:`."""

    def __init__(self, user: str, password: str, *, security: str = "none",
                 cert: Path | None = None, key: Path | None = None) -> None:
        if DOVECOT is None:
            raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
        self.user, self.password, self.security = user, password, security
        self._cert, self._key = cert, key
        self.plain_port, self.ssl_port = free_port(), free_port()
        self.port = self.ssl_port if security == "ssl" else self.plain_port
        self.folder = Path(tempfile.mkdtemp(prefix="pyxl-dovecot-"))
        self._process: subprocess.Popen | None = None

    def _config(self) -> Path:
        root = self.folder
        os.chmod(root, 0o755)  # the unprivileged login and mail processes must reach their files
        (root / "home").mkdir()
        (root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n", encoding="utf-8")
        if os.geteuid() == 0:
            mail_user = pwd.getpwnam("nobody")
            os.chown(root / "home", mail_user.pw_uid, mail_user.pw_gid)
            users = ""
        else:
            mail_user = pwd.getpwuid(os.geteuid())
            users = (f"default_login_user = {mail_user.pw_name}\ndefault_internal_user = {mail_user.pw_name}\n"
                     f"default_internal_group = {mail_user.pw_name}\nservice imap-login {{\n  chroot =\n}}\n")
        tls = (f"ssl = yes\nssl_cert = <{self._cert}\nssl_key = <{self._key}\n" if self._cert else "ssl = no\n")
        config = root / "dovecot.conf"
        config.write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{tls}
disable_plaintext_auth = {"yes" if self.security != "none" else "no"}
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
{users}
service imap-login {{
  inet_listener imap {{
    port = {self.plain_port}
  }}
  inet_listener imaps {{
    port = {self.ssl_port if self._cert else 0}
    ssl = yes
  }}
}}
""", encoding="utf-8")
        return config

    def __enter__(self) -> "DovecotServer":
        config = self._config()
        # in the foreground, so the process is ours to stop and to reap
        self._process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                self.client().logout()
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"dovecot did not start: {(self.folder / 'dovecot.log').read_text(errors='replace')[-2000:]}")

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)  # the master stops its own children
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)
