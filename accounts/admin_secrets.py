"""The tenant admin's secret patterns (accounts.redaction does the validation and the save)."""

from django import forms
from django.contrib import admin

from accounts import redaction
from accounts.admin_site import tenant_admin_site
from accounts.models import SecretPattern
from core.admin_base import TenantModelAdmin


class SecretPatternForm(forms.ModelForm):
    # No Meta: the admin's form factory builds the fields inside the tenant scope.

    def clean_pattern(self) -> str:
        pattern = self.cleaned_data["pattern"]
        redaction.check_pattern(pattern)
        return pattern

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        redaction.check_name(name)
        return name

    def clean(self):
        cleaned = super().clean()
        redaction.check_room(self.instance)  # the service's own cap, as a form error
        return cleaned


@admin.register(SecretPattern, site=tenant_admin_site)
class SecretPatternAdmin(TenantModelAdmin):
    form = SecretPatternForm
    list_display = ["name", "pattern", "is_active", "created_at"]
    fields = ["name", "pattern", "is_active"]

    def save_model(self, request, obj, form, change) -> None:
        redaction.secret_pattern_save(actor=request.membership, tenant=request.tenant, pattern=obj)

    def delete_model(self, request, obj) -> None:
        redaction.secret_pattern_delete(
            actor=request.membership, tenant=request.tenant, pattern=obj
        )

    def delete_queryset(self, request, queryset) -> None:
        for pattern in queryset:
            redaction.secret_pattern_delete(
                actor=request.membership, tenant=request.tenant, pattern=pattern
            )
