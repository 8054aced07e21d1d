"""Emails are rendered when their cause happens and sent through the outbox."""

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from core import outbox


def enqueue_email(*, key: str, to: list[str], template: str, context: dict[str, Any]) -> None:
    """Render templates/<template>_subject.txt, .txt and .html, and queue the email."""
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    outbox.enqueue(
        key=key,
        kind="email",
        payload={
            "to": to,
            "subject": subject,
            "text": render_to_string(f"{template}.txt", context),
            "html": render_to_string(f"{template}.html", context),
        },
    )
