"""Secret masking for a tenant: the built-in rules plus the tenant's own patterns.

Every service that stores text a person wrote calls `mask_secrets` first, so a pasted key or
password never reaches the database, the outbox, an email or a live frame. Tenant patterns
live here, below every app that stores text (tickets, chat, email), because they are the
tenant's policy for all of them.
"""

import secrets
import threading

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts import policy
from accounts.models import AuditType, Membership, SecretPattern, Tenant
from accounts.services import audit_record
from core.redaction import (
    BUILTIN_KINDS,
    Masked,
    Masker,
    PatternError,
    builtin_masker,
    compile_custom,
    custom_rule,
)

MAX_PATTERNS = 20  # per tenant: each one runs over every text the tenant stores

PATTERN_ERRORS = {
    "empty": _("Enter a pattern."),
    "too_long": _("A pattern may be at most 200 characters."),
    "invalid": _(
        "This is not a valid RE2 regular expression (look-arounds and back-references are "
        "not supported)."
    ),
    "matches_empty": _("This pattern matches an empty text; it must match at least one character."),
}

_cache: dict[tuple[int, str], Masker] = {}
_cache_lock = threading.Lock()
CACHE_SIZE = 1024


def mask_secrets(text: str, *, tenant: Tenant) -> Masked:
    """The text with every secret masked, and how many of each kind (never the values)."""
    return masker_for(tenant).mask(text)


def masker_for(tenant: Tenant) -> Masker:
    stamp = tenant.secret_patterns_stamp
    if not stamp:
        return builtin_masker()  # the common case: no query, no cache entry
    key = (tenant.pk, stamp)
    if (masker := _cache.get(key)) is None:
        rules = [
            custom_rule(name, pattern)
            for name, pattern in SecretPattern.objects.filter(
                tenant=tenant, is_active=True
            ).values_list("name", "pattern")
        ]
        masker = builtin_masker() + rules
        with _cache_lock:
            if len(_cache) >= CACHE_SIZE:
                _cache.clear()  # stale stamps pile up here; a refill costs one query each
            _cache[key] = masker
    return masker


def check_pattern(pattern: str) -> None:
    try:
        compile_custom(pattern)
    except PatternError as error:
        raise ValidationError(PATTERN_ERRORS[str(error)], code=str(error)) from None


def check_name(name: str) -> None:
    if name in BUILTIN_KINDS:
        raise ValidationError(_("This name is used by a built-in kind; choose another."))


def check_room(pattern: SecretPattern) -> None:
    """A new pattern must fit under its tenant's MAX_PATTERNS (`pattern.tenant_id` is set)."""
    if not pattern._state.adding:
        return
    others = SecretPattern.objects.filter(tenant_id=pattern.tenant_id).exclude(pk=pattern.pk)
    if others.count() >= MAX_PATTERNS:
        raise ValidationError(
            _("A help desk may have at most %(max)d secret patterns."),
            params={"max": MAX_PATTERNS},
        )


@transaction.atomic
def secret_pattern_save(
    *, actor: Membership | None, tenant: Tenant, pattern: SecretPattern
) -> SecretPattern:
    """Create or change a tenant's pattern: validated, capped, audited, effective at once in
    every process."""
    policy.require_tenant_admin(actor, tenant)
    pattern.tenant = tenant
    check_name(pattern.name)
    check_pattern(pattern.pattern)
    # The lock orders concurrent saves of one tenant, so the cap holds under a race.
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
    check_room(pattern)
    pattern.save()
    _bump(tenant)
    audit_record(
        actor=actor,
        type=AuditType.SECRET_PATTERN_SAVED,
        obj=pattern,
        data={"pattern": pattern.pattern, "active": pattern.is_active},
    )
    return pattern


@transaction.atomic
def secret_pattern_delete(
    *, actor: Membership | None, tenant: Tenant, pattern: SecretPattern
) -> None:
    policy.require_tenant_admin(actor, tenant)
    audit_record(actor=actor, type=AuditType.SECRET_PATTERN_DELETED, obj=pattern)
    pattern.delete()
    _bump(tenant)


def _bump(tenant: Tenant) -> None:
    tenant.secret_patterns_stamp = secrets.token_hex(8)
    Tenant.objects.filter(pk=tenant.pk).update(secret_patterns_stamp=tenant.secret_patterns_stamp)
