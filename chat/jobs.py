"""The chat sweeper, registered in `core.idle` (run by `autoclose_idle` every minute).

Across tenants, from partial indexes, in bounded batches; each chat is locked (SKIP LOCKED:
one a person is changing waits for the next run), re-checked under the lock and handled in its
own tenant's scope and savepoint, so one failure costs only that chat a retry:
- an active chat whose last message is the agent's, idle for the tenant's idle limit (the
  tickets' limit: TicketSettings, else AUTOCLOSE_AFTER_HOURS; 0 turns it off), closes with a
  system message (CONTRACT section 5);
- a waiting chat whose visitor has been gone (no socket) for ABANDON_AFTER closes as abandoned
  and stops counting against the waiting cap;
- a waiting chat still unaccepted when its plan's calendar has closed (tenants that do not
  offer chat around the clock) becomes a left-a-message ticket (CONTRACT section 5).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import translation
from django.utils.translation import gettext

from accounts.tenancy import all_tenants, tenant_scope
from chat.availability import calendar_open
from chat.languages import chat_language
from chat.models import ChatSession, ChatSettings, ChatStatus, CloseReason
from chat.services.common import after_change, close, idle_limit_hours
from core import live as core_live
from core.idle import Swept

log = logging.getLogger(__name__)

BATCH_SIZE = 200
ABANDON_AFTER = timedelta(minutes=10)
JOB = "autoclose_idle"


def close_idle_chats(*, now: datetime, batch_size: int = BATCH_SIZE) -> Swept:
    with core_live.raised_by_job():  # a command's frames go through the outbox too
        totals = [
            _sweep(_idle_candidates(now, batch_size), now, _close_idle),
            _sweep(_abandoned_candidates(now, batch_size), now, _close_abandoned),
            _sweep(_after_hours_candidates(now, batch_size), now, _to_ticket),
        ]
    return Swept(
        looked=sum(t.looked for t in totals),
        closed=sum(t.closed for t in totals),
        failed=sum(t.failed for t in totals),
    )


def _idle_candidates(now: datetime, batch_size: int) -> list[int]:
    from tickets.models import TicketSettings

    with all_tenants():
        custom = TicketSettings.objects.filter(autoclose_after_hours__gt=0).aggregate(
            n=Min("autoclose_after_hours")
        )["n"]
        limits = [h for h in (custom, settings.AUTOCLOSE_AFTER_HOURS) if h]
        if not limits:
            return []
        cutoff = now - timedelta(hours=min(limits))
        return list(
            ChatSession.objects.filter(
                status=ChatStatus.ACTIVE, last_message_role="agent", last_message_at__lte=cutoff
            )
            .order_by("last_message_at")
            .values_list("pk", flat=True)[:batch_size]
        )


def _abandoned_candidates(now: datetime, batch_size: int) -> list[int]:
    with all_tenants():
        return list(
            ChatSession.objects.filter(
                status=ChatStatus.WAITING, visitor_seen_at__lte=now - ABANDON_AFTER
            )
            .order_by("visitor_seen_at")
            .values_list("pk", flat=True)[:batch_size]
        )


def _after_hours_candidates(now: datetime, batch_size: int) -> list[int]:
    # Waiting chats are few (each tenant caps them); tenants offering chat around the clock
    # are left out in the query.
    with all_tenants():
        always = ChatSettings.objects.filter(always_open=True).values("tenant_id")
        waiting = (
            ChatSession.objects.filter(status=ChatStatus.WAITING, plan__isnull=False)
            .exclude(tenant_id__in=always)
            .select_related("plan__calendar")
            .order_by("created_at")[: batch_size * 5]
        )
        return [chat.pk for chat in waiting if not calendar_open(chat.plan, now)][:batch_size]


def _sweep(ids: list[int], now: datetime, act) -> Swept:
    closed = failed = 0
    for pk in ids:
        try:
            with all_tenants(), transaction.atomic():
                chat = (
                    ChatSession.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("tenant", "plan__calendar", "agent", "ticket")
                    .filter(pk=pk)
                    .first()
                )
                if chat is None:
                    continue
                with tenant_scope(chat.tenant):
                    if act(chat, now):
                        closed += 1
        except Exception:
            log.exception("Chat sweeper failed on chat %s; retried on the next run", pk)
            failed += 1
    return Swept(looked=len(ids), closed=closed, failed=failed)


def _close_idle(chat: ChatSession, now: datetime) -> bool:
    hours = idle_limit_hours(chat.tenant_id)
    if not (
        hours
        and chat.status == ChatStatus.ACTIVE
        and chat.last_message_role == "agent"
        and chat.last_message_at <= now - timedelta(hours=hours)
    ):
        return False
    with translation.override(chat_language(chat)):  # said to the visitor
        note = gettext("We closed this chat because we had not heard back from you.")
    message = close(chat, reason=CloseReason.IDLE, at=now, note=note)
    after_change(chat, "closed", message)
    return True


def _close_abandoned(chat: ChatSession, now: datetime) -> bool:
    if chat.status != ChatStatus.WAITING or chat.visitor_seen_at > now - ABANDON_AFTER:
        return False
    close(chat, reason=CloseReason.ABANDONED, at=now)
    after_change(chat, "abandoned")
    return True


def _to_ticket(chat: ChatSession, now: datetime) -> bool:
    from chat.services.ticket import chat_to_ticket_by_system

    if chat.status != ChatStatus.WAITING or calendar_open(chat.plan, now):
        return False
    always = ChatSettings.objects.filter(tenant_id=chat.tenant_id, always_open=True).exists()
    if always:
        return False
    chat_to_ticket_by_system(chat, job=JOB)
    return True
