"""The tenant admin's "Priority scheme" page: one form for the five canonical priorities (in
use, label, default, customer may choose), saved through `sla.scheme.priority_scheme_save`
like every other door, so the same checks apply and the audit trail records the change.

One page rather than Django's list of rows: the rules hold across rows (at least one in use,
exactly one default, the default in use), and a tenant without rows yet (created after the
migration) still sees its five priorities under their canonical names.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import formset_factory
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_site import tenant_admin_site
from core.admin_base import TenantModelAdmin
from core.errors import ServiceError
from core.text_forms import with_languages
from sla.models import PriorityLevel
from sla.priorities import Priority
from sla.scheme import LABEL_MAX, LevelSpec, priority_scheme, priority_scheme_save


class LevelForm(forms.Form):
    priority = forms.ChoiceField(choices=Priority.choices, widget=forms.HiddenInput)
    in_use = forms.BooleanField(required=False, label=gettext_lazy("In use"))
    label = forms.CharField(max_length=LABEL_MAX, required=False, label=gettext_lazy("Label"))
    customer_may_choose = forms.BooleanField(
        required=False, label=gettext_lazy("Customers may choose it")
    )


class BaseLevelFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        values = [form.cleaned_data["priority"] for form in self.forms]
        if sorted(values) != sorted(Priority.values):
            raise ValidationError(_("Send each of the five priorities once."))

    def specs(self) -> list[LevelSpec]:
        return [
            LevelSpec(
                priority=form.cleaned_data["priority"],
                label=form.cleaned_data["label"] or "",
                customer_may_choose=form.cleaned_data["customer_may_choose"],
                translations=form.translations("label"),
            )
            for form in self.forms
            if form.cleaned_data["in_use"]
        ]


def level_formset(tenant) -> type[BaseLevelFormSet]:
    """The formset of the tenant's page: a label input per language of the tenant."""
    form = with_languages(LevelForm, tenant, {"label": (LABEL_MAX, False)})
    return formset_factory(
        form, formset=BaseLevelFormSet, extra=0, max_num=5, absolute_max=5, validate_max=True
    )


class DefaultForm(forms.Form):
    default = forms.ChoiceField(
        choices=Priority.choices,
        label=gettext_lazy("Default priority"),
        help_text=gettext_lazy("New tickets get it when nobody chooses one."),
    )


@admin.register(PriorityLevel, site=tenant_admin_site)
class PrioritySchemeAdmin(TenantModelAdmin):
    """Only the one page: the list is the form (no add, change or delete pages of rows)."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(self.scheme_view)
        return [path("", view, name="{}_{}_changelist".format(*info))]

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def scheme_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied  # the site's door has already refused non-admins
        scheme = priority_scheme(request.tenant)
        formset_class = level_formset(request.tenant)
        initial = [
            {
                "priority": level.priority,
                "in_use": level.in_use,
                # The stored words (the default language's), not the page's language's.
                "label": level.stored_label,
                "customer_may_choose": level.customer_may_choose,
                **formset_class.form.language_initial("label", level.translations),
            }
            for level in scheme.levels
        ]
        formset = formset_class(request.POST or None, initial=initial, prefix="levels")
        default = DefaultForm(request.POST or None, initial={"default": scheme.default})
        status = 200  # an invalid form is the admin's usual page; a refusal has its own status
        if request.method == "POST" and formset.is_valid() and default.is_valid():
            try:
                changed = priority_scheme_save(
                    actor=request.membership,
                    tenant=request.tenant,
                    levels=formset.specs(),
                    default=default.cleaned_data["default"],
                )
            except ValidationError as error:
                self._report(error, formset, default)
            except ServiceError as error:
                formset._non_form_errors = formset.error_class([error.detail])
                status = error.status
            else:
                text = _("The priority scheme was saved.") if changed else _("No changes.")
                self.message_user(request, text, messages.SUCCESS)
                return HttpResponseRedirect(request.get_full_path())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Priority scheme"),
            "formset": formset,
            "rows": [(form, form.language_fields("label")) for form in formset.forms],
            "default_form": default,
            "chosen_default": default["default"].value(),
        }
        return TemplateResponse(request, "sla/priority_scheme.html", context, status=status)

    @staticmethod
    def _report(error: ValidationError, formset, default: DefaultForm) -> None:
        problems = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        for field, messages_ in problems.items():
            if field == "default":
                default.add_error("default", messages_)
            else:
                formset._non_form_errors = formset.error_class(
                    [*formset.non_form_errors(), *messages_]
                )
