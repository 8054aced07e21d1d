"""The tickets' part of a support-policy preset (`sla.presets.service.apply_preset` runs it,
registered in TicketsConfig.ready): categories with their SLA exemption, request types, and
the tenant's ticket settings (idle limit, closure summary, organization reports).

Upserts by name and never deletes; compares before it writes, so applying twice changes
nothing. The caller checked the actor (a tenant admin or the system) and audits the whole.
"""

from __future__ import annotations

from django.utils.text import slugify

from accounts.models import Tenant
from core.texts import translations_of
from sla.presets import Preset
from tickets.models import Category, RequestType, TicketSettings
from tickets.services.request_types import request_type_save

# preset setting -> TicketSettings field
_SETTINGS = {
    "autoclose_after_hours": "autoclose_after_hours",
    "closure_summary": "closure_summary_required",
    "organization_reports": "organization_reports",
}


def apply_ticket_part(*, actor, tenant: Tenant, preset: Preset) -> list[str]:
    return [
        *_categories(tenant, preset),
        *_request_types(actor, tenant, preset),
        *_settings(tenant, preset),
    ]


def _categories(tenant: Tenant, preset: Preset) -> list[str]:
    """By name in the tenant's default language (the files' English when they have none)."""
    created, changed = [], []
    for english in preset.categories:
        exempt = english in preset.sla_exempt
        name = preset.text(english, tenant.default_language)
        translations = translations_of(preset.texts(english), tenant.default_language)
        category = Category.objects.filter(name__iexact=name).first()
        if category is None:
            Category.objects.create(
                tenant=tenant,
                name=name,
                name_translations=translations,
                slug=_free_slug(english),
                sla_exempt=exempt,
            )
            created.append(name)
        elif (
            category.sla_exempt != exempt
            or not category.is_active
            or category.name_translations != translations
        ):
            category.sla_exempt, category.is_active = exempt, True
            category.name_translations = translations
            category.save(update_fields=["sla_exempt", "is_active", "name_translations"])
            changed.append(category.name)
    out = []
    if created:
        out.append("categories created: " + ", ".join(created))
    if changed:
        out.append("categories changed: " + ", ".join(changed))
    return out


def _free_slug(name: str) -> str:
    base = slugify(name)[:55] or "category"
    slug, n = base, 1
    while Category.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _request_types(actor, tenant: Tenant, preset: Preset) -> list[str]:
    changed = []
    for spec in preset.request_types:
        name = preset.text(spec.name, tenant.default_language)
        translations = translations_of(preset.texts(spec.name), tenant.default_language)
        row = RequestType.objects.filter(name__iexact=name).first()
        if (
            row is not None
            and row.default_priority == spec.priority
            and row.is_active
            and row.slug == spec.slug
            and row.name_translations == translations
        ):
            continue
        request_type_save(
            actor=actor,
            tenant=tenant,
            name=name,
            slug=spec.slug,
            default_priority=spec.priority,
            name_translations=translations,
        )
        changed.append(name)
    return ["request types set: " + ", ".join(changed)] if changed else []


def _settings(tenant: Tenant, preset: Preset) -> list[str]:
    wanted = {
        column: getattr(preset.settings, key)
        for key, column in _SETTINGS.items()
        if getattr(preset.settings, key) is not None
    }
    if not wanted:
        return []
    row = TicketSettings.objects.filter(tenant=tenant).first() or TicketSettings(tenant=tenant)
    changed = [column for column, value in wanted.items() if getattr(row, column) != value]
    if not changed:
        return []
    for column in changed:
        setattr(row, column, wanted[column])
    row.save()
    return ["ticket settings set: " + ", ".join(changed)]
