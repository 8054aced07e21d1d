from core.commands import JobCommand
from core.idle import sweep_all


class Command(JobCommand):
    help = "Beat job: close tickets (and chats) idle on the customer's side for the idle limit."

    def run_job(self, now) -> str:
        return sweep_all(now=now)
