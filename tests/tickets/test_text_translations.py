"""Category and request type names, and priority labels, in each reader's language (issue 14):
pages, form choices, the API, the queue page's labels map (live rows carry values), and the
tenant admin's inputs per language. A language without a value falls back to the tenant's
default language's; another tenant's words never show."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.utils import translation

from accounts.models import Tenant
from accounts.tenancy import tenant_scope
from sla.scheme import LevelSpec, priority_scheme_save
from tests.conftest import api_client, login
from tests.tickets.helpers import member, open_ticket
from tickets import notify
from tickets.agent.reports import in_viewer_language
from tickets.models import Category, RequestType

API = "/api/v1/t/acme"


def speaks(user, code: str):
    """The person's own language setting (what the language middleware reads); tests also
    activate it around their requests."""
    user.language = code
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def texts(desks):
    """Acme: English by default, German and Portuguese too; Globex has its own German words."""
    acme, globex = desks
    tenant = Tenant.objects.get(pk=acme.tenant.pk)
    tenant.languages = ["de", "pt-br"]
    tenant.save()
    with tenant_scope(acme.tenant):
        priority_scheme_save(
            actor=member(acme, acme.admin),
            tenant=tenant,
            levels=[
                LevelSpec("critical", "Severity 1", False, {"de": "Schweregrad 1"}),
                LevelSpec("normal", "Severity 3", True, {"de": "Schweregrad 3"}),
            ],
            default="normal",
        )
        billing = Category.objects.create(
            tenant=acme.tenant, slug="fees", name="Billing",
            name_translations={"de": "Abrechnung", "pt-br": "Faturamento"},
        )  # fmt: skip
        Category.objects.create(tenant=acme.tenant, slug="deals", name="Sales")  # English only
        incident = RequestType.objects.create(
            tenant=acme.tenant, slug="incident", name="Incident", default_priority="normal",
            name_translations={"de": "Störung"},
        )  # fmt: skip
    with tenant_scope(globex.tenant):
        Category.objects.create(
            tenant=globex.tenant, slug="fees", name="Money",
            name_translations={"de": "Globex-Geld"},
        )  # fmt: skip
    return acme, globex, billing, incident


def get_json(user, path: str, language: str) -> dict:
    speaks(user, language)
    with translation.override(language):
        response = api_client(user).get(path)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_api_lists_names_and_labels_in_the_requests_language(texts):
    acme, _globex, _billing, _incident = texts
    categories = get_json(acme.customer, f"{API}/categories/", "de")["results"]
    names = {c["slug"]: c["name"] for c in categories}
    assert (names["fees"], names["deals"]) == ("Abrechnung", "Sales")  # Sales: no German
    types = get_json(acme.customer, f"{API}/request-types/", "de")["results"]
    assert [t["name"] for t in types] == ["Störung"]
    priorities = get_json(acme.customer, f"{API}/priorities/", "de")["results"]
    assert [p["label"] for p in priorities] == ["Schweregrad 1", "Schweregrad 3"]
    # Portuguese: a category has it, the priority labels do not (the default language's).
    categories = get_json(acme.customer, f"{API}/categories/", "pt-br")["results"]
    names = {c["slug"]: c["name"] for c in categories}
    assert (names["fees"], names["deals"]) == ("Faturamento", "Sales")
    assert "Money" not in names.values()  # the outsider's
    priorities = get_json(acme.customer, f"{API}/priorities/", "pt-br")["results"]
    assert [p["label"] for p in priorities] == ["Severity 1", "Severity 3"]


def test_a_tickets_priority_label_in_the_api_is_in_the_requests_language(texts):
    acme, *_ = texts
    ticket = open_ticket(acme)
    item = get_json(acme.customer, f"{API}/tickets/{ticket.number}/", "de")
    assert (item["priority"], item["priority_label"]) == ("normal", "Schweregrad 3")
    item = get_json(acme.customer, f"{API}/tickets/{ticket.number}/", "en")
    assert item["priority_label"] == "Severity 3"


def test_the_ticket_page_and_the_new_ticket_form_speak_the_customers_language(texts):
    acme, _globex, billing, incident = texts
    ticket = open_ticket(acme, category=billing, request_type=incident)
    client = Client()
    login(client, speaks(acme.customer, "de"))
    with translation.override("de"):
        page = client.get(f"/t/acme/tickets/{ticket.number}/").content.decode()
        form = client.get("/t/acme/portal/new/").content.decode()
    assert "Abrechnung" in page and "Störung" in page and "Billing" not in page
    assert re.search(r"<option[^>]*>Abrechnung</option>", form)
    assert re.search(r"<option[^>]*>Sales</option>", form)  # no German: the default's
    assert "Globex-Geld" not in form and "Money" not in form  # the outsider's


def test_the_queue_page_gives_its_script_labels_in_the_viewers_language(texts):
    acme, _globex, billing, _incident = texts
    ticket = open_ticket(acme, category=billing)
    client = Client()
    login(client, speaks(acme.agent, "de"))
    with translation.override("de"):
        page = client.get("/t/acme/agent/").content.decode()
    found = re.search(
        r'<script id="queue-labels" type="application/json">(.*?)</script>', page, re.S
    )
    labels = json.loads(found[1])
    assert labels["priority"]["critical"] == "Schweregrad 1"
    assert labels["priority"]["normal"] == "Schweregrad 3"
    assert (labels["category"]["fees"], labels["category"]["deals"]) == ("Abrechnung", "Sales")
    assert "Globex-Geld" not in page
    # A live row carries values, which the script looks up in that map (static/agent/queue.js),
    # whoever's action raised it and in whatever language they work.
    speaks(acme.admin, "pt-br")
    with tenant_scope(acme.tenant), translation.override("pt-br"):
        row = notify.queue_frame(ticket, "ticket.updated")["ticket"]
    assert (row["priority"], row["category"]) == ("normal", "fees")
    assert row["priority_label"] == "Severity 3"  # the tenant's default, not the causer's
    assert labels["priority"][row["priority"]] == "Schweregrad 3"
    assert labels["category"][row["category"]] == "Abrechnung"


def test_the_tenant_admin_saves_a_category_and_a_request_type_in_each_language(texts):
    acme, globex, *_ = texts
    client = Client()
    login(client, acme.admin)
    with translation.override("en"):
        form = client.get("/t/acme/admin/tickets/category/add/").content.decode()
    assert 'name="name_de"' in form and 'name="name_pt_br"' in form
    assert "Name (German)" in form and "Name (English)" in form
    assert "name_translations" not in form and 'name="name_es"' not in form
    response = client.post(
        "/t/acme/admin/tickets/category/add/",
        {"name": "Hardware", "slug": "hardware", "is_active": "on", "name_de": "Technik",
         "name_pt_br": "Técnico"},
    )  # fmt: skip
    assert response.status_code == 302, re.findall(r"errorlist.{0,300}", response.content.decode())
    response = client.post(
        "/t/acme/admin/tickets/requesttype/add/",
        {"name": "Problem", "slug": "problem", "default_priority": "normal", "is_active": "on",
         "name_de": "Problem (DE)", "name_pt_br": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_scope(acme.tenant):
        technical = Category.objects.get(slug="hardware")
        problem = RequestType.objects.get(slug="problem")
    assert technical.name_translations == {"de": "Technik", "pt-br": "Técnico"}
    assert problem.name_translations == {"de": "Problem (DE)"}  # an empty one is not stored
    edit = client.get(f"/t/acme/admin/tickets/category/{technical.pk}/change/").content.decode()
    assert 'value="Technik"' in edit
    with tenant_scope(globex.tenant):
        assert not Category.objects.filter(slug="hardware").exists()


def test_an_overlong_name_in_another_language_is_a_form_error(texts):
    acme, *_ = texts
    client = Client()
    login(client, acme.admin)
    response = client.post(
        "/t/acme/admin/tickets/category/add/",
        {"name": "Hardware", "slug": "hardware", "name_de": "x" * 101},
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    with tenant_scope(acme.tenant):
        assert not Category.objects.filter(slug="hardware").exists()


def test_reports_name_categories_in_the_viewers_language(texts):
    acme, *_ = texts
    report = {"tickets": 2, "by_category": {"fees": {"name": "Billing", "tickets": 2}}}
    tenant = Tenant.objects.get(pk=acme.tenant.pk)
    with tenant_scope(acme.tenant):
        with translation.override("de"):
            german = in_viewer_language(report, tenant)
        with translation.override("en"):
            english = in_viewer_language(report, tenant)
    assert german["by_category"]["fees"]["name"] == "Abrechnung"
    assert english["by_category"]["fees"]["name"] == "Billing"
    assert report["by_category"]["fees"]["name"] == "Billing"  # the shared report is untouched
