from celery import shared_task

from core import outbox


@shared_task(sweeps_all_tenants=True)
def deliver_outbox_messages(keys: list[str]) -> int:
    return outbox.deliver_many(keys)


@shared_task(sweeps_all_tenants=True)
def relay_outbox() -> str:
    looked, delivered = outbox.relay_pending()
    return f"outbox: looked at {looked}, delivered {delivered}"


@shared_task(sweeps_all_tenants=True)
def prune_outbox() -> str:
    """Hourly (beat): delivered rows past OUTBOX_RETENTION_DAYS go."""
    return f"outbox: pruned {outbox.prune()}"
