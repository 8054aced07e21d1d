"""Reads on behalf of someone, inside the tenant's scope. The same 404 for "not yours" and
"missing"."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.actors import Actor, Member
from accounts.models import Membership
from chat import policy
from chat.availability import calendar_open, chat_settings
from chat.models import ChatMessage, ChatSession, ChatStatus, hash_token

RELATED = ("agent", "ticket")


def chats() -> QuerySet[ChatSession]:
    return ChatSession.objects.select_related(*RELATED)


def chat_by_token(token: str, *, now: datetime | None = None) -> ChatSession | None:
    """The chat this token opens, in the current tenant, unless it expired (24 h after the
    close)."""
    if not token or len(token) > 200:
        return None
    chat = chats().filter(token_hash=hash_token(token)).first()
    if chat is None:
        return None
    if chat.token_expires_at is not None and chat.token_expires_at <= (now or timezone.now()):
        return None
    return chat


def chat_for(actor: Actor, public_id: str) -> ChatSession:
    """The chat `public_id` if `actor` may see it, else Http404."""
    chat = chats().filter(public_id=public_id).first() if public_id else None
    if chat is None or not policy.may_read(actor, chat):
        raise Http404
    return chat


def chat_list(member: Membership, *, status: str | None = None) -> QuerySet[ChatSession]:
    """Agents: the tenant's chats, waiting ones oldest first (the order they are taken),
    others newest first."""
    query = chats()
    if status:
        query = query.filter(status=status)
    if status == ChatStatus.WAITING:
        return query.order_by("created_at", "pk")
    return query.order_by("-created_at", "-pk")


def messages_of(chat: ChatSession, *, after: int = 0) -> QuerySet[ChatMessage]:
    return ChatMessage.objects.filter(chat=chat, seq__gt=after).order_by("seq")


def waiting_position(chat: ChatSession) -> int | None:
    """1 for the chat that has waited longest. None unless the chat waits."""
    if chat.status != ChatStatus.WAITING:
        return None
    ahead = ChatSession.objects.filter(
        status=ChatStatus.WAITING, created_at__lt=chat.created_at
    ).count()
    return ahead + 1


def leave_message_offer(chat: ChatSession, *, now: datetime | None = None) -> str:
    """Why a waiting chat offers to leave a message: "wait_limit" (no agent came within the
    tenant's wait limit), "closed_hours" (the calendar closed meanwhile), or "" (keep waiting)."""
    if chat.status != ChatStatus.WAITING:
        return ""
    now = now or timezone.now()
    settings = chat_settings(chat.tenant)
    if now - chat.created_at >= timedelta(minutes=settings.wait_limit_minutes):
        return "wait_limit"
    if chat.plan_id and not settings.always_open and not calendar_open(chat.plan, now):
        return "closed_hours"
    return ""


def visitor_history(actor: Actor, chat: ChatSession) -> dict[str, list]:
    """A verified visitor's earlier chats and tickets, for agents; empty lists otherwise."""
    if not (isinstance(actor, Member) and actor.is_staff and chat.verified):
        return {"chats": [], "tickets": []}
    from tickets.models import Ticket

    earlier = chats().exclude(pk=chat.pk)
    tickets = Ticket.objects.select_related("plan", "organization", "requester", "assignee")
    if chat.user_id:
        earlier = earlier.filter(user_id=chat.user_id)
        tickets = tickets.filter(requester_id=chat.user_id)
    else:
        earlier = earlier.filter(verified=True, visitor_email__iexact=chat.visitor_email)
        tickets = tickets.filter(requester__isnull=True, contact_email__iexact=chat.visitor_email)
    return {
        "chats": list(earlier.order_by("-created_at")[:20]),
        "tickets": list(tickets.order_by("-created_at")[:20]),
    }
