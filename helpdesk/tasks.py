"""Beat jobs that span several apps: their registries are filled by the apps below."""

from celery import shared_task
from django.utils import timezone

from core.idle import sweep_all


@shared_task(sweeps_all_tenants=True)
def autoclose_idle() -> str:
    """Every registered idle sweeper (core.idle); each enters its rows' tenant scopes."""
    return sweep_all(now=timezone.now())
