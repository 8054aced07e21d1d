from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Tenant
from accounts.tenancy import tenant_scope
from core.errors import ServiceError
from sla import presets
from sla.presets.service import apply_preset, system_actor, tenant_for_preset


class Command(BaseCommand):
    help = (
        "Apply a support-policy preset (CONTRACT section 8) to a tenant: calendar, plans, "
        "targets, priority scheme, request types, categories, channel targets, settings. "
        "Upserts by name, never deletes; applying twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("preset", choices=presets.PRESET_IDS)
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")
        parser.add_argument(
            "--create",
            action="store_true",
            help="Create the tenant when missing, with the preset's zone and reference prefix.",
        )

    def handle(self, *args, preset: str, tenant: str, create: bool = False, **options):
        chosen = presets.load(preset)
        try:
            with transaction.atomic():
                found, created = tenant_for_preset(slug=tenant, preset=chosen, create=create)
                with tenant_scope(found):
                    applied = apply_preset(
                        actor=system_actor(found), tenant=found, preset=chosen, created=created
                    )
        except Tenant.DoesNotExist:
            raise CommandError(f"No tenant {tenant!r}; pass --create to create it.") from None
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        except ServiceError as error:
            raise CommandError(error.detail) from None
        self.stdout.write(applied.line())
