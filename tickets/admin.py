from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _lazy

from accounts.actors import Member
from accounts.admin_site import tenant_admin_site
from accounts.models import Membership, Role, User
from core.admin_base import (
    ServiceRefused,
    ServiceSaveMixin,
    TenantInline,
    TenantModelAdmin,
    report_refusal,
)
from core.errors import ServiceError
from core.text_forms import LanguageFieldsAdminMixin
from sla.selectors import PriorityScheme, priority_scheme
from tickets import services
from tickets.agent.forms import CANNED_LANGUAGE_SPEC, priority_choices
from tickets.models import (
    SUMMARY_MAX_CHARS,
    CannedResponse,
    Category,
    Message,
    RequestType,
    Ticket,
    TicketSequence,
    TicketSettings,
)
from tickets.services import canned as canned_services
from tickets.services import settings as settings_services
from tickets.services.request_types import request_type_save

EDITABLE = ["status", "priority", "category", "tier", "assignee"]


class SchemeFormMixin:
    """Gives the admin's form the tenant's priority scheme as `form.scheme` (its priority
    choices, under the tenant's labels). The form class is made per request (tenant_bound)."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.scheme = priority_scheme(request.tenant)
        return form


class TicketEditForm(forms.ModelForm):
    """The admin's edit goes through `ticket_change`, the same service (and policy) as the API's
    PATCH, called by TicketAdmin.save_model: validating the form writes nothing. A refusal comes
    back as a form error (core.admin_base.ServiceSaveMixin) and stores nothing."""

    scheme: PriorityScheme  # set per request (SchemeFormMixin)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "priority" in self.fields:  # the tenant's priorities, and the ticket's own
            self.fields["priority"].choices = priority_choices(self.scheme, self.instance.priority)

    closure_summary = forms.CharField(
        label=_lazy("Closure summary"),
        required=False,
        max_length=SUMMARY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_lazy(
            "Saved with a change of status to closed: emailed to the requester with the rating "
            "link. Required when the ticket settings ask for closure summaries."
        ),
    )

    def clean(self):
        data = super().clean()
        report_refusal(self)
        return data

    def service_changes(self) -> dict:
        """What the form changes, as `ticket_change` takes it."""
        changed = {name: self.cleaned_data.get(name) for name in self.changed_data}
        changed = {name: value for name, value in changed.items() if name in EDITABLE}
        if "assignee" in changed:
            changed["assignee_email"] = getattr(changed.pop("assignee"), "email", None)
        if "status" in changed and self.cleaned_data.get("closure_summary"):
            changed["summary"] = self.cleaned_data["closure_summary"]  # a close's summary
        return changed


@admin.register(Category, site=tenant_admin_site)
class CategoryAdmin(LanguageFieldsAdminMixin, TenantModelAdmin):
    list_display = ["name", "slug", "is_active", "sla_exempt"]
    list_filter = ["sla_exempt"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    exclude = ["tenant", "name_translations"]  # one input per language instead (core.text_forms)
    language_spec = {"name": (100, False)}

    def save_model(self, request, obj, form, change) -> None:
        obj.name_translations = form.translations("name")
        super().save_model(request, obj, form, change)


class RequestTypeForm(forms.ModelForm):
    """Saved through `request_type_save` by RequestTypeAdmin.save_model (a refusal comes back
    as a form error, core.admin_base.ServiceSaveMixin); validating writes nothing. The default
    priority is offered among the tenant's priorities in use, under its labels."""

    scheme: PriorityScheme  # set per request (SchemeFormMixin)

    class Meta:
        model = RequestType
        fields = ["name", "slug", "default_priority", "is_active"]
        help_texts = {
            "default_priority": _lazy(
                "A ticket opened with this type and no priority gets it, when its requester "
                "may choose it (customers: only the priorities they may choose; otherwise "
                "the help desk's default)."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.default_priority if self.instance.pk else None
        # One the tenant no longer uses is shown (as such) and refused on save.
        self.fields["default_priority"].choices = priority_choices(self.scheme, current)
        if self.instance.pk is None:
            self.fields["default_priority"].initial = self.scheme.default

    def clean(self):
        data = super().clean()
        report_refusal(self)
        return data


@admin.register(RequestType, site=tenant_admin_site)
class RequestTypeAdmin(
    SchemeFormMixin, LanguageFieldsAdminMixin, ServiceSaveMixin, TenantModelAdmin
):
    list_display = ["name", "slug", "default_priority_label", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]
    form = RequestTypeForm
    language_spec = {"name": (100, False)}

    @admin.display(description=_lazy("Default priority"), ordering="default_priority")
    def default_priority_label(self, request_type: RequestType) -> str:
        return priority_scheme(request_type.tenant).label(request_type.default_priority)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tenant")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # tickets keep their type: untick "active" to stop offering it

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        try:
            saved = request_type_save(
                actor=request.membership,
                tenant=request.tenant,
                name=data["name"],
                slug=data["slug"],
                default_priority=data["default_priority"],
                is_active=data.get("is_active", False),
                request_type=RequestType.objects.get(pk=obj.pk) if change else None,
                **form.translated_values(),
            )
        except ValidationError as error:
            problems = (
                error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
            )
            field, texts = next(iter(problems.items()))
            raise ServiceRefused(texts, field=field) from None
        except ServiceError as error:
            raise ServiceRefused(error.detail, status=error.status) from None
        obj.pk = saved.pk


class MessageInline(TenantInline):
    model = Message
    fields = ["created_at", "role", "author", "internal", "body"]
    readonly_fields = fields
    can_delete = False
    ordering = ["created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # replies go through the ticket page, where the lifecycle rules apply


@admin.register(Ticket, site=tenant_admin_site)
class TicketAdmin(SchemeFormMixin, ServiceSaveMixin, TenantModelAdmin):
    list_display = [
        "reference", "subject", "status", "priority_label", "tier", "assignee", "sla_due_at",
    ]  # fmt: skip
    list_filter = ["status", "priority", "tier", "channel", "sla_breached", "category"]
    search_fields = ["reference", "subject", "requester__email", "contact_email"]
    list_select_related = ["assignee", "tenant"]
    inlines = [MessageInline]
    readonly_fields = [
        "reference", "subject", "description", "requester", "contact_name", "contact_email",
        "organization", "channel", "plan", "created_at", "first_responded_at", "closed_at",
        "sla_due_at", "sla_breached",
    ]  # fmt: skip
    # The closure summary goes with a close (the service stores it then; required of agents
    # when the ticket settings say so), like the workspace's.
    fields = readonly_fields + EDITABLE + ["closure_summary"]
    form = TicketEditForm
    ordering = ["-created_at"]

    @admin.display(description=_lazy("Priority"), ordering="priority")
    def priority_label(self, ticket: Ticket) -> str:
        # The tenant comes with the row (list_select_related); its scheme is cached.
        return priority_scheme(ticket.tenant).label(ticket.priority)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":  # users are not tenant rows: this tenant's staff only
            kwargs["queryset"] = User.objects.filter(
                memberships__tenant=request.tenant,
                memberships__role__in=[Role.ADMIN, Role.AGENT],
            ).order_by("email")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request, *args) -> bool:
        return False  # tickets are opened through the portal or the API

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # tickets are never hard-deleted

    def save_model(self, request, obj, form, change) -> None:
        changes = form.service_changes()
        if not changes:
            return
        # The stored ticket, not `obj`: the form has already copied its values onto `obj`.
        ticket = Ticket.objects.get(pk=obj.pk)
        try:
            services.ticket_change(actor=Member(request.membership), ticket=ticket, **changes)
        except ServiceError as error:
            field = error.extra.get("field")
            raise ServiceRefused(error.detail, field=field, status=error.status) from None


class TicketSettingsForm(forms.ModelForm):
    """Ticket settings, and the tenant's reference prefix while it has no ticket: the prefix is
    saved through `reference_prefix_set` by TicketSettingsAdmin.save_model (a refusal comes back
    as a form error, core.admin_base.ServiceSaveMixin); validating writes nothing."""

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
        fields = [
            "autoclose_after_hours",
            "closure_summary_required",
            "organization_reports",
            "contact_form_enabled",
        ]

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
        report_refusal(self)
        return data


@admin.register(TicketSettings, site=tenant_admin_site)
class TicketSettingsAdmin(ServiceSaveMixin, TenantModelAdmin):
    list_display = [
        "__str__",
        "autoclose_after_hours",
        "closure_summary_required",
        "organization_reports",
        "contact_form_enabled",
    ]
    form = TicketSettingsForm

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.membership  # a class made per request (tenant_bound)
        return form

    def save_model(self, request, obj, form, change) -> None:
        if "reference_prefix" in form.changed_data:
            prefix = form.cleaned_data["reference_prefix"]
            try:
                settings_services.reference_prefix_set(
                    actor=request.membership, tenant=request.tenant, prefix=prefix
                )
            except ValidationError as error:
                raise ServiceRefused(error.messages, field="reference_prefix") from None
            except ServiceError as error:
                raise ServiceRefused(
                    error.detail, field="reference_prefix", status=error.status
                ) from None
        super().save_model(request, obj, form, change)

    def has_add_permission(self, request, *args) -> bool:
        return super().has_add_permission(request) and not TicketSettings.objects.exists()


class SharedCannedForm(forms.ModelForm):
    scheme: PriorityScheme  # set per request (SchemeFormMixin)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority"].choices = [
            ("", "---------"),
            *priority_choices(self.scheme, self.instance.priority),
        ]

    class Meta:
        model = CannedResponse
        fields = ["title", "body", "status", "priority"]
        help_texts = {
            "body": _lazy(
                "Placeholders, filled in when an agent inserts it: {{ requester.first_name }}, "
                "{{ requester.name }}, {{ ticket.reference }}, {{ ticket.subject }}, "
                "{{ organization.name }}, {{ agent.name }}, {{ agent.first_name }}."
            )
        }


@admin.register(CannedResponse, site=tenant_admin_site)
class SharedCannedAdmin(SchemeFormMixin, LanguageFieldsAdminMixin, TenantModelAdmin):
    """The tenant's shared canned responses (agents keep their own in the workspace). Saved
    through the same services as the workspace's page."""

    list_display = ["title", "status", "priority", "usage_count", "updated_at"]
    search_fields = ["title", "body"]
    form = SharedCannedForm
    language_spec = CANNED_LANGUAGE_SPEC

    def get_queryset(self, request):
        return super().get_queryset(request).filter(owner__isnull=True)

    def save_model(self, request, obj, form, change) -> None:
        actor, values = Member(request.membership), form.cleaned_data
        fields = {name: values.get(name) or "" for name in ("title", "body", "status", "priority")}
        fields.update(form.translated_values())
        if change:
            canned_services.canned_update(actor=actor, canned=obj, **fields)
        else:
            saved = canned_services.canned_create(actor=actor, shared=True, **fields)
            obj.pk = saved.pk

    def delete_model(self, request, obj) -> None:
        canned_services.canned_delete(actor=Member(request.membership), canned=obj)


# The email channel's pages (mailboxes, inbound emails): registered by importing them.
from tickets.mail import admin as _mail_admin  # noqa: E402,F401
