"""Emails of accounts that carry a password-set link: the link is made at delivery.

The outbox stores only the person's id (core/emails.py explains why): a token in the outbox
table is a working login for whoever reads the table. The token is made when the relay sends
the email, from the person's state then, and is valid PASSWORD_RESET_TIMEOUT from there.
"""

from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from core.emails import register_builder

PASSWORD_RESET = "accounts.password_reset"
INVITATION = "accounts.invitation"


def password_set_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def person(user: User) -> dict[str, str]:
    """What an email says about a person (the outbox stores plain JSON)."""
    return {"display_name": user.display_name, "email": user.email}


def _active_user(context: dict[str, Any]) -> User | None:
    return User.objects.filter(pk=context["user_id"], is_active=True).first()


@register_builder(PASSWORD_RESET)
def password_reset_context(context: dict[str, Any]) -> dict[str, Any] | None:
    user = _active_user(context)
    if user is None:  # deleted or deactivated since: no link for an account that cannot log in
        return None
    return {"user": person(user), "path": password_set_path(user)}


@register_builder(INVITATION)
def invitation_context(context: dict[str, Any]) -> dict[str, Any] | None:
    user = _active_user(context)
    if user is None:
        return None
    # Someone who chose a password in the meantime logs in instead (the template's other branch).
    wants_link = context.get("set_password") and not user.has_usable_password()
    return {"path": password_set_path(user) if wants_link else None}
