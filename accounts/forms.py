from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts import services


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the email goes through the outbox after commit."""

    def save(self, **kwargs) -> None:  # noqa: D102
        email = self.cleaned_data["email"]
        with transaction.atomic():
            for user in self.get_users(email):
                services.send_password_reset(user=user)


class LanguageForm(forms.Form):
    """A person's own language (issue 14). The languages are named in their own language, so
    each is found by those who read it."""

    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("My help desk's language")), *settings.LANGUAGES],
        help_text=_("The help desk's pages and the emails it sends you use this language."),
    )


class TenantLanguagesForm(forms.Form):
    """A tenant's default language and the others it offers (its admins only)."""

    default_language = forms.ChoiceField(
        label=_("Default language"),
        choices=settings.LANGUAGES,
        help_text=_(
            "What people read who chose no language of their own, and the language the help "
            "desk's own texts fall back to."
        ),
    )
    languages = forms.MultipleChoiceField(
        label=_("Other languages"),
        required=False,
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Languages your texts are written in besides the default one."),
    )
