"""The chat's part of a support-policy preset (registered in ChatConfig.ready): whether chat is
offered around the clock or only while the default plan's calendar is open. Which plans
include chat, and their chat first response, are the plans' (sla). Compares before it writes."""

from __future__ import annotations

from accounts.models import Tenant
from chat.models import ChatSettings
from sla.presets import Preset


def apply_chat_part(*, actor, tenant: Tenant, preset: Preset) -> list[str]:
    around = preset.settings.chat_around_the_clock
    if around is None:
        return []
    row = ChatSettings.objects.filter(tenant=tenant).first()
    if row is None:
        if not around:  # a missing row already means "while the calendar is open"
            return []
        ChatSettings.objects.create(tenant=tenant, always_open=True)
    elif row.always_open == around:
        return []
    else:
        row.always_open = around
        row.save(update_fields=["always_open"])
    return ["chat offered around the clock" if around else "chat offered in business hours"]
