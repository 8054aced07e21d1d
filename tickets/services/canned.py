"""Canned responses: an agent's own (from the workspace) and the shared ones (the tenant admin)."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actors import Actor, Member
from core.errors import InvalidInput
from core.texts import translations_of
from sla.priorities import Priority
from tickets import policy
from tickets.models import CannedResponse, Status

TITLE_MAX = 120
BODY_MAX = 10_000


def _check_length(field: str, text: str) -> None:
    """The one limit of each text, in every language."""
    if field == "title" and len(text) > TITLE_MAX:
        raise InvalidInput(_("A title is at most %(max)s characters.") % {"max": TITLE_MAX},
                           field="title")  # fmt: skip
    if field == "body" and len(text) > BODY_MAX:
        raise InvalidInput(_("A response is at most %(max)s characters.") % {"max": BODY_MAX},
                           field="body")  # fmt: skip


def _clean_translations(default_language: str, **given: dict[str, str] | None) -> dict:
    """The other languages' texts (`title=`, `body=`: {language: text}; None: not given) as
    they are stored (core.texts.translations_of), each within its text's limit."""
    cleaned = {}
    for field, values in given.items():
        if values is None:
            continue
        stored = translations_of(values, default_language)
        for text in stored.values():
            _check_length(field, text)
        cleaned[f"{field}_translations"] = stored
    return cleaned


def _clean(title: str, body: str, status: str, priority: str) -> dict:
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise InvalidInput(_("Give the response a title."), field="title")
    _check_length("title", title)
    if not body:
        raise InvalidInput(_("Write the response's text."), field="body")
    _check_length("body", body)
    if status and status not in Status.values:
        raise InvalidInput(_("Unknown status."), field="status")
    if priority and priority not in Priority.values:
        raise InvalidInput(_("Unknown priority."), field="priority")
    return {"title": title, "body": body, "status": status or "", "priority": priority or ""}


@transaction.atomic
def canned_create(
    *,
    actor: Actor,
    title: str,
    body: str,
    status: str = "",
    priority: str = "",
    shared: bool = False,
    title_translations: dict[str, str] | None = None,
    body_translations: dict[str, str] | None = None,
) -> CannedResponse:
    """A new response: the actor's own, or (`shared`, admins) every agent's. `title` and
    `body` are in the tenant's default language; `*_translations`: {language: text} of its
    other languages."""
    canned = CannedResponse(
        tenant_id=actor.tenant_id,
        owner_id=None if shared else actor.user_id,
        **_clean(title, body, status, priority),
        **_clean_translations(
            actor.tenant.default_language, title=title_translations, body=body_translations
        ),
    )
    policy.check_canned_manage(actor, canned)
    canned.save()
    return canned


@transaction.atomic
def canned_update(
    *,
    actor: Actor,
    canned: CannedResponse,
    title: str,
    body: str,
    status: str = "",
    priority: str = "",
    title_translations: dict[str, str] | None = None,
    body_translations: dict[str, str] | None = None,
) -> CannedResponse:
    """`*_translations`: None leaves that text's other languages as they are."""
    policy.check_canned_manage(actor, canned)
    values = {
        **_clean(title, body, status, priority),
        **_clean_translations(
            actor.tenant.default_language, title=title_translations, body=body_translations
        ),
    }
    for name, value in values.items():
        setattr(canned, name, value)
    canned.updated_at = timezone.now()
    canned.save(update_fields=[*values, "updated_at"])
    return canned


@transaction.atomic
def canned_delete(*, actor: Actor, canned: CannedResponse) -> None:
    policy.check_canned_manage(actor, canned)
    canned.delete()


def canned_used(*, actor: Member, canned: CannedResponse) -> int:
    """Count one use. An UPDATE with F(): two agents sending at once both count (a read, +1,
    write would lose one)."""
    policy.check_canned_use(actor)
    CannedResponse.objects.filter(pk=canned.pk).update(usage_count=F("usage_count") + 1)
    canned.refresh_from_db(fields=["usage_count"])
    return canned.usage_count
