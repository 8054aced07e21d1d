"""The ticket policy as a table: who may move which status, change which field, post what."""

import pytest

from accounts.actors import Contact, Member, System
from accounts.models import Membership, Role, Tenant
from core.errors import Conflict, NotAllowed
from tickets import policy
from tickets.models import Status, Ticket

ACME, GLOBEX = Tenant(pk=1, slug="acme"), Tenant(pk=2, slug="globex")
CUSTOMER_ID, OTHER_ID, AGENT_ID = 10, 11, 20


def member(role: str, user_id: int, tier: int = 1, tenant: Tenant = ACME) -> Member:
    return Member(Membership(tenant=tenant, user_id=user_id, role=role, tier=tier))


CUSTOMER = member(Role.CUSTOMER, CUSTOMER_ID)
OTHER_CUSTOMER = member(Role.CUSTOMER, OTHER_ID)
AGENT = member(Role.AGENT, AGENT_ID)
ADMIN = member(Role.ADMIN, 30, tier=1)
JOB = System(tenant=ACME, job="autoclose_idle")
OUTSIDER = member(Role.ADMIN, 40, tenant=GLOBEX)


def ticket(status=Status.AWAITING_RESPONSE, assignee_id=None, tier=1, **fields) -> Ticket:
    fields.setdefault("requester_id", CUSTOMER_ID)
    return Ticket(tenant=ACME, status=status, assignee_id=assignee_id, tier=tier, **fields)


@pytest.mark.parametrize(
    ("actor", "current", "assignee_id", "allowed"),
    [
        (AGENT, Status.AWAITING_RESPONSE, None, ["awaiting_customer", "closed", "in_progress"]),
        (AGENT, Status.IN_PROGRESS, AGENT_ID, ["awaiting_customer", "closed"]),
        (AGENT, Status.AWAITING_CUSTOMER, None, ["closed"]),
        (AGENT, Status.CLOSED, None, ["awaiting_response"]),  # back to work needs an owner
        (AGENT, Status.CLOSED, AGENT_ID, ["awaiting_response", "in_progress"]),
        (JOB, Status.AWAITING_CUSTOMER, None, ["closed"]),
        (CUSTOMER, Status.IN_PROGRESS, AGENT_ID, ["closed"]),
        (CUSTOMER, Status.CLOSED, None, []),  # a requester reopens by replying, not by PATCH
        (OTHER_CUSTOMER, Status.IN_PROGRESS, None, []),
    ],
)
def test_the_statuses_each_actor_may_set(actor, current, assignee_id, allowed):
    assert policy.allowed_statuses(actor, ticket(current, assignee_id)) == allowed


def test_a_refused_transition_is_a_conflict_listing_the_allowed_ones():
    with pytest.raises(Conflict) as error:
        policy.check_transition(AGENT, ticket(Status.CLOSED), Status.IN_PROGRESS)
    assert error.value.extra["allowed"] == ["awaiting_response"]


def test_a_contact_is_the_requester_of_its_own_contact_ticket_only():
    theirs = ticket(requester_id=None, contact_email="vera@example.org")
    vera = Contact(tenant=ACME, name="Vera", email="Vera@Example.org")
    assert policy.is_requester(vera, theirs)
    assert not policy.is_requester(Contact(tenant=ACME, name="V", email="x@y.z"), theirs)
    assert not policy.is_requester(vera, ticket())  # a member's ticket, whatever the address
    assert policy.allowed_statuses(vera, theirs) == ["closed"]


@pytest.mark.parametrize(
    ("actor", "changes", "refused"),
    [
        (CUSTOMER, {"status": "closed"}, False),
        (CUSTOMER, {"status": "closed", "priority": "high"}, True),
        (CUSTOMER, {"priority": "high"}, True),
        (CUSTOMER, {}, True),
        (OTHER_CUSTOMER, {"status": "closed"}, True),
        (AGENT, {"priority": "high", "tier": 2, "assignee": None}, False),
        (JOB, {"status": "closed"}, False),
        (OUTSIDER, {"priority": "high"}, True),
    ],
)
def test_who_may_change_which_field(actor, changes, refused):
    if refused:
        with pytest.raises(NotAllowed):
            policy.check_change(actor, ticket(), changes)
    else:
        policy.check_change(actor, ticket(), changes)


@pytest.mark.parametrize(
    ("actor", "internal", "status", "refused"),
    [
        (CUSTOMER, False, None, False),
        (CUSTOMER, True, None, True),
        (CUSTOMER, False, "closed", True),
        (OTHER_CUSTOMER, False, None, True),
        (AGENT, True, None, False),
        (AGENT, True, "closed", True),  # a note carries no status
        (AGENT, False, "closed", False),
        (JOB, True, None, False),
        (OUTSIDER, True, None, True),
    ],
)
def test_who_may_post_what(actor, internal, status, refused):
    if refused:
        with pytest.raises(NotAllowed):
            policy.check_post(actor, ticket(), internal=internal, status=status)
    else:
        policy.check_post(actor, ticket(), internal=internal, status=status)


@pytest.mark.parametrize(
    ("actor", "assignee_tier", "ticket_tier", "refused"),
    [
        (AGENT, 1, 1, False),
        (AGENT, 1, 2, True),  # below the ticket's tier
        (AGENT, 3, 2, False),
        (ADMIN, 1, 3, False),  # a tenant admin assigns anyone, any ticket
        (JOB, 1, 3, False),
        (CUSTOMER, 3, 1, True),
        (OUTSIDER, 3, 1, True),
    ],
)
def test_assignment_by_tier(actor, assignee_tier, ticket_tier, refused):
    assignee = Membership(tenant=ACME, user_id=50, role=Role.AGENT, tier=assignee_tier)
    if refused:
        with pytest.raises(NotAllowed):
            policy.check_assign(actor, ticket(tier=ticket_tier), assignee)
    else:
        policy.check_assign(actor, ticket(tier=ticket_tier), assignee)


def test_a_bare_membership_is_no_actor():
    with pytest.raises(TypeError):
        policy.check_post(CUSTOMER.membership, ticket(), internal=False, status=None)
