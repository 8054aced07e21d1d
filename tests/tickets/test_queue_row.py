"""`queue_row` (the dashboard's rows, live queue frames, SLA batches) is the list API's item,
written out for speed: it must answer exactly what TicketOut answers, for every shape of ticket."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tenancy import tenant_scope
from tests.tickets.helpers import as_actor, open_ticket
from tickets import services
from tickets.models import Category, Ticket
from tickets.selectors import LIST_RELATED
from tickets.serializers import TicketOut, queue_row


def _shapes(desk) -> list[Ticket]:
    """One ticket of each shape: plain, assigned with a category, closed follow-up, an
    unverified contact without organization or plan, SLA flags set, an unknown stored value."""
    with tenant_scope(desk.tenant):
        category = Category.objects.get(slug="technical")
    plain = open_ticket(desk, subject="Plain")
    taken = open_ticket(desk, subject="Taken <b>", category=category)
    with tenant_scope(desk.tenant):
        services.ticket_take(actor=as_actor(desk, desk.agent), ticket=taken)
    follow_up, contact, flagged, odd = (open_ticket(desk, subject=s) for s in "abcd")
    now = timezone.now()
    with tenant_scope(desk.tenant):
        Ticket.objects.filter(pk=follow_up.pk).update(
            follow_up_of=plain, status="closed", closed_at=now, first_responded_at=now
        )
        Ticket.objects.filter(pk=contact.pk).update(
            requester=None, contact_email="visitor@example.com", organization=None, plan=None,
            sla_due_at=None, sla_first_response_due=None,
        )  # fmt: skip
        Ticket.objects.filter(pk=flagged.pk).update(
            sla_breached=True, sla_at_risk=True, sla_paused=True,
            sla_first_response_breached=True, sla_next_response_breached=True,
            sla_resolution_breached=True, sla_next_response_due=now + timedelta(hours=1),
            sla_resolution_due=now + timedelta(days=2),
        )  # fmt: skip
        Ticket.objects.filter(pk=odd.pk).update(channel="carrier-pigeon", priority="")
        pks = [t.pk for t in (plain, taken, follow_up, contact, flagged, odd)]
        return list(Ticket.objects.select_related(*LIST_RELATED).filter(pk__in=pks))


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_a_queue_row_is_the_list_apis_item_for_every_shape_of_ticket(desks, zone):
    acme, globex = desks
    tickets = _shapes(acme) + _shapes(globex)  # another tenant's rows: the same rules
    assert len(tickets) == 12
    with timezone.override(zone):
        for ticket in tickets:
            with tenant_scope(ticket.tenant):
                expected = json.loads(json.dumps(TicketOut(ticket).data))
                row = queue_row(ticket)
            assert row == expected, ticket.subject
            assert list(row) == list(expected) and list(row["sla"]) == list(expected["sla"])
            assert json.loads(json.dumps(row)) == row  # plain JSON types (the channel layer)
