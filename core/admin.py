"""The outbox in the platform admin (/admin/): read-only, to see what is stuck or dead-lettered
and send it again. Registered on the platform site by accounts/admin.py (core imports no app)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import outbox
from core.admin_base import CheckedModelAdmin
from core.models import OutboxMessage


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("pending", _("Pending")),
            ("dead", _("Dead (gave up)")),
            ("delivered", _("Delivered")),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "pending":
                return queryset.filter(delivered_at__isnull=True, dead_at__isnull=True)
            case "dead":
                return queryset.filter(delivered_at__isnull=True, dead_at__isnull=False)
            case "delivered":
                return queryset.filter(delivered_at__isnull=False)
        return queryset


class OutboxMessageAdmin(CheckedModelAdmin):
    list_display = ["key", "kind", "state", "attempts", "created_at", "available_at",
                    "delivered_at", "dead_at", "short_error"]  # fmt: skip
    list_filter = [StateFilter, "kind"]
    search_fields = ["key"]
    ordering = ["-pk"]  # newest first through the primary key: the table is large
    actions = ["retry"]
    readonly_fields = ["key", "kind", "payload", "created_at", "available_at", "attempts",
                       "leased_until", "delivered_at", "dead_at", "last_error"]  # fmt: skip
    show_full_result_count = False  # the table can be large: no COUNT(*) of every row

    @admin.display(description=_("state"))
    def state(self, message: OutboxMessage) -> str:
        return {"pending": _("Pending"), "dead": _("Dead"), "delivered": _("Delivered")}[
            message.state
        ]

    @admin.display(description=_("last error"))
    def short_error(self, message: OutboxMessage) -> str:
        return message.last_error[:80]

    @admin.action(description=_("Retry the selected undelivered messages"))
    def retry(self, request, queryset) -> None:
        ids = list(queryset.filter(delivered_at__isnull=True).values_list("pk", flat=True))
        count = outbox.retry(ids)
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
