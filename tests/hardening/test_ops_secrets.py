"""Issue 15, holes 5 and 7: no password-set token rests in the outbox or in the logs,
production refuses a non-delivering EMAIL_URL, and reset emails per address are limited."""

import json
import logging
import re
import secrets
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts import services
from accounts.models import Role
from core import outbox
from core.mail import EmailBackend as ConsoleSummaryBackend
from core.models import OutboxMessage
from tests.test_deploy import PRODUCTION_ENV, clean_env, run_python

TOKEN_PATH = re.compile(r"/accounts/reset/[^/\s]+/[^/\s]+/")


def _reset(client, email: str):
    # A fresh client address each time: the page's own per-address throttle (its buckets may
    # outlive a test in a Redis cache) is not what these tests are about; the per-email limit is.
    address = ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))
    return client.post("/accounts/password-reset/", {"email": email}, REMOTE_ADDR=f"10.{address}")


def test_the_outbox_keeps_no_reset_token_and_the_email_still_has_a_working_link(
    client, acme, globex, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert _reset(client, acme.agent.email).status_code == 302
    row = OutboxMessage.objects.get(kind="email")
    stored = json.dumps(row.payload) + row.key
    assert not TOKEN_PATH.search(stored), stored
    assert "/accounts/reset/" not in stored
    for callback in callbacks:
        callback()
    [email] = mail.outbox
    assert email.to == [acme.agent.email]
    path = TOKEN_PATH.search(email.body)[0]
    page = client.get(path, follow=True)
    assert page.context["validlink"] is True
    assert globex.agent.email not in email.body


def test_an_invitation_keeps_no_token_in_the_outbox(
    acme, django_capture_on_commit_callbacks, client
):
    from accounts.models import Membership
    from accounts.tenancy import tenant_scope

    with tenant_scope(acme.tenant):
        actor = Membership.objects.get(tenant=acme.tenant, user=acme.admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        services.membership_invite(
            actor=actor, tenant=acme.tenant, email="new@customer.example",
            role=Role.AGENT,
        )  # fmt: skip
    row = OutboxMessage.objects.get(kind="email")
    assert "/accounts/reset/" not in json.dumps(row.payload)
    for callback in callbacks:
        callback()
    [email] = mail.outbox
    assert TOKEN_PATH.search(email.body)
    assert client.get(TOKEN_PATH.search(email.body)[0], follow=True).context["validlink"] is True


def test_a_reset_for_a_person_deactivated_before_delivery_is_dropped(
    client, acme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _reset(client, acme.agent.email)
    acme.agent.is_active = False
    acme.agent.save(update_fields=["is_active"])
    for callback in callbacks:
        callback()
    assert mail.outbox == []
    row = OutboxMessage.objects.get(kind="email")
    assert row.delivered_at is not None and row.dead_at is None  # dropped, not retried


def test_reset_emails_per_address_stop_at_the_hourly_limit_and_the_page_does_not_tell(
    client, acme, globex, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_EMAILS_PER_HOUR = 3
    with django_capture_on_commit_callbacks(execute=True):
        answers = [_reset(client, acme.agent.email) for _ in range(5)]
        other = _reset(client, globex.agent.email)  # another address has its own allowance
    assert {(r.status_code, r.url) for r in answers} == {(302, "/accounts/password-reset/sent/")}
    assert other.status_code == 302
    assert [m.to for m in mail.outbox].count([acme.agent.email]) == 3
    assert [m.to for m in mail.outbox].count([globex.agent.email]) == 1


def test_the_reset_allowance_comes_back_after_an_hour(acme, settings):
    settings.PASSWORD_RESET_EMAILS_PER_HOUR = 1
    with transaction.atomic():
        assert services.send_password_reset(user=acme.agent) is True
        assert services.send_password_reset(user=acme.agent) is False
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    with transaction.atomic():
        assert services.send_password_reset(user=acme.agent) is True


def test_the_relay_logs_one_line_per_email_without_its_body(
    client, acme, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        _reset(client, acme.agent.email)
    lines = [r.getMessage() for r in caplog.records if "email sent" in r.getMessage()]
    assert len(lines) == 1
    row = OutboxMessage.objects.get(kind="email")
    assert acme.agent.email in lines[0] and row.key in lines[0] and "password" in lines[0]
    assert "/accounts/reset/" not in caplog.text


def _console_message():
    from django.core.mail import EmailMessage

    return EmailMessage("Set your password", "open /accounts/reset/abc/def/", to=["a@b.example"])


def test_the_development_console_prints_bodies_only_when_asked(settings, capsys):
    settings.EMAIL_CONSOLE_BODIES = False
    ConsoleSummaryBackend().send_messages([_console_message()])
    assert "/accounts/reset/" not in capsys.readouterr().out
    settings.EMAIL_CONSOLE_BODIES = True
    ConsoleSummaryBackend().send_messages([_console_message()])
    assert "/accounts/reset/abc/def/" in capsys.readouterr().out


SETUP = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='helpdesk.settings'; django.setup()"
)


@pytest.mark.parametrize("email_url", [None, "consolemail://", "memorymail://", "filemail:///tmp"])
def test_production_refuses_an_email_url_that_does_not_deliver(email_url):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_URL"}
    if email_url is not None:
        env["EMAIL_URL"] = email_url
    result = run_python(SETUP, clean_env(**env))
    assert result.returncode != 0
    assert "EMAIL_URL" in result.stderr


def test_development_defaults_to_the_quiet_console_backend():
    code = SETUP + "; from django.conf import settings; print(settings.EMAIL_BACKEND)"
    result = run_python(code, clean_env(DEBUG="1"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "core.mail.EmailBackend"


def test_count_since_counts_only_its_prefix(acme):
    with transaction.atomic():
        services.send_password_reset(user=acme.agent)
        services.send_password_reset(user=acme.tier2)
    since = timezone.now() - timedelta(minutes=1)
    assert outbox.count_since(key_prefix=f"password-reset:{acme.agent.pk}:", since=since) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_reset_requests_for_one_address_still_stop_at_the_limit(acme, globex, settings):
    from functools import partial

    from tests.parallel import in_parallel

    settings.PASSWORD_RESET_EMAILS_PER_HOUR = 3

    def ask(user):
        with transaction.atomic():
            return services.send_password_reset(user=user)

    sent = in_parallel(*[partial(ask, acme.agent) for _ in range(6)], partial(ask, globex.agent))
    assert sorted(sent[:6]) == [False, False, False, True, True, True]
    assert sent[6] is True  # another address is not held up by this one's limit
    assert (
        OutboxMessage.objects.filter(key__startswith=f"password-reset:{acme.agent.pk}:").count()
        == 3
    )
