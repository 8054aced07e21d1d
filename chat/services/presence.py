"""An agent says they are available for chat (or away): the console's heartbeat."""

from __future__ import annotations

from accounts.actors import Actor
from chat import policy, presence


def presence_set(*, actor: Actor, available: bool) -> int:
    """Record the agent's presence; returns how many agents are available now."""
    policy.require_staff(actor)
    presence.set_available(tenant_id=actor.tenant_id, user_id=actor.user_id, available=available)
    return len(presence.available_agents(actor.tenant_id))
