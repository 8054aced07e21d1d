"""Reads on behalf of a member. Customers see only their own tickets and no internal notes;
"not yours" and "does not exist" are the same 404. A customer marked as their organization's
admin sees the organization's tickets, while the tenant has organization reports on (CONTRACT
section 8).

Routing by tier (CONTRACT section 5): a ticket of tier T is worked by the agents of tier T and
above (`eligible_agents`), and an agent's queue holds the open tickets of their tier and below
(`queue_for`); admins see every ticket.
"""

from typing import NamedTuple

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import Membership, Role
from sla.priorities import PRIORITY_RANK
from sla.selectors import PriorityScheme, priority_scheme, priority_scheme_for_id
from tickets.models import (
    OPEN_STATUSES,
    Attachment,
    Category,
    Event,
    Message,
    RequestType,
    Ticket,
    TicketSettings,
)

LIST_RELATED = (
    "category", "requester", "organization", "assignee", "plan", "follow_up_of", "request_type",
)  # fmt: skip


def ticket_settings(tenant_id: int) -> TicketSettings:
    """The tenant's ticket settings (unsaved defaults when it has none). Inside its scope."""
    found = TicketSettings.objects.filter(tenant_id=tenant_id).first()
    return found if found is not None else TicketSettings(tenant_id=tenant_id)


def reported_organization(member: Membership) -> int | None:
    """The organization whose tickets and SLA report this customer sees (None: only their
    own): theirs, when the tenant admin marked them its admin and the tenant has organization
    reports on. Ordinary customers cost no query."""
    if member.is_staff_member or not member.is_organization_admin or not member.organization_id:
        return None
    if not ticket_settings(member.tenant_id).organization_reports:
        return None
    return member.organization_id


def organization_scope(member: Membership) -> int | None:
    """`reported_organization`, asked once per membership object (a request's)."""
    if not hasattr(member, "_reported_organization"):
        member._reported_organization = reported_organization(member)
    return member._reported_organization


def visible_tickets(member: Membership) -> QuerySet[Ticket]:
    tickets = Ticket.objects.select_related(*LIST_RELATED)
    if not member.is_staff_member:
        organization = organization_scope(member)
        if organization is not None:
            # Their own too: a ticket opened before they joined this organization stays theirs.
            tickets = tickets.filter(Q(organization_id=organization) | Q(requester=member.user))
        else:
            tickets = tickets.filter(requester=member.user)
    return tickets


def ticket_for(member: Membership, number: int) -> Ticket:
    ticket = visible_tickets(member).filter(number=number).first()
    if ticket is None:
        raise Http404(_("No such ticket."))
    return ticket


_PRIORITY_RANK = Case(
    *[When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()],
    output_field=IntegerField(),
)
ORDERINGS = {
    "created_at": ["created_at", "number"],
    "-created_at": ["-created_at", "-number"],
    "priority": [_PRIORITY_RANK.asc(), "-created_at"],
    "-priority": [_PRIORITY_RANK.desc(), "-created_at"],
    # Earliest SLA due first; tickets without a running clock last.
    "due": [F("sla_due_at").asc(nulls_last=True), "number"],
    "-due": [F("sla_due_at").desc(nulls_last=True), "-number"],
}


def ticket_list(
    member: Membership,
    *,
    status: str | None = None,
    priority: str | None = None,
    category: str | None = None,
    assignee: str | None = None,
    breached: bool | None = None,
    q: str | None = None,
    ordering: str = "-created_at",
) -> QuerySet[Ticket]:
    tickets = visible_tickets(member)
    if status:
        tickets = tickets.filter(status=status)
    if priority:
        tickets = tickets.filter(priority=priority)
    if category:
        tickets = tickets.filter(category__slug=category)
    if assignee == "me":
        tickets = tickets.filter(assignee=member.user)
    elif assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee:
        tickets = tickets.filter(assignee__email__iexact=assignee)
    if breached is not None:
        tickets = tickets.filter(sla_breached=breached)
    if q:
        match = Q(subject__icontains=q) | Q(reference__iexact=q)
        if q.isascii() and q.isdigit():  # isdigit alone accepts "²", which int() refuses
            match |= Q(number=int(q))
        tickets = tickets.filter(match)
    return tickets.order_by(*ORDERINGS[ordering])


def thread(member: Membership, ticket: Ticket) -> QuerySet[Message]:
    messages = ticket.messages.select_related("author").prefetch_related("attachments")
    if not member.is_staff_member:
        messages = messages.filter(internal=False)
    return messages.order_by("created_at", "id")


def opening_attachments(ticket: Ticket) -> QuerySet[Attachment]:
    return ticket.attachments.filter(message__isnull=True).order_by("created_at")


def attachment_for(member: Membership, attachment_id: str) -> Attachment:
    attachment = (
        Attachment.objects.select_related("ticket", "message")
        .filter(pk=attachment_id, ticket__in=visible_tickets(member))
        .first()
    )
    if attachment is None or (
        attachment.message_id and attachment.message.internal and not member.is_staff_member
    ):
        raise Http404(_("No such file."))
    return attachment


def events(ticket: Ticket) -> QuerySet[Event]:
    return ticket.events.select_related("actor").order_by("created_at", "id")


def categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("name")


def scheme_of(ticket: Ticket) -> PriorityScheme:
    """The priority scheme of the ticket's tenant: no query when the ticket's tenant is loaded
    (services and jobs load it with the ticket), one for its stamp otherwise."""
    if Ticket.tenant.is_cached(ticket):
        return priority_scheme(ticket.tenant)
    return priority_scheme_for_id(ticket.tenant_id)


def request_types() -> QuerySet[RequestType]:
    """The request types a new ticket may have (CONTRACT section 8; a tenant may have none)."""
    return RequestType.objects.filter(is_active=True).order_by("name")


class StaffMember(NamedTuple):
    user_id: int
    email: str
    tier: int
    role: str
    language: str  # their own; empty: the tenant's default (emails to them, issue 14)


class Roster:
    """A tenant's agents and admins, read once (per request, or per batch of the SLA job), so
    that routing many tickets costs one query, not one per ticket."""

    def __init__(self) -> None:
        self.staff = [
            StaffMember(*row)
            for row in Membership.objects.filter(role__in=[Role.AGENT, Role.ADMIN]).values_list(
                "user_id", "user__email", "tier", "role", "user__language"
            )
        ]
        self._by_user = {member.user_id: member for member in self.staff}
        # Address -> own language: each email to staff goes out in its reader's language.
        self.languages = {member.email: member.language for member in self.staff}

    def tier_of(self, user_id: int | None) -> int:
        member = self._by_user.get(user_id)
        return member.tier if member else 0

    def eligible_agents(self, ticket: Ticket) -> list[StaffMember]:
        return [member for member in self.staff if member.tier >= ticket.tier]

    def responsible(self, ticket: Ticket) -> list[str]:
        """Who hears about a ticket: its assignee, or when nobody owns it every eligible agent."""
        if (assignee := self._by_user.get(ticket.assignee_id)) is not None:
            return [assignee.email]
        return [member.email for member in self.eligible_agents(ticket)]

    def admins(self) -> list[str]:
        return [member.email for member in self.staff if member.role == Role.ADMIN]


def eligible_agents(ticket: Ticket, roster: Roster | None = None) -> list[StaffMember]:
    """The agents and admins who may work `ticket` (tier at or above the ticket's)."""
    return (roster or Roster()).eligible_agents(ticket)


def queue_for(member: Membership) -> QuerySet[Ticket]:
    """The open tickets an agent's views show: their tier and below (admins: all, customers:
    none). Ordered like the queue, earliest SLA due first."""
    if not member.is_staff_member:
        return Ticket.objects.none()
    tickets = visible_tickets(member).filter(status__in=OPEN_STATUSES)
    if not member.is_admin:
        tickets = tickets.filter(tier__lte=member.tier)
    return tickets.order_by(*ORDERINGS["due"])


def changed_since(member: Membership, since, *, limit: int) -> list[Ticket]:
    """The tickets this member sees that changed at or after `since`, oldest change first (a
    queue socket's catch-up); at most `limit`."""
    changed = visible_tickets(member).filter(updated_at__gte=since)
    return list(changed.order_by("updated_at", "number")[:limit])
