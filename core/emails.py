"""Emails are rendered when their cause happens and sent through the outbox."""

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from core import outbox


def email_payload(*, to: list[str], template: str, context: dict[str, Any]) -> dict[str, Any]:
    """Render templates/<template>_subject.txt, .txt and .html into an outbox email payload."""
    context = {"site_url": settings.SITE_URL, **context}
    return {
        "to": to,
        "subject": " ".join(render_to_string(f"{template}_subject.txt", context).split()),
        "text": render_to_string(f"{template}.txt", context),
        "html": render_to_string(f"{template}.html", context),
    }


def enqueue_email(*, key: str, to: list[str], template: str, context: dict[str, Any]) -> None:
    outbox.enqueue(
        key=key, kind="email", payload=email_payload(to=to, template=template, context=context)
    )
