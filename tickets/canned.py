"""Canned responses: which ones an agent may use, and filling their placeholders.

A body names placeholders as `{{ requester.first_name }}`. They are filled from a fixed map of
plain strings (`PLACEHOLDERS`), never by Django's template engine: the body is text someone
typed, and a template engine would let it reach settings, objects and tags. An unknown
placeholder stays as written, so an agent sees it before sending. The result is plain text,
escaped by whatever shows it (a template, a textarea's value, JSON).
"""

import re
from collections.abc import Callable

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, User
from core.i18n import supported
from tickets.models import CannedResponse, Ticket

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")


def _first_name(name: str, email: str) -> str:
    name = (name or "").strip()
    if name:
        return name.split()[0]
    return email.split("@")[0] if email else ""


def _requester_name(ticket: Ticket) -> str:
    if ticket.requester_id:
        return ticket.requester.name or ticket.requester.email
    return ticket.contact_name or ticket.contact_email


def _requester_first(ticket: Ticket) -> str:
    if ticket.requester_id:
        return _first_name(ticket.requester.name, ticket.requester.email)
    return _first_name(ticket.contact_name, ticket.contact_email)


Filler = Callable[[Ticket | None, User], str]

# name -> (what it is, how to fill it). The only values a body can reach.
PLACEHOLDERS: dict[str, tuple[str, Filler]] = {
    "requester.first_name": (
        _("The requester's first name"),
        lambda t, a: _requester_first(t) if t else "",
    ),
    "requester.name": (_("The requester's name"), lambda t, a: _requester_name(t) if t else ""),
    "requester.email": (_("The requester's email"), lambda t, a: t.requester_email if t else ""),
    "ticket.reference": (_("The ticket's reference"), lambda t, a: t.reference if t else ""),
    "ticket.subject": (_("The ticket's subject"), lambda t, a: t.subject if t else ""),
    "ticket.number": (_("The ticket's number"), lambda t, a: str(t.number) if t else ""),
    "organization.name": (
        _("The requester's organization"),
        lambda t, a: t.organization.name if t and t.organization_id else "",
    ),
    "agent.name": (_("Your name"), lambda t, a: a.display_name),
    "agent.first_name": (_("Your first name"), lambda t, a: _first_name(a.name, a.email)),
    "agent.email": (_("Your email"), lambda t, a: a.email),
}


def render(body: str, *, ticket: Ticket | None, agent: User) -> str:
    """`body` with its known placeholders filled for `ticket` and the `agent` using it."""

    def fill(match: re.Match) -> str:
        known = PLACEHOLDERS.get(match[1])
        if known is None or (ticket is None and not match[1].startswith("agent.")):
            return match[0]  # unknown, or about a ticket not given: left for the agent to see
        return known[1](ticket, agent)

    return PLACEHOLDER.sub(fill, body)


def placeholder_help() -> list[tuple[str, str]]:
    return [("{{ " + name + " }}", label) for name, (label, _fill) in PLACEHOLDERS.items()]


def usable_by(member: Membership, *, q: str | None = None) -> QuerySet[CannedResponse]:
    """The shared responses and the member's own, own ones first, then by title."""
    canned = CannedResponse.objects.filter(Q(owner__isnull=True) | Q(owner=member.user_id))
    if q:  # the title as stored, or as the agent reads it (core.texts)
        matches = Q(title__icontains=q)
        language = supported(get_language())
        if language:
            matches |= Q(**{f"title_translations__{language}__icontains": q})
        canned = canned.filter(matches)
    return canned.order_by(F("owner").asc(nulls_last=True), "title", "id")


def own(member: Membership) -> QuerySet[CannedResponse]:
    return CannedResponse.objects.filter(owner=member.user_id).order_by("title", "id")


def shared() -> QuerySet[CannedResponse]:
    return CannedResponse.objects.filter(owner__isnull=True).order_by("title", "id")


def canned_for(member: Membership, canned_id: int) -> CannedResponse:
    """One response the member may use (shared or their own); the same 404 otherwise."""
    found = usable_by(member).filter(pk=canned_id).first()
    if found is None:
        raise Http404(gettext("No such canned response."))
    return found


def picker_strings() -> dict[str, str]:
    """The words of the picker (static/agent/canned.js), translated for the page."""
    return {
        "title": str(_("Canned responses")),
        "filter": str(_("Filter by title")),
        "empty": str(_("No canned response matches. Create one on the Canned responses page.")),
        "error": str(_("Could not load the canned responses. Try again.")),
        "hint": str(_("↑↓ choose · Enter insert · Esc close")),
        "shared": str(_("shared")),
        "sets": str(_("sets")),
    }
