"""The ticket table's indexes serve the queries that need them (issue 15 load bench).

Plans are checked with sequential scans off: on a test-sized table PostgreSQL rightly prefers
them, and what matters is that an index able to serve the query exists.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Membership
from accounts.tenancy import tenant_scope
from tickets.models import Ticket
from tickets.selectors import changed_since, ticket_list

pytestmark = pytest.mark.postgres


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_queue_sockets_since_catch_up_walks_the_changed_index(acme):
    since = timezone.now() - timedelta(minutes=5)
    with tenant_scope(acme.tenant):
        member = Membership.objects.get(user=acme.agent)
        queryset = Ticket.objects.filter(updated_at__gte=since).order_by("updated_at", "number")
        shown = plan(queryset[:501])
        assert "ticket_changed" in shown, shown
        assert "Sort" not in shown.split("ticket_changed")[0], shown  # no sort above it
        assert changed_since(member, since, limit=501) == []


def test_the_priority_filter_is_served_by_the_created_index(acme):
    """No index of its own any more: ticket_created gives the order, the filter keeps 1 in 5."""
    with tenant_scope(acme.tenant):
        member = Membership.objects.get(user=acme.agent)
        shown = plan(ticket_list(member, priority="high")[:25])
    assert "ticket_created" in shown, shown
