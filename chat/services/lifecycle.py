"""Accept, transfer, close, rate, transcript."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.actors import Actor, Member
from accounts.models import Membership, Role
from accounts.redaction import mask_secrets
from chat import policy
from chat.languages import chat_language
from chat.models import ChatSession, ChatStatus, CloseReason
from chat.selectors import messages_of
from chat.services.common import after_change, close, locked
from core import outbox
from core.emails import email_payload
from core.errors import Conflict, InvalidInput, ServiceError
from core.local_time import local_time
from tickets.selectors import ticket_settings

TRANSCRIPTS_PER_HOUR = 3
MAX_SUMMARY = 5000


class TooManyTranscripts(ServiceError):
    status = 429


@transaction.atomic
def chat_accept(*, actor: Actor, chat: ChatSession) -> ChatSession:
    """Take a waiting chat. Of two agents at once, the second gets a 409 (the row lock is the
    compare-and-swap: the second reads the chat after the first's commit)."""
    chat = locked(chat)
    policy.check_accept(actor, chat)
    chat.status, chat.agent, chat.accepted_at = ChatStatus.ACTIVE, actor.user, timezone.now()
    chat.save(update_fields=["status", "agent", "accepted_at"])
    after_change(chat, "accepted")
    return chat


@transaction.atomic
def chat_transfer(*, actor: Actor, chat: ChatSession, agent_email: str) -> ChatSession:
    chat = locked(chat)
    policy.check_transfer(actor, chat)
    target = (
        Membership.objects.select_related("user")
        .filter(user__email__iexact=(agent_email or "").strip(), role__in=[Role.AGENT, Role.ADMIN])
        .first()
    )
    if target is None or not target.user.is_active:
        raise InvalidInput(_("No agent of this help desk has that email."), field="agent")
    if target.user_id == chat.agent_id:
        raise Conflict(_("That agent has this chat already."))
    chat.agent = target.user
    chat.save(update_fields=["agent"])
    after_change(chat, "transferred")
    return chat


@transaction.atomic
def chat_close(*, actor: Actor, chat: ChatSession, summary: str = "") -> ChatSession:
    """Close a chat. An agent's close emails the transcript (and the resolution summary, when
    given) to the visitor."""
    summary = (summary or "").strip()
    if len(summary) > MAX_SUMMARY:
        raise InvalidInput(_("The summary is too long."), field="summary")
    chat = locked(chat)
    required = ticket_settings(chat.tenant_id).closure_summary_required
    policy.check_close(actor, chat, summary=summary, summary_required=required)
    now = timezone.now()
    reason = CloseReason.AGENT if isinstance(actor, Member) else CloseReason.VISITOR
    # Emailed and shown like a ticket's closure summary: secrets masked before it is stored.
    summary = mask_secrets(summary, tenant=chat.tenant).text if summary else ""
    close(chat, reason=reason, at=now, summary=summary)
    if isinstance(actor, Member):
        _email_transcript(chat, key=f"chat-closed:{chat.pk}")
    after_change(chat, "closed")
    return chat


@transaction.atomic
def chat_rate(*, actor: Actor, chat: ChatSession, rating: int, comment: str = "") -> ChatSession:
    policy.check_visitor(actor, chat)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput(_("The rating is a whole number from 1 to 5."), field="rating")
    # One conditional UPDATE: of two ratings at once, exactly one lands.
    rated = ChatSession.objects.filter(
        pk=chat.pk, rating__isnull=True, status=ChatStatus.CLOSED
    ).update(rating=rating, rating_comment=(comment or "").strip()[:5000])
    if not rated:
        chat.refresh_from_db(fields=["status", "rating"])
        if chat.status != ChatStatus.CLOSED:
            raise Conflict(_("A chat can be rated once it has ended."))
        raise Conflict(_("This chat has been rated already."))
    chat.refresh_from_db(fields=["rating", "rating_comment"])
    return chat


@transaction.atomic
def chat_transcript(*, actor: Actor, chat: ChatSession) -> None:
    """Email the transcript to the chat's address, at most TRANSCRIPTS_PER_HOUR an hour."""
    policy.check_visitor(actor, chat)
    chat = locked(chat)  # counts and enqueues one at a time per chat
    prefix = f"chat-transcript:{chat.pk}:"
    since = timezone.now() - timedelta(hours=1)
    sent = outbox.count_since(key_prefix=prefix, since=since)
    if sent >= TRANSCRIPTS_PER_HOUR:
        raise TooManyTranscripts(
            _("The transcript has been sent a few times already; try again in an hour."),
            reason="too_many_transcripts",
        )
    _email_transcript(chat, key=f"{prefix}{chat.last_seq}:{sent}")


def _email_transcript(chat: ChatSession, *, key: str) -> None:
    """The transcript, in the visitor's language (whoever asked: the agent's close too), its
    times in the tenant's zone, named, as that language writes them."""
    language = chat_language(chat)
    zone = chat.tenant.timezone
    with translation.override(language):
        lines = [
            {
                "at": local_time(m.created_at, zone, "SHORT_DATETIME_FORMAT"),
                "name": m.author_name or _("Help desk"),
                "body": m.body,
            }
            for m in messages_of(chat)
        ]
    context = {
        "chat": {"id": chat.public_id},
        "tenant": chat.tenant.name,
        "summary": chat.summary,
        "messages": lines,
    }
    outbox.enqueue(
        key=key,
        kind="email",
        payload=email_payload(
            to=[chat.visitor_email],
            template="chat/email/transcript",
            context=context,
            language=language,
        ),
    )
