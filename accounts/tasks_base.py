"""The base Celery task: one of the four doors that enter a tenant scope (`helpdesk.celery`
makes it every task's class).

A task bound to one tenant is called with `tenant_id=...` and runs inside that tenant's scope.
A job that sweeps every tenant says so with `sweeps_all_tenants=True` and enters each tenant's
scope per item itself (or touches only unscoped infrastructure such as the outbox).
"""

from celery import Task


class TenantTask(Task):
    sweeps_all_tenants = False

    def __call__(self, *args, **kwargs):
        if self.sweeps_all_tenants:
            return super().__call__(*args, **kwargs)
        tenant_id = kwargs.get("tenant_id")
        if tenant_id is None:
            raise ValueError(
                f"{self.name} needs tenant_id=...; a job over every tenant must be declared "
                "with sweeps_all_tenants=True."
            )
        # Imported here: Celery builds this class when the app is created, before Django's
        # app registry is ready.
        from accounts.models import Tenant
        from accounts.tenancy import tenant_scope

        with tenant_scope(Tenant.objects.get(pk=tenant_id)):
            return super().__call__(*args, **kwargs)
