"""The chat widget and chat's server side in the visitor's language (issue 14).

The widget's words are the server's gettext catalog (chat/widget_strings.py), served by
`GET chat/strings/?lang=`; the visitor's pick wins over the host page's `lang`, which wins over
the tenant's default; the chat records the language, and what is said to the visitor later
(transcript email, errors, the opening time) is in it.

The catalogs are being translated while this is written, so the strings are checked against
the catalog itself (locale/<lang>/LC_MESSAGES/django.po, read here): each served string is that
catalog's translation, or the English source where the catalog has none yet.
"""

from __future__ import annotations

import ast
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.tenancy import tenant_scope
from chat.languages import opening_text, widget_language
from chat.models import ChatSession
from chat.widget_strings import STRINGS
from core.models import OutboxMessage
from sla.models import Holiday, SupportPlan
from tests.chat.conftest import open_chat_settings
from tests.conftest import api_client

SHOP = "http://shop.test:8765"
EVIL = "http://evil.example"
CODES = [code for code, _name in settings.LANGUAGES]
LOCALE = Path(settings.BASE_DIR) / "locale"


def _sources() -> dict[str, tuple[str, str]]:
    """Read chat/widget_strings.py's own source: the msgid (and msgctxt) of every key."""
    tree = ast.parse((Path(settings.BASE_DIR) / "chat" / "widget_strings.py").read_text())
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                args = [ast.literal_eval(a) for a in value.args]
                found[ast.literal_eval(key)] = ("", args[0]) if len(args) == 1 else tuple(args)
    return found


SOURCES = _sources()  # key -> (msgctxt, msgid)


ENTRY_LINE = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$')


def read_po(code: str) -> dict[tuple[str, str], str | None]:
    """A catalog's entries: (msgctxt, msgid) -> msgstr, or None when it is empty or fuzzy."""
    folder = translation.to_locale(code)
    text = (LOCALE / folder / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = {}
    for block in text.split("\n\n"):
        fields, current, fuzzy = {}, None, False
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif match := ENTRY_LINE.match(line):
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if fields.get("msgid"):
            value = fields.get("msgstr", "")
            entries[(fields.get("msgctxt", ""), fields["msgid"])] = (
                value if value and not fuzzy else None
            )
    return entries


def strings(lang: str | None = None, slug: str = "acme", **headers):
    url = f"/api/v1/t/{slug}/chat/strings/" + (f"?lang={lang}" if lang is not None else "")
    return APIClient().get(url, **headers)


def speaks(desk, default: str, *others: str) -> None:
    desk.tenant.default_language, desk.tenant.languages = default, list(others)
    desk.tenant.save(update_fields=["default_language", "languages"])


# -- the strings route ------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_the_strings_route_answers_every_widget_string_as_that_language_catalog_has_it(desks, code):
    acme, _ = desks
    speaks(acme, "en", *[c for c in CODES if c != "en"])
    response = strings(code)
    assert response.status_code == 200
    body = response.json()
    assert body["language"] == code
    assert set(body["strings"]) == set(STRINGS)
    catalog = read_po(code) if code != "en" else {}
    for key, served in body["strings"].items():
        context, msgid = SOURCES[key]
        with translation.override(code):
            assert served == str(STRINGS[key]), key  # what gettext says under that language
        translated = catalog.get((context, msgid))
        if translated:  # the project's catalog has it: that is what the visitor reads
            assert served == translated, key
            if code != "en" and translated != msgid:
                assert served != msgid, f"{key}: still English in {code}"
        elif code == "en":
            assert served == msgid, key


@pytest.mark.parametrize("code", [c for c in CODES if c != "en"])
def test_every_widget_string_is_in_the_catalog_of_each_language(code):
    """Fails, naming them, while `make messages` has not brought the widget's strings into a
    catalog (the completeness test of tests/i18n then says which are untranslated)."""
    catalog = read_po(code)
    missing = [
        f"{key}: {msgid!r}" for key, (context, msgid) in SOURCES.items()
        if (context, msgid) not in catalog
    ]  # fmt: skip
    assert not missing, (
        f"{len(missing)} widget strings missing from locale/{translation.to_locale(code)}: "
        + "; ".join(missing)
        + " (run `make messages`, then translate them)"
    )


def test_the_picker_offers_the_tenant_languages_named_in_themselves(desks):
    acme, _ = desks
    speaks(acme, "de", "pt-br", "es")
    body = strings().json()
    assert body["language"] == "de"
    assert body["languages"] == [
        {"code": "de", "name": "Deutsch"},
        {"code": "pt-br", "name": "Português (Brasil)"},
        {"code": "es", "name": "Español"},
    ]


def test_the_visitor_choice_beats_the_page_lang_which_beats_the_tenant_default(desks):
    acme, globex = desks
    speaks(acme, "de", "pt-br", "es")
    # What the widget sends: the visitor's pick first, then the host page's lang.
    assert strings("es,pt-BR").json()["language"] == "es"
    assert strings(",pt-BR").json()["language"] == "pt-br"  # no pick: the page's
    assert strings("pt").json()["language"] == "pt-br"  # a language, not only a variant
    assert strings("ru,fr").json()["language"] == "de"  # not spoken here: the tenant's default
    assert strings("").json()["language"] == "de"
    assert strings().json()["language"] == "de"
    assert strings("es", slug="globex").json()["language"] == "en"  # globex speaks English only
    with tenant_scope(acme.tenant):
        assert widget_language(acme.tenant, ["ru", "es", "pt-br"]) == "es"
        assert widget_language(acme.tenant, [None, "PT-br"]) == "pt-br"


def test_the_strings_route_checks_the_origin_like_the_other_widget_routes(desks):
    acme, _ = desks
    allowed = strings("de", HTTP_ORIGIN=SHOP)
    assert allowed.status_code == 200 and allowed["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in allowed["Vary"]
    refused = strings("de", HTTP_ORIGIN=EVIL)
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused
    # globex allows no foreign origin: acme's shop is an outsider there.
    outsider = strings("de", slug="globex", HTTP_ORIGIN=SHOP)
    assert outsider.status_code == 403 and "Access-Control-Allow-Origin" not in outsider
    assert strings("de", slug="nope").status_code == 404
    assert strings("x" * 101).status_code == 400


# -- the chat's language ----------------------------------------------------------------------


def start(slug="acme", language=None, body_language=None, **body):
    """POST chats/ with the widget's Accept-Language (`language`) and the body's `language`."""
    body = {"name": "Vera Visitor", "email": "vera@example.net", "message": "Olá!", **body}
    if body_language:
        body["language"] = body_language
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return APIClient().post(f"/api/v1/t/{slug}/chats/", body, format="json", **headers)


def test_a_chat_records_the_language_the_widget_speaks_and_the_console_sees_it(desks):
    acme, _ = desks
    speaks(acme, "en", "pt-br", "de")
    started = start(language="pt-br")
    assert started.status_code == 201 and started["Content-Language"] == "pt-br"
    explicit = start(language="pt-br", body_language="de")
    unspoken = start(language="ru")
    with tenant_scope(acme.tenant):
        found = dict(ChatSession.objects.values_list("public_id", "visitor_language"))
    assert found[started.json()["id"]] == "pt-br"
    assert found[explicit.json()["id"]] == "de"  # the body's language wins over the header
    assert found[unspoken.json()["id"]] == "en"  # acme does not speak Russian: its default
    listed = api_client(acme.agent).get("/api/v1/t/acme/chats/").json()["results"]
    languages = {row["id"]: row["customer"]["language"] for row in listed}
    assert languages[started.json()["id"]] == "pt-br"


def test_the_transcript_email_goes_out_in_the_visitor_language_whoever_sends_it(desks):
    acme, _ = desks
    speaks(acme, "en", "pt-br", "de")
    acme.agent.language = "de"  # a German agent, a Brazilian visitor
    acme.agent.save(update_fields=["language"])
    chat = start(language="pt-br").json()
    visitor = APIClient()
    visitor.credentials(HTTP_AUTHORIZATION=f"Chat {chat['token']}")
    base = f"/api/v1/t/acme/chats/{chat['id']}"
    # The visitor asks in another language than the chat's: the chat's language counts.
    asked = visitor.post(f"{base}/transcript/", HTTP_ACCEPT_LANGUAGE="de")
    assert asked.status_code == 202 and asked["Content-Language"] == "pt-br"
    with translation.override("pt-br"):
        assert asked.json()["detail"] == translation.gettext("The transcript is on its way.")
    agent = api_client(acme.agent)
    assert agent.post(f"{base}/accept/").status_code == 200
    assert agent.post(f"{base}/close/", {"summary": "Resolvido"}, format="json").status_code == 200
    payloads = [row.payload for row in OutboxMessage.objects.order_by("id")]
    transcripts = [p for p in payloads if p.get("template") == "chat/email/transcript"]
    assert len(transcripts) == 2
    assert [p["language"] for p in transcripts] == ["pt-br", "pt-br"]
    assert all(p["to"] == ["vera@example.net"] for p in transcripts)
    # The lines' times are in the tenant's zone, named.
    assert transcripts[0]["context"]["messages"][0]["at"].endswith(f"({acme.tenant.timezone})")


def _closed_for_days(desk, days: int = 4) -> str:
    """The desk's calendar has holidays from today on: chat is closed now, whatever the hour.
    Returns the calendar's zone."""
    open_chat_settings(desk, always_open=False)
    with tenant_scope(desk.tenant):
        plan = SupportPlan.objects.select_related("calendar").get(is_default=True)
        zone = plan.calendar.timezone
        today = timezone.now().astimezone(ZoneInfo(zone)).date()
        for day in range(days):
            Holiday.objects.create(
                tenant=desk.tenant, calendar=plan.calendar, date=today + timedelta(days=day),
                name="Closed",
            )  # fmt: skip
    return zone


def test_opening_time_and_refusals_are_in_the_visitor_language_and_the_calendar_zone(desks):
    acme, _ = desks
    speaks(acme, "en", "de")
    zone = _closed_for_days(acme)
    answered = APIClient().get("/api/v1/t/acme/chat/availability/", HTTP_ACCEPT_LANGUAGE="de")
    body = answered.json()
    assert answered["Content-Language"] == "de" and body["reason"] == "closed_hours"
    next_open = datetime.fromisoformat(body["next_open"].replace("Z", "+00:00"))
    with translation.override("de"):
        assert body["next_open_text"] == opening_text(next_open, zone)
        assert body["message"] == translation.gettext("Chat is closed right now.")
        refusal = translation.gettext(
            "Chat is not available right now. Leave us a message instead."
        )
    assert f"({zone})" in body["next_open_text"]
    local = next_open.astimezone(ZoneInfo(zone))
    assert f"{local:%H}" in body["next_open_text"]  # the hour in the calendar's zone

    refused = start(language="de")
    assert refused.status_code == 409 and refused["Content-Language"] == "de"
    assert refused.json()["detail"] == refusal
    assert refused.json()["next_open_text"] == body["next_open_text"]
    # English asks get English.
    english = APIClient().get("/api/v1/t/acme/chat/availability/").json()
    assert english["next_open_text"].startswith("We're back on ")


def test_an_agent_keeps_their_own_language_on_the_chat_routes(desks):
    acme, _ = desks
    speaks(acme, "en", "de")
    agent = api_client(acme.agent)
    listed = agent.get("/api/v1/t/acme/chats/", HTTP_ACCEPT_LANGUAGE="de")
    # Not switched to a visitor's language: the agent's own, else the help desk's default.
    assert listed.status_code == 200 and listed["Content-Language"] == "en"
