"""Request types (CONTRACT section 8): the tenant admin's setup, and `apply_policy`'s."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.actors import System
from accounts.models import AuditType, Tenant
from accounts.services import audit_record
from core.texts import translations_of
from sla.selectors import priority_scheme
from tickets import policy
from tickets.models import RequestType

_FIELDS = ["name", "name_translations", "slug", "default_priority", "is_active"]
NAME_MAX = 100


@transaction.atomic
def request_type_save(
    *,
    actor,
    tenant: Tenant,
    name: str,
    slug: str,
    default_priority: str,
    is_active: bool = True,
    request_type: RequestType | None = None,
    name_translations: dict[str, str] | None = None,
) -> RequestType:
    """Create or update a request type. Without `request_type` it upserts by name (any case),
    as `apply_policy` does; it never deletes (a type out of use is made inactive: tickets keep
    it). Its default priority must be one the tenant uses; whether a customer who picks the
    type gets it is `tickets.policy.opening_priority`'s. `name` is in the tenant's default
    language; `name_translations` ({language: name}) its other languages (None: as they are)."""
    policy.check_request_types_manage(actor, tenant)
    name = name.strip()
    if request_type is None:
        request_type = RequestType.objects.filter(tenant=tenant, name__iexact=name).first()
    row = request_type or RequestType(tenant=tenant)
    if row.tenant_id != tenant.pk:
        raise ValidationError(_("This request type belongs to another help desk."))
    before = {field: getattr(row, field) for field in _FIELDS}
    row.name, row.slug, row.default_priority = name, slug.strip(), default_priority
    row.is_active = is_active
    if name_translations is not None:
        row.name_translations = translations_of(name_translations, tenant.default_language)
        if any(len(text) > NAME_MAX for text in row.name_translations.values()):
            raise ValidationError(
                {
                    "name": [
                        ngettext(
                            "A name has at most %(max)d character.",
                            "A name has at most %(max)d characters.",
                            NAME_MAX,
                        )
                        % {"max": NAME_MAX}
                    ]
                }
            )
    scheme = priority_scheme(tenant)
    if not scheme.is_in_use(default_priority):
        raise ValidationError(
            {
                "default_priority": [
                    _("Choose one of the priorities this help desk uses: %(valid)s.")
                    % {"valid": ", ".join(scheme.in_use)}
                ]
            }
        )
    row.full_clean()
    changed = {k: [before[k], getattr(row, k)] for k in _FIELDS if before[k] != getattr(row, k)}
    if row.pk is not None and not changed:
        return row
    adding = row.pk is None
    row.save()
    audit_record(
        actor=None if isinstance(actor, System) else getattr(actor, "membership", actor),
        type=AuditType.REQUEST_TYPE_SAVED,
        obj=row,
        data={"created": adding, **changed},
    )
    return row
