"""Starting a chat, and leaving a message when chat is not offered."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Contact
from accounts.models import Membership, Role, Tenant, User
from chat import live, sla
from chat.availability import availability, chat_settings
from chat.languages import widget_language
from chat.models import ChatSession, ChatSettings, ChatStatus, hash_token, new_token
from chat.serializers import iso
from chat.services.common import MESSAGE_FIELDS, append, author_of, check_body
from core.errors import Conflict, InvalidInput, ServiceError
from sla.services import plan_for


class TooManyWaiting(ServiceError):
    status = 429


@dataclass(frozen=True)
class Started:
    chat: ChatSession
    token: str  # given once: only its hash is stored


def identity_matches(settings: ChatSettings, email: str, user_hash: str) -> bool:
    """The tenant's site signed this email (HMAC-SHA256 with the tenant's secret, hex)."""
    if not (email and user_hash and settings.identity_secret):
        return False
    expected = hmac.new(
        settings.identity_secret.encode(), email.strip().lower().encode(), hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, user_hash.strip().lower())


def _visitor(name: str, email: str) -> tuple[str, str]:
    name, email = (name or "").strip(), (email or "").strip().lower()
    if not name:
        raise InvalidInput(_("Tell us your name."), field="name")
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(_("Enter a valid email address."), field="email") from None
    return name[:150], email


@transaction.atomic
def chat_start(
    *,
    tenant: Tenant,
    name: str,
    email: str,
    message: str = "",
    user: User | None = None,
    signed: bool = False,
    language: str | None = None,
) -> Started:
    """A visitor starts a chat. `user`: a member from their own logged-in session; `signed`:
    the tenant's site vouched for `email` (identity verification). Either makes it verified;
    anything else is an unverified contact on the tenant's default plan. `language`: the one
    the widget speaks to them (chat/languages.py), kept on the chat; else the tenant's."""
    name, email = _visitor(name, email)
    language = widget_language(tenant, [language])
    first = check_body(message) if message and message.strip() else ""
    membership = None
    if user is not None:
        membership = Membership.objects.select_related("organization", "user").get(
            tenant=tenant, user=user
        )
    elif signed:
        membership = (
            Membership.objects.select_related("organization", "user")
            .filter(tenant=tenant, user__email__iexact=email, role=Role.CUSTOMER)
            .first()
        )
    if membership is not None:
        name, email = membership.user.display_name[:150], membership.user.email
    organization = membership.organization if membership is not None else None
    settings = ChatSettings.objects.select_for_update().filter(
        tenant=tenant
    ).first() or chat_settings(
        tenant
    )  # the row lock makes the waiting cap hold under concurrent starts
    now = timezone.now()
    offered = availability(tenant=tenant, organization=organization, settings=settings, now=now)
    if not offered.open:
        raise Conflict(
            _("Chat is not available right now. Leave us a message instead."),
            reason=offered.reason,
            next_open=iso(offered.next_open),
            next_open_text=offered.next_open_text(),
        )
    if ChatSession.objects.filter(status=ChatStatus.WAITING).count() >= settings.max_waiting:
        raise TooManyWaiting(
            _("Every agent is busy. Leave us a message, or try again in a few minutes."),
            reason="too_many_waiting",
        )
    token = new_token()
    chat = ChatSession(
        tenant=tenant,
        visitor_name=name,
        visitor_email=email,
        verified=membership is not None or signed,
        visitor_language=language,
        user=membership.user if membership is not None else None,
        plan=plan_for(tenant=tenant, organization=organization),
        token_hash=hash_token(token),
        created_at=now,
        visitor_seen_at=now,
    )
    started = sla.opening(chat, chat.plan)
    chat.save(force_insert=True)
    sla.opened(chat, started)
    if first:
        append(chat, author_of(Contact(tenant=tenant, name=name, email=email), chat), first, at=now)
        chat.save(update_fields=MESSAGE_FIELDS)
    live.to_queue(chat, "created")
    return Started(chat, token)


@transaction.atomic
def offline_message(*, tenant: Tenant, name: str, email: str, message: str):
    """Leave a message: a ticket (channel `chat`) for an unverified contact."""
    from tickets.models import Channel
    from tickets.services import ticket_create

    name, email = _visitor(name, email)
    body = check_body(message)
    line = body.splitlines()[0]
    subject = _("Chat message: %(line)s") % {"line": line[:120]}
    contact = Contact(tenant=tenant, name=name, email=email)
    return ticket_create(
        actor=contact, subject=subject, description=body, channel=Channel.CHAT
    ).ticket
