from accounts.services import purge_expired_credentials
from core.commands import JobCommand


class Command(JobCommand):
    help = "Beat job: delete expired API tokens and ws-tickets."

    def run_job(self, now) -> str:
        return purge_expired_credentials(now=now)
