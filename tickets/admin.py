from django import forms
from django.contrib import admin

from accounts.actors import Member
from accounts.admin_site import tenant_admin_site
from accounts.models import Role, User
from core.admin_base import TenantInline, TenantModelAdmin
from core.errors import ServiceError
from tickets import services
from tickets.models import Category, Message, Ticket, TicketSettings

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


@admin.register(TicketSettings, site=tenant_admin_site)
class TicketSettingsAdmin(TenantModelAdmin):
    list_display = ["__str__", "autoclose_after_hours"]

    def has_add_permission(self, request, *args) -> bool:
        return super().has_add_permission(request) and not TicketSettings.objects.exists()
