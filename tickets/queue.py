"""Reads for the agents' queue dashboard (`/t/<tenant>/agent/`): filters, ready views and their
counts, full-text search, the urgency order and capped counts.

Which tickets a member's views hold follows the tier routing of `selectors.queue_for`: an agent
sees the tickets of their tier and below, an admin every ticket, a customer none. The ready views
are fixed filters; their counts come from the per-tenant counters (`QueueCount`, kept by a
trigger in each ticket's transaction), so a dashboard never counts tickets.

Search: PostgreSQL full-text search in the language-neutral `simple` configuration, each word a
prefix (`'print':*`), over reference, subject, description and the contact's email (one GIN
expression index), the thread (another) and the requester's email; SQLite: `icontains`.
"""

import re
from dataclasses import dataclass, fields
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum

from accounts.models import Membership
from core.api.pagination import estimated_rows
from tickets.models import OPEN_STATUSES, Message, QueueCount, Status, Ticket
from tickets.selectors import visible_tickets

PAGE_SIZE = 50
COUNT_CAP = 10_000  # above it a count is "10,000+" (CONTRACT section 4: estimates above 10,000)
SEARCH_CAP = 5_000  # matches considered by one search (a broader one asks for more words)
COMPACT_ABOVE = 500  # counter rows of a tenant before they are folded together

# Breached first, then soonest due, then no clock (indexes ticket_queue_urgency and
# ticket_status_urgency).
URGENCY = [F("sla_breached").desc(), F("sla_due_at").asc(nulls_last=True), F("number").asc()]

# The ready views, in the order the page shows them: each is a fixed set of filters.
VIEWS: dict[str, dict[str, Any]] = {
    "my_open": {"assignee": "me"},
    "unassigned": {"assignee": "none"},
    "at_risk": {"at_risk": True},
    "breached": {"breached": True},
    "awaiting_customer": {"status": Status.AWAITING_CUSTOMER},
    "all_open": {},
}


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters, as the URL carries them (validated by the page's form)."""

    status: str = ""  # "" = every open status; "closed" or "any" reach closed tickets too
    priority: str = ""
    category: str = ""  # slug
    assignee: str = ""  # "" / "anyone", "me", "none" or an agent's email
    tier: int | None = None
    plan: str = ""  # plan name
    channel: str = ""
    breached: bool = False
    at_risk: bool = False
    q: str = ""

    @classmethod
    def of_view(cls, name: str) -> "Filters":
        return cls(**VIEWS[name])

    def as_view(self) -> str | None:
        """The ready view these filters are exactly (its count is then known), or None."""
        own = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, values in VIEWS.items():
            if own == {**{f.name: f.default for f in fields(self)}, **values}:
                return name
        return None


def _routed(member: Membership) -> QuerySet[Ticket]:
    """Every ticket (any status) the member's queue may show: `queue_for`'s tier routing."""
    if not member.is_staff_member:
        return Ticket.objects.none()
    tickets = visible_tickets(member)
    if not member.is_admin:
        tickets = tickets.filter(tier__lte=member.tier)
    return tickets


def dashboard_tickets(member: Membership, filters: Filters) -> QuerySet[Ticket]:
    """The dashboard's tickets for these filters, most urgent first."""
    tickets = _routed(member)
    if filters.status == "any":
        pass
    elif filters.status:
        tickets = tickets.filter(status=filters.status)
    else:
        tickets = tickets.exclude(status=Status.CLOSED)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.category:
        tickets = tickets.filter(category__slug=filters.category)
    if filters.assignee == "me":
        tickets = tickets.filter(assignee=member.user)
    elif filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee not in ("", "anyone"):
        tickets = tickets.filter(assignee__email__iexact=filters.assignee)
    if filters.tier is not None:
        tickets = tickets.filter(tier=filters.tier)
    if filters.plan:
        tickets = tickets.filter(plan__name=filters.plan)
    if filters.channel:
        tickets = tickets.filter(channel=filters.channel)
    if filters.breached:
        tickets = tickets.filter(sla_breached=True)
    if filters.at_risk:
        tickets = tickets.filter(sla_at_risk=True, sla_breached=False)
    if filters.q.strip():
        tickets = search(tickets, member, filters.q)
    if filters.at_risk:
        # Never breached (the filter above): the same order without its constant first key, so
        # that it is the order of ticket_at_risk and the first page stops after 50 rows instead
        # of sorting every ticket at risk (the planner does not read `NOT sla_breached` as a
        # constant).
        return tickets.order_by(*URGENCY[1:])
    return tickets.order_by(*URGENCY)


WORD = re.compile(r"\w+", re.UNICODE)


TICKET_VECTOR = (
    "to_tsvector('simple'::regconfig, "
    "reference || ' ' || subject || ' ' || description || ' ' || contact_email)"
)
MESSAGE_VECTOR = "to_tsvector('simple'::regconfig, body)"


def search(tickets: QuerySet[Ticket], member: Membership, text: str) -> QuerySet[Ticket]:
    text = text.strip()[:200]
    if connection.vendor != "postgresql":
        for word in text.split()[:8]:  # every word, anywhere
            tickets = tickets.filter(
                Q(reference__icontains=word)
                | Q(subject__icontains=word)
                | Q(description__icontains=word)
                | Q(contact_email__icontains=word)
                | Q(requester__email__icontains=word)
                | Q(id__in=Message.objects.filter(body__icontains=word).values("ticket_id"))
            )
        return tickets
    if not WORD.search(text):
        return tickets.none()
    tenant_id = member.tenant_id
    # The words as PostgreSQL's parser reads them (so "ACME-42" is what the index holds), each a
    # prefix: one UNION of ids, each part through its own index: the tickets' text, their
    # threads, and the tickets of requesters whose email starts with what was typed.
    words = (
        "(SELECT to_tsquery('simple'::regconfig, string_agg(quote_literal(lexeme) || ':*', ' & '))"
        " FROM unnest(to_tsvector('simple'::regconfig, %s)))"
    )
    # The matching ids are read first, in their own statement: inside the page's query the
    # planner cannot estimate a tsquery made at run time and reads every open ticket to join
    # them (200 ms at 100,000 tickets against 5 ms). Constant SQL: what people type only ever
    # travels as a parameter.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM tickets_ticket WHERE tenant_id = %s"  # noqa: S608  # nosec B608 - constant SQL, typed text is a parameter
            f" AND {TICKET_VECTOR} @@ {words}"
            f" UNION SELECT ticket_id FROM tickets_message WHERE tenant_id = %s"
            f" AND {MESSAGE_VECTOR} @@ {words}"
            " UNION SELECT t.id FROM tickets_ticket t JOIN accounts_user u"
            " ON u.id = t.requester_id WHERE t.tenant_id = %s AND u.email ILIKE %s"
            " LIMIT %s",
            [tenant_id, text, tenant_id, text, tenant_id, _like_prefix(text), SEARCH_CAP],
        )
        ids = [row[0] for row in cursor.fetchall()]
    return tickets.filter(id__in=ids)


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def total_for(
    tickets: QuerySet[Ticket], filters: Filters, counts: dict[str, int], *, seen: int, more: bool
) -> tuple[int, bool]:
    """(total, exact) for the page's "Showing 1–50 of N" (`seen`: rows up to this page's last,
    `more`: a next page exists). A ready view's count comes from the counters; another filter's
    is counted while that is cheap, else it is the planner's estimate (one statement either way).

    A count reads every ticket the filter may match, matching or not: for `?priority=urgent`
    every open ticket of the queue (30,000 at 100,000 tickets: 140 ms), growing with the tenant.
    It is cheap while the queue's open tickets (known from the counters) or a search's matches
    (at most SEARCH_CAP) are at most COUNT_CAP; beyond, the estimate costs one plan (CONTRACT
    section 4 lets counts above 10,000 be estimates; here a count filtered out of more than
    10,000 open tickets may be one too, never below what the pages show)."""
    view = filters.as_view()
    if view is not None:
        return counts[view], True
    if filters.q.strip():
        reads = SEARCH_CAP
    elif filters.status in ("any", Status.CLOSED):
        # Closed tickets have no counter: no bound is known. On the last page the total is.
        if not more:
            return seen, True
        reads = None
    else:
        reads = counts["all_open"]
    if connection.vendor != "postgresql" or (reads is not None and reads <= COUNT_CAP):
        return capped_count(tickets)
    return max(estimated_rows(tickets), seen + more), False


def capped_count(tickets: QuerySet[Ticket]) -> tuple[int, bool]:
    """(count, exact): exact up to COUNT_CAP, else (COUNT_CAP, False). One statement whose cost
    stops at the cap, whatever the size of the tenant."""
    count = tickets.order_by()[: COUNT_CAP + 1].count()
    return min(count, COUNT_CAP), count <= COUNT_CAP


# Counts of the ready views ------------------------------------------------------------------

CountRow = tuple[int, int | None, str, bool, bool, int]  # tier, assignee, status, breached, ...


def count_rows(tenant_id: int) -> tuple[list[CountRow], int]:
    """The tenant's open tickets by (tier, assignee, status, breached, at risk), and how many
    counter rows that took: from the counters on PostgreSQL, by counting on SQLite."""
    if connection.vendor != "postgresql":
        grouped = (
            Ticket.objects.filter(tenant_id=tenant_id, status__in=OPEN_STATUSES)
            .values_list("tier", "assignee_id", "status", "sla_breached", "sla_at_risk")
            .annotate(total=Count("id"))
            .order_by()
        )
        return [tuple(row) for row in grouped], 0
    grouped = (
        QueueCount.objects.filter(tenant_id=tenant_id)
        .values_list("tier", "assignee_id", "status", "breached", "at_risk")
        .annotate(total=Sum("n"), pieces=Count("id"))
        .order_by()
    )
    rows = [tuple(row) for row in grouped]
    pieces = sum(row[-1] for row in rows)
    return [row[:-1] for row in rows if row[-2]], pieces


def compact_counts(tenant_id: int) -> None:
    """Fold a tenant's counter rows into one per key, in one statement.

    Only committed rows are deleted and re-inserted summed; a concurrent compaction waits on the
    same rows and then skips them (they are gone), so nothing is counted twice."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH gone AS (DELETE FROM tickets_queuecount WHERE tenant_id = %s RETURNING *)"
            " INSERT INTO tickets_queuecount (tenant_id, tier, assignee_id, status, breached,"
            " at_risk, n) SELECT tenant_id, tier, assignee_id, status, breached, at_risk, sum(n)"
            " FROM gone GROUP BY tenant_id, tier, assignee_id, status, breached, at_risk"
            " HAVING sum(n) <> 0",
            [tenant_id],
        )


def views_from_rows(rows: list[CountRow], *, user_id: int, tier: int | None) -> dict[str, int]:
    """The ready views' counts for one member (`tier` None: an admin, every tier)."""
    counts = dict.fromkeys(VIEWS, 0)
    for row_tier, assignee_id, status, breached, at_risk, n in rows:
        if tier is not None and row_tier > tier:
            continue
        counts["all_open"] += n
        if assignee_id == user_id:
            counts["my_open"] += n
        if assignee_id is None:
            counts["unassigned"] += n
        if at_risk and not breached:
            counts["at_risk"] += n
        if breached:
            counts["breached"] += n
        if status == Status.AWAITING_CUSTOMER:
            counts["awaiting_customer"] += n
    return counts


def view_counts(member: Membership) -> dict[str, int]:
    """One member's ready-view counts: one statement (reading the tenant's counters), and one
    more now and then to fold them together."""
    if not member.is_staff_member:
        return dict.fromkeys(VIEWS, 0)
    rows, pieces = count_rows(member.tenant_id)
    if pieces > COMPACT_ABOVE:
        compact_counts(member.tenant_id)  # the next reader sums fewer rows
    return views_from_rows(
        rows, user_id=member.user_id, tier=None if member.is_admin else member.tier
    )
