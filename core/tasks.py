from celery import shared_task

from core import outbox


@shared_task(sweeps_all_tenants=True)
def deliver_outbox_message(key: str) -> bool:
    # Nudges now always carry a list (`deliver_outbox_messages`); kept for queued ones.
    return outbox.deliver(key)


@shared_task(sweeps_all_tenants=True)
def deliver_outbox_messages(keys: list[str]) -> int:
    return sum(outbox.deliver(key) for key in keys)


@shared_task(sweeps_all_tenants=True)
def relay_outbox() -> str:
    looked, delivered = outbox.relay_pending()
    return f"outbox: looked at {looked}, delivered {delivered}"
