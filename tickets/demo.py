"""Demo categories and tickets in every status, with threads (CONTRACT section 3). Idempotent."""

from accounts.actors import Member
from accounts.models import Membership, Tenant
from accounts.tenancy import tenant_scope
from tickets import services
from tickets.models import CannedResponse, Category, Ticket

CATEGORIES = [
    ("technical", "Technical"),
    ("account-and-billing", "Account and Billing"),
    ("feature-request", "Feature Request"),
    ("general-inquiry", "General Inquiry"),
]

# (customer local part, subject, category, priority, what happens after creation)
STORIES = [
    ("customer", "Cannot log in after password change", "technical", "high", "new"),
    ("customer", "Invoice shows the wrong VAT number", "account-and-billing", "normal", "taken"),
    ("customer", "Export to CSV times out", "technical", "urgent", "asked"),
    ("premium", "Dashboard is down for our whole team", "technical", "critical", "taken"),
    ("premium", "Please add SSO with Okta", "feature-request", "low", "closed"),
]


def _member(tenant: Tenant, local: str) -> Member | None:
    membership = (
        Membership.objects.select_related("user", "tenant", "organization")
        .filter(user__email=f"{local}@{tenant.slug}.example")
        .first()
    )
    return Member(membership) if membership else None


def seed() -> None:
    for tenant in Tenant.objects.filter(slug__in=["acme", "globex"]):
        with tenant_scope(tenant):
            for slug, name in CATEGORIES:
                Category.objects.get_or_create(tenant=tenant, slug=slug, defaults={"name": name})
            if not Ticket.objects.exists():
                _stories(tenant)
    seed_canned()


def _stories(tenant: Tenant) -> None:
    agent = _member(tenant, "agent")
    for local, subject, category, priority, story in STORIES:
        customer = _member(tenant, local)
        if customer is None or agent is None:
            continue
        ticket = services.ticket_create(
            actor=customer,
            subject=subject,
            description=f"{subject}.\n\nSteps to reproduce: open the app and try it.",
            category=Category.objects.get(slug=category),
            priority=priority,
        ).ticket
        if story in ("taken", "asked", "closed"):
            services.ticket_take(actor=agent, ticket=ticket)
        if story in ("asked", "closed"):
            services.ticket_reply(
                actor=agent, ticket=ticket, body="Thanks! Which browser and version do you use?"
            )
        if story == "closed":
            services.ticket_reply(actor=customer, ticket=ticket, body="Firefox 140. All good now.")
            services.ticket_note(actor=agent, ticket=ticket, body="Fixed by the 2.3 release.")
            services.ticket_close(actor=agent, ticket=ticket)


# (title, body, status, priority): shared by every agent of the tenant
CANNED = [
    (
        "Ask for details",
        "Hello {{ requester.first_name }},\n\nthanks for reaching out about {{ ticket.reference }}."
        " Could you tell us which browser and version you use, and send a screenshot?\n\n"
        "Best regards,\n{{ agent.name }}",
        "awaiting_customer",
        "",
    ),
    (
        "Solved — closing",
        "Hello {{ requester.first_name }},\n\nwe believe {{ ticket.reference }} is solved, so we "
        "are closing it. Reply within a few days and it opens again.\n\n{{ agent.name }}",
        "closed",
        "",
    ),
    (
        "Escalated to engineering",
        "Hello {{ requester.first_name }},\n\nour engineers are looking into {{ ticket.reference }}"
        " now. We will update you as soon as we know more.\n\n{{ agent.name }}",
        "in_progress",
        "high",
    ),
]


def seed_canned() -> None:
    """A few shared canned responses per demo tenant, and one of agent@'s own. Idempotent."""
    for tenant in Tenant.objects.filter(slug__in=["acme", "globex"]):
        with tenant_scope(tenant):
            for title, body, status, priority in CANNED:
                CannedResponse.objects.get_or_create(
                    tenant=tenant,
                    owner=None,
                    title=title,
                    defaults={"body": body, "status": status, "priority": priority},
                )
            agent = _member(tenant, "agent")
            if agent is not None:
                CannedResponse.objects.get_or_create(
                    tenant=tenant,
                    owner=agent.user,
                    title="My signature",
                    defaults={"body": "Cheers,\n{{ agent.first_name }}"},
                )
