from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts import services
from accounts.admin_site import platform_admin_site, tenant_admin_site
from accounts.models import AuditEntry, Membership, Organization, Tenant, User
from core.admin import OutboxMessageAdmin
from core.admin_base import CheckedModelAdmin, CheckedSelectionMixin, TenantModelAdmin
from core.models import OutboxMessage

# --- The platform admin (/admin/, superusers only) ------------------------------------------


@admin.register(User, site=platform_admin_site)
class UserAdmin(CheckedSelectionMixin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_active", "is_superuser"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "name"]}),
        (_lazy("Platform"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "password1", "password2"]})]
    filter_horizontal: list[str] = []
    list_filter = ["is_active", "is_superuser"]


platform_admin_site.register(OutboxMessage, OutboxMessageAdmin)  # core cannot import this site


class TenantForm(forms.ModelForm):
    """The tenant's languages as choices of LANGUAGES (the JSON list is otherwise free text)."""

    languages = forms.MultipleChoiceField(
        label=_lazy("Other languages"),
        required=False,
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Tenant
        fields = [
            "slug",
            "name",
            "timezone",
            "reference_prefix",
            "require_staff_2fa",
            "default_language",
            "languages",
        ]

    def clean_languages(self) -> list[str]:
        default = self.cleaned_data.get("default_language")
        chosen = self.cleaned_data["languages"]
        return [code for code, _name in settings.LANGUAGES if code in chosen and code != default]


@admin.register(Tenant, site=platform_admin_site)
class TenantAdmin(CheckedModelAdmin):
    form = TenantForm
    list_display = ["slug", "name", "timezone", "default_language", "reference_prefix"]
    search_fields = ["slug", "name"]


def _check_membership(form: forms.ModelForm, cleaned: dict, tenant) -> None:
    """The services' membership rules, shown as field errors (fields already in error keep
    their own message)."""
    if tenant is None or any(f in form.errors for f in ("role", "tier", "organization")):
        return
    problems = services.membership_problems(
        tenant=tenant,
        role=cleaned.get("role"),
        tier=cleaned.get("tier"),
        organization=cleaned.get("organization"),
        organization_admin=bool(cleaned.get("is_organization_admin")),
    )
    for field, messages in problems.items():
        for message in messages:
            form.add_error(field, message)


@admin.register(Organization, site=platform_admin_site)
class PlatformOrganizationAdmin(CheckedModelAdmin):
    list_display = ["name", "tenant", "created_at"]
    list_filter = ["tenant"]
    search_fields = ["name"]


class PlatformMembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        # `organization` is added by the admin's form factory at request time: its scoped
        # manager cannot be queried at import.
        fields = ["user", "tenant", "role", "tier"]

    def clean(self):
        cleaned = super().clean()
        # Outside any scope the raw id field accepts every tenant's organizations: the rules
        # refuse one of another tenant.
        _check_membership(self, cleaned, cleaned.get("tenant"))
        return cleaned


@admin.register(Membership, site=platform_admin_site)
class PlatformMembershipAdmin(CheckedModelAdmin):
    form = PlatformMembershipForm
    fields = ["user", "tenant", "role", "tier", "organization"]
    list_display = ["user", "tenant", "role", "tier", "organization"]
    list_filter = ["tenant", "role"]
    list_select_related = ["user", "tenant", "organization"]
    raw_id_fields = ["user", "organization"]

    # The platform admin edits rows directly; the person's open sockets still hear of it.
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "role" in form.changed_data:
            services.access_changed(user_id=obj.user_id, tenant_id=obj.tenant_id, role=obj.role)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        services.access_changed(user_id=obj.user_id, tenant_id=obj.tenant_id, role=None)

    def delete_queryset(self, request, queryset) -> None:
        gone = list(queryset.values_list("user_id", "tenant_id"))
        super().delete_queryset(request, queryset)
        for user_id, tenant_id in gone:
            services.access_changed(user_id=user_id, tenant_id=tenant_id, role=None)


# --- Each tenant's admin (/t/<tenant>/admin/) -----------------------------------------------


class OrganizationForm(forms.ModelForm):
    # No Meta: the admin's form factory builds the fields (all but `tenant`) at request time,
    # inside the tenant scope, so scoped foreign keys get that tenant's choices.

    def clean_name(self) -> str:
        # The case-insensitive unique constraint would otherwise only say "Constraint
        # organization_name_unique is violated". The query runs in the tenant's scope, so a
        # name used by another tenant stays free.
        name = self.cleaned_data["name"].strip()
        taken = Organization.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("An organization with this name already exists."))
        return name


@admin.register(Organization, site=tenant_admin_site)
class OrganizationAdmin(TenantModelAdmin):
    form = OrganizationForm
    list_display = ["name", "created_at"]
    search_fields = ["name"]


class InviteForm(forms.ModelForm):
    """Adding a member is inviting a person by email; their account is theirs to manage."""

    email = forms.EmailField(
        label=_lazy("Email"),
        help_text=_lazy("They get an email with a link to set their password."),
    )
    name = forms.CharField(label=_lazy("Name"), required=False, max_length=150)

    class Meta:
        model = Membership
        # `organization` is added by the admin's form factory inside the tenant scope, so its
        # choices are that tenant's organizations (a field built at import would see none).
        fields = ["role", "tier", "is_organization_admin"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if Membership.objects.filter(user__email__iexact=email).exists():
            raise forms.ValidationError(_("This person is already a member of this help desk."))
        return email

    def clean(self):
        cleaned = super().clean()
        _check_membership(self, cleaned, self.instance.tenant)
        return cleaned


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        # `organization` is added by the admin's form factory inside the tenant scope, so its
        # choices are that tenant's organizations (a field built at import would see none).
        fields = ["role", "tier", "is_organization_admin"]

    def clean(self):
        cleaned = super().clean()
        _check_membership(self, cleaned, self.instance.tenant)
        return cleaned


@admin.register(Membership, site=tenant_admin_site)
class MembershipAdmin(TenantModelAdmin):
    list_display = ["email", "name", "role", "tier", "organization", "is_organization_admin"]
    list_filter = ["role", "tier", "is_organization_admin"]
    search_fields = ["user__email", "user__name"]
    list_select_related = ["user", "organization"]
    fields = ["email", "name", "role", "tier", "organization", "is_organization_admin"]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = InviteForm if obj is None else MembershipForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["email", "name"]

    @admin.display(ordering="user__email", description=_lazy("email"))
    def email(self, obj: Membership) -> str:
        return obj.user.email

    @admin.display(ordering="user__name", description=_lazy("name"))
    def name(self, obj: Membership) -> str:
        return obj.user.name

    def save_model(self, request, obj, form, change) -> None:
        # Through the services, as every door: rules, audit trail, the invitation email.
        if change:
            services.membership_update(
                actor=request.membership,
                membership=obj,
                role=obj.role,
                tier=obj.tier,
                organization=obj.organization,
                organization_admin=obj.is_organization_admin,
            )
            return
        created = services.membership_invite(
            actor=request.membership,
            tenant=request.tenant,
            email=form.cleaned_data["email"],
            name=form.cleaned_data.get("name", ""),
            role=obj.role,
            tier=obj.tier,
            organization=obj.organization,
            organization_admin=obj.is_organization_admin,
        )
        obj.pk, obj.user, obj.tenant = created.pk, created.user, created.tenant
        obj._state.adding = False

    def delete_model(self, request, obj) -> None:
        services.membership_remove(actor=request.membership, membership=obj)

    def delete_queryset(self, request, queryset) -> None:
        for membership in queryset:
            services.membership_remove(actor=request.membership, membership=membership)


@admin.register(AuditEntry, site=tenant_admin_site)
class AuditEntryAdmin(TenantModelAdmin):
    """The audit trail: read-only, written only by the services."""

    list_display = ["created_at", "actor", "type", "object_repr"]
    list_filter = ["type"]
    list_select_related = ["actor"]
    search_fields = ["object_repr", "actor__email"]
    fields = ["created_at", "actor", "type", "object_type", "object_repr", "data"]
    readonly_fields = fields

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
