"""The shape every beat-job management command shares: `--now`, one run, one summary line."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core import live
from core.timeparse import parse_aware


class JobCommand(BaseCommand):
    """Runs the same function as the Celery task, once, synchronously."""

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Act as if it were this time (ISO 8601 with offset).")

    def handle(self, *args, now: str | None = None, **options):
        try:
            at = parse_aware(now) if now else timezone.now()
        except ValueError as error:
            raise CommandError(str(error)) from None
        with live.raised_by_job():  # its live events go through the outbox, as the task's
            self.stdout.write(self.run_job(at))

    def run_job(self, now) -> str:
        raise NotImplementedError
