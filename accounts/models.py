"""The ground everything stands on: people, tenants, and who belongs where."""

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantOwned, validate_timezone

LANGUAGES = settings.LANGUAGES


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields):
        if not email:
            raise ValueError(_("An email address is required."))
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)  # None gives an unusable password (invited, not yet set)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, email: str):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in by email; what they may do comes from their memberships.

    `is_staff`/`is_superuser` only matter for the platform admin at /admin/.
    """

    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform staff"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # The person's own choice (issue 14); empty: the tenant's default, else the browser's
    # Accept-Language (core/i18n.py). Emails to them go out in it, whoever caused them.
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="", db_default="", choices=LANGUAGES
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.name or self.email


class Tenant(models.Model):
    """A company running its help desk on this installation. Not itself tenant-scoped."""

    slug = models.SlugField(
        _("slug"),
        max_length=50,
        unique=True,
        validators=[
            RegexValidator(r"^[a-z0-9][a-z0-9-]*$", _("Lowercase letters, digits, dashes."))
        ],
    )
    name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_timezone]
    )
    reference_prefix = models.CharField(
        _("reference prefix"),
        max_length=12,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]*$", _("Uppercase letters and digits."))],
        help_text=_("Ticket references look like PREFIX-42. Frozen once the first ticket exists."),
    )
    # Set by the tenant's admins (accounts.services.tenant_security_update): its admins and
    # agents then need a TOTP second factor on its pages (accounts/twofactor.py).
    # db_default: rows written by code that predates the column (older migrations' states, a
    # rolling deploy) still insert.
    require_staff_2fa = models.BooleanField(
        _("require two-step login of staff"),
        default=False,
        db_default=False,
        help_text=_("Admins and agents must confirm their login with an authenticator app."),
    )
    # What its people read when they chose no language of their own (core/i18n.py), and the
    # language its tenant-editable texts fall back to (priority labels, request types...).
    default_language = models.CharField(
        _("default language"), max_length=8, default="en", db_default="en", choices=LANGUAGES
    )
    # The languages it supports besides the default: the ones its editable texts are asked in
    # and the widget offers. Empty: the default language only.
    languages = models.JSONField(
        _("languages"),
        default=list,
        db_default=[],
        blank=True,
        help_text=_("Languages the help desk offers besides its default one."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Changes with every change of the tenant's secret patterns (accounts.redaction): maskers
    # are cached per process by (tenant, stamp), so the tenant row that every door reads tells
    # whether the cached one is current. Empty: no patterns, nothing to read. The database
    # default lets code that predates the column (a rolling deploy) still insert tenants.
    secret_patterns_stamp = models.CharField(
        max_length=32, blank=True, editable=False, default="", db_default=""
    )
    # Changes with every change of the tenant's priority scheme (sla.scheme): as for secret
    # patterns, the scheme is cached per process by (tenant, stamp), so labels cost no query.
    # Empty: the canonical scheme (five priorities under their own names), nothing to read.
    priority_scheme_stamp = models.CharField(
        max_length=32, blank=True, editable=False, default="", db_default=""
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.name


class SecretPattern(TenantOwned):
    """A tenant's own secret format (its product's key prefix, say), masked like the built-in
    ones. Written through `accounts.redaction` (validated for RE2, capped, stamp bumped)."""

    name = models.SlugField(
        _("kind"),
        max_length=40,
        help_text=_("Shown to the author and in the audit trail, e.g. acme_license_key."),
    )
    pattern = models.CharField(
        _("pattern"),
        max_length=200,
        help_text=_(
            "An RE2 regular expression, e.g. ACME-[A-Z0-9]{24}. With a group, only the group "
            "is masked: licen[cs]e: (\\S+)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("secret pattern")
        verbose_name_plural = _("secret patterns")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="secret_pattern_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Organization(TenantOwned):
    """A customer company of a tenant. Its support plan is sla's (`sla.PlanAssignment`):
    accounts is below sla and knows nothing of plans."""

    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="organization_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    AGENT = "agent", _("Agent")
    CUSTOMER = "customer", _("Customer")


class Membership(TenantOwned):
    """A person's place in one tenant: role, agent tier, customer organization."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    tier = models.PositiveSmallIntegerField(
        _("tier"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_("Support tier 1–3 (agents and admins)."),
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("organization"),
    )
    # A customer who sees their organization's tickets and SLA report (CONTRACT section 8),
    # while the tenant's ticket settings have organization reports on. Set by tenant admins.
    is_organization_admin = models.BooleanField(
        _("organization admin"),
        default=False,
        db_default=False,
        help_text=_(
            "Customers only: sees the organization's tickets and SLA report in the portal and "
            "the API (while the ticket settings have organization reports on)."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["user__email"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(tier__gte=1, tier__lte=3), name="membership_tier_1_to_3"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "role"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_staff_member(self) -> bool:
        """Agents and admins work tickets; customers only see their own."""
        return self.role in (Role.ADMIN, Role.AGENT)


class WsTicket(models.Model):
    """A single-use, 60-second credential for opening an agent WebSocket (CONTRACT section 4).

    Only a hash is stored, so a database leak does not hand out live tickets.
    """

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"ws ticket for {self.user_id} until {self.expires_at:%H:%M:%S}"


class AuditType(models.TextChoices):
    """What a tenant admin (or a service acting for one) changed in the help desk's setup."""

    CALENDAR_CREATED = "calendar_created", _("Calendar created")
    CALENDAR_CHANGED = "calendar_changed", _("Calendar changed")
    PLAN_CREATED = "plan_created", _("Plan created")
    PLAN_CHANGED = "plan_changed", _("Plan changed")
    PLAN_ASSIGNED = "plan_assigned", _("Organization's plan changed")
    MEMBER_INVITED = "member_invited", _("Member invited")
    MEMBER_CHANGED = "member_changed", _("Member changed")
    SECRET_PATTERN_SAVED = "secret_pattern_saved", _("Secret pattern saved")
    SECRET_PATTERN_DELETED = "secret_pattern_deleted", _("Secret pattern deleted")
    SECURITY_CHANGED = "security_changed", _("Security settings changed")
    PRIORITY_SCHEME_CHANGED = "priority_scheme_changed", _("Priority scheme changed")
    REQUEST_TYPE_SAVED = "request_type_saved", _("Request type saved")
    POLICY_APPLIED = "policy_applied", _("Support policy applied")
    LANGUAGES_CHANGED = "languages_changed", _("Languages changed")


class AuditEntry(TenantOwned):
    """One configuration change, kept for the tenant's admins to read (never edited).

    `object_repr` is what the object was called at the time, so an entry stays readable after
    the object is renamed or gone; `data` holds what changed.
    """

    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    type = models.CharField(max_length=32, choices=AuditType.choices)
    object_type = models.CharField(max_length=64)
    object_id = models.BigIntegerField(null=True, blank=True)
    object_repr = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="audit_tenant_recent")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.object_repr}"
