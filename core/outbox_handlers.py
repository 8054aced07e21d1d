"""How each kind of outbox message is delivered."""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.mail import EmailMultiAlternatives

from core.outbox import register


@register("email")
def send_email(payload: dict[str, Any], key: str) -> None:
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
def send_live_event(payload: dict[str, Any], key: str) -> None:
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(
        payload["group"], {"type": "live.event", "key": key, "event": payload["event"]}
    )
