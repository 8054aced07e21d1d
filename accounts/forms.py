from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db import transaction

from accounts import services


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the email goes through the outbox after commit."""

    def save(self, **kwargs) -> None:  # noqa: D102
        email = self.cleaned_data["email"]
        with transaction.atomic():
            for user in self.get_users(email):
                services.send_password_reset(user=user)
