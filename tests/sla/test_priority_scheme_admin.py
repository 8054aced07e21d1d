"""The tenant admin's priority scheme page: one form for the five priorities, saved through
`priority_scheme_save` (same rules, same audit), refused as form errors, and only to the
tenant's own admins."""

from __future__ import annotations

import pytest

from accounts.models import AuditEntry, AuditType, Tenant
from accounts.tenancy import tenant_scope
from sla.models import PriorityLevel
from sla.scheme import priority_scheme
from tests.conftest import login

PAGE = "/t/acme/admin/sla/prioritylevel/"
ORDER = ["critical", "urgent", "high", "normal", "low"]


def scheme_form(rows: dict[str, dict], default: str) -> dict:
    """`rows`: priority -> {"in_use", "label", "customer_may_choose"}; the rest out of use."""
    data = {
        "levels-TOTAL_FORMS": "5",
        "levels-INITIAL_FORMS": "5",
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "5",
        "default": default,
    }
    for i, priority in enumerate(ORDER):
        row = rows.get(priority, {"label": priority.capitalize()})
        data[f"levels-{i}-priority"] = priority
        data[f"levels-{i}-label"] = row.get("label", "")
        if row.get("in_use"):
            data[f"levels-{i}-in_use"] = "on"
        if row.get("customer_may_choose"):
            data[f"levels-{i}-customer_may_choose"] = "on"
    return data


SEVERITIES = {
    "critical": {"in_use": True, "label": "Severity 1"},
    "high": {"in_use": True, "label": "Severity 2", "customer_may_choose": True},
    "normal": {"in_use": True, "label": "Severity 3", "customer_may_choose": True},
}


@pytest.fixture
def admin_client(client, acme, globex):
    login(client, acme.admin)
    return client


def scheme_of(desk):
    return priority_scheme(Tenant.objects.get(pk=desk.tenant.pk))


def test_the_page_shows_the_five_priorities_under_their_current_names(admin_client):
    response = admin_client.get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    for priority in ORDER:
        assert f'data-priority="{priority}"' in page
    assert 'value="Normal"' in page
    assert 'name="default" value="normal" id="id_default_normal" ' in page
    assert "checked" in page
    # The admin's index links to it.
    assert PAGE in admin_client.get("/t/acme/admin/").content.decode()


def test_an_admin_saves_labels_priorities_in_use_the_default_and_customer_choices(
    admin_client, acme, globex
):
    response = admin_client.post(PAGE, scheme_form(SEVERITIES, "normal"))
    assert response.status_code == 302, response.content.decode()[:2000]
    scheme = scheme_of(acme)
    assert scheme.in_use == ["critical", "high", "normal"]
    assert scheme.customer_choosable == ["high", "normal"]
    assert scheme.label("critical") == "Severity 1"
    assert scheme.default == "normal"
    with tenant_scope(acme.tenant):
        assert AuditEntry.objects.filter(type=AuditType.PRIORITY_SCHEME_CHANGED).count() == 1
    page = admin_client.get(PAGE).content.decode()
    assert 'value="Severity 1"' in page
    assert scheme_of(globex).label("critical") == "Critical"  # the outsider's stays


@pytest.mark.parametrize(
    ("rows", "default", "message"),
    [
        (SEVERITIES, "low", "The default priority must be one of the priorities in use."),
        ({}, "normal", "Use at least one priority."),
        ({"high": {"in_use": True, "label": ""}}, "high", "Give high a label."),
    ],
)
def test_a_scheme_against_the_rules_is_a_form_error_and_saves_nothing(
    admin_client, acme, rows, default, message
):
    response = admin_client.post(PAGE, scheme_form(rows, default))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Tenant.objects.get(pk=acme.tenant.pk).priority_scheme_stamp == ""
    with tenant_scope(acme.tenant):
        assert not PriorityLevel.objects.exists()


def test_a_tampered_form_without_every_priority_is_refused(admin_client, acme):
    data = scheme_form(SEVERITIES, "normal")
    data["levels-4-priority"] = "normal"  # "low" left out, "normal" twice
    response = admin_client.post(PAGE, data)
    assert response.status_code == 200
    assert "Send each of the five priorities once." in response.content.decode()


def test_labels_are_escaped_on_the_page(admin_client, acme):
    rows = {"normal": {"in_use": True, "label": "<b>Medium</b>", "customer_may_choose": True}}
    assert admin_client.post(PAGE, scheme_form(rows, "normal")).status_code == 302
    page = admin_client.get(PAGE).content.decode()
    assert "<b>Medium</b>" not in page
    assert "&lt;b&gt;Medium&lt;/b&gt;" in page


def test_agents_and_other_tenants_admins_cannot_reach_the_page(client, acme, globex):
    login(client, acme.agent)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, scheme_form(SEVERITIES, "normal")).status_code == 403
    login(client, globex.admin)
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, scheme_form(SEVERITIES, "normal")).status_code == 404
    assert Tenant.objects.get(pk=acme.tenant.pk).priority_scheme_stamp == ""
