"""What the agent workspace's reply box sends, as one transaction: the reply (or note) with its
status, the priority a canned response asked for, and the response's use count.

A send is refused (409, nothing stored) when someone else posted on the ticket after the last
message the sender's page showed (`seen_up_to`): they read a thread that is no longer the
thread. The page shows the new messages and keeps the typed text; sending again goes through.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.actors import Member
from core.errors import Conflict
from tickets import policy
from tickets.models import CannedResponse, Message, Ticket
from tickets.services.canned import canned_used
from tickets.services.common import locked
from tickets.services.lifecycle import ticket_change
from tickets.services.messages import Posted, ticket_post


class StaleThread(Conflict):
    """Someone else posted since the sender's page was drawn."""


@dataclass(frozen=True)
class Newer:
    authors: list[str]
    last_id: int


def newer_posts(ticket: Ticket, *, seen_up_to: int, user_id: int | None) -> Newer | None:
    """Messages on `ticket` after `seen_up_to` that someone other than `user_id` wrote."""
    rows = list(
        Message.objects.filter(ticket=ticket, pk__gt=seen_up_to)
        .exclude(author_id=user_id)
        .order_by("pk")
        .values_list("pk", "author__name", "author__email", "role")
    )
    if not rows:
        return None
    authors: list[str] = []
    for _pk, name, email, role in rows:
        who = name or email or (ticket.contact_name or ticket.contact_email or role)
        if who not in authors:
            authors.append(who)
    return Newer(authors=authors, last_id=rows[-1][0])


@transaction.atomic
def workspace_send(
    *,
    actor: Member,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    status: str | None = None,
    priority: str | None = None,
    files: list | None = None,
    canned: CannedResponse | None = None,
    seen_up_to: int | None = None,
    summary: str | None = None,
) -> Posted:
    policy.require_staff(actor)
    ticket = locked(ticket)  # posts on this ticket queue here: the check below stays true
    if seen_up_to is not None:
        newer = newer_posts(ticket, seen_up_to=seen_up_to, user_id=actor.user_id)
        if newer is not None:
            raise StaleThread(
                _("%(who)s replied while you were typing — review before sending.")
                % {"who": ", ".join(newer.authors)},
                authors=newer.authors,
                last_id=newer.last_id,
            )
    if priority and priority != ticket.priority:
        ticket = ticket_change(actor=actor, ticket=ticket, priority=priority)
    posted = ticket_post(
        actor=actor,
        ticket=ticket,
        body=body,
        internal=internal,
        status=status,
        files=files,
        summary=summary,
    )
    if canned is not None:
        canned_used(actor=actor, canned=canned)
    return posted
