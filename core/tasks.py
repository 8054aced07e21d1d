from celery import shared_task

from core import outbox


@shared_task(sweeps_all_tenants=True)
def deliver_outbox_messages(keys: list[str]) -> int:
    return outbox.deliver_many(keys)


@shared_task(sweeps_all_tenants=True)
def relay_outbox() -> str:
    looked, delivered = outbox.relay_pending()
    pruned = outbox.prune()
    return f"outbox: looked at {looked}, delivered {delivered}, pruned {pruned}"
