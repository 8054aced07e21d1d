"""The idle sweeper claims across tenants (tickets/jobs.py): its partial index no longer leads
with tenant. An idle limit of 0 turns auto-close off (CONTRACT section 8), so 0 is allowed.

The index covers only tickets awaiting the customer, so building it is quick; it is dropped and
created under the same name, which an existing database applies like a fresh one."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_lean_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="ticket", name="ticket_awaiting_customer"),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status", "awaiting_customer")),
                fields=["status_changed_at", "id"],
                name="ticket_awaiting_customer",
            ),
        ),
        migrations.AlterField(
            model_name="ticketsettings",
            name="autoclose_after_hours",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Close tickets awaiting the customer after this many hours without a "
                "reply (0: never; empty: the installation default, AUTOCLOSE_AFTER_HOURS).",
                null=True,
            ),
        ),
    ]
