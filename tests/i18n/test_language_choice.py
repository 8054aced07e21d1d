"""Whose language a request speaks (issue 14): own setting > visitor's choice > tenant's
default > Accept-Language > English; how a person and a tenant choose."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.admin import TenantForm
from accounts.models import AuditEntry
from accounts.tenancy import tenant_scope
from tests.conftest import api_client, login

pytestmark = pytest.mark.django_db


def spoken(response) -> str:
    return response["Content-Language"]


@pytest.fixture
def tenants(acme, globex):
    """acme speaks German by default; the outsider globex Spanish."""
    acme.tenant.default_language = "de"
    acme.tenant.save()
    globex.tenant.default_language = "es"
    globex.tenant.save()
    return acme, globex


def test_the_persons_own_setting_comes_first(tenants):
    acme, _globex = tenants
    acme.customer.language = "ru"
    acme.customer.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="pt-BR")
    client.cookies["helpdesk_language"] = "es"
    login(client, acme.customer)
    response = client.get("/t/acme/portal/")
    assert response.status_code == 200 and spoken(response) == "ru"
    assert '<html lang="ru">' in response.content.decode()
    assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]


def test_without_one_the_tenants_default_language_wins_over_the_browser(tenants):
    acme, globex = tenants
    client = Client(HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9")
    login(client, acme.customer)
    assert spoken(client.get("/t/acme/portal/")) == "de"
    # The outsider's tenant speaks its own default to its own people.
    other = Client(HTTP_ACCEPT_LANGUAGE="pt-BR")
    login(other, globex.customer)
    assert spoken(other.get("/t/globex/portal/")) == "es"


def test_a_tenant_names_its_language_in_the_api_and_the_tenant_admin(tenants):
    acme, globex = tenants
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    assert spoken(client.get("/api/v1/t/globex/chat/availability/")) == "es"
    login(client, acme.admin)
    assert spoken(client.get("/t/acme/admin/")) == "de"


def test_without_a_tenant_the_browser_decides_then_english(tenants):
    assert spoken(Client(HTTP_ACCEPT_LANGUAGE="pt-BR,de;q=0.5").get("/accounts/login/")) == "pt-br"
    assert spoken(Client(HTTP_ACCEPT_LANGUAGE="ja, de-AT;q=0.4").get("/accounts/login/")) == "de"
    assert spoken(Client(HTTP_ACCEPT_LANGUAGE="ja").get("/accounts/login/")) == "en"
    assert spoken(Client().get("/accounts/login/")) == "en"


def test_a_visitors_choice_on_the_login_page_beats_the_browser(tenants):
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    page = client.get("/accounts/login/").content.decode()
    assert 'data-testid="language-switch"' in page and 'action="/i18n/setlang/"' in page
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert spoken(client.get("/accounts/login/")) == "ru"
    # The contact page of a tenant: the visitor's choice beats the tenant's default too.
    assert spoken(client.get("/t/acme/contact/")) == "ru"
    assert spoken(Client().get("/t/acme/contact/")) == "de"


def test_an_unknown_tenant_is_no_language(tenants):
    response = Client(HTTP_ACCEPT_LANGUAGE="ru").get("/t/nowhere/portal/")
    assert spoken(response) == "ru"


def test_an_api_token_speaks_its_owners_language(tenants):
    acme, _globex = tenants
    acme.agent.language = "ru"
    acme.agent.save()
    response = api_client(acme.agent).get("/api/v1/t/acme/tickets/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200 and spoken(response) == "ru"
    # Without an own language: the tenant's, for the API as for pages.
    response = api_client(acme.tier2).get("/api/v1/t/acme/tickets/", HTTP_ACCEPT_LANGUAGE="es")
    assert spoken(response) == "de"


def test_a_changed_default_is_spoken_at_once_and_costs_no_query(tenants):
    acme, _globex = tenants
    visitor = Client()
    assert spoken(visitor.get("/t/acme/contact/")) == "de"
    acme.tenant.default_language = "ru"
    acme.tenant.save()
    # The tenant's language comes with the door's own read of the tenant: a page in the
    # tenant's default costs no more queries than one in a language the visitor chose.
    chooser = Client()
    chooser.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    with CaptureQueriesContext(connection) as chosen:
        assert spoken(chooser.get("/t/acme/contact/")) == "es"
    with CaptureQueriesContext(connection) as by_default:
        assert spoken(visitor.get("/t/acme/contact/")) == "ru"
    assert len(by_default) == len(chosen)


def test_a_person_chooses_their_language_in_settings_from_any_page(tenants):
    acme, globex = tenants
    client = Client()
    login(client, acme.agent)
    page = client.get("/t/acme/agent/").content.decode()
    assert 'data-testid="nav-settings"' in page
    response = client.post("/accounts/settings/", {"language": "pt-br", "next": "/t/acme/agent/"})
    assert response.status_code == 302 and response["Location"] == "/t/acme/agent/"
    acme.agent.refresh_from_db()
    assert acme.agent.language == "pt-br"
    assert spoken(client.get("/t/acme/agent/")) == "pt-br"
    # Back to the help desk's own; a language that is not offered is a form error.
    client.post("/accounts/settings/", {"language": ""})
    acme.agent.refresh_from_db()
    assert acme.agent.language == ""
    refused = client.post("/accounts/settings/", {"language": "fr"})
    assert refused.status_code == 200 and 'class="errorlist"' in refused.content.decode()
    # A next that leaves the site is not followed.
    response = client.post("/accounts/settings/", {"language": "de", "next": "https://evil.test/"})
    assert response["Location"] == "/accounts/settings/"
    globex.customer.refresh_from_db()
    assert globex.customer.language == ""  # the outsider's person is untouched


def test_the_api_reads_and_sets_my_language(tenants):
    acme, _globex = tenants
    client = api_client(acme.customer)
    assert client.get("/api/v1/me/").json()["language"] == ""
    response = client.patch("/api/v1/me/", {"language": "es"}, format="json")
    assert response.status_code == 200 and response.json()["language"] == "es"
    assert spoken(response) == "es"
    assert response.json()["memberships"][0]["tenant"] == "acme"
    refused = client.patch("/api/v1/me/", {"language": "klingon"}, format="json")
    assert refused.status_code == 400 and "language" in refused.json()
    acme.customer.refresh_from_db()
    assert acme.customer.language == "es"


def test_tenant_admins_choose_the_default_and_the_other_languages(tenants):
    acme, globex = tenants
    client = Client()
    login(client, acme.admin)
    assert client.get("/t/acme/languages/").status_code == 200
    response = client.post(
        "/t/acme/languages/", {"default_language": "pt-br", "languages": ["ru", "de", "pt-br"]}
    )
    assert response.status_code == 302
    acme.tenant.refresh_from_db()
    assert acme.tenant.default_language == "pt-br"
    assert acme.tenant.languages == ["de", "ru"]  # LANGUAGES' order, the default not repeated
    with tenant_scope(acme.tenant):
        entry = AuditEntry.objects.get(type="languages_changed")
    assert entry.data["default_language"] == ["de", "pt-br"]
    refused = client.post("/t/acme/languages/", {"default_language": "fr"})
    assert refused.status_code == 200 and 'class="errorlist"' in refused.content.decode()
    # An agent may not; an admin of another tenant gets the same 404 as a missing tenant.
    agent = Client()
    login(agent, acme.agent)
    assert agent.post("/t/acme/languages/", {"default_language": "ru"}).status_code == 403
    outsider = Client()
    login(outsider, globex.admin)
    assert outsider.post("/t/acme/languages/", {"default_language": "ru"}).status_code == 404
    acme.tenant.refresh_from_db()
    assert acme.tenant.default_language == "pt-br"
    # The tenant admin's index links to the page.
    index = client.get("/t/acme/admin/").content.decode()
    assert 'href="/t/acme/languages/"' in index


def test_drfs_own_errors_speak_the_tenants_language(tenants):
    # DRF ships its German catalog: the 401 of a German help desk is German already.
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/t/acme/tickets/")
    assert response.status_code == 401 and spoken(response) == "de"
    with translation.override("de"):
        german = translation.gettext("Authentication credentials were not provided.")
    assert german != "Authentication credentials were not provided."
    assert response.json()["detail"] == german


def test_the_platform_admin_offers_only_the_installations_languages(tenants):
    acme, _globex = tenants
    form = TenantForm(
        instance=acme.tenant,
        data={
            "slug": "acme",
            "name": "Acme",
            "timezone": "Europe/Berlin",
            "reference_prefix": "ACME",
            "default_language": "de",
            "languages": ["ru", "de", "en"],
        },
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["languages"] == ["en", "ru"]
    form = TenantForm(instance=acme.tenant, data={**form.data, "languages": ["fr"]})
    assert not form.is_valid() and "languages" in form.errors
