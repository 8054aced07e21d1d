"""Issue 15, hole 9: the reference prefix freezes for the tenant's admins once it has a ticket;
the platform admin can still change it."""

import threading

import pytest
from django.db import connection

from accounts.models import Tenant, User
from core.errors import NotAllowed
from tests.conftest import login
from tests.tickets.helpers import member, open_ticket
from tickets.services.settings import reference_prefix_set

SETTINGS_ADD = "/t/acme/admin/tickets/ticketsettings/add/"


def _prefix(desk) -> str:
    return Tenant.objects.get(pk=desk.tenant.pk).reference_prefix


def test_a_tenant_admin_sets_the_prefix_before_the_first_ticket(client, acme, globex):
    login(client, acme.admin)
    response = client.post(SETTINGS_ADD, {"reference_prefix": "HELP", "autoclose_after_hours": ""})
    assert response.status_code == 302, response.content
    assert _prefix(acme) == "HELP"
    assert _prefix(globex) != "HELP"
    acme.tenant.refresh_from_db()
    assert open_ticket(acme).reference == "HELP-1"


def test_the_prefix_is_frozen_for_the_tenant_admin_once_a_ticket_exists(client, acme, globex):
    before = _prefix(acme)
    open_ticket(acme)
    login(client, acme.admin)
    page = client.get(SETTINGS_ADD)
    assert b"Frozen" in page.content
    response = client.post(SETTINGS_ADD, {"reference_prefix": "NEW", "autoclose_after_hours": ""})
    assert _prefix(acme) == before
    with pytest.raises(NotAllowed):
        reference_prefix_set(actor=member(acme, acme.admin), tenant=acme.tenant, prefix="NEW")
    assert _prefix(acme) == before
    assert response.status_code in (200, 302)


def test_a_bad_prefix_is_a_form_error(client, acme):
    login(client, acme.admin)
    response = client.post(
        SETTINGS_ADD, {"reference_prefix": "no way", "autoclose_after_hours": ""}
    )
    assert response.status_code == 200
    assert b"Uppercase letters and digits" in response.content
    assert _prefix(acme) != "no way"


def test_another_tenants_admin_cannot_set_the_prefix(acme, globex):
    with pytest.raises(NotAllowed):
        reference_prefix_set(actor=member(globex, globex.admin), tenant=acme.tenant, prefix="X")
    assert _prefix(acme) != "X"


def test_the_platform_admin_can_still_change_it(client, acme):
    open_ticket(acme)
    root = User.objects.create_superuser(email="root@platform.example", password="x-pass-123456")
    login(client, root)  # with the second factor the platform requires of superusers
    tenant = acme.tenant
    response = client.post(
        f"/admin/accounts/tenant/{tenant.pk}/change/",
        {"slug": tenant.slug, "name": tenant.name, "timezone": tenant.timezone,
         "reference_prefix": "RENAMED", "default_language": tenant.default_language},
    )  # fmt: skip
    assert response.status_code == 302, response.content
    assert _prefix(acme) == "RENAMED"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_prefix_change_racing_the_first_ticket_never_splits_the_references(acme):
    """Whichever commits first wins: the first ticket carries the prefix in force after it."""
    errors: list[Exception] = []
    barrier = threading.Barrier(2)

    def change():
        try:
            barrier.wait()
            reference_prefix_set(actor=member(acme, acme.admin), tenant=acme.tenant, prefix="RACE")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    def create():
        try:
            barrier.wait()
            open_ticket(acme)
        finally:
            connection.close()

    threads = [threading.Thread(target=change), threading.Thread(target=create)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    from accounts.tenancy import tenant_scope
    from tickets.models import Ticket

    with tenant_scope(acme.tenant):
        reference = Ticket.objects.get().reference
    prefix = _prefix(acme)
    assert reference == f"{prefix}-1"
    assert all(isinstance(e, NotAllowed) for e in errors)
