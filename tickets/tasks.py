from celery import shared_task
from django.utils import timezone

from tickets.jobs import autoclose_idle


@shared_task(sweeps_all_tenants=True)
def autoclose_idle_task() -> str:
    return autoclose_idle(now=timezone.now())
