"""Chat SLA (warnings and breaches once), auto-close, abandonment, after-hours tickets, presence."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from accounts.tenancy import tenant_scope
from chat import presence, services
from chat.jobs import close_idle_chats
from chat.models import ChatMessage, ChatSession
from core import live
from core.models import OutboxMessage
from core.outbox import relay_pending
from sla.jobs import escalate
from sla.models import Clock
from tests.chat.conftest import open_chat_settings
from tests.chat.helpers import accepted_chat, member, reload, start_chat, visitor


def chat_clock(chat) -> Clock:
    with tenant_scope(chat.tenant):
        return Clock.objects.get(subject_type="chat", subject_id=chat.pk)


def keys(prefix: str) -> list[str]:
    return list(OutboxMessage.objects.filter(key__startswith=prefix).values_list("key", flat=True))


def test_the_first_response_warns_and_breaches_once_and_tells_admins_and_available_agents(
    desks,
):
    acme, globex = desks
    presence.set_available(tenant_id=acme.tenant.pk, user_id=acme.tier2.pk, available=True)
    chat, _ = start_chat(acme)
    clock = chat_clock(chat)
    assert clock.metric == "chat_first_response" and clock.due_at == chat.first_response_due
    for _ in range(2):
        escalate(now=clock.warn_at + timedelta(seconds=1))
    assert reload(chat).sla_warned and not reload(chat).sla_breached
    with live.raised_by_job():  # as the beat job runs it: its live frames go through the outbox
        for _ in range(2):
            escalate(now=clock.due_at + timedelta(seconds=1))
    assert reload(chat).sla_breached
    [frames] = [
        row.payload
        for row in OutboxMessage.objects.filter(kind="live", key__startswith="live:chat-queue:")
    ]
    assert frames["group"] == f"queue.{acme.tenant.pk}"
    assert frames["events"][0]["event"] == "sla_breached"
    assert frames["events"][0]["chat"]["id"] == chat.public_id
    assert len(keys("chat-sla-warning:")) == 1 and len(keys("chat-sla-breached:")) == 1
    mail.outbox.clear()
    relay_pending()
    alerted = sorted(address for m in mail.outbox for address in m.to)
    # admins and the available agent, each once per alert; not the away agent, not globex
    assert alerted == sorted([acme.admin.email, acme.tier2.email] * 2)


def test_accepting_is_not_answering_the_first_agent_message_is(desks):
    acme, _ = desks
    chat, _ = accepted_chat(acme)
    assert chat_clock(chat).stopped_at is None
    with tenant_scope(acme.tenant):
        services.message_post(actor=member(acme, acme.agent), chat=chat, body="Hi, Alex here")
    clock = chat_clock(chat)
    assert clock.stopped_at is not None and clock.breached_at is None
    escalate(now=clock.due_at + timedelta(minutes=1))
    assert not reload(chat).sla_breached


def test_an_active_chat_waiting_on_the_visitor_closes_after_the_idle_limit(desks):
    acme, _ = desks
    chat, _ = accepted_chat(acme)
    with tenant_scope(acme.tenant):
        services.message_post(actor=member(acme, acme.agent), chat=chat, body="Anything else?")
    other, _ = accepted_chat(acme)  # the visitor wrote last: it waits on the agent
    now = timezone.now()
    assert close_idle_chats(now=now + timedelta(hours=47)).closed == 0
    swept = close_idle_chats(now=now + timedelta(hours=49))
    assert swept.closed == 1
    closed = reload(chat)
    assert closed.status == "closed" and closed.close_reason == "idle"
    with tenant_scope(acme.tenant):
        last = ChatMessage.objects.filter(chat=chat).order_by("-seq").first()
    assert last.role == "system" and "had not heard back" in last.body
    assert reload(other).status == "active"
    assert close_idle_chats(now=now + timedelta(hours=50)).closed == 0  # once


def test_a_waiting_visitor_gone_for_ten_minutes_is_closed_as_abandoned(desks):
    acme, _ = desks
    chat, _ = start_chat(acme)
    now = timezone.now()
    assert close_idle_chats(now=now + timedelta(minutes=9)).closed == 0
    assert close_idle_chats(now=now + timedelta(minutes=11)).closed == 1
    gone = reload(chat)
    assert gone.status == "closed" and gone.close_reason == "abandoned"


def test_a_waiting_chat_when_the_calendar_closes_becomes_a_left_message_ticket(desks):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    acme, _ = desks
    chat, _ = start_chat(acme, message="Is my order shipped?")
    open_chat_settings(acme, always_open=False)
    with tenant_scope(acme.tenant):
        ChatSession.objects.filter(pk=chat.pk).update(
            visitor_seen_at=timezone.now() + timedelta(days=9)
        )
    saturday = datetime(2026, 12, 5, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    assert close_idle_chats(now=saturday).closed == 1
    done = reload(chat)
    assert done.status == "closed" and done.close_reason == "ticket" and done.ticket_id
    assert done.ticket.channel == "chat" and done.ticket.contact_email == "vera@example.net"


def test_presence_lapses_without_heartbeats(desks, monkeypatch):
    import time

    acme, globex = desks
    monkeypatch.setattr(presence, "EXPIRES", 1)
    presence.set_available(tenant_id=acme.tenant.pk, user_id=acme.agent.pk, available=True)
    assert presence.available_agents(acme.tenant.pk) == [acme.agent.pk]
    assert presence.available_agents(globex.tenant.pk) == []
    time.sleep(1.3)
    assert presence.available_agents(acme.tenant.pk) == []


def test_a_visitor_message_after_close_is_refused(desks):
    import pytest

    from core.errors import Conflict

    acme, _ = desks
    chat, _ = accepted_chat(acme)
    with tenant_scope(acme.tenant):
        services.chat_close(actor=visitor(chat), chat=chat)
        with pytest.raises(Conflict):
            services.message_post(actor=visitor(chat), chat=chat, body="hello?")
