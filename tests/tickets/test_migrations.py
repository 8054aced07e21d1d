"""The idempotency-source migration applies on a database that already has tickets."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("tickets", "0003_idle_sweeper_index")]


def _migrate(targets=None):
    """To `targets`, or (None) back to the latest of every app, as the other tests expect."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_keys_get_their_creator_as_source_and_keyless_creators_their_own():
    apps = _migrate(BEFORE)
    try:
        Tenant, User = apps.get_model("accounts", "Tenant"), apps.get_model("accounts", "User")
        Ticket = apps.get_model("tickets", "Ticket")
        tenant = Tenant.objects.create(slug="old", name="Old", reference_prefix="OLD")
        user = User.objects.create(email="old@example.test")
        rows = [(user, "k-1"), (None, "k-1"), (None, "k-1"), (user, None)]  # NULLs never clashed
        for number, (creator, key) in enumerate(rows, 1):
            Ticket.objects.create(
                tenant=tenant,
                number=number,
                reference=f"OLD-{number}",
                subject="s",
                description="d",
                created_by=creator,
                idempotency_key=key,
            )
    finally:
        apps = _migrate()
    Ticket = apps.get_model("tickets", "Ticket")
    sources = dict(Ticket.objects.values_list("number", "idempotency_source"))
    ids = dict(Ticket.objects.values_list("number", "id"))
    assert sources == {1: f"user:{user.pk}", 2: f"ticket:{ids[2]}", 3: f"ticket:{ids[3]}", 4: ""}
