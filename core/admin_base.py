"""Base classes for the admin sites: the platform's at /admin/ and the tenants' at
/t/<tenant>/admin/ (every ModelAdmin of both is a CheckedSelectionMixin: tests check it).

What a tenant admin may do comes from their membership role, never from Django's global
permissions. Querysets and foreign-key choices are filtered by the tenant scope the door
entered; forms put the tenant on the instance before validation so that uniqueness checks that
lead with `tenant` run (Django would otherwise skip a constraint on a field not in the form and
let the database raise).
"""

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import BadRequest, ValidationError
from django.utils.translation import gettext


def tenant_bound(form_class: type[forms.ModelForm], tenant) -> type[forms.ModelForm]:
    class TenantBoundForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if getattr(self.instance, "tenant_id", None) is None:
                self.instance.tenant = tenant

        def _get_validation_exclusions(self):
            exclusions = super()._get_validation_exclusions()
            exclusions.discard("tenant")
            return exclusions

    TenantBoundForm.__name__ = form_class.__name__
    return TenantBoundForm


class TenantPermissionsMixin:
    def _is_tenant_admin(self, request) -> bool:
        membership = getattr(request, "membership", None)
        return membership is not None and membership.is_admin

    def has_module_permission(self, request) -> bool:
        return self._is_tenant_admin(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._is_tenant_admin(request)

    def has_add_permission(self, request, *args) -> bool:
        return self._is_tenant_admin(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._is_tenant_admin(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._is_tenant_admin(request)


class CheckedSelectionMixin:
    """An action on selected rows whose ids cannot exist is a 400, not a 500."""

    def response_action(self, request, queryset):
        # Django filters by the selected ids as sent: one that is no id at all ("abc" for an
        # integer key) raises ValueError inside the admin (a 500).
        key = self.model._meta.pk
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                key.to_python(value)
        except ValidationError:
            raise BadRequest(gettext("The selection names items that cannot exist.")) from None
        return super().response_action(request, queryset)


class CheckedModelAdmin(CheckedSelectionMixin, admin.ModelAdmin):
    """The base of every platform admin (/admin/) that is not Django's UserAdmin."""


class ServiceRefused(Exception):
    """A service refused what an admin form asked, in save_model (see ServiceSaveMixin).
    `status`: the page's (200 as for any invalid form; a ServiceError's own for a refusal)."""

    def __init__(self, detail, *, field: str | None = None, status: int = 200) -> None:
        super().__init__(detail)
        self.detail, self.field, self.status = detail, field, status


class ServiceSaveMixin:
    """For admins whose save is a service call in `save_model` (validation writes nothing).

    A refusal there raises ServiceRefused: the admin's view (one transaction) rolls back, and
    the same POST is shown again with the refusal as a form error. The form gets the refusal
    as `form_class.refusal` (get_form) and reports it from its `clean()` through
    `report_refusal`, so the page is the admin's usual invalid-form page with the status the
    service gave (the API answers the same refusal with the same status).
    """

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.refusal = getattr(request, "service_refusal", None)
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refusal:
            request.service_refusal = refusal
        response = super().changeform_view(request, object_id, form_url, extra_context)
        response.status_code = request.service_refusal.status
        return response


def report_refusal(form: forms.Form) -> None:
    """In a ServiceSaveMixin form's clean(): the refusal of the first pass, as a form error."""
    refusal = getattr(form, "refusal", None)
    if refusal is not None:
        form.add_error(refusal.field if refusal.field in form.fields else None, refusal.detail)


class TenantModelAdmin(TenantPermissionsMixin, CheckedModelAdmin):
    exclude = ("tenant",)

    def get_form(self, request, obj=None, **kwargs):
        return tenant_bound(super().get_form(request, obj, **kwargs), request.tenant)

    def save_model(self, request, obj, form, change) -> None:
        obj.tenant = request.tenant
        super().save_model(request, obj, form, change)


class TenantInline(TenantPermissionsMixin, admin.TabularInline):
    exclude = ("tenant",)
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = tenant_bound(formset.form, request.tenant)
        return formset
