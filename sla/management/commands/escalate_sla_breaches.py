from core.commands import JobCommand
from sla.jobs import escalate_sla_breaches


class Command(JobCommand):
    help = "Beat job (every 15 s): record SLA warnings and breaches, each exactly once."

    def run_job(self, now) -> str:
        return escalate_sla_breaches(now=now)
