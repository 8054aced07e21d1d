"""Real mail servers for the email channel's tests and benchmark, started on free loopback ports.

- IMAP: Debian's dovecot (`apt-get install dovecot-imapd`), run as a non-root user (`nobody`
  when the tests run as root) with its own config, a passwd-file and Maildirs in a temp dir.
- SMTP: aiosmtpd, keeping every message it receives in a list.
"""

import imaplib
import os
import pwd
import shutil
import subprocess  # nosec B404 - starts dovecot, a fixed binary with fixed arguments
import tempfile
import time
from email import message_from_bytes, policy
from pathlib import Path

from tests.subprocess_env import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "s3cret-imap"
ACCOUNTS = 300

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
mail_location = maildir:~/Maildir
mail_fsync = never
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service pop3-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
"""


def available() -> bool:
    return Path(DOVECOT).exists()


class Dovecot:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
        self.port = free_port()
        self.host = "127.0.0.1"
        self._process: subprocess.Popen | None = None
        self._users = 0

    def start(self) -> "Dovecot":
        # As root, dovecot would run its mail processes as someone else anyway: run it all as
        # nobody, as a developer's own account runs it.
        account = pwd.getpwuid(os.getuid()) if os.getuid() else pwd.getpwnam("nobody")
        group = _group_name(account.pw_gid)
        # Every account up front: dovecot reads the passwd-file again only when its mtime moves
        # (to the second), so an account added later could go unseen.
        (self.root / "passwd").write_text(
            "".join(f"{self._address(n)}:{{PLAIN}}{PASSWORD}\n" for n in range(1, ACCOUNTS + 1))
        )
        (self.root / "dovecot.conf").write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                user=account.pw_name,
                group=group,
                uid=account.pw_uid,
                gid=account.pw_gid,
            )  # fmt: skip
        )
        if os.getuid() == 0:
            for path in [self.root, *self.root.iterdir()]:
                os.chown(path, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", account.pw_name, "--"] if os.getuid() == 0 else []
        self._process = subprocess.Popen(  # noqa: S603  # nosec B603 - fixed arguments
            [*as_user, DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                imaplib.IMAP4(self.host, self.port, timeout=1).logout()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
        # Dovecot's children exit with their master; the directory may be nobody's.
        shutil.rmtree(self.root, ignore_errors=True)

    @staticmethod
    def _address(n: int) -> str:
        return f"desk{n}@mail.test"

    def add_user(self) -> str:
        """A fresh account (its own empty Maildir): each test gets its own."""
        self._users += 1
        assert self._users <= ACCOUNTS, "raise ACCOUNTS in tests/tickets/mail/servers.py"
        return self._address(self._users)

    def connect(self, user: str, password: str = PASSWORD) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(user, password)
        return conn

    def deliver(self, user: str, *messages: bytes, folder: str = "INBOX") -> None:
        """Put messages in a mailbox, as the mail server would (IMAP APPEND)."""
        conn = self.connect(user)
        try:
            for raw in messages:
                status, detail = conn.append(folder, None, None, raw)
                assert status == "OK", detail
        finally:
            conn.logout()

    def unseen(self, user: str, folder: str = "INBOX") -> int:
        conn = self.connect(user)
        try:
            conn.select(folder, readonly=True)
            _, data = conn.search(None, "UNSEEN")
            return len(data[0].split()) if data[0] else 0
        finally:
            conn.logout()

    def count(self, user: str, folder: str = "INBOX") -> int:
        conn = self.connect(user)
        try:
            status, data = conn.select(folder, readonly=True)
            return int(data[0]) if status == "OK" else 0
        finally:
            conn.logout()


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


class SmtpInbox:
    """aiosmtpd on a loopback port; `messages` holds what it received, parsed."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list = []
        inbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                message = message_from_bytes(envelope.original_content, policy=policy.default)
                message.envelope_to = list(envelope.rcpt_tos)
                message.raw = envelope.original_content
                inbox.messages.append(message)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> "SmtpInbox":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m.envelope_to]
