from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tenancy import tenant_scope
from core.errors import InvalidInput
from tests.parallel import in_parallel
from tests.tickets.helpers import as_actor, open_ticket
from tickets import services
from tickets.models import Ticket


def test_numbers_count_per_tenant_and_references_use_the_prefix(desks):
    acme, globex = desks
    a1, a2 = open_ticket(acme), open_ticket(acme)
    g1 = open_ticket(globex)
    assert (a1.number, a2.number, g1.number) == (1, 2, 1)
    assert (a1.reference, g1.reference) == ("ACME-1", "GLOBEX-1")


def test_a_failed_creation_leaves_no_gap(desks):
    acme, _ = desks
    open_ticket(acme)
    page = SimpleUploadedFile("page.html", b"<html><script>alert(1)</script></html>")
    with pytest.raises(InvalidInput):  # fails after its number was taken: all rolls back
        open_ticket(acme, files=[page])
    assert open_ticket(acme).number == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_creations_get_numbers_1_to_20_with_no_gap_or_repeat(acme, globex):
    from sla import demo as sla_demo

    sla_demo.seed_tenant(acme.tenant)
    customer = as_actor(acme, acme.customer)

    def create(i):
        with tenant_scope(acme.tenant):
            created = services.ticket_create(actor=customer, subject=f"#{i}", description="x")
            return created.ticket.number

    numbers = in_parallel(*[partial(create, i) for i in range(20)])
    assert sorted(numbers) == list(range(1, 21))
    with tenant_scope(acme.tenant):
        assert sorted(Ticket.objects.values_list("number", flat=True)) == list(range(1, 21))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_retries_with_one_idempotency_key_create_one_ticket(acme, globex):
    from sla import demo as sla_demo

    sla_demo.seed_tenant(acme.tenant)
    customer = as_actor(acme, acme.customer)

    def create(i):
        with tenant_scope(acme.tenant):
            created = services.ticket_create(
                actor=customer, subject="same", description="x", idempotency_key="retry-1"
            )
            return created.ticket.number

    assert set(in_parallel(*[partial(create, i) for i in range(8)])) == {1}
    with tenant_scope(acme.tenant):
        assert Ticket.objects.count() == 1
