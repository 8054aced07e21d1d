"""The tenant admin's mailbox and inbound email pages: adding a mailbox (its password stored
encrypted), the connection test in words, the quarantine list and its retry, and another
tenant's admin kept out."""

import pytest
from django.contrib.admin import helpers
from django.db import connection

from accounts.tenancy import tenant_scope
from core import crypto
from tests.conftest import login
from tests.subprocess_env import free_port
from tests.tickets.mail.conftest import make_mailbox
from tests.tickets.mail.messages import build
from tickets.mail.ingest import ingest
from tickets.mail.models import InboundEmail, Mailbox

BASE = "/t/acme/admin/tickets"


def test_an_admin_adds_a_mailbox_whose_password_is_stored_encrypted(client, desks, dovecot):
    acme = desks[0]
    login(client, acme.admin)
    user = dovecot.add_user()

    response = client.post(f"{BASE}/mailbox/add/", {
        "name": "Support", "address": "help@acme.example", "from_name": "Acme Support",
        "host": dovecot.host, "port": dovecot.port, "security": "none", "username": user,
        "password": "s3cret-imap", "folder": "INBOX", "processed_folder": "", "is_active": "on",
    })  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_scope(acme.tenant):
        mailbox = Mailbox.objects.get()
    assert mailbox.password == "s3cret-imap"
    with connection.cursor() as cursor:
        cursor.execute("SELECT password_encrypted FROM tickets_mailbox")
        (stored,) = cursor.fetchone()
    assert "s3cret-imap" not in stored
    # The form never shows it back; leaving it empty keeps it.
    page = client.get(f"{BASE}/mailbox/{mailbox.pk}/change/").content.decode()
    assert "s3cret-imap" not in page and stored not in page
    response = client.post(f"{BASE}/mailbox/{mailbox.pk}/change/", {
        "name": "Support desk", "address": "help@acme.example", "from_name": "Acme Support",
        "host": dovecot.host, "port": dovecot.port, "security": "none", "username": user,
        "password": "", "folder": "INBOX", "processed_folder": "", "is_active": "on",
    })  # fmt: skip
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.name == "Support desk" and mailbox.password == "s3cret-imap"


def test_a_password_from_another_key_says_so(settings, desks, dovecot):
    mailbox = make_mailbox(desks[0], dovecot)
    settings.FIELD_ENCRYPTION_KEY = "another key entirely"
    with pytest.raises(crypto.CannotDecrypt):
        _ = mailbox.password


def _test_connection(client, mailbox) -> str:
    response = client.post(
        f"{BASE}/mailbox/",
        {"action": "test_connection", helpers.ACTION_CHECKBOX_NAME: [mailbox.pk]},
        follow=True,
    )
    return " ".join(str(m) for m in response.context["messages"])


@pytest.mark.parametrize(
    "change, said",
    [
        ({}, "Connected: 0 unread messages in INBOX."),
        ({"folder": "Nowhere"}, "The folder Nowhere cannot be opened"),
        ({"password": "wrong"}, "Login refused for"),
        ({"port": "free"}, "Refused: nothing accepts connections"),
        ({"host": "no-such-host.invalid"}, "DNS: the host no-such-host.invalid was not found."),
        ({"security": Mailbox.Security.SSL}, "TLS failed"),
    ],
)
def test_the_connection_test_says_what_went_wrong_in_words(client, desks, dovecot, change, said):
    acme = desks[0]
    mailbox = make_mailbox(acme, dovecot)
    if change.get("port") == "free":
        change["port"] = free_port()
    if "password" in change:
        mailbox.set_password(change.pop("password"))
    for field, value in change.items():
        setattr(mailbox, field, value)
    with tenant_scope(acme.tenant):
        mailbox.save()
    login(client, acme.admin)

    assert said in _test_connection(client, mailbox)


def test_the_quarantine_list_shows_the_reason_and_retries(client, desks, settings):
    acme = desks[0]
    settings.EMAIL_INBOUND_MAX_BYTES = 500
    raw = build(sender=acme.customer.email, to="support@acme.example", subject="Huge log",
                body="line\n" * 200)  # fmt: skip
    with tenant_scope(acme.tenant):
        assert ingest(tenant=acme.tenant, raw=raw).status == "quarantined"
        row = InboundEmail.objects.get()
    login(client, acme.admin)

    page = client.get(f"{BASE}/inboundemail/?status__exact=quarantined").content.decode()
    assert "Huge log" in page and "Too large" in page
    response = client.post(
        f"{BASE}/inboundemail/",
        {"action": "retry", helpers.ACTION_CHECKBOX_NAME: [row.pk]},
        follow=True,
    )

    assert "1 email ingested." in " ".join(str(m) for m in response.context["messages"])
    row.refresh_from_db()
    assert row.status == "ingested" and row.ticket.subject == "Huge log"
    page = client.get(f"{BASE}/inboundemail/").content.decode()
    assert row.ticket.reference in page


def test_another_tenants_admin_sees_none_of_it(client, desks, dovecot):
    acme, globex = desks
    mailbox = make_mailbox(acme, dovecot)
    with tenant_scope(acme.tenant):
        ingest(tenant=acme.tenant, raw=build(sender="x@y.example", to=mailbox.address))
        row = InboundEmail.objects.get()
    login(client, globex.admin)

    assert client.get(f"{BASE}/mailbox/{mailbox.pk}/change/").status_code == 404
    own = client.get(f"/t/globex/admin/tickets/mailbox/{mailbox.pk}/change/")
    assert own.status_code in (302, 404)  # "does not exist" in their own admin
    assert mailbox.address not in client.get("/t/globex/admin/tickets/mailbox/").content.decode()
    listed = client.get("/t/globex/admin/tickets/inboundemail/").content.decode()
    assert row.sender not in listed
    # Their retry of acme's row through their own admin does nothing.
    client.post("/t/globex/admin/tickets/inboundemail/",
                {"action": "retry", helpers.ACTION_CHECKBOX_NAME: [row.pk]})  # fmt: skip
    row.refresh_from_db()
    assert row.attempts == 1
