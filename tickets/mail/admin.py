"""The tenant admin's pages of the email channel: mailboxes (with a connection test) and the
inbound emails, where quarantined ones are retried."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _lazy

from accounts.admin_site import tenant_admin_site
from core.admin_base import TenantModelAdmin
from tickets.mail import imap, ingest
from tickets.mail.models import InboundEmail, Mailbox


class MailboxForm(forms.ModelForm):
    password = forms.CharField(
        label=_lazy("IMAP password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_lazy(
            "Stored encrypted (FIELD_ENCRYPTION_KEY). Leave empty to keep the current one."
        ),
    )

    class Meta:
        model = Mailbox
        fields = ["name", "address", "from_name", "host", "port", "security", "username",
                  "password", "folder", "processed_folder", "is_active"]  # fmt: skip

    def clean(self):
        data = super().clean()
        if not data.get("password") and not self.instance.password_encrypted:
            self.add_error("password", gettext("The IMAP password is required."))
        return data

    def save(self, commit=True):
        if self.cleaned_data.get("password"):
            self.instance.set_password(self.cleaned_data["password"])
        return super().save(commit)


@admin.register(Mailbox, site=tenant_admin_site)
class MailboxAdmin(TenantModelAdmin):
    form = MailboxForm
    list_display = ["name", "address", "host", "is_active", "last_polled_at", "last_error"]
    readonly_fields = ["last_polled_at", "last_error"]
    actions = ["test_connection"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        ingest.forget_own_addresses()  # mail from this address is a loop from now on

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        ingest.forget_own_addresses()

    @admin.action(description=_lazy("Test the connection"))
    def test_connection(self, request, queryset):
        for mailbox in queryset:
            try:
                said = imap.test_connection(mailbox)
            except imap.MailboxError as error:
                said, level = error, messages.ERROR
            else:
                level = messages.SUCCESS
            text = gettext("%(mailbox)s: %(result)s") % {"mailbox": mailbox.name, "result": said}
            self.message_user(request, text, level)


@admin.register(InboundEmail, site=tenant_admin_site)
class InboundEmailAdmin(TenantModelAdmin):
    list_display = ["received_at", "status", "sender", "subject", "short_reason", "ticket_link"]
    list_filter = ["status", "outcome", "mailbox"]
    search_fields = ["sender", "subject", "message_id"]
    list_select_related = ["ticket"]
    fields = ["received_at", "status", "outcome", "reason", "sender", "subject", "message_id",
              "size", "mailbox", "ticket", "acknowledged", "attempts"]  # fmt: skip
    readonly_fields = fields
    actions = ["retry"]

    @admin.display(description=_lazy("reason"))
    def short_reason(self, row: InboundEmail) -> str:
        return row.reason if len(row.reason) <= 80 else row.reason[:79] + "…"

    @admin.display(description=_lazy("ticket"))
    def ticket_link(self, row: InboundEmail):
        if row.ticket is None:
            return "—"
        url = reverse("tenant_admin:tickets_ticket_change", args=[row.ticket_id])
        return format_html('<a href="{}">{}</a>', url, row.ticket.reference)

    @admin.action(description=_lazy("Retry the selected quarantined emails"))
    def retry(self, request, queryset):
        done = failed = 0
        for row in queryset.filter(status=InboundEmail.Status.QUARANTINED):
            result = ingest.retry(row)
            if result.status == InboundEmail.Status.QUARANTINED:
                failed += 1
                text = gettext("%(email)s: %(reason)s") % {
                    "email": row.subject or row.sender,
                    "reason": result.reason,
                }
                self.message_user(request, text, messages.WARNING)
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(count)s email ingested.", "%(count)s emails ingested.", done)
            % {"count": done},
            messages.SUCCESS if done or not failed else messages.WARNING,
        )

    def has_add_permission(self, request, *args) -> bool:
        return False  # they come from the mailboxes

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # read-only; the retry action is the one thing to do

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # nothing that came in is ever dropped
