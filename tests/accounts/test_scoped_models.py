"""Every tenant-owned model is reached through django-scopes' ScopedManager (ARCHITECTURE,
"Tenancy"): a query outside a tenant scope is an error, not every tenant's rows.

Walks every installed model (all apps, third-party included): any model with a foreign key to
the Tenant is tenant-owned. Its default manager must refuse to query without a scope and, in a
tenant's scope, filter by that tenant.
"""

import pytest
from django.apps import apps
from django.db import models
from django_scopes import ScopeError

from accounts.models import Tenant
from accounts.tenancy import tenant_scope

# Models with a tenant key that are deliberately not scoped, each with the reason. Documented
# infrastructure only (core.OutboxMessage has no tenant key, so it needs no entry).
NOT_SCOPED: dict[str, str] = {}


def tenant_keys(model) -> list[models.ForeignKey]:
    return [
        field
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey) and field.related_model is Tenant
    ]


TENANT_OWNED = sorted(
    (model for model in apps.get_models() if tenant_keys(model)), key=lambda m: m._meta.label
)


def test_the_walk_finds_the_tenant_owned_models():
    labels = {model._meta.label for model in TENANT_OWNED}
    assert {"accounts.Membership", "tickets.Ticket", "sla.Clock"} <= labels
    assert "core.OutboxMessage" not in labels and "accounts.Tenant" not in labels
    assert set(NOT_SCOPED) <= labels, "an exception for a model that is not tenant-owned"


@pytest.mark.parametrize(
    "model",
    [m for m in TENANT_OWNED if m._meta.label not in NOT_SCOPED],
    ids=lambda m: m._meta.label,
)
def test_a_tenant_owned_model_refuses_queries_outside_a_tenant_scope(model, acme):
    manager = model._default_manager
    assert manager is model.objects, "the default manager must be the scoped `objects`"
    with pytest.raises(ScopeError):
        list(manager.all())
    [key] = tenant_keys(model)
    with tenant_scope(acme.tenant):
        where = str(manager.all().query).split(" WHERE ", 1)[-1]
    column = f'"{model._meta.db_table}"."{key.column}" = {acme.tenant.pk}'
    assert column in where, f"{model._meta.label} is not filtered by its tenant: {where}"
