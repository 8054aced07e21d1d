"""Run as `python -m tests.sla.kill_worker NOW`: the escalate command with a slow subscriber.

The subscriber writes its evidence row, says so on stdout, then sleeps, so that the test can
SIGKILL this process in the middle of a batch.
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from sla import jobs, subjects  # noqa: E402
from tests.sla.helpers import SUBJECT, evidence  # noqa: E402


class Slow:
    def on_warning(self, clock):
        self.on_breach(clock)

    def on_breach(self, clock):
        evidence(clock, "breach")
        print(f"handled {clock.pk}", flush=True)
        time.sleep(0.3)

    def refresh_summary(self, subject_id):
        pass


if __name__ == "__main__":
    jobs.BATCH_SIZE = 4
    subjects.register(SUBJECT, Slow())
    call_command("escalate_sla_breaches", now=sys.argv[1])
