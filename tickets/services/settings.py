"""The tenant's ticket settings that live on the tenant itself: its reference prefix."""

from django.db import connection, transaction

from accounts import policy as accounts_policy
from accounts.models import Membership, Tenant
from tickets import policy
from tickets.models import TicketSequence


def _lock_sequence(tenant: Tenant) -> int:
    """Take the tenant's numbering row (creating it at 0) and hold it until commit: a first
    ticket being created right now either committed already (its number is seen) or waits for
    this change and then reads the new prefix (create.py re-reads it for number 1)."""
    table = connection.ops.quote_name(TicketSequence._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, last_number) VALUES (%s, 0) "  # noqa: S608 - model identifiers only, values bound  # nosec B608
            "ON CONFLICT (tenant_id) DO NOTHING",
            [tenant.pk],
        )
        cursor.execute(f"SELECT last_number FROM {table} WHERE tenant_id = %s{lock}", [tenant.pk])  # noqa: S608 - model identifiers only, values bound  # nosec B608
        return cursor.fetchone()[0]


@transaction.atomic
def reference_prefix_set(*, actor: Membership, tenant: Tenant, prefix: str) -> None:
    """Change the prefix of the tenant's ticket references (PREFIX-42) while it has no ticket.

    Once the first ticket exists the prefix is frozen for the tenant's admins (references are
    printed in emails and quoted by customers); the platform admin can still change it.
    """
    accounts_policy.require_tenant_admin(actor, tenant)
    field = Tenant._meta.get_field("reference_prefix")
    prefix = field.clean(prefix, tenant)  # the model's own rules (a ValidationError otherwise)
    if prefix == tenant.reference_prefix:
        return
    policy.check_reference_prefix_change(has_tickets=_lock_sequence(tenant) > 0)
    Tenant.objects.filter(pk=tenant.pk).update(reference_prefix=prefix)
    tenant.reference_prefix = prefix
