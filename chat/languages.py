"""Which language the chat widget speaks to a visitor (issue 14 item 3).

The visitor's own choice (the widget's language picker, remembered in the browser), else the
host page's language (`data-lang` on the script tag, else `<html lang>`), else the tenant's
default. Only the tenant's languages (`core.i18n.tenant_languages`) are spoken: its agents and
its editable texts are in those. A chat records the language it started in
(`ChatSession.visitor_language`), and whatever speaks to its visitor later (system messages,
the transcript email, error reasons) uses that.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

from accounts.models import Tenant
from chat.models import ChatSession
from core.i18n import supported, tenant_languages

MAX_WANTED = 5  # a visitor's list of wishes is short; more is noise


def widget_language(tenant: Tenant, wanted: Iterable[str | None]) -> str:
    """The first of `wanted` (most wanted first) that the tenant speaks, else its default."""
    offered = tenant_languages(tenant)
    # supported() already maps a regional variant to its language (`de-AT` -> `de`).
    for code in list(wanted)[:MAX_WANTED]:
        if (found := supported(code)) in offered:
            return found
    return offered[0]


def wanted_from_query(value: str | None) -> list[str]:
    """`?lang=pt-BR,de`: the widget's wishes in order (the visitor's pick, then the page's)."""
    return [code.strip() for code in (value or "").split(",") if code.strip()][:MAX_WANTED]


def wanted_from_header(value: str | None) -> list[str]:
    """The Accept-Language the widget sends (the language it shows), in quality order."""
    try:
        return [code for code, _q in parse_accept_lang_header(value or "") if code != "*"]
    except ValueError:
        return []


def language_choices(tenant: Tenant) -> list[dict[str, str]]:
    """The widget's picker: each language of the tenant, named in itself (as settings name
    them, the same words as the profile's language menu)."""
    names = dict(settings.LANGUAGES)
    return [{"code": code, "name": names[code]} for code in tenant_languages(tenant)]


def chat_language(chat: ChatSession) -> str:
    """The language to speak to a chat's visitor: the one they chatted in."""
    return widget_language(chat.tenant, [chat.visitor_language])


def opening_text(next_open: datetime | None, zone: str) -> str:
    """ "Chat opens again on <date> at <time> (<zone>)." in the active language, in the
    calendar's zone, named; "" when it is not known when."""
    if next_open is None:
        return ""
    local = next_open.astimezone(ZoneInfo(zone))
    # Translators: when live chat opens again, e.g. "We're back on Dec. 7, 2026 at 9 a.m.
    # (Europe/Berlin)."; the zone is an IANA time zone name, left as it is.
    return _("We're back on %(date)s at %(time)s (%(zone)s).") % {
        "date": formats.date_format(local, "DATE_FORMAT"),
        "time": formats.time_format(local, "TIME_FORMAT"),
        "zone": zone,
    }
