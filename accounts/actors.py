"""Who a service acts for: a member, an unverified contact, or the system.

The actor is who does something; a ticket's requester (a member or a contact) is who it is done
for. Doors build the actor: a page or API request from its membership, the email channel from a
sender (`requester_for_email`), the chat widget from what a visitor typed (`Contact`, never
linked to a member: CONTRACT section 4), a job from its name (`System`).
"""

from dataclasses import dataclass

from accounts.models import Membership, Tenant, User


@dataclass(frozen=True)
class Member:
    """A user acting through their membership of one tenant (role, tier, organization)."""

    membership: Membership

    @property
    def tenant(self) -> Tenant:
        return self.membership.tenant

    @property
    def tenant_id(self) -> int:
        return self.membership.tenant_id

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def user_id(self) -> int:
        return self.membership.user_id

    @property
    def email(self) -> str:
        return self.membership.user.email

    @property
    def is_staff(self) -> bool:
        return self.membership.is_staff_member

    @property
    def is_admin(self) -> bool:
        return self.membership.is_admin

    @property
    def tier(self) -> int:
        return self.membership.tier

    def audit(self) -> dict | None:
        return None  # the audit row's user foreign key says who it was


@dataclass(frozen=True)
class _WithoutUser:
    """An actor of one tenant that is no user: it holds no membership, role or tier."""

    tenant: Tenant

    user = None
    user_id = None
    is_staff = False
    is_admin = False

    @property
    def tenant_id(self) -> int:
        return self.tenant.pk


@dataclass(frozen=True)
class Contact(_WithoutUser):
    """An unverified name and email: a chat visitor, an email sender who is no member."""

    name: str
    email: str

    def audit(self) -> dict | None:
        return {"kind": "contact", "name": self.name, "email": self.email}


@dataclass(frozen=True)
class System(_WithoutUser):
    """A job of the help desk itself (auto-close, the email poller, ...), by name."""

    job: str

    def audit(self) -> dict | None:
        return system_audit(self.job)


def system_audit(job: str) -> dict:
    """How the audit trail names a job (also for jobs that write events in bulk)."""
    return {"kind": "system", "job": job}


Actor = Member | Contact | System
Requester = Member | Contact


def requester_for_email(tenant: Tenant, email: str, name: str = "") -> Requester:
    """Mail from an address belongs to the member with that email (CONTRACT section 9), in
    this tenant; anyone else is an unverified contact. Run inside the tenant's scope."""
    email = email.strip()
    membership = (
        Membership.objects.select_related("tenant", "user", "organization")
        .filter(tenant=tenant, user__email__iexact=email)
        .first()
    )
    if membership is not None:
        return Member(membership)
    return Contact(tenant=tenant, name=name.strip()[:150], email=email.lower())
