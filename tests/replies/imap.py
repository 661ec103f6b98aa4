"""A real IMAP server for tests: Dovecot (Debian ``dovecot-imapd``) started with a throwaway
configuration in a temporary folder, IMAPS on loopback with a certificate from a throwaway
authority (trustme), one user in a passwd file, mail kept as Maildir under the folder."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
from pathlib import Path

import trustme

from tests.support import free_port, wait_until

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USERNAME = "replies@visio.test"
PASSWORD = "imap-test-password-0123456789"
MAIL_USER = "nobody"  # Dovecot refuses to serve mail as root


class ImapServer:
    def __init__(self) -> None:
        # its own folder under /tmp, open to the unprivileged users Dovecot's processes run as
        # (pytest's temporary folders are private to root)
        self.folder = Path(tempfile.mkdtemp(prefix="visio-imap-"))
        self.folder.chmod(0o755)
        self.port = free_port()
        self.ca_file = self.folder / "ca.pem"
        self._process: subprocess.Popen[bytes] | None = None

    def _configure(self) -> Path:
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(self.ca_file))
        cert = ca.issue_cert("127.0.0.1", "localhost")
        cert.private_key_pem.write_to_path(str(self.folder / "key.pem"))
        cert.cert_chain_pems[0].write_to_path(str(self.folder / "cert.pem"))
        account = pwd.getpwnam(MAIL_USER)
        mail = self.folder / "mail"
        mail.mkdir()
        os.chown(mail, account.pw_uid, account.pw_gid)
        (self.folder / "passwd").write_text(f"{USERNAME}:{{PLAIN}}{PASSWORD}::::::\n")
        config = self.folder / "dovecot.conf"
        config.write_text(
            f"""
base_dir = {self.folder}/run
state_dir = {self.folder}/state
log_path = {self.folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{self.folder}/cert.pem
ssl_key = <{self.folder}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain
first_valid_uid = {account.pw_uid}
mail_location = maildir:{mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.folder}/passwd
}}
userdb {{
  driver = static
  args = uid={account.pw_uid} gid={account.pw_gid} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {self.port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
        )
        return config

    def start(self) -> None:
        config = self._configure()
        self._process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)])

        def listening() -> bool:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log()}")
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", self.port)) == 0

        wait_until(listening, 30, lambda: f"dovecot is not listening: {self.log()}")

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGTERM)
            self._process.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)

    def settings(self) -> dict[str, object]:
        return {
            "imap_host": "127.0.0.1",
            "imap_port": self.port,
            "imap_security": "tls",
            "imap_username": USERNAME,
            "imap_password": PASSWORD,
            "imap_ca_file": self.ca_file,
            "imap_poll_seconds": 1,
        }

    def client(self) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        client = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=context, timeout=30)
        client.login(USERNAME, PASSWORD)
        return client

    def append(self, message: bytes, mailbox: str = "INBOX") -> None:
        client = self.client()
        try:
            status, _ = client.append(mailbox, None, None, message)
            assert status == "OK"
        finally:
            client.logout()

    def flags(self, mailbox: str = "INBOX") -> list[bytes]:
        """The flags of every message in the mailbox, in order (none is ever deleted)."""
        client = self.client()
        try:
            client.select(mailbox, readonly=True)
            status, data = client.fetch("1:*", "(FLAGS)")
            if status != "OK" or data == [None]:
                return []
            return [item for item in data if isinstance(item, bytes)]
        finally:
            client.logout()
