"""Writes in accounts: invitations and password-reset emails (through the outbox)."""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Membership, Organization, Role, Tenant, User, WsTicket
from core.emails import enqueue_email

WS_TICKET_TTL = timedelta(seconds=60)


def password_set_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})


@transaction.atomic
def send_password_reset(*, user: User) -> None:
    path = password_set_path(user)
    enqueue_email(
        # The token differs per request, so each request is its own side effect.
        key=f"password-reset:{user.pk}:{hashlib.sha256(path.encode()).hexdigest()[:16]}",
        to=[user.email],
        template="accounts/email/password_reset",
        context={"user": _person(user), "path": path},
    )


@transaction.atomic
def invite_member(
    *,
    tenant: Tenant,
    email: str,
    role: str,
    tier: int = 1,
    organization: Organization | None = None,
    name: str = "",
    invited_by: User | None = None,
) -> Membership:
    """Add a person to a tenant, creating their account without a password if needed.

    The invitation links to the password-set page (the reset flow); someone who already has a
    password is told to log in instead. Tenant admins never edit User rows themselves.
    """
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}.")
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, name=name)
    membership = Membership.objects.create(
        tenant=tenant, user=user, role=role, tier=tier, organization=organization
    )
    enqueue_email(
        key=f"invitation:{membership.pk}",
        to=[user.email],
        template="accounts/email/invitation",
        context={
            "user": _person(user),
            "tenant": {"name": tenant.name, "slug": tenant.slug},
            "role": membership.get_role_display(),
            "invited_by": _person(invited_by) if invited_by else None,
            "path": None if user.has_usable_password() else password_set_path(user),
        },
    )
    return membership


def _person(user: User) -> dict[str, str]:
    """What an email says about a person (the outbox stores plain JSON)."""
    return {"display_name": user.display_name, "email": user.email}


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def ws_ticket_issue(*, user: User) -> str:
    key = secrets.token_urlsafe(32)
    WsTicket.objects.create(
        key_hash=_hash(key), user=user, expires_at=timezone.now() + WS_TICKET_TTL
    )
    return key


def ws_ticket_redeem(key: str) -> User | None:
    """Spend a ticket: the conditional update makes a second use, even a concurrent one, fail."""
    if not key:
        return None
    now = timezone.now()
    spent = WsTicket.objects.filter(
        key_hash=_hash(key), used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if spent != 1:
        return None
    user = WsTicket.objects.select_related("user").get(key_hash=_hash(key)).user
    return user if user.is_active else None
