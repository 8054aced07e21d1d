"""Celery door of the accounts beat job."""

from celery import shared_task

from accounts import services


@shared_task(sweeps_all_tenants=True)
def purge_expired_credentials() -> str:
    # Tokens and ws-tickets belong to people, not tenants: no tenant scope to enter.
    return services.purge_expired_credentials()
