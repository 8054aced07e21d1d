"""Forms for tenant-editable texts in several languages (core.texts): beside each such field
(the tenant's default language's value), one input per other language of the tenant.

The inputs are declared on a class made per tenant (`with_languages`), so that Django's admin,
which lays out a form from its class's fields, shows them too; each is labelled with its
language's name, in the order of `core.i18n.tenant_languages` (the default first).
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from core.i18n import tenant_languages
from core.texts import translations_of


def language_name(code: str) -> str:
    """The language's name in the active language (`Deutsch` is `German` to an English admin)."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def _field_label(field, name: str) -> str:
    label = field.label if field is not None else None
    return str(label or name.replace("_", " ").capitalize())


def language_field_name(field: str, code: str) -> str:
    return f"{field}_{code.replace('-', '_')}"


def ordered_with_languages(names: list[str], spec, others) -> list[str]:
    """`names` with each translated field's language inputs right after it."""
    extra = {language_field_name(field, code) for field in spec for code in others}
    ordered = []
    for name in names:
        if name in extra:
            continue
        ordered.append(name)
        if name in spec:
            ordered += [language_field_name(name, code) for code in others]
    return ordered


class LanguageFieldsMixin:
    """Mixed in by `with_languages`. `language_spec`: field -> (max length or None, textarea)."""

    language_spec: dict[str, tuple[int | None, bool]] = {}
    default_language: str = "en"
    other_languages: tuple[str, ...] = ()

    def __init__(self, *args, texts_of=None, **kwargs):
        """`texts_of`: the object whose translations fill the inputs (a ModelForm's own
        instance when not given)."""
        super().__init__(*args, **kwargs)
        instance = texts_of if texts_of is not None else getattr(self, "instance", None)
        for field in self.language_spec:
            stored = getattr(instance, f"{field}_translations", None)
            for name, text in self.language_initial(field, stored).items():
                if name in self.fields:
                    self.initial.setdefault(name, text)
        self._label_defaults()
        self.order_fields(
            ordered_with_languages(list(self.fields), self.language_spec, self.other_languages)
        )

    @classmethod
    def language_initial(cls, field: str, stored: Mapping[str, str] | None) -> dict[str, str]:
        """The initial values of `field`'s other languages' inputs, from its stored
        translations ({language: text}); for a form with no object to read them from (a
        formset's rows), pass them in its `initial`."""
        stored = stored or {}
        return {
            language_field_name(field, code): stored[code]
            for code in cls.other_languages
            if stored.get(code)
        }

    def _label_defaults(self) -> None:
        """The default language's input is the field itself: say which language it is."""
        for field in self.language_spec:
            if field in self.fields:
                bound = self.fields[field]
                bound.label = _("%(field)s (%(language)s)") % {
                    "field": _field_label(bound, field),
                    "language": language_name(self.default_language),
                }
                bound.widget.attrs.setdefault("lang", self.default_language)

    def translations(self, field: str) -> dict[str, str]:
        """{language: text} of the other languages' inputs of `field` (empty ones left out)."""
        values = {
            code: self.cleaned_data.get(language_field_name(field, code)) or ""
            for code in self.other_languages
        }
        return translations_of(values, self.default_language)

    def translated_values(self) -> dict[str, dict[str, str]]:
        """`{"<field>_translations": {language: text}}` for every field of the spec: the
        keyword arguments of the services, the attributes of the models (core.texts)."""
        return {f"{field}_translations": self.translations(field) for field in self.language_spec}

    def language_fields(self, field: str) -> list:
        """The bound inputs of `field`'s other languages (for a template laying them out)."""
        return [self[language_field_name(field, code)] for code in self.other_languages]


def with_languages(form_class: type, tenant, spec: dict[str, tuple[int | None, bool]]) -> type:
    """`form_class` with one input per other language of `tenant` for each field of `spec`
    (field -> (max length or None, textarea)); the field itself is labelled with the default
    language's name."""
    default, *others = tenant_languages(tenant)
    attrs: dict = {
        "language_spec": spec,
        "default_language": default,
        "other_languages": tuple(others),
        "__module__": form_class.__module__,
    }
    for field, (max_length, textarea) in spec.items():
        label = _field_label(form_class.base_fields.get(field), field)
        for code in others:
            attrs[language_field_name(field, code)] = forms.CharField(
                required=False,
                max_length=max_length,
                strip=True,
                widget=forms.Textarea(attrs={"rows": 4, "lang": code})
                if textarea
                else forms.TextInput(attrs={"lang": code}),
                label=_("%(field)s (%(language)s)")
                % {"field": label, "language": language_name(code)},
            )
    return type(f"{form_class.__name__}InLanguages", (LanguageFieldsMixin, form_class), attrs)


class LanguageFieldsAdminMixin:
    """For a tenant admin's ModelAdmin: its form gets the inputs of `with_languages` for
    `language_spec`, laid out right after their field. The stored translations are written by
    the admin's save (`form.translations(field)`)."""

    language_spec: dict[str, tuple[int | None, bool]] = {}

    def get_form(self, request, obj=None, **kwargs):
        base = kwargs.get("form", self.form)
        kwargs["form"] = with_languages(base, request.tenant, self.language_spec)
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        names = list(super().get_fields(request, obj))
        others = tenant_languages(request.tenant)[1:]
        return ordered_with_languages(names, self.language_spec, others)
