"""The chat side of the SLA engine (issue 11 item 6): one clock per chat, first response on
the plan's `chat_first_response_minutes`, from the chat's start until the first agent message
(accepting is not answering). Chats have no tier: a warning or breach is recorded on the chat
once (the escalate job marks each clock once) and tells the available agents and the tenant's
admins, by email through the outbox and live on the queue socket.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.translation import gettext as _

from accounts.models import Membership, Role, Tenant
from chat import live, presence
from chat.models import ChatSession
from core import outbox
from core.emails import email_payload
from sla import services as clocks
from sla.models import Clock, Metric, SupportPlan

SUBJECT = "chat"
METRIC = Metric.CHAT_FIRST_RESPONSE
PRIORITY = "normal"  # clocks carry a priority; a chat's target does not depend on it


def opening(chat: ChatSession, plan: SupportPlan | None) -> list[Clock]:
    """Before the chat's INSERT: its first-response clock (unsaved) and its due time."""
    if plan is None:
        return []
    started = clocks.opening_clocks(
        tenant=chat.tenant,
        subject_type=SUBJECT,
        metrics=[METRIC],
        plan=plan,
        priority=PRIORITY,
        start=chat.created_at,
        target=None,
    )
    chat.first_response_due = started[0].due_at if started else None
    return started


def opened(chat: ChatSession, started: list[Clock]) -> None:
    clocks.save_opening_clocks(started, subject_id=chat.pk)


def first_response(chat: ChatSession, *, at: datetime) -> None:
    clock = clocks.stop_clock(subject_type=SUBJECT, subject_id=chat.pk, metric=METRIC, at=at)
    if clock is not None and clock.breached_at is not None and not chat.sla_breached:
        chat.sla_breached = True  # answered late, before the job saw it
        chat.save(update_fields=["sla_breached"])


def chat_closed(chat: ChatSession, *, at: datetime) -> None:
    """A chat closed unanswered stops its clock (late, if past due: a breach on record)."""
    clocks.stop_clock(subject_type=SUBJECT, subject_id=chat.pk, metric=METRIC, at=at)


def staff_to_tell(tenant: Tenant) -> list[str]:
    """The available agents and the tenant's admins."""
    available = set(presence.available_agents(tenant.pk))
    rows = Membership.objects.filter(role__in=[Role.AGENT, Role.ADMIN]).values_list(
        "user_id", "user__email", "role"
    )
    return sorted(
        {email for user_id, email, role in rows if role == Role.ADMIN or user_id in available}
    )


class ChatClocks:
    """The handler registered for subject type "chat" (sla.subjects)."""

    def on_warning(self, clock: Clock) -> None:
        self._alert(clock, "warning")

    def on_breach(self, clock: Clock) -> None:
        self._alert(clock, "breached")

    def _alert(self, clock: Clock, kind: str) -> None:
        # NOWAIT: a chat service may hold the chat while it waits for this clock.
        chat = (
            ChatSession.objects.select_for_update(nowait=True, of=("self",))
            .select_related("tenant", "agent", "ticket")
            .filter(pk=clock.subject_id)
            .first()
        )
        if chat is None:
            return
        field = "sla_breached" if kind == "breached" else "sla_warned"
        setattr(chat, field, True)
        chat.save(update_fields=[field])
        due = f"{clock.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        headline = (
            _("Chat %(id)s has waited past its first-response target")
            if kind == "breached"
            else _("Chat %(id)s is close to its first-response target")
        ) % {"id": chat.public_id}
        to = staff_to_tell(chat.tenant)
        if to:
            context = {
                "headline": headline,
                "chat": {"id": chat.public_id, "visitor": chat.visitor_name, "due": due},
                "path": f"/t/{chat.tenant.slug}/agent/chats/",
            }
            outbox.enqueue(
                key=f"chat-sla-{kind}:{clock.pk}",
                kind="email",
                payload=email_payload(to=to, template="chat/email/sla", context=context),
            )
        live.to_queue(chat, f"sla_{kind}", cause=f"sla-{kind}-{clock.pk}")

    def refresh_summary(self, subject_id: int) -> None:
        running = clocks.running_clock(subject_type=SUBJECT, subject_id=subject_id, metric=METRIC)
        if running is not None:
            ChatSession.objects.filter(pk=subject_id).update(first_response_due=running.due_at)
