"""The benchmark tickets: `fill(per_tenant)` gives acme and globex that many tickets each.

Shared by bench/tickets.py and bench/load.py. Needs DJANGO_SETTINGS_MODULE and a PostgreSQL
DATABASE_URL naming a "bench" database (bench/pg.py). The rows are written in SQL (INSERT ...
SELECT generate_series): a million per tenant in minutes, not the half hour of Python objects.
Later runs reuse what is there and delete what earlier runs' creates left.
"""

CREATED_SUBJECT = "Bench create"
FILL_CHUNK = 200_000

# Random but repeatable rows, as the Python fill made them: four statuses (closed ones have no
# due time), five priorities, created over the last 90 days, due 1 to 200 hours after.
_FILL_SQL = """
INSERT INTO tickets_ticket (
    tenant_id, number, reference, subject, description, priority, status, contact_name,
    contact_email, tier, channel, idempotency_source, requester_id, organization_id, plan_id,
    created_at, updated_at, status_changed_at, closed_at, sla_due_at, sla_breached, sla_at_risk,
    sla_paused, sla_first_response_breached, sla_next_response_breached, sla_resolution_breached
)
SELECT %(tenant)s, n, %(prefix)s || '-' || n, 'Bench ticket ' || n, 'Filled by bench/tickets.py',
    (ARRAY['critical', 'urgent', 'high', 'normal', 'low'])[1 + floor(random() * 5)::int],
    r.status, '', '', 1, 'portal', '', %(requester)s, %(organization)s, %(plan)s,
    r.created, r.created, r.created,
    CASE WHEN r.status = 'closed' THEN r.created + interval '5 hours' END,
    CASE WHEN r.status <> 'closed'
        THEN r.created + (1 + floor(random() * 200)::int) * interval '1 hour' END,
    false, false, false, false, false, false
FROM generate_series(%(first)s, %(last)s) AS n,
LATERAL (
    SELECT (ARRAY['awaiting_response', 'in_progress', 'awaiting_customer', 'closed'])[
               1 + floor(random() * 4 + n * 0)::int] AS status,
           now() - (random() * 90 * 24 * 60 + n * 0) * interval '1 minute' AS created
) AS r
"""


def _insert_tickets(*, tenant, customer, plan, first: int, count: int) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(first % 1000) / 1000])
        cursor.execute(
            _FILL_SQL,
            {
                "tenant": tenant.pk,
                "prefix": tenant.reference_prefix,
                "requester": customer.user_id,
                "organization": customer.organization_id,
                "plan": plan.pk if plan else None,
                "first": first,
                "last": first + count - 1,
            },
        )


def fill(per_tenant: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import Tenant
    from accounts.tenancy import tenant_scope
    from tickets.models import Ticket
    from tickets.report_rollup import bulk_load

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    tenants = list(Tenant.objects.filter(slug__in=["acme", "globex"]).order_by("pk"))
    missing = {}
    for tenant in tenants:
        with tenant_scope(tenant):
            missing[tenant] = per_tenant - Ticket.objects.count()
    short = [tenant for tenant in tenants if missing[tenant] > 0]
    # The SLA report's rollup triggers off during the fill, each tenant rebuilt once after.
    with bulk_load([tenant.pk for tenant in short]):
        for tenant in short:
            _fill_tenant(tenant, missing[tenant])

    from django.db import connection

    from accounts.tenancy import all_tenants
    from core.models import OutboxMessage
    from sla.models import Clock
    from tickets.models import Event

    with all_tenants():
        # What earlier runs' creates left, so that every run measures the same database.
        created = Ticket.objects.filter(subject__startswith=CREATED_SUBJECT)
        ids = list(created.values_list("pk", flat=True))
        Clock.objects.filter(subject_type="ticket", subject_id__in=ids).delete()
        Event.objects.filter(ticket_id__in=ids).delete()
        created.delete()
        OutboxMessage.objects.all().delete()  # the bench database's outbox has no reader
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does for a real table: index-only counts


def _fill_tenant(tenant, missing: int) -> None:
    from accounts.models import Membership
    from accounts.tenancy import tenant_scope
    from sla.services import plan_for
    from tickets.models import TicketSequence

    with tenant_scope(tenant):
        customer = Membership.objects.filter(role="customer").select_related("user").first()
        plan = plan_for(tenant=tenant, organization=customer.organization)
        sequence, _ = TicketSequence.objects.get_or_create(tenant=tenant)
        start = sequence.last_number
        # In SQL (INSERT ... SELECT generate_series): a million rows in a minute or two,
        # not the half hour of building them in Python. Chunks keep each commit small.
        for offset in range(0, missing, FILL_CHUNK):
            _insert_tickets(
                tenant=tenant,
                customer=customer,
                plan=plan,
                first=start + offset + 1,
                count=min(FILL_CHUNK, missing - offset),
            )
        sequence.last_number = start + missing
        sequence.save()
