"""`policy.post_allowed_when` is what the one-statement message store (chat/services/messages.py)
checks instead of `check_post`: it may be narrower, never wider."""

import itertools

import pytest

from accounts.actors import Contact, System
from chat import policy
from chat.models import ChatSession, ChatStatus
from core.errors import Conflict, NotAllowed
from tests.chat.helpers import member


def _actors(acme, globex) -> dict:
    return {
        "visitor": Contact(tenant=acme.tenant, name="Vera", email="vera@example.net"),
        "agent": member(acme, acme.agent),
        "tier2": member(acme, acme.tier2),
        "admin": member(acme, acme.admin),
        "customer": member(acme, acme.customer),
        "job": System(tenant=acme.tenant, job="autoclose_idle"),
        "outsider": member(globex, globex.agent),  # another tenant's agent
    }


def _store_would_write(actor, chat: ChatSession) -> bool:
    """What `_AT_ONCE`'s WHERE lets through, for a chat whose agent answered already."""
    allowed = policy.post_allowed_when(actor)
    if allowed is None or chat.tenant_id != actor.tenant_id:
        return False
    statuses, agent_id = allowed
    return chat.status in statuses and (agent_id is None or chat.agent_id == agent_id)


def test_the_one_statement_store_never_lets_through_what_check_post_refuses(desks):
    acme, globex = desks
    actors = _actors(acme, globex)
    users = [None, acme.agent.pk, acme.tier2.pk, globex.agent.pk]
    written = set()  # (actor, the chat's tenant)
    for (name, actor), status, agent_id, tenant in itertools.product(
        actors.items(), ChatStatus.values, users, (acme.tenant, globex.tenant)
    ):
        chat = ChatSession(tenant_id=tenant.pk, status=status, agent_id=agent_id)
        if _store_would_write(actor, chat):
            written.add((name, tenant.slug))
            policy.check_post(actor, chat)  # raises if the store is wider than the policy
        elif policy.post_allowed_when(actor) is not None and tenant.pk == actor.tenant_id:
            # Left to `_store` (which asks check_post): only where check_post refuses.
            with pytest.raises((Conflict, NotAllowed)):
                policy.check_post(actor, chat)
    # The common senders take the one-statement path; nobody in another tenant's chat.
    assert {("visitor", "acme"), ("agent", "acme"), ("tier2", "acme")} <= written
    assert ("outsider", "globex") in written
    assert {(name, slug) for name, slug in written if slug != "acme"} == {("outsider", "globex")}
