from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import demo as accounts_demo
from chat import demo as chat_demo
from sla import demo as sla_demo
from sla import preset_demo, presets
from tickets import demo as tickets_demo

# Each app that brings demo data adds its seeder here, in dependency order.
SEEDERS = [
    accounts_demo.seed,
    sla_demo.seed,
    tickets_demo.seed,
    chat_demo.seed,
    preset_demo.seed,  # the five preset tenants (CONTRACT section 8)
]


class Command(BaseCommand):
    help = "Create the demo data of CONTRACT section 3. Running it twice changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Seed even with DEBUG off.")

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to seed demo data with DEBUG off; pass --force.")
        with transaction.atomic():
            for seeder in SEEDERS:
                seeder()
        self.stdout.write(
            "seed_demo: demo tenants acme, globex and "
            + ", ".join(presets.PRESET_IDS)
            + f" ready; password {accounts_demo.DEMO_PASSWORD}"
        )
