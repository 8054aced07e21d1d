"""The tenant admin's request types: saved through `request_type_save` (its rules, its audit),
a default priority offered among the tenant's priorities under its labels, never deleted."""

from __future__ import annotations

import pytest

from accounts.models import AuditEntry, AuditType, Tenant
from accounts.tenancy import tenant_scope
from sla.scheme import LevelSpec, priority_scheme_save
from tests.conftest import login
from tests.tickets.helpers import member
from tickets.models import RequestType

ADD = "/t/acme/admin/tickets/requesttype/add/"


@pytest.fixture
def admin_client(client, desks):
    acme, _ = desks
    with tenant_scope(acme.tenant):
        priority_scheme_save(
            actor=member(acme, acme.admin),
            tenant=acme.tenant,
            levels=[
                LevelSpec("critical", "1 – Service unavailable", customer_may_choose=False),
                LevelSpec("high", "2 – Process blocked"),
                LevelSpec("low", "3 – Cosmetic"),
            ],
            default="high",
        )
    login(client, acme.admin)
    return client


def test_the_form_offers_the_tenants_priorities_under_its_labels(admin_client):
    page = admin_client.get(ADD).content.decode()
    assert '<option value="critical">1 – Service unavailable</option>' in page
    assert '<option value="high" selected>2 – Process blocked</option>' in page  # the default
    assert 'value="urgent"' not in page and 'value="normal"' not in page


def test_an_admin_adds_and_edits_a_request_type(admin_client, desks):
    acme, globex = desks
    response = admin_client.post(
        ADD,
        {"name": "Incident", "slug": "incident", "default_priority": "critical", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_scope(acme.tenant):
        incident = RequestType.objects.get()
        assert (incident.slug, incident.default_priority) == ("incident", "critical")
        assert AuditEntry.objects.filter(type=AuditType.REQUEST_TYPE_SAVED).count() == 1
    change = f"/t/acme/admin/tickets/requesttype/{incident.pk}/change/"
    listing = admin_client.get("/t/acme/admin/tickets/requesttype/").content.decode()
    assert "1 – Service unavailable" in listing
    response = admin_client.post(
        change, {"name": "Incident", "slug": "incident", "default_priority": "high"}
    )
    assert response.status_code == 302
    with tenant_scope(acme.tenant):
        incident.refresh_from_db()
    assert (incident.default_priority, incident.is_active) == ("high", False)
    with tenant_scope(globex.tenant):
        assert not RequestType.objects.exists()


def test_a_priority_out_of_use_and_a_duplicate_are_form_errors(admin_client, desks):
    acme, _ = desks
    response = admin_client.post(
        ADD, {"name": "Question", "slug": "question", "default_priority": "normal"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    admin_client.post(ADD, {"name": "Question", "slug": "question", "default_priority": "low"})
    response = admin_client.post(
        ADD, {"name": "question", "slug": "other", "default_priority": "low"}
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    with tenant_scope(acme.tenant):
        assert RequestType.objects.count() == 1


def test_request_types_are_never_deleted_in_the_admin(admin_client, desks):
    acme, _ = desks
    admin_client.post(ADD, {"name": "Support", "slug": "support", "default_priority": "low"})
    with tenant_scope(acme.tenant):
        support = RequestType.objects.get()
    delete = f"/t/acme/admin/tickets/requesttype/{support.pk}/delete/"
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    with tenant_scope(acme.tenant):
        assert RequestType.objects.filter(pk=support.pk).exists()


def test_agents_and_outsiders_cannot_reach_request_types(client, desks):
    acme, globex = desks
    login(client, acme.agent)
    assert client.get(ADD).status_code == 403
    login(client, globex.admin)
    assert client.get(ADD).status_code == 404
    assert Tenant.objects.get(pk=acme.tenant.pk).priority_scheme_stamp == ""
