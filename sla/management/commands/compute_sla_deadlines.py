from core.commands import JobCommand
from sla.jobs import compute_sla_deadlines


class Command(JobCommand):
    help = "Beat job: recompute the SLA clocks marked stale by calendar or plan edits."

    def run_job(self, now) -> str:
        return compute_sla_deadlines(now=now)
