from core.commands import JobCommand
from tickets.mail.imap import poll_all


class Command(JobCommand):
    help = "Beat job (every minute): ingest the unread messages of every tenant's mailboxes."

    def run_job(self, now) -> str:
        return poll_all()
