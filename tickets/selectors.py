"""Reads on behalf of a member. Customers see only their own tickets and no internal notes;
"not yours" and "does not exist" are the same 404."""

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from accounts.models import Membership
from sla.priorities import PRIORITY_RANK
from tickets.models import Attachment, Category, Event, Message, Ticket

LIST_RELATED = ("category", "requester", "organization", "assignee", "plan", "follow_up_of")


def visible_tickets(member: Membership) -> QuerySet[Ticket]:
    tickets = Ticket.objects.select_related(*LIST_RELATED)
    if not member.is_staff_member:
        tickets = tickets.filter(requester=member.user)
    return tickets


def ticket_for(member: Membership, number: int) -> Ticket:
    ticket = visible_tickets(member).filter(number=number).first()
    if ticket is None:
        raise Http404("No such ticket.")
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
        raise Http404("No such file.")
    return attachment


def events(ticket: Ticket) -> QuerySet[Event]:
    return ticket.events.select_related("actor").order_by("created_at", "id")


def categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("name")
