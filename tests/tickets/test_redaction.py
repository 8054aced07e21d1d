"""Secrets pasted into tickets: masked before they are stored, so the database, the emails,
the outbox and the live frames only ever hold the masked form; the author is told; the audit
trail counts them; a tenant's own patterns apply to that tenant only."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import redaction as tenant_redaction
from accounts.models import AuditEntry, SecretPattern
from accounts.tenancy import all_tenants, tenant_scope
from core.errors import NotAllowed
from core.models import OutboxMessage
from core.outbox import relay_pending
from tests.conftest import api_client, login
from tests.tickets.helpers import member, open_ticket
from tests.tickets.test_attachments import PNG
from tickets.models import Attachment, Event, Message, Ticket

T = "/api/v1/t/acme"
OWN_ORIGIN = "http://127.0.0.1:8000"
AWS_KEY = "AKIAZ7QW3ERTY5UIOP2L"
GITHUB = "ghp_" + "R4nd0mF4k3T0k3nV4lu3F0rT3st1ng00AbCd"  # the 36 characters of the format
PASSWORD = "Winter2026!x"


def everything_stored(ticket_id: int) -> str:
    """Every row a person or a backup could read for the ticket, as one text."""
    with all_tenants():
        ticket = Ticket.objects.get(pk=ticket_id)
        rows = [ticket.subject, ticket.description]
        rows += list(Message.objects.filter(ticket=ticket).values_list("body", flat=True))
        rows += [json.dumps(e.data) for e in Event.objects.filter(ticket=ticket)]
    rows += [json.dumps(m.payload) for m in OutboxMessage.objects.all()]
    rows += [f"{m.subject}\n{m.body}" for m in mail.outbox]
    return "\n".join(rows)


def test_a_key_posted_through_the_api_is_masked_in_the_database_and_every_email(desks):
    acme, _ = desks
    response = api_client(acme.customer).post(
        f"{T}/tickets/",
        {
            "subject": f"login fails, password: {PASSWORD}",
            "description": f"Our deploy uses {AWS_KEY} and {GITHUB}.",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["masked_secrets"] == {"aws_access_key": 1, "github_token": 1, "password": 1}
    assert body["subject"] == "login fails, password: ••••••••"
    assert (
        body["description"] == f"Our deploy uses AKIA••••••••{AWS_KEY[-4:]} and ghp_••••••••AbCd."
    )
    relay_pending()
    assert any("ghp_••••••••AbCd" in m.body for m in mail.outbox)  # the agents' new-ticket email
    with all_tenants():
        stored = everything_stored(Ticket.objects.get(number=body["number"]).pk)
    for secret in (AWS_KEY, GITHUB, PASSWORD):
        assert secret not in stored
    # A read says nothing was masked by it: what the write masked is in the audit trail.
    detail = api_client(acme.customer).get(f"{T}/tickets/{body['number']}/").json()
    assert detail["masked_secrets"] == {} and detail["description"] == body["description"]


def test_the_audit_event_counts_the_kinds_and_holds_no_value(desks):
    acme, _ = desks
    response = api_client(acme.customer).post(
        f"{T}/tickets/",
        {"subject": "Keys", "description": f"{AWS_KEY}\n{AWS_KEY[:-1]}Q\npasswd={PASSWORD}"},
        format="json",
    )
    number = response.json()["number"]
    events = api_client(acme.agent).get(f"{T}/tickets/{number}/events/").json()["results"]
    [masked] = [e for e in events if e["type"] == "secrets_masked"]
    assert masked["actor"] == acme.customer.email
    assert masked["data"] == {
        "count": 3,
        "kinds": {"aws_access_key": 2, "password": 1},
        "in": ["description"],
    }


def test_a_ticket_without_secrets_says_so_and_records_no_event(desks):
    acme, _ = desks
    response = api_client(acme.customer).post(
        f"{T}/tickets/",
        {"subject": "ACME-41 again", "description": "Order DE44500105175407324931, see ACME-41."},
        format="json",
    )
    assert response.json()["masked_secrets"] == {}
    assert response.json()["description"] == "Order DE44500105175407324931, see ACME-41."
    with all_tenants():
        assert not Event.objects.filter(type="secrets_masked").exists()


def test_replies_and_internal_notes_are_masked_and_the_reply_email_too(desks):
    acme, _ = desks
    ticket = open_ticket(acme)
    agent = api_client(acme.agent)
    reply = agent.post(
        f"{T}/tickets/{ticket.number}/messages/",
        {"body": f"Use this token for the test: Authorization: Bearer {GITHUB[4:]}"},
        format="json",
    )
    assert reply.status_code == 201
    assert reply.json()["masked_secrets"] == {"bearer_token": 1}
    note = agent.post(
        f"{T}/tickets/{ticket.number}/messages/",
        {"body": f"Customer's DB: postgres://app:{PASSWORD}@db:5432/x", "internal": True},
        format="json",
    )
    assert note.json()["masked_secrets"] == {"url_credentials": 1}
    assert note.json()["body"] == "Customer's DB: postgres://app:••••••••@db:5432/x"
    customer = api_client(acme.customer).post(
        f"{T}/tickets/{ticket.number}/messages/", {"body": f"senha: {PASSWORD}"}, format="json"
    )
    assert customer.json()["body"] == "senha: ••••••••"
    relay_pending()
    [reply_email] = [m for m in mail.outbox if "New reply" in m.subject]
    assert "Bearer R4nd••••••••AbCd" in reply_email.body
    stored = everything_stored(ticket.pk)
    assert GITHUB[4:] not in stored and PASSWORD not in stored
    with tenant_scope(acme.tenant):
        kinds = [e.data["kinds"] for e in Event.objects.filter(type="secrets_masked")]
    assert kinds == [{"bearer_token": 1}, {"url_credentials": 1}, {"password": 1}]


def test_a_secret_in_a_text_attachment_is_masked_before_the_file_is_stored(desks):
    acme, _ = desks
    log = f"2026-12-01 10:00 INFO start\n2026-12-01 10:01 DEBUG aws key {AWS_KEY}\n".encode()
    response = api_client(acme.customer).post(
        f"{T}/tickets/",
        {
            "subject": "Logs",
            "description": "See the files.",
            "files": [
                SimpleUploadedFile("app.log", log),
                SimpleUploadedFile("shot.png", PNG),
            ],
        },
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["masked_secrets"] == {"aws_access_key": 1}
    with tenant_scope(acme.tenant):
        files = {a.name: a for a in Attachment.objects.all()}
        stored_log = files["app.log"].file.read()
        stored_png = files["shot.png"].file.read()
        [event] = Event.objects.filter(type="secrets_masked")
    assert AWS_KEY.encode() not in stored_log
    assert f"aws key AKIA••••••••{AWS_KEY[-4:]}".encode() in stored_log
    assert stored_log.startswith(b"2026-12-01 10:00 INFO start\n")
    assert stored_png == PNG
    assert files["app.log"].size == len(stored_log)
    assert event.data["in"] == ["file:app.log"]


def test_the_portal_tells_the_author_what_was_hidden_and_why(client, desks):
    acme, _ = desks
    login(client, acme.customer)
    page = client.post(
        "/t/acme/portal/new/",
        {"subject": "Broken", "priority": "normal", "description": f"my key: {GITHUB}"},
        follow=True,
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "We hid something that looked like a password, key or token (github token)" in text
    assert "Never share secrets" in text
    assert GITHUB not in text and "ghp_••••••••AbCd" in text
    with all_tenants():
        ticket = Ticket.objects.get()
    reply = client.post(
        f"/t/acme/tickets/{ticket.number}/", {"body": f"Kennwort: {PASSWORD}"}, follow=True
    )
    assert "(password)" in reply.content.decode() and PASSWORD not in reply.content.decode()
    plain = client.post(f"/t/acme/tickets/{ticket.number}/", {"body": "Thanks"}, follow=True)
    assert "We hid something" not in plain.content.decode()
    relay_pending()
    [new_ticket_email] = [m for m in mail.outbox if "New ticket" in m.subject]
    assert "my key: ghp_••••••••AbCd" in new_ticket_email.body
    stored = everything_stored(ticket.pk)
    assert GITHUB not in stored and PASSWORD not in stored


async def agents_queue(desk) -> WebsocketCommunicator:
    """The desk's agent on the queue socket, as the workspace opens it."""
    from helpdesk.asgi import application

    @database_sync_to_async
    def ws_ticket() -> str:
        return api_client(desk.agent).post("/api/v1/auth/ws-ticket/").json()["ticket"]

    path = f"/ws/t/{desk.tenant.slug}/queue/?ticket={await ws_ticket()}"
    socket = WebsocketCommunicator(application, path, headers=[(b"origin", OWN_ORIGIN.encode())])
    connected, _ = await socket.connect(timeout=5)
    assert connected
    return socket


@pytest.mark.django_db(transaction=True)
async def test_the_live_frames_of_a_ticket_with_a_secret_carry_no_raw_value(acme, globex):
    from sla import demo as sla_demo

    await database_sync_to_async(sla_demo.seed_tenant)(acme.tenant)
    socket = await agents_queue(acme)

    @database_sync_to_async
    def post_and_relay():
        response = api_client(acme.customer).post(
            f"{T}/tickets/",
            {"subject": f"token {GITHUB}", "description": f"password: {PASSWORD}"},
            format="json",
        )
        assert response.status_code == 201
        relay_pending()

    await post_and_relay()
    frames = [await socket.receive_json_from(timeout=3)]
    while not await socket.receive_nothing(timeout=0.3):
        frames.append(await socket.receive_json_from(timeout=1))
    assert any(f.get("type") == "ticket.created" or f.get("event") == "created" for f in frames)
    payload = json.dumps(frames, ensure_ascii=False)
    assert GITHUB not in payload and PASSWORD not in payload
    rows = [f["ticket"] for f in frames if isinstance(f.get("ticket"), dict)]
    assert rows and all(row["subject"] == "token ghp_••••••••AbCd" for row in rows)
    await socket.disconnect()


# --- The tenant's own patterns ----------------------------------------------------------------

LICENSE = "ACME-LIC-9F8E7D6C5B4A"


def add_pattern(desk, name: str, pattern: str) -> SecretPattern:
    with tenant_scope(desk.tenant):
        return tenant_redaction.secret_pattern_save(
            actor=member(desk, desk.admin),
            tenant=desk.tenant,
            pattern=SecretPattern(name=name, pattern=pattern),
        )


def test_a_tenant_pattern_masks_that_tenants_tickets_only(desks):
    acme, globex = desks
    add_pattern(acme, "acme_license", r"ACME-LIC-[A-Z0-9]{12}")
    mine = open_ticket(acme, description=f"License {LICENSE} stopped working")
    outsider = open_ticket(globex, description=f"License {LICENSE} stopped working")
    assert mine.description == "License ACME••••••••5B4A stopped working"
    assert mine.masked_secrets == {"acme_license": 1}
    assert outsider.description == f"License {LICENSE} stopped working"
    assert outsider.masked_secrets == {}


def test_a_pattern_takes_effect_at_once_and_stops_when_deleted(desks, django_assert_num_queries):
    acme, _ = desks
    with tenant_scope(acme.tenant):
        actor = member(acme, acme.customer)
    tenant = actor.tenant
    with django_assert_num_queries(0):  # no pattern: the built-in rules, nothing read
        assert not tenant_redaction.mask_secrets(LICENSE, tenant=tenant)
    pattern = add_pattern(acme, "acme_license", r"ACME-LIC-[A-Z0-9]{12}")
    tenant.refresh_from_db()  # a door reads the tenant row with every request
    with tenant_scope(acme.tenant), django_assert_num_queries(1):
        assert tenant_redaction.mask_secrets(LICENSE, tenant=tenant)
    with django_assert_num_queries(0):  # compiled once per process and stamp
        assert tenant_redaction.mask_secrets(LICENSE, tenant=tenant).findings == {"acme_license": 1}
    with tenant_scope(acme.tenant):
        tenant_redaction.secret_pattern_delete(
            actor=member(acme, acme.admin), tenant=acme.tenant, pattern=pattern
        )
    tenant.refresh_from_db()
    with tenant_scope(acme.tenant):
        assert not tenant_redaction.mask_secrets(LICENSE, tenant=tenant)


ADMIN = "/t/acme/admin/accounts/secretpattern"


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        ("ACME-(", "not a valid RE2 regular expression"),
        (r"(?<=key:)\w+", "not a valid RE2 regular expression"),
        ("x*", "matches an empty text"),
        ("x" * 201, "at most 200 characters"),
    ],
)
def test_the_tenant_admin_refuses_a_bad_pattern_with_a_form_error(client, desks, pattern, error):
    acme, _ = desks
    login(client, acme.admin)
    response = client.post(f"{ADMIN}/add/", {"name": "bad", "pattern": pattern, "is_active": "on"})
    assert response.status_code == 200
    assert error in response.content.decode()
    with all_tenants():
        assert not SecretPattern.objects.exists()


def test_the_tenant_admin_adds_a_pattern_that_applies_to_new_tickets(client, desks):
    acme, globex = desks
    login(client, acme.admin)
    response = client.post(
        f"{ADMIN}/add/", {"name": "acme_license", "pattern": r"ACME-LIC-\w{12}", "is_active": "on"}
    )
    assert response.status_code == 302
    assert open_ticket(acme, description=LICENSE).masked_secrets == {"acme_license": 1}
    with tenant_scope(acme.tenant):
        [entry] = AuditEntry.objects.filter(type="secret_pattern_saved")
    assert entry.actor == acme.admin and entry.data["pattern"] == r"ACME-LIC-\w{12}"
    listing = client.get(f"{ADMIN}/").content.decode()
    assert "acme_license" in listing
    login(client, globex.admin)
    assert (
        "acme_license" not in client.get("/t/globex/admin/accounts/secretpattern/").content.decode()
    )


def test_the_tenant_admin_refuses_a_built_in_name_and_more_than_the_cap(client, desks):
    acme, _ = desks
    login(client, acme.admin)
    response = client.post(f"{ADMIN}/add/", {"name": "password", "pattern": "pw-[0-9]{8}"})
    assert "used by a built-in kind" in response.content.decode()
    for i in range(tenant_redaction.MAX_PATTERNS):
        add_pattern(acme, f"p{i}", f"P{i}-[0-9]{{8}}")
    response = client.post(f"{ADMIN}/add/", {"name": "one_more", "pattern": "X-[0-9]{8}"})
    assert "at most 20 secret patterns" in response.content.decode()
    with tenant_scope(acme.tenant):
        assert SecretPattern.objects.count() == tenant_redaction.MAX_PATTERNS


def test_masking_costs_no_query_and_a_secret_one_insert_for_its_audit_event(desks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    acme, _ = desks
    open_ticket(acme)  # the first creation sets up the tenant's number row

    def queries(description: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            open_ticket(acme, description=description)
        return [q["sql"] for q in captured.captured_queries]

    clean = queries("It is on fire. Steps: print anything.")
    secret = queries(f"It is on fire. Our key: {AWS_KEY}")
    assert len(secret) == len(clean) + 1
    assert sum('INSERT INTO "tickets_event"' in q for q in secret) == (
        sum('INSERT INTO "tickets_event"' in q for q in clean) + 1
    )


def test_only_the_tenants_own_admins_may_change_its_patterns(desks):
    acme, globex = desks
    for outsider in (member(acme, acme.agent), member(globex, globex.admin)):
        with tenant_scope(acme.tenant), pytest.raises(NotAllowed):
            tenant_redaction.secret_pattern_save(
                actor=outsider,
                tenant=acme.tenant,
                pattern=SecretPattern(name="x_key", pattern="XK-[0-9]{8}"),
            )
    with all_tenants():
        assert not SecretPattern.objects.exists()
