"""How each kind of outbox message is delivered."""

import logging
from typing import Any

from django.core.mail import EmailMultiAlternatives

from core import live
from core.emails import render
from core.outbox import register

log = logging.getLogger(__name__)

LIVE_CHUNK = 200  # frames per group message


@register("email")
def send_email(payload: dict[str, Any], key: str) -> None:
    payload = render(payload)
    if payload is None:
        log.info("email dropped (no longer applies) key=%s", key)
        return
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["text"],
        from_email=payload.get("from_email") or None,
        to=payload["to"],
        reply_to=payload.get("reply_to") or None,
        headers={**payload.get("headers", {}), "X-Helpdesk-Key": key},
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    message.send(fail_silently=False)
    # One line per email, never its body: bodies can hold password-set links (logs are read by
    # more people, and kept longer, than the mailbox they were meant for).
    log.info("email sent to=%s subject=%r key=%s", ",".join(payload["to"]), payload["subject"], key)


@register("live")
def send_live_events(payload: dict[str, Any], key: str) -> None:
    """One group message per row: `{"group", "events": [frame, ...]}`, or `{"group",
    "builder", ...}` whose frames the named builder makes now (core/live.py)."""
    frames = live.build(payload)
    # A batch of the SLA job has up to 5,000 rows: group messages stay small for the layer.
    for start in range(0, len(frames), LIVE_CHUNK):
        chunk = frames[start : start + LIVE_CHUNK]
        live.send(payload["group"], chunk, wait=True)
