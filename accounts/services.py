"""Writes in accounts: memberships, the audit trail, password-reset emails (through the outbox)."""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import emails as account_emails
from accounts import policy
from accounts.models import (
    AuditEntry,
    AuditType,
    Membership,
    Organization,
    Role,
    Tenant,
    User,
    WsTicket,
)
from accounts.tenancy import all_tenants
from core import live, outbox
from core.emails import enqueue_email
from core.i18n import CODES, language_for

log = logging.getLogger(__name__)


WS_TICKET_TTL = timedelta(seconds=60)


PASSWORD_RESET_WINDOW = timedelta(hours=1)
_PASSWORD_RESET_KEY = "password-reset:{user_id}:"


@transaction.atomic
def send_password_reset(*, user: User) -> bool:
    """Queue a password-set email for `user`, at most PASSWORD_RESET_EMAILS_PER_HOUR an hour.

    Beyond the limit nothing is sent and the caller says the same as when it is (the page
    must not tell whether an address has an account, or was asked for too often). The outbox
    keeps only the user's id: the link is made at delivery (accounts/emails.py). True: queued.
    """
    # The user's row lock serializes two requests for one address, so both cannot pass the
    # count: the limit holds under parallel requests too.
    User.objects.select_for_update().filter(pk=user.pk).exists()
    prefix = _PASSWORD_RESET_KEY.format(user_id=user.pk)
    if (
        outbox.count_since(key_prefix=prefix, since=timezone.now() - PASSWORD_RESET_WINDOW)
        >= settings.PASSWORD_RESET_EMAILS_PER_HOUR
    ):
        log.info("password reset for user %s not sent: hourly limit reached", user.pk)
        return False
    enqueue_email(
        # Each request is its own side effect; the key holds no secret.
        key=f"{prefix}{secrets.token_hex(8)}",
        to=[user.email],
        template="accounts/email/password_reset",
        context={"user_id": user.pk},
        builder=account_emails.PASSWORD_RESET,
        language=person_language(user),
    )
    return True


def person_language(user: User) -> str:
    """The language of an email to `user` that no tenant's page caused (a password reset):
    their own, else their help desk's default when they belong to one, else the language of
    the page that asked for it (most likely their own browser's)."""
    with all_tenants():
        first = Membership.objects.filter(user=user).select_related("tenant").first()
    return language_for(
        user=user,
        tenant_language=first.tenant.default_language if first is not None else None,
        accept_language=translation.get_language(),
    )


def membership_problems(
    *,
    tenant: Tenant,
    role: str,
    tier: int | None,
    organization: Organization | None,
    organization_admin: bool = False,
) -> dict[str, list[str]]:
    """Why a membership with these values cannot be saved, by field (empty: it can).

    The one place these rules live: the tenant admin's forms show them as field errors and the
    services refuse with them.
    """
    problems: dict[str, list[str]] = {}
    if role not in Role.values:
        problems["role"] = [_("Choose admin, agent or customer.")]
    if tier is None or not 1 <= tier <= 3:
        problems["tier"] = [_("The tier is 1, 2 or 3.")]
    if organization is not None and organization.tenant_id != tenant.pk:
        problems["organization"] = [_("This organization belongs to another tenant.")]
    elif role == Role.CUSTOMER and organization is None:
        problems["organization"] = [_("A customer belongs to one of your organizations.")]
    elif role in (Role.ADMIN, Role.AGENT) and organization is not None:
        problems["organization"] = [_("Agents and admins belong to no organization.")]
    if organization_admin and role != Role.CUSTOMER:
        problems["is_organization_admin"] = [
            _("Only a customer can be their organization's admin.")
        ]
    return problems


def _check_membership(**values) -> None:
    problems = membership_problems(**values)
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def membership_invite(
    *,
    actor: Membership,
    tenant: Tenant,
    email: str,
    role: str,
    tier: int = 1,
    organization: Organization | None = None,
    name: str = "",
    organization_admin: bool = False,
) -> Membership:
    """Add a person to a tenant, creating their account without a password if needed.

    The invitation links to the password-set page (the reset flow); someone who already has a
    password is told to log in instead. Tenant admins never edit User rows themselves.
    """
    policy.require_tenant_admin(actor, tenant)
    _check_membership(
        tenant=tenant,
        role=role,
        tier=tier,
        organization=organization,
        organization_admin=organization_admin,
    )
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and Membership.objects.filter(tenant=tenant, user=user).exists():
        raise ValidationError({"email": [_("This person is already a member of this help desk.")]})
    if user is None:
        user = User.objects.create_user(email=email, password=None, name=name)
    membership = Membership.objects.create(
        tenant=tenant,
        user=user,
        role=role,
        tier=tier,
        organization=organization,
        is_organization_admin=organization_admin,
    )
    audit_record(
        actor=actor,
        type=AuditType.MEMBER_INVITED,
        obj=membership,
        data={"email": user.email, **_membership_values(membership)},
    )
    # In the invitee's language (their own, else this help desk's), whoever invites them; the
    # role's name is worded in it too.
    language = language_for(user=user, tenant_language=tenant.default_language)
    with translation.override(language):
        role = str(membership.get_role_display())
    enqueue_email(
        key=f"invitation:{membership.pk}",
        to=[user.email],
        template="accounts/email/invitation",
        context={
            "user": account_emails.person(user),
            "tenant": {"name": tenant.name, "slug": tenant.slug},
            "role": role,
            "invited_by": account_emails.person(actor.user),
            # The link itself is made at delivery: the outbox never holds a token.
            "user_id": user.pk,
            "set_password": not user.has_usable_password(),
        },
        builder=account_emails.INVITATION,
        language=language,
    )
    return membership


@transaction.atomic
def membership_update(
    *,
    actor: Membership,
    membership: Membership,
    role: str,
    tier: int,
    organization: Organization | None,
    organization_admin: bool | None = None,
) -> Membership:
    """Change a member's role, tier, organization or organization admin flag (None: keep it;
    never their account: that is theirs)."""
    policy.require_tenant_admin(actor, membership.tenant)
    if organization_admin is None:
        organization_admin = membership.is_organization_admin and role == Role.CUSTOMER
    _check_membership(
        tenant=membership.tenant,
        role=role,
        tier=tier,
        organization=organization,
        organization_admin=organization_admin,
    )
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    before = _membership_values(locked)
    locked.role, locked.tier, locked.organization = role, tier, organization
    locked.is_organization_admin = organization_admin
    after = _membership_values(locked)
    if after != before:
        locked.save(update_fields=["role", "tier", "organization", "is_organization_admin"])
        if before["role"] != after["role"]:
            access_changed(user_id=locked.user_id, tenant_id=locked.tenant_id, role=role)
        changed = {
            key: [before[key], value] for key, value in after.items() if before[key] != value
        }
        audit_record(actor=actor, type=AuditType.MEMBER_CHANGED, obj=locked, data=changed)
    membership.role, membership.tier, membership.organization = role, tier, organization
    membership.is_organization_admin = organization_admin
    return locked


@transaction.atomic
def membership_remove(*, actor: Membership, membership: Membership) -> None:
    """Take a person out of a tenant: their open sockets there close (4403) within seconds."""
    policy.require_tenant_admin(actor, membership.tenant)
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    before = _membership_values(locked)
    audit_record(
        actor=actor,
        type=AuditType.MEMBER_CHANGED,
        obj=locked,
        data={"removed": True, **{key: [value, None] for key, value in before.items()}},
    )
    locked.delete()
    access_changed(user_id=membership.user_id, tenant_id=membership.tenant_id, role=None)


@transaction.atomic
def tenant_security_update(*, actor: Membership, tenant: Tenant, require_staff_2fa: bool) -> Tenant:
    """A tenant admin requires (or stops requiring) a second factor of its admins and agents."""
    policy.require_tenant_admin(actor, tenant)
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if locked.require_staff_2fa != require_staff_2fa:
        before = locked.require_staff_2fa
        locked.require_staff_2fa = require_staff_2fa
        locked.save(update_fields=["require_staff_2fa"])
        audit_record(
            actor=actor,
            type=AuditType.SECURITY_CHANGED,
            obj=locked,
            data={"require_staff_2fa": [before, require_staff_2fa]},
        )
    tenant.require_staff_2fa = require_staff_2fa
    return locked


ACCESS_CHANGED = "access.changed"  # the sockets' `access_changed` handler (accounts/sockets.py)


def access_changed(*, user_id: int, tenant_id: int | None, role: str | None) -> None:
    """After commit, tell the person's open sockets that their access changed.

    `tenant_id` None: every tenant (credentials revoked); `role` None: no access there at all.
    Each socket closes itself when its tenant matches and the role no longer lets it in.
    Sent straight to the channel layer (Redis across processes): a lost message leaves a socket
    open only until its next reconnect, which checks the membership again.
    """
    frame = {"tenant": tenant_id, "role": role}
    live.send_on_commit(live.user_group(user_id), frame, message_type=ACCESS_CHANGED)


@transaction.atomic
def credentials_revoke(*, user: User) -> None:
    """After a password change or reset: end every API token, unused ws-ticket and open socket
    of the person (their other browser sessions end by Django's session hash of the password).
    """
    from knox.models import AuthToken  # knox's models need the app registry

    AuthToken.objects.filter(user=user).delete()
    WsTicket.objects.filter(user=user).delete()
    access_changed(user_id=user.pk, tenant_id=None, role=None)


def purge_expired_credentials(*, now=None) -> str:
    """Beat job: delete expired API tokens and spent or expired ws-tickets (hashes only, but
    nothing keeps them useful)."""
    from knox.models import AuthToken

    now = now or timezone.now()
    tokens = AuthToken.objects.filter(expiry__lt=now).delete()[0]
    tickets = WsTicket.objects.filter(expires_at__lt=now).delete()[0]
    return f"purged {tokens} expired token(s), {tickets} expired ws-ticket(s)"


def _membership_values(membership: Membership) -> dict:
    org = membership.organization
    return {
        "role": membership.role,
        "tier": membership.tier,
        "organization": org.name if org is not None else None,
        "organization_admin": membership.is_organization_admin,
    }


def audit_record(*, actor: Membership | None, type: str, obj, data: dict | None = None) -> None:
    """One entry of the tenant's audit trail, in the caller's transaction.

    `obj` is the tenant-owned thing that changed (or the tenant itself); its tenant is the
    entry's.
    """
    AuditEntry.objects.create(
        tenant_id=obj.pk if isinstance(obj, Tenant) else obj.tenant_id,
        actor=actor.user if actor is not None else None,
        type=type,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        data=data or {},
    )


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


# --- Languages (issue 14) ------------------------------------------------------------------


def language_problem(code: str, *, blank: bool = False) -> str | None:
    """Why `code` is not a language a person or a tenant may choose (None: it is)."""
    if blank and code == "":
        return None
    if code not in CODES:
        return _("Unknown language %(code)s. Choose one of: %(codes)s.") % {
            "code": code,
            "codes": ", ".join(CODES),
        }
    return None


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    """A person chooses the language they read the help desk and its emails in ("" : their
    help desk's default, else their browser's)."""
    if problem := language_problem(language, blank=True):
        raise ValidationError({"language": [problem]})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


@transaction.atomic
def tenant_languages_update(
    *, actor: Membership, tenant: Tenant, default_language: str, languages: list[str]
) -> Tenant:
    """A tenant admin sets the help desk's default language and the others it offers. The
    default is always among its languages; the list keeps LANGUAGES' order, without repeats."""
    policy.require_tenant_admin(actor, tenant)
    problems = [p for code in [default_language, *languages] if (p := language_problem(code))]
    if problems:
        raise ValidationError({"languages": problems[:1]})
    others = [code for code in CODES if code in languages and code != default_language]
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    before = {"default_language": locked.default_language, "languages": locked.languages}
    after = {"default_language": default_language, "languages": others}
    if before != after:
        locked.default_language, locked.languages = default_language, others
        locked.save(update_fields=["default_language", "languages"])
        audit_record(
            actor=actor,
            type=AuditType.LANGUAGES_CHANGED,
            obj=locked,
            data={key: [before[key], after[key]] for key in after if before[key] != after[key]},
        )
    tenant.default_language, tenant.languages = default_language, others
    return locked
