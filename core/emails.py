"""Emails go through the outbox as a template name and a JSON context; the relay renders them.

Rendering at delivery keeps the cause's transaction short (an SLA batch of 5,000 breaches
writes 5,000 small rows instead of rendering 15,000 templates while it holds row locks). The
context is a snapshot of plain values taken when the cause happens, so the email says what was
true then, whatever changed before it was sent.
"""

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from core import outbox


def email_payload(*, to: list[str], template: str, context: dict[str, Any]) -> dict[str, Any]:
    """The outbox payload of an email: `context` must be plain JSON (str, int, dict, list...)."""
    return {"to": to, "template": template, "context": context}


def render(payload: dict[str, Any]) -> dict[str, Any]:
    """Subject, text and HTML from templates/<template>_subject.txt, .txt and .html."""
    template, context = payload["template"], {"site_url": settings.SITE_URL, **payload["context"]}
    return {
        "to": payload["to"],
        "subject": " ".join(render_to_string(f"{template}_subject.txt", context).split()),
        "text": render_to_string(f"{template}.txt", context),
        "html": render_to_string(f"{template}.html", context),
    }


def enqueue_email(*, key: str, to: list[str], template: str, context: dict[str, Any]) -> None:
    outbox.enqueue(
        key=key, kind="email", payload=email_payload(to=to, template=template, context=context)
    )
