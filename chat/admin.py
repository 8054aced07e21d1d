"""The tenant admin's chat settings (/t/<tenant>/admin/chat/chatsettings/)."""

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _

from accounts.admin_site import tenant_admin_site
from chat.models import ChatSettings, normalize_origin
from core.admin_base import TenantModelAdmin


def origin_problem(line: str) -> str | None:
    parts = urlsplit(line)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("%(line)s is not an origin such as https://shop.example.com.") % {"line": line}
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return _("%(line)s has more than scheme, host and port.") % {"line": line}
    return None


class ChatSettingsForm(forms.ModelForm):
    class Meta:
        model = ChatSettings
        fields = [
            "allowed_origins",
            "always_open",
            "queue_when_no_agent",
            "wait_limit_minutes",
            "max_waiting",
        ]

    def clean_allowed_origins(self) -> str:
        lines = [normalize_origin(line) for line in self.cleaned_data["allowed_origins"].split()]
        problems = [p for p in (origin_problem(line) for line in lines if line) if p]
        if problems:
            raise forms.ValidationError(problems)
        return "\n".join(dict.fromkeys(line for line in lines if line))


@admin.register(ChatSettings, site=tenant_admin_site)
class ChatSettingsAdmin(TenantModelAdmin):
    form = ChatSettingsForm
    list_display = ["__str__", "always_open", "queue_when_no_agent", "wait_limit_minutes"]
    fields = [
        "allowed_origins",
        "always_open",
        "queue_when_no_agent",
        "wait_limit_minutes",
        "max_waiting",
        "identity_secret",
    ]
    readonly_fields = ["identity_secret"]

    def has_add_permission(self, request, *args) -> bool:
        return super().has_add_permission(request) and not ChatSettings.objects.exists()
