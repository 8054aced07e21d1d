import pytest
from django.core import mail as django_mail

from accounts.tenancy import tenant_scope
from tests.tickets.mail import servers
from tickets.mail.models import Mailbox


@pytest.fixture(scope="session")
def dovecot():
    if not servers.available():
        pytest.fail("needs Debian's dovecot-imapd (apt-get install dovecot-imapd)")
    server = servers.Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback, and the installation's EMAIL_URL pointing at it."""
    inbox = servers.SmtpInbox().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "helpdesk@desk.test"
    django_mail.outbox = []
    yield inbox
    inbox.stop()


def make_mailbox(desk, dovecot, **fields) -> Mailbox:
    user = dovecot.add_user()
    with tenant_scope(desk.tenant):
        mailbox = Mailbox(
            tenant=desk.tenant,
            name="Support",
            address=fields.pop("address", f"support@{desk.tenant.slug}.example"),
            from_name=f"{desk.tenant.name} Support",
            host=dovecot.host,
            port=dovecot.port,
            security=Mailbox.Security.NONE,
            username=user,
            **fields,
        )
        mailbox.set_password("s3cret-imap")
        mailbox.save()
    return mailbox


@pytest.fixture
def acme_mailbox(desks, dovecot):
    return make_mailbox(desks[0], dovecot)


@pytest.fixture
def globex_mailbox(desks, dovecot):
    return make_mailbox(desks[1], dovecot)
