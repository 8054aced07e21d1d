"""Issue 14: every string a person reads in tickets, sla and chat goes through translation.

Two checks that keep new code covered: model fields' verbose_name/help_text are lazy
translations (not plain str), and the templates of those apps have no words outside
{% translate %}/{% blocktranslate %} (tests/tickets/template_lint.py).
"""

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise

from tests.conftest import login
from tests.tickets.helpers import open_ticket
from tests.tickets.template_lint import untranslated_text

APPS = ("tickets", "sla", "chat")
TEMPLATE_DIRS = ("agent", "tickets", "sla", "chat")
# Emails are i18n-core's (they are rendered under translation.override, linted there).
SKIP_DIRS = ("tickets/email", "chat/email")


def _plain(value):
    return isinstance(value, str) and not isinstance(value, Promise) and value != ""


def _fields():
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields(include_hidden=False):
                if field.auto_created:
                    continue  # the primary key, reverse relations: Django or the other side
                if field.name == "tenant" and field.related_model._meta.label == "accounts.Tenant":
                    continue  # accounts.tenancy.tenant_key's column: accounts' to name
                yield model, field


AUTONYMS = set(settings.LANGUAGES)


def test_model_fields_labels_are_lazy_translations():
    untranslated = []
    for model, field in _fields():
        label = f"{model._meta.label}.{field.name}"
        # An unset verbose_name is derived from the field's name: English no catalog holds.
        if _plain(getattr(field, "verbose_name", "")):
            untranslated.append(f"{label}: verbose_name {field.verbose_name!r}")
        if _plain(getattr(field, "help_text", "")):
            untranslated.append(f"{label}: help_text {field.help_text!r}")
        for value, text in getattr(field, "flatchoices", None) or ():
            # A language is named in itself ("Deutsch"), as Django's own language menus do.
            if (value, text) in AUTONYMS:
                continue
            if _plain(text) and text != value:
                untranslated.append(f"{label}: choice {value!r} label {text!r}")
    assert untranslated == [], "\n".join(untranslated)


def test_models_name_themselves_in_translation():
    untranslated = [
        f"{model._meta.label}: {attr} {getattr(model._meta, attr)!r}"
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        for attr in ("verbose_name", "verbose_name_plural")
        if attr not in model._meta.original_attrs or _plain(getattr(model._meta, attr))
    ]
    assert untranslated == [], "\n".join(untranslated)


def _templates():
    root = Path(settings.BASE_DIR) / "templates"
    for folder in TEMPLATE_DIRS:
        for path in sorted((root / folder).rglob("*.html")):
            relative = path.relative_to(root).as_posix()
            if not relative.startswith(SKIP_DIRS):
                yield relative, path


@pytest.mark.parametrize("name", [name for name, _ in _templates()])
def test_template_words_are_translated(name):
    path = Path(settings.BASE_DIR) / "templates" / name
    found = untranslated_text(path.read_text())
    assert found == [], "\n".join(f"templates/{name}:{line}: {text!r}" for line, text in found)


def test_the_lint_finds_words_outside_translate_tags():
    """The lint itself: it must flag what the tests above rely on it to flag."""
    source = (
        "{% load i18n %}<h1>{% translate 'Fine' %}</h1>\n"
        "<p>Opened {{ when }} · →</p>\n"
        '<a title="Next ticket">{{ x }}</a>'
        "{% blocktranslate %}Fine {{ x }}{% endblocktranslate %}\n"
        '<time>{{ t|date:"Y-m-d H:i" }}</time><kbd>Ctrl</kbd>{# a comment #}'
    )
    assert untranslated_text(source) == [
        (2, "Opened · →"),
        (3, 'title="Next ticket"'),
        (4, 'date:"Y-m-d H:i"'),
    ]


@pytest.mark.parametrize(
    ("language", "shape"), [("en", "%Y-%m-%d %H:%M"), ("de", "%d.%m.%Y %H:%M")]
)
def test_the_ticket_page_prints_times_in_the_readers_format_and_the_tenants_zone(
    client, desks, language, shape
):
    """The portal's ticket page writes its times in the language's SHORT_DATETIME_FORMAT (not a
    hard-coded one), in the tenant's zone with the zone named; an outsider's zone plays no part."""
    acme, globex = desks  # acme: Europe/Berlin; globex (New York) is the outsider
    ticket = open_ticket(acme)
    acme.customer.language = language
    acme.customer.save(update_fields=["language"])
    login(client, acme.customer)
    with translation.override(language):
        page = client.get(f"/t/acme/tickets/{ticket.number}/").content.decode()
    berlin = ticket.created_at.astimezone(ZoneInfo("Europe/Berlin"))
    new_york = ticket.created_at.astimezone(ZoneInfo(globex.tenant.timezone))
    assert berlin.strftime(shape) in page
    assert berlin.strftime("%H:%M") != new_york.strftime("%H:%M")
    assert new_york.strftime(shape) not in page
    assert "Europe/Berlin" in page  # the zone is named
