from django.contrib import admin

from accounts.actors import Member
from accounts.admin_site import tenant_admin_site
from core.admin_base import TenantInline, TenantModelAdmin
from tickets import services
from tickets.models import Category, Message, Ticket, TicketSettings


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
    search_fields = ["reference", "subject", "requester__email"]
    list_select_related = ["assignee"]
    inlines = [MessageInline]
    readonly_fields = [
        "reference", "subject", "description", "status", "priority", "requester", "organization",
        "assignee", "tier", "channel", "plan", "created_at", "first_responded_at", "closed_at",
        "sla_due_at", "sla_breached",
    ]  # fmt: skip
    fields = readonly_fields + ["category"]
    ordering = ["-created_at"]

    def has_add_permission(self, request, *args) -> bool:
        return False  # tickets are opened through the portal or the API

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # tickets are never hard-deleted

    def save_model(self, request, obj, form, change) -> None:
        # The one editable field goes through the service: its audit event, `updated_at`.
        if "category" in form.changed_data:
            services.ticket_change(
                actor=Member(request.membership), ticket=obj, category=form.cleaned_data["category"]
            )


@admin.register(TicketSettings, site=tenant_admin_site)
class TicketSettingsAdmin(TenantModelAdmin):
    list_display = ["__str__", "autoclose_after_hours"]

    def has_add_permission(self, request, *args) -> bool:
        return super().has_add_permission(request) and not TicketSettings.objects.exists()
