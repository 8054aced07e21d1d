from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.actors import Actor
from core.errors import Conflict, InvalidInput
from tickets import policy
from tickets.models import EventType, Feedback, Status, Ticket
from tickets.services.common import record


@transaction.atomic
def feedback_give(*, actor: Actor, ticket: Ticket, rating: int, comment: str = "") -> Feedback:
    """The requester rates a closed ticket, once."""
    policy.check_feedback(actor, ticket)
    if ticket.status != Status.CLOSED:
        raise Conflict(_("A ticket can be rated once it is closed."))
    if not 1 <= rating <= 5:
        raise InvalidInput(_("The rating is a whole number from 1 to 5."), field="rating")
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(
                tenant_id=ticket.tenant_id, ticket=ticket, rating=rating, comment=comment.strip()
            )
    except IntegrityError:
        raise Conflict(_("This ticket has been rated already.")) from None
    record(ticket, EventType.RATED, actor, rating=rating)
    return feedback
