"""schemathesis over the whole API as a customer and as an agent (issue 15, proof harness 1).

Zero 5xx, every response valid against the schema (status, content type, headers, body), for
valid and invalid data, with real tenant slugs, ticket numbers, attachment ids and categories
mixed in. FUZZ_EXAMPLES per operation: 12 by default, 25 in .ci/run, 200 in `make fuzz`.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.throttling import SimpleRateThrottle

from accounts.actors import Member
from accounts.models import Tenant, User
from accounts.tenancy import tenant_scope
from sla.models import Calendar, SupportPlan
from tests.hardening.fuzz import RealValues, fuzz
from tests.tickets.helpers import as_actor
from tickets import services
from tickets.models import Attachment, CannedResponse, Category, Ticket

pytestmark = pytest.mark.fuzz


@pytest.fixture
def demo(db, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    # The widget's throttles count per address (10 chats a minute), and every fuzzed request
    # comes from the one address of the test client: left on, the run would see nothing but 429s
    # on the chat routes after its first examples, and never reach their logic. They have tests
    # of their own (tests/chat/test_api.py); here they are off, as DRF does for a rate of None.
    for scope in ("chat_widget", "chat_start", "chat_tenant"):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, None)
    call_command("seed_demo", "--force", verbosity=0)
    acme = User.objects.get(email="customer@acme.example")
    tenant = Tenant.objects.get(slug="acme")
    with tenant_scope(tenant):
        ticket = Ticket.objects.filter(requester=acme).order_by("number").first()
        actor = as_actor(type("Desk", (), {"tenant": tenant}), acme)
        services.ticket_reply(
            actor=actor,
            ticket=ticket,
            body="The log is attached.",
            files=[SimpleUploadedFile("app.log", b"ERROR boom\n", content_type="text/plain")],
        )
        return RealValues(
            tenant="acme",
            numbers=sorted(Ticket.objects.values_list("number", flat=True)),
            attachment_ids=list(Attachment.objects.values_list("pk", flat=True)),
            categories=list(Category.objects.values_list("slug", flat=True)),
            emails=["customer@acme.example", "premium@acme.example"],
            path_ids={
                "plan_id": list(SupportPlan.objects.values_list("pk", flat=True)),
                "calendar_id": list(Calendar.objects.values_list("pk", flat=True)),
                "canned_id": list(CannedResponse.objects.values_list("pk", flat=True)),
                "chat_id": _demo_chats(tenant),
            },
        )


def _demo_chats(tenant) -> list[str]:
    """Chats in every state for the chat routes: waiting, active, closed."""
    from chat import services as chat_services
    from tests.tickets.helpers import member

    agent = Member(member(type("Desk", (), {"tenant": tenant}), User.objects.get(
        email="agent@acme.example")))  # fmt: skip
    chats = []
    for n in range(3):
        started = chat_services.chat_start(
            tenant=tenant, name="Vera", email=f"vera{n}@example.net", message="Hello?"
        )
        chats.append(started.chat)
    chat_services.chat_accept(actor=agent, chat=chats[1])
    chat_services.chat_accept(actor=agent, chat=chats[2])
    chat_services.chat_close(actor=agent, chat=chats[2])
    return [chat.public_id for chat in chats]


T = "/api/v1/t/{tenant}"
# Operations whose generated requests must succeed at least once, so that the run reached the
# logic behind the doors (the rest answer by role: a customer on events is a 403).
MEMBERS = [
    "GET /api/v1/me/",
    f"GET {T}/tickets/",
    f"POST {T}/tickets/",
    f"GET {T}/tickets/{{number}}/",
    f"GET {T}/tickets/{{number}}/messages/",
    f"POST {T}/tickets/{{number}}/messages/",
    f"GET {T}/categories/",
    f"GET {T}/priorities/",
    f"GET {T}/request-types/",
    f"GET {T}/attachments/{{attachment_id}}/",
    f"GET {T}/chat/availability/",
    f"GET {T}/chat/strings/",
    f"POST {T}/chats/",
    f"POST {T}/chat/offline-message/",
    f"POST {T}/contact/",
]
STAFF = [
    *MEMBERS,
    f"GET {T}/tickets/{{number}}/events/",
    f"GET {T}/plans/",
    f"GET {T}/reports/sla/",
    f"GET {T}/canned-responses/",
    f"POST {T}/canned-responses/{{canned_id}}/use/",
    f"GET {T}/chats/",
    f"GET {T}/chats/{{chat_id}}/",
    f"GET {T}/chats/{{chat_id}}/messages/",
    f"POST {T}/chat/presence/",
]


@pytest.mark.parametrize(
    ("email", "must_succeed"),
    [
        ("customer@acme.example", MEMBERS),
        ("agent@acme.example", STAFF),
        ("admin@acme.example", STAFF),
    ],
)
def test_every_operation_answers_by_its_schema_and_never_5xx(demo, email, must_succeed):
    user = User.objects.get(email=email)
    if "customer" in email:  # real values for a customer: their own tickets and files
        with tenant_scope(Tenant.objects.get(slug="acme")):
            mine = Ticket.objects.filter(requester=user)
            demo.staff_only = ("internal", "status", "requester")
            demo.numbers = sorted(mine.values_list("number", flat=True))
            demo.attachment_ids = list(
                Attachment.objects.filter(ticket__in=mine).values_list("pk", flat=True)
            )
    failures = fuzz(user, demo)
    assert not failures, "\n\n".join(failures)
    unreached = [
        op for op in must_succeed if not any(200 <= s < 300 for s in demo.statuses.get(op, ()))
    ]
    assert not unreached, f"never got past the doors: {unreached} ({demo.statuses})"
