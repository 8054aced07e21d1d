"""The tenant admin's ticket and ticket-settings forms write nothing while they validate: the
service call is the admin's save (save_model), and a refusal still comes back as a form error
with nothing stored (issue 15). Validation that writes would store an edit that a later check
of the same form (or another inline) then refuses, and runs again on every re-validation."""

from django.test import RequestFactory

from accounts.admin_site import tenant_admin_site
from accounts.models import Membership, Tenant
from accounts.tenancy import tenant_scope
from tests.conftest import login
from tests.tickets.helpers import open_ticket
from tests.tickets.test_policy_doors import admin_edit, reload
from tickets.models import Status, Ticket, TicketSettings


def bound_form(desk, model, instance, data):
    with tenant_scope(desk.tenant):
        request = RequestFactory().post("/")
        request.tenant = desk.tenant
        request.membership = Membership.objects.get(user=desk.admin)
        request.user = desk.admin
        model_admin = tenant_admin_site._registry[model]
        form_class = model_admin.get_form(request, instance, change=True)
        form = form_class(data, instance=instance)
        assert form.is_valid(), form.errors
    return form


def test_validating_the_ticket_form_changes_nothing(acme, globex):
    ticket = open_ticket(acme)
    with tenant_scope(acme.tenant):
        instance = Ticket.objects.get(pk=ticket.pk)
    bound_form(acme, Ticket, instance, {"status": Status.IN_PROGRESS, "priority": "urgent",
                                        "tier": 1, "category": "", "assignee": ""})  # fmt: skip
    stored = reload(acme, ticket)
    assert (stored.status, stored.priority) == (ticket.status, ticket.priority)


def test_the_ticket_form_saves_through_the_service_on_save(client, acme, globex):
    ticket = open_ticket(acme)
    login(client, acme.admin)
    response = admin_edit(client, ticket, priority="urgent", status=Status.IN_PROGRESS)
    assert response.status_code == 302
    stored = reload(acme, ticket)
    assert (stored.status, stored.priority) == (Status.IN_PROGRESS, "urgent")
    with tenant_scope(acme.tenant):
        assert stored.events.filter(type="priority_changed").count() == 1  # the service's trail


def test_a_refused_ticket_edit_is_a_form_error_and_stores_nothing(client, acme, globex):
    ticket = open_ticket(acme)
    login(client, acme.admin)
    response = admin_edit(client, ticket, priority="urgent", assignee=globex.agent.pk)
    assert response.status_code in (200, 400, 403, 409)
    stored = reload(acme, ticket)
    assert stored.priority == ticket.priority and stored.assignee_id is None


def test_validating_the_settings_form_does_not_set_the_prefix(acme, globex):
    with tenant_scope(acme.tenant):
        settings, _ = TicketSettings.objects.get_or_create(tenant=acme.tenant)
    bound_form(acme, TicketSettings, settings,
               {"autoclose_after_hours": 48, "reference_prefix": "NEWP"})  # fmt: skip
    assert Tenant.objects.get(pk=acme.tenant.pk).reference_prefix != "NEWP"
