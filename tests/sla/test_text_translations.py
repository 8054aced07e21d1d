"""Priority labels in several languages (issue 14): the scheme keeps every language's labels
and shows each person the active language's, else the tenant's default language's; the tenant
admin's page saves each language; the presets ship all five and set the tenant's languages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import Tenant
from accounts.tenancy import tenant_scope
from core.i18n import CODES
from sla import presets
from sla.presets.service import apply_preset, system_actor
from sla.scheme import LevelSpec, priority_scheme, priority_scheme_save
from tests.conftest import login
from tests.sla.test_priority_scheme_admin import PAGE, scheme_form
from tests.tickets.helpers import as_actor
from tickets.models import Category, RequestType

GERMAN_SEVERITIES = [
    LevelSpec("critical", "Severity 1", False, {"de": "Schweregrad 1", "ru": "Критичность 1"}),
    LevelSpec("high", "Severity 2", True, {"de": "Schweregrad 2"}),
    LevelSpec("normal", "Severity 3", True, {}),
]


def fresh(desk) -> Tenant:
    return Tenant.objects.get(pk=desk.tenant.pk)


def save_scheme(desk, levels=GERMAN_SEVERITIES, default="normal") -> None:
    with tenant_scope(desk.tenant):
        priority_scheme_save(
            actor=as_actor(desk, desk.admin), tenant=fresh(desk), levels=levels, default=default
        )


def test_a_label_is_shown_in_the_active_language_else_the_default_languages(acme):
    save_scheme(acme)
    scheme = priority_scheme(fresh(acme))
    with translation.override("de"):
        assert scheme.label("critical") == "Schweregrad 1"
        assert scheme.labels["high"] == "Schweregrad 2"
        assert scheme.label("normal") == "Severity 3"  # no German: the default language's
        assert scheme.choices(staff=True)[0] == ("critical", "Schweregrad 1")
    with translation.override("pt-br"):
        assert scheme.label("critical") == "Severity 1"
    assert scheme.label("critical", "ru") == "Критичность 1"
    assert scheme.label("critical", "en") == "Severity 1"


def test_the_cached_scheme_answers_every_language_without_a_query(acme):
    save_scheme(acme)
    tenant = fresh(acme)
    priority_scheme(tenant)  # read once for this stamp
    seen = []
    with CaptureQueriesContext(connection) as queries:
        for code in CODES:
            with translation.override(code):
                seen.append(priority_scheme(tenant).labels["critical"])
    assert len(queries) == 0
    assert seen == ["Severity 1", "Severity 1", "Schweregrad 1", "Severity 1", "Критичность 1"]


def test_another_tenants_translations_never_show_here(acme, globex):
    save_scheme(globex)
    with tenant_scope(acme.tenant), translation.override("de"):
        # Its own canonical name, in the catalog's German: never the other tenant's words.
        assert priority_scheme(fresh(acme)).label("critical") == "Kritisch"
    assert priority_scheme(fresh(globex)).label("critical", "de") == "Schweregrad 1"


def test_saving_without_translations_keeps_them_and_an_overlong_one_is_refused(acme):
    save_scheme(acme)
    save_scheme(
        acme, [LevelSpec(s.priority, s.label, s.customer_may_choose) for s in GERMAN_SEVERITIES]
    )
    assert priority_scheme(fresh(acme)).label("critical", "de") == "Schweregrad 1"
    too_long = [LevelSpec("normal", "Severity 3", True, {"de": "x" * 61})]
    with pytest.raises(Exception) as refused:
        save_scheme(acme, too_long)
    assert "at most 60 characters" in str(refused.value)


def test_the_admin_page_has_a_label_input_per_language_and_saves_each(client, acme, globex):
    tenant = fresh(acme)
    tenant.languages = ["de", "pt-br"]
    tenant.save()
    login(client, acme.admin)
    with translation.override("en"):
        page = client.get(PAGE).content.decode()
    assert 'name="levels-0-label_de"' in page and 'name="levels-0-label_pt_br"' in page
    assert "Label (German)" in page and "Label (Brazilian Portuguese)" in page
    assert "Label (English)" in page
    assert 'name="levels-0-label_es"' not in page  # not one of this tenant's languages
    data = scheme_form(
        {
            "critical": {"in_use": True, "label": "Severity 1"},
            "normal": {"in_use": True, "label": "Severity 3"},
        },
        "normal",
    )
    data["levels-0-label_de"] = "Schweregrad 1"
    data["levels-0-label_pt_br"] = "Severidade 1"
    response = client.post(PAGE, data)
    assert response.status_code == 302
    scheme = priority_scheme(fresh(acme))
    assert scheme.label("critical", "de") == "Schweregrad 1"
    assert scheme.label("critical", "pt-br") == "Severidade 1"
    assert scheme.label("critical", "en") == "Severity 1"
    assert priority_scheme(fresh(globex)).label("critical", "de") == "Kritisch"  # the catalog's
    # The page shows each language's stored label back.
    assert 'value="Schweregrad 1"' in client.get(PAGE).content.decode()


def test_an_overlong_label_in_another_language_is_a_form_error(client, acme):
    tenant = fresh(acme)
    tenant.languages = ["de"]
    tenant.save()
    login(client, acme.admin)
    data = scheme_form({"normal": {"in_use": True, "label": "Severity 3"}}, "normal")
    data["levels-3-label_de"] = "x" * 61
    response = client.post(PAGE, data)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert priority_scheme(fresh(acme)).label("normal", "de") != "x" * 61


@pytest.mark.parametrize("preset_id", presets.PRESET_IDS)
def test_every_preset_ships_its_texts_in_all_five_languages(preset_id):
    preset = presets.load(preset_id)
    texts = {level.label for level in preset.levels} | set(preset.categories)
    texts |= {request_type.name for request_type in preset.request_types}
    for text in texts:
        assert set(preset.texts(text)) == set(CODES), text


def test_a_preset_sets_the_tenants_languages_and_applies_its_five(acme, globex):
    preset = presets.load("plans-24x7")
    with tenant_scope(acme.tenant):
        applied = apply_preset(actor=system_actor(acme.tenant), tenant=fresh(acme), preset=preset)
        categories = {c.name: c for c in Category.objects.all()}
    assert "languages set: en, pt-br, de, es, ru" in applied.changes
    tenant = fresh(acme)
    assert tenant.default_language == "en"  # kept: the preset names no default
    assert tenant.languages == ["pt-br", "de", "es", "ru"]
    scheme = priority_scheme(tenant)
    assert [scheme.label("critical", code) for code in CODES] == [
        "Severity 1", "Severidade 1", "Schweregrad 1", "Severidad 1", "Критичность 1",
    ]  # fmt: skip
    with translation.override("de"):
        assert str(categories["Billing"]) == "Abrechnung"
    with translation.override("ru"):
        assert categories["Account access"].display_name == "Доступ к учётной записи"
    assert fresh(globex).languages == []  # the outsider is untouched
    assert priority_scheme(fresh(globex)).label("critical", "de") == "Kritisch"  # the catalog's


def test_a_german_tenant_gets_the_presets_german_words_as_its_own(acme):
    tenant = fresh(acme)
    tenant.default_language = "de"
    tenant.save()
    preset = presets.load("plans-three-priorities")
    with tenant_scope(acme.tenant):
        apply_preset(actor=system_actor(acme.tenant), tenant=fresh(acme), preset=preset)
        incident = RequestType.objects.get(slug="incident")
        platform = Category.objects.get(name="Plattform")
    assert incident.name == "Störung"  # the column is the default language's
    assert incident.name_translations["en"] == "Incident"
    assert "de" not in incident.name_translations
    assert platform.name_translations["es"] == "Plataforma"
    assert priority_scheme(fresh(acme)).label("critical", "de") == "1 – Dienst nicht verfügbar"
    with translation.override("en"):
        assert incident.display_name == "Incident"
