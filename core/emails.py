"""Emails go through the outbox as a template name and a JSON context; the relay renders them.

Rendering at delivery keeps the cause's transaction short (an SLA batch of 5,000 breaches
writes 5,000 small rows instead of rendering 15,000 templates while it holds row locks). The
context is a snapshot of plain values taken when the cause happens, so the email says what was
true then, whatever changed before it was sent.

Some emails carry a secret (a password-set link). Their secret must never rest in the outbox
table (a database dump or an admin page would leak working links): such a payload names a
builder (`register_builder`, registered by the app that owns the secret) and stores only ids;
the builder adds the secret to the context at delivery. A builder returns None when the email
no longer applies (the person is gone): it is then dropped, not retried.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from core import outbox

log = logging.getLogger(__name__)

Builder = Callable[[dict[str, Any]], dict[str, Any] | None]
_builders: dict[str, Builder] = {}


def register_builder(name: str) -> Callable[[Builder], Builder]:
    def decorate(builder: Builder) -> Builder:
        _builders[name] = builder
        return builder

    return decorate


def email_payload(
    *,
    to: list[str],
    template: str,
    context: dict[str, Any],
    builder: str | None = None,
    headers: dict[str, str] | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The outbox payload of an email: `context` must be plain JSON (str, int, dict, list...).
    `headers` (a Message-ID...) are sent as they are, on every try. `language`: the recipient's
    (core.i18n.language_for), which the templates are rendered in; None: LANGUAGE_CODE."""
    payload = {"to": to, "template": template, "context": context}
    if language:
        payload["language"] = language
    if headers:
        payload["headers"] = headers
    if builder is not None:
        if builder not in _builders:
            raise ValueError(f"No email builder {builder!r}.")
        payload["builder"] = builder
    return payload


def render(payload: dict[str, Any]) -> dict[str, Any] | None:
    """Subject, text and HTML from templates/<template>_subject.txt, .txt and .html.

    None: the payload's builder says the email no longer applies.
    """
    with translation.override(payload.get("language") or settings.LANGUAGE_CODE):
        return _render(payload)


def _render(payload: dict[str, Any]) -> dict[str, Any] | None:
    template, context = payload["template"], {"site_url": settings.SITE_URL, **payload["context"]}
    if payload.get("builder"):
        extra = _builders[payload["builder"]](payload["context"])
        if extra is None:
            return None
        context.update(extra)
    return {
        "to": payload["to"],
        "subject": " ".join(render_to_string(f"{template}_subject.txt", context).split()),
        "text": render_to_string(f"{template}.txt", context),
        "html": render_to_string(f"{template}.html", context),
        # Threading and replies: a Message-ID fixed when queued (retries reuse it), the rest
        # from the builder at delivery.
        "headers": {**payload.get("headers", {}), **context.get("email_headers", {})},
        "reply_to": context.get("reply_to") or [],
        "from_email": context.get("from_email"),
    }


def enqueue_email(
    *,
    key: str,
    to: list[str],
    template: str,
    context: dict[str, Any],
    builder: str | None = None,
    language: str | None = None,
) -> None:
    outbox.enqueue(
        key=key,
        kind="email",
        payload=email_payload(
            to=to, template=template, context=context, builder=builder, language=language
        ),
    )
