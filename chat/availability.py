"""Is chat offered now, and when next (CONTRACT section 4 `chat/availability/`, issue 11 item 4).

Chat is offered when all hold: the calendar of the tenant's default plan is open (or the
tenant offers chat around the clock), the plan includes chat, and an agent is available (or
the tenant queues chats when none is).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, Tenant
from chat import presence
from chat.languages import opening_text
from chat.models import ChatSettings
from sla.models import SupportPlan
from sla.services import plan_for

_STEP = timedelta(seconds=1)


@dataclass(frozen=True)
class Availability:
    open: bool
    agents_online: int
    next_open: datetime | None
    reason: str = ""  # why not: "no_chat_on_plan", "closed_hours", "no_agent"; "" when open
    zone: str = ""  # the calendar's time zone, which `next_open` is told in

    def as_json(self) -> dict:
        """The route's answer; `message` and `next_open_text` in the active language (the
        visitor's: chat.languages), the opening time in the calendar's zone, named."""
        return {
            "open": self.open,
            "agents_online": self.agents_online,
            "next_open": self.next_open,
            "reason": self.reason,
            "message": self.message(),
            "next_open_text": self.next_open_text(),
        }

    def next_open_text(self) -> str:
        """When chat opens again, for the visitor ("" when not known)."""
        return opening_text(self.next_open, self.zone) if self.zone else ""

    def message(self) -> str:
        """Why chat is not offered, for the visitor ("" when it is)."""
        if not self.reason:
            return ""
        return {
            "no_chat_on_plan": _("Chat is not available right now. Leave us a message instead."),
            "closed_hours": _("Chat is closed right now."),
            "no_agent": _("All our agents are busy right now."),
        }.get(self.reason, _("Chat is not available right now. Leave us a message instead."))


def chat_settings(tenant: Tenant) -> ChatSettings:
    """The tenant's chat settings (unsaved defaults when it has none). Inside its scope."""
    found = ChatSettings.objects.filter(tenant=tenant).first()
    return found if found is not None else ChatSettings(tenant=tenant)


def calendar_open(plan: SupportPlan, at: datetime) -> bool:
    return plan.calendar.schedule().is_open(at)


def next_opening(plan: SupportPlan, at: datetime) -> datetime | None:
    """The next instant the plan's calendar opens (None: it never does)."""
    try:
        return plan.calendar.schedule().add(at, _STEP) - _STEP
    except ValueError:  # a calendar with no open time
        return None


def availability(
    *,
    tenant: Tenant,
    organization: Organization | None = None,
    settings: ChatSettings | None = None,
    now: datetime | None = None,
) -> Availability:
    now = now or timezone.now()
    settings = settings or chat_settings(tenant)
    plan = plan_for(tenant=tenant, organization=organization)
    agents = len(presence.available_agents(tenant.pk))
    if plan is None or not plan.includes_chat:
        return Availability(False, agents, None, "no_chat_on_plan")
    if not settings.always_open and not calendar_open(plan, now):
        zone = plan.calendar.timezone
        return Availability(False, agents, next_opening(plan, now), "closed_hours", zone)
    if agents == 0 and not settings.queue_when_no_agent:
        return Availability(False, agents, None, "no_agent")
    return Availability(True, agents, None)
