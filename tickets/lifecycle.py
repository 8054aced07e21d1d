"""The transition table of CONTRACT section 5, in one place.

    awaiting_response -> in_progress         an agent assigns, takes or sets it
    any open          -> awaiting_customer   an agent (a public reply does it by default)
    awaiting_customer -> in_progress / awaiting_response   a customer reply (assigned / not)
    any open          -> closed              an agent or the requester
    closed            -> open                an agent reopens; the requester replies in time

Anything else is a 409 that lists what is allowed.
"""

from core.errors import Conflict
from tickets.models import OPEN_STATUSES, Status

_AGENT_MAY_SET = {
    Status.AWAITING_RESPONSE: {Status.IN_PROGRESS, Status.AWAITING_CUSTOMER, Status.CLOSED},
    Status.IN_PROGRESS: {Status.AWAITING_CUSTOMER, Status.CLOSED},
    Status.AWAITING_CUSTOMER: {Status.CLOSED},
    # Reopening: to the queue (unassigned) or back to work (assigned).
    Status.CLOSED: {Status.AWAITING_RESPONSE, Status.IN_PROGRESS},
}


def allowed_for_agent(current: str) -> list[str]:
    return sorted(_AGENT_MAY_SET[Status(current)])


def allowed_for_requester(current: str) -> list[str]:
    return [Status.CLOSED.value] if current in OPEN_STATUSES else []


def check(current: str, new: str, *, by_agent: bool) -> None:
    allowed = allowed_for_agent(current) if by_agent else allowed_for_requester(current)
    if new not in allowed:
        raise Conflict(
            f"A ticket that is {Status(current).label.lower()} cannot become {new}.",
            allowed=allowed,
        )


def after_customer_reply(*, assigned: bool) -> str:
    return Status.IN_PROGRESS if assigned else Status.AWAITING_RESPONSE
