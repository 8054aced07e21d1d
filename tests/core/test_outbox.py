"""The outbox: side effects leave only after their cause commits, once per key, and survive SMTP
being down (CONTRACT section 5)."""

import re
import socket
import threading
import time
from datetime import timedelta
from email import message_from_bytes
from functools import partial
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
from tests.conftest import login
from tests.factories import PASSWORD, UserFactory
from tests.parallel import in_parallel
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


# --- Delivery under lease, dead letters, pruning ---------------------------------------------


class Recorder:
    """A handler of a test kind: records each send; may die or fail on demand."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.lock = threading.Lock()
        self.die_once = False
        self.fail = False
        self.delay = 0.0

    def __call__(self, payload: dict, key: str) -> None:
        time.sleep(self.delay)  # the I/O: sockets, SMTP
        with self.lock:
            self.sent.append(key)
        if self.die_once:
            self.die_once = False
            raise SystemExit("the relay process died after sending, before marking")
        if self.fail:
            raise ConnectionError("the receiver is down")


@pytest.fixture
def recorder():
    handler = Recorder()
    outbox.register("test")(handler)
    try:
        yield handler
    finally:
        outbox._handlers.pop("test", None)


def pending_rows(*keys: str) -> None:
    """Rows as a cause writes them, whose nudge was lost: only a relay's sweep sends them."""
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(key=key, kind="test", payload={"n": i}) for i, key in enumerate(keys)]
    )


def test_a_relay_that_dies_between_sending_and_marking_sends_again_once_the_lease_expires(
    db, recorder
):
    pending_rows("crash:1")
    recorder.die_once = True
    with override_settings(OUTBOX_LEASE_SECONDS=1), pytest.raises(SystemExit):
        outbox.deliver("crash:1")
    row = OutboxMessage.objects.get(key="crash:1")
    assert recorder.sent == ["crash:1"] and row.delivered_at is None and row.leased_until

    assert outbox.deliver("crash:1") is False  # leased: no second relay sends it meanwhile
    assert outbox.relay_pending(kinds=["test"]) == (0, 0)
    time.sleep(1.1)
    assert outbox.relay_pending(kinds=["test"]) == (1, 1)  # the lease expired: sent again
    assert recorder.sent == ["crash:1", "crash:1"]  # at least once
    row.refresh_from_db()
    assert row.delivered_at is not None and row.leased_until is None and row.attempts == 2


def test_rows_a_relay_had_no_time_for_are_handed_back_without_costing_an_attempt(db, recorder):
    keys = [f"slow:{i}" for i in range(4)]
    pending_rows(*keys)
    recorder.delay = 1.2  # the relay stops at half the 4 s lease: after the second send
    with override_settings(OUTBOX_LEASE_SECONDS=4):
        assert outbox.deliver_many(keys) == 2
    assert recorder.sent == keys[:2]
    untried = OutboxMessage.objects.filter(key__in=keys[2:])
    assert [(row.attempts, row.leased_until, row.delivered_at) for row in untried] == [
        (0, None, None),
        (0, None, None),
    ]
    recorder.delay = 0.0
    assert outbox.relay_pending(kinds=["test"]) == (2, 2)  # free again at once, not leased
    assert sorted(recorder.sent) == sorted(keys)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_relays_at_once_send_every_row_exactly_once(recorder):
    keys = [f"race:{i}" for i in range(120)]
    pending_rows(*keys)
    recorder.delay = 0.002
    in_parallel(*[partial(outbox.relay_pending, kinds=["test"]) for _ in range(4)])
    assert sorted(recorder.sent) == sorted(keys)  # each once: never two relays on one row
    assert not OutboxMessage.objects.filter(kind="test", delivered_at__isnull=True).exists()


def test_after_the_last_attempt_a_message_is_dead_and_the_admin_can_retry_it(
    db, recorder, client, django_capture_on_commit_callbacks
):
    recorder.fail = True
    with override_settings(OUTBOX_MAX_ATTEMPTS=3):
        pending_rows("dead:1")
        assert outbox.deliver("dead:1") is False  # attempt 1
        assert outbox.deliver("dead:1") is False  # attempt 2
        row = OutboxMessage.objects.get(key="dead:1")
        assert row.dead_at is None and row.attempts == 2
        assert outbox.deliver("dead:1") is False  # attempt 3: the last
        row.refresh_from_db()
        assert row.dead_at is not None and "receiver is down" in row.last_error
        assert outbox.deliver("dead:1") is False
        OutboxMessage.objects.filter(key="dead:1").update(available_at=timezone.now())
        assert outbox.relay_pending(kinds=["test"]) == (0, 0)  # the sweep leaves it alone
    assert recorder.sent == ["dead:1"] * 3

    root = UserFactory(email="root@platform.example", is_staff=True, is_superuser=True)
    login(client, root)  # with the second factor the platform admin asks of superusers
    listing = client.get("/admin/core/outboxmessage/?state=dead")
    assert listing.status_code == 200
    assert "dead:1" in listing.content.decode()
    assert "dead:1" not in client.get("/admin/core/outboxmessage/?state=pending").content.decode()

    recorder.fail = False
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/core/outboxmessage/",
            {"action": "retry", "_selected_action": [row.pk]},
        )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.delivered_at is not None and row.dead_at is None  # sent by the retry's nudge
    assert recorder.sent == ["dead:1"] * 4


def test_the_platform_admin_cannot_edit_or_add_outbox_rows(db, client):
    with transaction.atomic():
        queue_email("ro:1")
    row = OutboxMessage.objects.get(key="ro:1")
    root = UserFactory(email="root@platform.example", is_staff=True, is_superuser=True)
    login(client, root)  # with the second factor the platform admin asks of superusers
    assert client.get("/admin/core/outboxmessage/add/").status_code == 403
    before = row.payload
    client.post(f"/admin/core/outboxmessage/{row.pk}/change/", {"key": "changed"})
    row.refresh_from_db()
    assert row.key == "ro:1" and row.payload == before


def test_pruning_removes_only_delivered_rows_past_the_retention_period(db):
    now = timezone.now()
    with transaction.atomic():
        for key in ("old-delivered", "recent-delivered", "old-pending", "old-dead"):
            queue_email(key)
    OutboxMessage.objects.update(created_at=now - timedelta(days=30))
    OutboxMessage.objects.filter(key="old-delivered").update(delivered_at=now - timedelta(days=8))
    OutboxMessage.objects.filter(key="recent-delivered").update(
        delivered_at=now - timedelta(days=6)
    )
    OutboxMessage.objects.filter(key="old-pending").update(delivered_at=None)
    OutboxMessage.objects.filter(key="old-dead").update(
        delivered_at=None, dead_at=now - timedelta(days=20)
    )

    with override_settings(OUTBOX_RETENTION_DAYS=7):
        assert outbox.prune() == 1
    assert sorted(OutboxMessage.objects.values_list("key", flat=True)) == [
        "old-dead",
        "old-pending",
        "recent-delivered",
    ]


def test_pruning_is_an_hourly_beat_job_not_part_of_every_relay_sweep(db, settings):
    """The relay runs every 10 s; its DELETE over the retention window need not (issue 15)."""
    from core import tasks

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["prune-outbox"] == {"task": "core.tasks.prune_outbox", "schedule": 3600.0}
    with transaction.atomic():
        queue_email("old-delivered")
    OutboxMessage.objects.update(delivered_at=timezone.now() - timedelta(days=30))

    assert "pruned" not in tasks.relay_outbox()
    assert OutboxMessage.objects.count() == 1  # the relay's sweep left it
    assert tasks.prune_outbox() == "outbox: pruned 1"
    assert not OutboxMessage.objects.exists()


@pytest.fixture
def silent_smtp():
    """A server that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def test_a_hung_smtp_server_costs_the_relay_email_timeout_not_forever(db, silent_smtp):
    with transaction.atomic():
        queue_email("hung:1")
    OutboxMessage.objects.filter(key="hung:1").update(delivered_at=None, attempts=0)
    with override_settings(
        EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=silent_smtp, EMAIL_TIMEOUT=1
    ):
        started = time.monotonic()
        assert outbox.deliver("hung:1") is False
        assert time.monotonic() - started < 5
    row = OutboxMessage.objects.get(key="hung:1")
    assert row.delivered_at is None and row.leased_until is None
    assert "timed out" in row.last_error.lower() or "timeout" in row.last_error.lower()
