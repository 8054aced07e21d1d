from core.commands import JobCommand
from tickets.jobs import autoclose_idle


class Command(JobCommand):
    help = "Beat job: close tickets idle on the customer's side for the idle limit."

    def run_job(self, now) -> str:
        return autoclose_idle(now=now)
