from django.db import IntegrityError, transaction

from accounts.models import Membership
from core.errors import Conflict, InvalidInput, NotAllowed
from tickets.models import Feedback, Status, Ticket
from tickets.services.common import record


@transaction.atomic
def feedback_give(*, actor: Membership, ticket: Ticket, rating: int, comment: str = "") -> Feedback:
    """The requester rates a closed ticket, once."""
    if ticket.requester_id != actor.user_id:
        raise NotAllowed("Only the person who opened the ticket can rate it.")
    if ticket.status != Status.CLOSED:
        raise Conflict("A ticket can be rated once it is closed.")
    if not 1 <= rating <= 5:
        raise InvalidInput("The rating is a whole number from 1 to 5.", field="rating")
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(
                tenant_id=ticket.tenant_id, ticket=ticket, rating=rating, comment=comment.strip()
            )
    except IntegrityError:
        raise Conflict("This ticket has been rated already.") from None
    record(ticket, "rated", actor.user, rating=rating)
    return feedback
