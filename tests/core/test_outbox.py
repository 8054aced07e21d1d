"""The outbox: side effects leave only after their cause commits, once per key, and survive SMTP
being down (CONTRACT section 5)."""

import re
import time
from email import message_from_bytes
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from accounts import services
from core import outbox
from core.emails import enqueue_email
from core.models import OutboxMessage
from tests.factories import PASSWORD
from tests.subprocess_env import free_port

SMTP = "django.core.mail.backends.smtp.EmailBackend"


class CauseFailed(Exception):
    pass


class Inbox:
    """aiosmtpd handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def queue_email(key: str, to: str = "someone@example.test") -> None:
    enqueue_email(
        key=key,
        to=[to],
        template="accounts/email/password_reset",
        context={"user": {"display_name": "Someone", "email": to}, "path": "/x/"},
    )


def test_it_sends_the_reset_email_only_after_commit_with_a_link_that_sets_a_password(
    client, acme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/accounts/password-reset/", {"email": acme.agent.email})
        assert response.status_code == 302
        row = OutboxMessage.objects.get(kind="email")
        assert row.payload["to"] == [acme.agent.email]
        assert row.delivered_at is None
        assert mail.outbox == []  # written with the request's transaction, not yet sent
    for callback in callbacks:
        callback()  # what commit would run

    row.refresh_from_db()
    assert row.delivered_at is not None
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [acme.agent.email]
    assert email.extra_headers["X-Helpdesk-Key"] == row.key
    link = re.search(r"https?://\S+/accounts/reset/\S+/", email.body).group(0)
    assert link.startswith(settings.SITE_URL)  # absolute, so it works from a mail client

    form_page = client.get(urlsplit(link).path, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    new_password = "a-brand-new-passphrase-42"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    assert done.url == "/accounts/reset/done/"

    client.logout()
    old = client.post("/accounts/login/", {"username": acme.agent.email, "password": PASSWORD})
    assert old.status_code == 200  # the old password no longer works: the form is shown again
    new = client.post("/accounts/login/", {"username": acme.agent.email, "password": new_password})
    assert new.status_code == 302
    assert client.get("/api/v1/me/").json()["email"] == acme.agent.email


def test_it_sends_the_reset_email_once_the_request_commits(
    client, acme, globex, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password-reset/", {"email": acme.agent.email})
    assert [m.to for m in mail.outbox] == [[acme.agent.email]]  # nobody else, no outsider


def test_a_reset_for_an_unknown_address_sends_nothing(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password-reset/", {"email": "nobody@example.test"})
    assert response.status_code == 302  # same answer: nobody learns who has an account
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_a_change_that_rolls_back_sends_nothing(acme, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(CauseFailed),
        transaction.atomic(),
    ):
        services.send_password_reset(user=acme.agent)
        raise CauseFailed  # the cause fails after its email was queued
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_the_same_key_twice_is_stored_and_sent_once(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            queue_email("ticket:1:created")
        with transaction.atomic():
            queue_email("ticket:1:created")  # a retried service call
    assert OutboxMessage.objects.filter(key="ticket:1:created").count() == 1
    assert len(mail.outbox) == 1
    assert outbox.deliver("ticket:1:created") is False  # a late relay does not send it again
    assert len(mail.outbox) == 1


def test_an_smtp_failure_keeps_the_email_and_a_later_sweep_delivers_it(
    db, smtp_server, django_capture_on_commit_callbacks
):
    controller, inbox = smtp_server
    with override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port()):
        before = timezone.now()
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            queue_email("ticket:7:reply", to="customer@acme.example")
        row = OutboxMessage.objects.get(key="ticket:7:reply")
        assert row.delivered_at is None
        assert row.attempts == 1
        assert row.available_at > before  # backed off, not retried in a tight loop
        assert "ConnectionRefusedError" in row.last_error
        assert outbox.relay_pending() == (0, 0)  # nothing is due during the backoff

    with override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.port):
        time.sleep(max(0.0, (row.available_at - timezone.now()).total_seconds()) + 0.05)
        assert outbox.relay_pending() == (1, 1)

    row.refresh_from_db()
    assert row.delivered_at is not None
    assert [m["X-Helpdesk-Key"] for m in inbox.messages] == ["ticket:7:reply"]
    assert inbox.messages[0]["To"] == "customer@acme.example"


def test_a_failing_handler_backs_off_longer_each_time(db):
    with override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port()):
        with transaction.atomic():
            queue_email("ticket:8:reply")
        delays = []
        for _ in range(3):
            start = timezone.now()
            assert outbox.deliver("ticket:8:reply") is False
            row = OutboxMessage.objects.get(key="ticket:8:reply")
            delays.append((row.available_at - start).total_seconds())
    assert row.attempts == 3
    assert delays[0] < delays[1] < delays[2] <= outbox.MAX_BACKOFF.total_seconds()


def test_enqueue_outside_a_transaction_raises(transactional_db):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        outbox.enqueue(key="orphan", kind="email", payload={})
    assert not OutboxMessage.objects.exists()


def test_an_email_is_stored_as_template_and_context_and_rendered_when_it_is_delivered(db):
    with transaction.atomic():
        queue_email("reset:1", to="someone@example.test")
    row = OutboxMessage.objects.get(key="reset:1")
    assert row.payload == {
        "to": ["someone@example.test"],
        "template": "accounts/email/password_reset",
        "context": {
            "user": {"display_name": "Someone", "email": "someone@example.test"},
            "path": "/x/",
        },
    }
    assert outbox.deliver("reset:1") is True
    [email] = mail.outbox
    assert email.to == ["someone@example.test"]
    assert email.subject == "Set your help desk password"
    assert "Hello Someone," in email.body
    assert f"{settings.SITE_URL}/x/" in email.body  # rendered with the site's address
    assert f'href="{settings.SITE_URL}/x/"' in email.alternatives[0][0]
