"""The tenancy guard rail: a forgotten scope is an error, never another tenant's rows."""

import pytest
from celery import shared_task
from django_scopes import ScopeError

from accounts.models import Membership, Organization
from accounts.tenancy import all_tenants, tenant_scope


@shared_task
def member_emails(*, tenant_id: int) -> list[str]:
    """A task bound to one tenant, as every task is unless it says it sweeps them all."""
    return sorted(Membership.objects.values_list("user__email", flat=True))


@pytest.mark.parametrize("model", [Membership, Organization])
def test_querying_tenant_rows_outside_a_scope_raises(acme, model):
    with pytest.raises(ScopeError):
        list(model.objects.all())


def test_tenant_scope_refuses_none_which_would_disable_filtering(acme):
    with pytest.raises(ValueError, match="None would disable filtering"), tenant_scope(None):
        list(Membership.objects.all())


def test_inside_acmes_scope_globex_rows_are_invisible(acme, globex):
    with tenant_scope(acme.tenant):
        assert list(Organization.objects.all()) == [acme.org]
        assert {m.tenant_id for m in Membership.objects.all()} == {acme.tenant.pk}
        assert not Membership.objects.filter(user=globex.agent).exists()
        assert not Organization.objects.filter(pk=globex.org.pk).exists()
    with all_tenants():  # the rows are there; the scope is what hid them
        assert Organization.objects.filter(pk=globex.org.pk).exists()


def test_a_task_without_tenant_id_refuses_to_run(acme):
    # apply() runs the task as a worker would run a message that lacks tenant_id (no argument
    # check on the caller's side): the base class refuses before the body can read anything.
    with pytest.raises(ValueError, match="needs tenant_id"):
        member_emails.apply()


def test_a_task_with_tenant_id_runs_inside_that_tenants_scope(acme, globex):
    assert member_emails.delay(tenant_id=acme.tenant.pk).get() == [
        "admin@acme.example",
        "agent@acme.example",
        "customer@acme.example",
        "tier2@acme.example",
    ]
    assert member_emails.delay(tenant_id=globex.tenant.pk).get() == [
        "admin@globex.example",
        "agent@globex.example",
        "customer@globex.example",
        "tier2@globex.example",
    ]
    with pytest.raises(ScopeError):  # the task's scope ended with the task
        list(Membership.objects.all())
