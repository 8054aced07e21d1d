"""Canned responses in several languages (issue 14): the picker lists titles in the agent's
language and inserts the body in the ticket requester's (their own setting, else the help
desk's default language); agents and admins fill each of the help desk's languages."""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.models import Tenant
from accounts.tenancy import tenant_scope
from core.errors import InvalidInput
from tests.conftest import api_client
from tests.tickets.agent.canned_helpers import canned
from tests.tickets.helpers import as_actor, open_ticket
from tickets.models import CannedResponse
from tickets.services import canned as canned_services
from tickets.services.canned import TITLE_MAX

URL = "/api/v1/t/acme/canned-responses/"


def speaks(user, code: str):
    user.language = code
    user.save(update_fields=["language"])
    return user


def with_languages(desk, *codes: str) -> None:
    tenant = Tenant.objects.get(pk=desk.tenant.pk)
    tenant.languages = list(codes)
    tenant.save()


def picker(agent, **params) -> list[dict]:
    with translation.override(agent.language):
        response = api_client(agent).get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def greeting(desk):
    return canned(
        desk,
        title="Greeting",
        body="Hello {{ requester.first_name }}",
        title_translations={"de": "Begrüßung", "pt-br": "Saudação"},
        body_translations={"pt-br": "Olá {{ requester.first_name }}", "de": "Hallo"},
    )


def test_the_body_is_in_the_requesters_language_and_the_title_in_the_agents(desks):
    acme, globex = desks
    with_languages(acme, "de", "pt-br")
    acme.customer.name = "Bia Souza"
    acme.customer.save()
    speaks(acme.customer, "pt-br")
    greeting(acme)
    canned(globex, title="Globex", body="x", title_translations={"de": "Globex-Gruß"})
    ticket = open_ticket(acme)
    (item,) = picker(speaks(acme.agent, "de"), ticket=ticket.number)
    assert item["title"] == "Begrüßung"  # what the German agent picks by
    assert item["rendered"] == "Olá Bia"  # what the Brazilian customer reads
    assert (item["body"], item["language"]) == ("Olá {{ requester.first_name }}", "pt-br")


def test_a_requester_without_a_setting_gets_the_help_desks_default_language(desks):
    acme, _ = desks
    acme.customer.name = "Casey Jones"
    acme.customer.save()
    greeting(acme)
    ticket = open_ticket(acme)
    (item,) = picker(speaks(acme.agent, "de"), ticket=ticket.number)
    assert item["rendered"] == "Hello Casey"
    assert item["language"] == "en"
    # A language the response lacks falls back to the default language's text.
    speaks(acme.customer, "es")
    (item,) = picker(acme.agent, ticket=ticket.number)
    assert (item["rendered"], item["language"]) == ("Hello Casey", "es")


def test_the_chat_console_may_ask_for_a_language(desks):
    acme, _ = desks
    greeting(acme)
    (item,) = picker(speaks(acme.agent, "en"), language="de")
    assert (item["title"], item["body"]) == ("Greeting", "Hallo")
    with translation.override("en"):
        refused = api_client(acme.agent).get(URL, {"language": "xx"})
    assert refused.status_code == 400


def test_an_agent_fills_each_language_of_their_own_response(desks, browse):
    acme, globex = desks
    with_languages(acme, "de")
    agent = browse(acme.agent)
    with translation.override("en"):
        form = agent.get("/t/acme/agent/canned/").content.decode()
    assert 'name="title_de"' in form and 'name="body_de"' in form
    assert "Title (German)" in form and 'name="title_pt_br"' not in form
    saved = agent.post(
        "/t/acme/agent/canned/",
        {"title": "Thanks", "body": "Thanks!", "title_de": "Danke", "body_de": "Danke schön!",
         "status": "", "priority": ""},
    )  # fmt: skip
    assert saved.status_code == 302
    with tenant_scope(acme.tenant):
        mine = CannedResponse.objects.get(owner=acme.agent)
    assert (mine.title_translations, mine.body_translations) == (
        {"de": "Danke"}, {"de": "Danke schön!"},
    )  # fmt: skip
    edit = agent.get(f"/t/acme/agent/canned/{mine.pk}/").content.decode()
    assert 'value="Danke"' in edit and "Danke schön!" in edit
    with tenant_scope(globex.tenant):
        assert not CannedResponse.objects.exists()


def test_an_admin_fills_each_language_of_a_shared_response(desks, browse):
    acme, _ = desks
    with_languages(acme, "ru")
    admin = browse(acme.admin)
    added = admin.post(
        "/t/acme/admin/tickets/cannedresponse/add/",
        {"title": "Welcome", "body": "Hi", "title_ru": "Добро пожаловать",
         "body_ru": "Здравствуйте", "status": "", "priority": ""},
    )  # fmt: skip
    assert added.status_code == 302, added.content.decode()[:2000]
    with tenant_scope(acme.tenant):
        shared = CannedResponse.objects.get(owner=None)
    assert shared.title_translations == {"ru": "Добро пожаловать"}
    assert shared.body_in("ru") == "Здравствуйте" and shared.body_in("de") == "Hi"


def test_the_title_filter_finds_a_response_by_its_title_in_the_agents_language(desks):
    acme, _ = desks
    greeting(acme)
    canned(acme, title="Closing", body="Bye")
    assert [i["title"] for i in picker(speaks(acme.agent, "de"), q="begr")] == ["Begrüßung"]
    assert [i["title"] for i in picker(acme.agent, q="greet")] == ["Begrüßung"]  # stored title
    assert picker(speaks(acme.agent, "en"), q="begr") == []  # not what this agent reads


def test_the_service_keeps_only_the_other_languages_texts(desks):
    """What any caller gives is stored as every other text's translations are (core.texts):
    the default language's value is the column, blank and unknown languages are dropped, and
    each text keeps its own limit in every language."""
    acme, globex = desks
    actor = as_actor(acme, acme.agent)
    with tenant_scope(acme.tenant):
        saved = canned_services.canned_create(
            actor=actor, title="Thanks", body="Thanks!",
            title_translations={"en": "Other", "de": " Danke ", "es": "  ", "xx": "?"},
            body_translations={"de": "Danke!"},
        )  # fmt: skip
        assert (saved.title_translations, saved.body_translations) == (
            {"de": "Danke"}, {"de": "Danke!"},
        )  # fmt: skip
        canned_services.canned_update(
            actor=actor, canned=saved, title="Thanks", body="Thanks!", body_translations={}
        )
        saved.refresh_from_db()
        assert (saved.title_translations, saved.body_translations) == ({"de": "Danke"}, {})
        with pytest.raises(InvalidInput) as too_long:
            canned_services.canned_update(
                actor=actor, canned=saved, title="Thanks", body="Thanks!",
                title_translations={"de": "x" * (TITLE_MAX + 1)},
            )  # fmt: skip
        assert too_long.value.extra == {"field": "title"}
    with tenant_scope(globex.tenant):
        assert not CannedResponse.objects.exists()
