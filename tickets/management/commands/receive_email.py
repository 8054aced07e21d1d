"""`python manage.py receive_email --tenant SLUG < message.eml`: for a mail server that pipes
messages in (e.g. a Postfix alias `|/path/manage.py receive_email --tenant acme`). The same
ingestion as the IMAP poller; one summary line. A message that is refused is kept (quarantined)
and the command still succeeds, so that the mail server does not bounce it to the sender."""

import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Tenant
from accounts.tenancy import tenant_scope
from core import live
from tickets.mail.ingest import ingest


class Command(BaseCommand):
    help = "Ingest one email message read from standard input into a tenant's help desk."
    stealth_options = ("stdin",)  # tests hand the message in as a binary stream

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's slug.")

    def handle(self, *args, tenant: str, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"No tenant {tenant!r}.")
        raw = (options.get("stdin") or sys.stdin.buffer).read()
        with tenant_scope(found), live.raised_by_job():
            result = ingest(tenant=found, raw=raw)
        ticket = f" ticket {result.ticket.reference}" if result.ticket else ""
        reason = f" ({result.reason})" if result.reason else ""
        outcome = f" {result.outcome}" if result.outcome else ""
        self.stdout.write(f"receive_email: 1 message, {result.status}{outcome}{ticket}{reason}")
