from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _lazy

from accounts.actors import Member
from accounts.admin_site import tenant_admin_site
from accounts.models import Membership, Role, User
from core.admin_base import TenantInline, TenantModelAdmin
from core.errors import ServiceError
from tickets import services
from tickets.models import Category, Message, Ticket, TicketSequence, TicketSettings
from tickets.services import settings as settings_services

EDITABLE = ["status", "priority", "category", "tier", "assignee"]


class TicketEditForm(forms.ModelForm):
    """The admin's edit goes through `ticket_change`, the same service (and policy) as the API's
    PATCH: it runs while the form validates, so a refusal is a form error and stores nothing
    (the admin's view is one transaction). The admin's own save then has nothing left to do."""

    actor: Member  # set per request by TicketAdmin.get_form

    def clean(self):
        data = super().clean()
        changed = {name: data.get(name) for name in self.changed_data if name in EDITABLE}
        if not changed or self.errors:
            return data
        if "assignee" in changed:
            changed["assignee_email"] = getattr(changed.pop("assignee"), "email", None)
        try:
            services.ticket_change(actor=self.actor, ticket=self.instance, **changed)
        except ServiceError as error:
            self.service_status = error.status
            field = error.extra.get("field")
            self.add_error(field if field in self.fields else None, error.detail)
        return data


@admin.register(Category, site=tenant_admin_site)
class CategoryAdmin(TenantModelAdmin):
    list_display = ["name", "slug", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class MessageInline(TenantInline):
    model = Message
    fields = ["created_at", "role", "author", "internal", "body"]
    readonly_fields = fields
    can_delete = False
    ordering = ["created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # replies go through the ticket page, where the lifecycle rules apply


@admin.register(Ticket, site=tenant_admin_site)
class TicketAdmin(TenantModelAdmin):
    list_display = ["reference", "subject", "status", "priority", "tier", "assignee", "sla_due_at"]
    list_filter = ["status", "priority", "tier", "channel", "sla_breached", "category"]
    search_fields = ["reference", "subject", "requester__email", "contact_email"]
    list_select_related = ["assignee"]
    inlines = [MessageInline]
    readonly_fields = [
        "reference", "subject", "description", "requester", "contact_name", "contact_email",
        "organization", "channel", "plan", "created_at", "first_responded_at", "closed_at",
        "sla_due_at", "sla_breached",
    ]  # fmt: skip
    fields = readonly_fields + EDITABLE
    form = TicketEditForm
    ordering = ["-created_at"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = Member(request.membership)
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":  # users are not tenant rows: this tenant's staff only
            kwargs["queryset"] = User.objects.filter(
                memberships__tenant=request.tenant,
                memberships__role__in=[Role.ADMIN, Role.AGENT],
            ).order_by("email")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        form = getattr(response, "context_data", {}).get("adminform")
        status = getattr(getattr(form, "form", None), "service_status", None)
        if status is not None:  # the same status the API answers for the same refusal
            response.status_code = status
        return response

    def has_add_permission(self, request, *args) -> bool:
        return False  # tickets are opened through the portal or the API

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # tickets are never hard-deleted

    def save_model(self, request, obj, form, change) -> None:
        pass  # the form's validation saved the edit through `ticket_change`


class TicketSettingsForm(forms.ModelForm):
    """Ticket settings, and the tenant's reference prefix while it has no ticket: the prefix is
    saved through `reference_prefix_set` while the form validates (a refusal is a form error)."""

    actor: Membership  # set per request by TicketSettingsAdmin.get_form
    reference_prefix = forms.CharField(
        label=_lazy("Reference prefix"),
        max_length=12,
        help_text=_lazy(
            "Ticket references look like PREFIX-42. Frozen once the first ticket exists."
        ),
    )

    class Meta:
        model = TicketSettings
        fields = ["autoclose_after_hours"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = self.actor.tenant
        self.fields["reference_prefix"].initial = tenant.reference_prefix
        if TicketSequence.objects.filter(last_number__gt=0).exists():
            self.fields["reference_prefix"].disabled = True
            self.fields["reference_prefix"].help_text = _lazy(
                "Frozen: this help desk has tickets. Ask the platform's operators to change it."
            )

    def clean(self):
        data = super().clean()
        if "reference_prefix" in self.changed_data and not self.errors:
            try:
                settings_services.reference_prefix_set(
                    actor=self.actor, tenant=self.actor.tenant, prefix=data["reference_prefix"]
                )
            except ValidationError as error:
                self.add_error("reference_prefix", error.messages)
            except ServiceError as error:
                self.add_error("reference_prefix", error.detail)
        return data


@admin.register(TicketSettings, site=tenant_admin_site)
class TicketSettingsAdmin(TenantModelAdmin):
    list_display = ["__str__", "autoclose_after_hours"]
    form = TicketSettingsForm

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.membership  # a class made per request (tenant_bound)
        return form

    def has_add_permission(self, request, *args) -> bool:
        return super().has_add_permission(request) and not TicketSettings.objects.exists()


# The email channel's pages (mailboxes, inbound emails): registered by importing them.
from tickets.mail import admin as _mail_admin  # noqa: E402,F401
