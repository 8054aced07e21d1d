"""The anonymous contact form (CONTRACT section 8): `/t/<tenant>/contact/` and
`POST /api/v1/t/<tenant>/contact/` open a ticket, channel `web`.

The sender is matched by email the way the email channel matches mail
(`accounts.actors.requester_for_email`: the tenant's member with that address, else an
unverified contact), except that an address of the tenant's own staff stays a contact: a form
anyone can fill in never acts as an agent. The acknowledgement (with the reference) goes to the
typed address, at most EMAIL_ACKS_PER_HOUR an hour per address, so that the form cannot be used
to flood someone's inbox; the doors throttle per address and per tenant like the chat widget.
Secrets are masked by `ticket_create` like on every create.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Contact, Member, Requester, requester_for_email
from accounts.models import Tenant
from core.errors import InvalidInput, NotAllowed
from tickets.models import Category, Channel, Ticket
from tickets.selectors import ticket_settings
from tickets.services.create import Created, ticket_create


def contact_form_open(tenant: Tenant) -> bool:
    return ticket_settings(tenant.pk).contact_form_enabled


def _sender(tenant: Tenant, name: str, email: str) -> Requester:
    requester = requester_for_email(tenant, email, name)
    if isinstance(requester, Member) and requester.is_staff:
        return Contact(tenant=tenant, name=name.strip()[:150], email=email.strip().lower())
    return requester


def _acks_this_hour(email: str) -> int:
    """Contact-form tickets for this address in the last hour (their acknowledgements)."""
    since = timezone.now() - timedelta(hours=1)
    return Ticket.objects.filter(
        Q(contact_email=email) | Q(requester__email__iexact=email),
        channel=Channel.WEB,
        created_at__gte=since,
    ).count()


def contact_submit(
    *,
    tenant: Tenant,
    name: str,
    email: str,
    subject: str,
    message: str,
    category: Category | None = None,
) -> Created:
    """Open a ticket from the contact form, for the sender matched by `email`. Inside the
    tenant's scope."""
    if not contact_form_open(tenant):
        raise NotAllowed(_("This help desk does not take requests through a contact form."))
    name, email = (name or "").strip(), (email or "").strip().lower()
    if not name or not email:
        raise InvalidInput(_("Give your name and email address."))
    if category is not None and (category.tenant_id != tenant.pk or not category.is_active):
        raise InvalidInput(_("Choose one of the categories offered."), field="category")
    sender = _sender(tenant, name, email)
    acknowledge = _acks_this_hour(email) < settings.EMAIL_ACKS_PER_HOUR
    return ticket_create(
        actor=sender,
        subject=subject,
        description=message,
        category=category,
        channel=Channel.WEB,
        acknowledge=acknowledge,
    )
