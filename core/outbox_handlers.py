"""How each kind of outbox message is delivered."""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.mail import EmailMultiAlternatives

from core.emails import render
from core.outbox import register


@register("email")
def send_email(payload: dict[str, Any], key: str) -> None:
    payload = render(payload)
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["text"],
        to=payload["to"],
        headers={"X-Helpdesk-Key": key},
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    message.send(fail_silently=False)


@register("live")
def send_live_events(payload: dict[str, Any], key: str) -> None:
    """One group message per row: `{"group", "event"}` (keyed by the row) or, from a batch,
    `{"group", "events": [{"key", "event"}, ...]}`; sockets get one frame per event."""
    events = payload.get("events") or [{"key": key, "event": payload["event"]}]
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(payload["group"], {"type": "live.events", "events": events})
