"""Phone calls recorded by agents (CONTRACT section 8): a new ticket for the caller (channel
`phone`), or the call's note on an existing ticket.

The caller is matched by email like mail (`requester_for_email`: the tenant's customer with
that address, else an unverified contact with the typed name); an address of the tenant's staff
is refused (an agent does not open tickets for an agent by phone). A call's note on an existing
ticket is an internal note unless the agent makes it public: a public one is a reply like any
other (it emails the customer and counts as the agents' response for the SLA: the customer was
answered on the phone).
"""

from django.utils.translation import gettext as _

from accounts.actors import Actor, Member, requester_for_email
from core.errors import InvalidInput
from tickets import policy
from tickets.models import Category, Channel, Ticket
from tickets.services.create import Created, ticket_create
from tickets.services.messages import Posted, ticket_post


def call_note(notes: str) -> str:
    """How a call reads in a thread: said to be one, whoever reads it."""
    return _("Phone call: %(notes)s") % {"notes": (notes or "").strip()}


def call_record_ticket(
    *,
    actor: Actor,
    caller_email: str,
    caller_name: str = "",
    subject: str,
    notes: str,
    priority: str | None = None,
    category: Category | None = None,
) -> Created:
    """A new ticket (channel `phone`) for the caller, the call's notes as its description."""
    policy.check_record_call(actor)
    email = (caller_email or "").strip().lower()
    if not email:
        raise InvalidInput(_("Give the caller's email address."), field="caller_email")
    caller = requester_for_email(actor.tenant, email, caller_name or "")
    if isinstance(caller, Member) and caller.is_staff:
        raise InvalidInput(
            _("That address is an agent's: give the customer's."), field="caller_email"
        )
    return ticket_create(
        actor=actor,
        requester=caller,
        subject=subject,
        description=notes,
        category=category,
        channel=Channel.PHONE,
        **({"priority": priority} if priority else {}),  # else the help desk's default
    )


def call_record_note(*, actor: Actor, ticket: Ticket, notes: str, public: bool = False) -> Posted:
    """The call on an existing ticket: an internal note, or (`public`) a reply to the customer."""
    policy.check_record_call(actor)
    if not (notes or "").strip():
        raise InvalidInput(_("Write what was said on the call."), field="notes")
    return ticket_post(actor=actor, ticket=ticket, body=call_note(notes), internal=not public)
