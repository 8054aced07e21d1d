from accounts.actors import Member
from accounts.models import Membership
from accounts.tenancy import tenant_scope
from tickets import services


def member(desk, user) -> Membership:
    with tenant_scope(desk.tenant):
        return Membership.objects.select_related("tenant", "user", "organization").get(user=user)


def as_actor(desk, user) -> Member:
    """`user` acting through their membership of `desk`, as the doors build it."""
    return Member(member(desk, user))


def open_ticket(desk, user=None, **fields):
    """A ticket opened through the service, as `user` (the desk's customer by default)."""
    fields.setdefault("subject", "Printer on fire")
    fields.setdefault("description", "It is on fire. Steps: print anything.")
    with tenant_scope(desk.tenant):
        return services.ticket_create(actor=as_actor(desk, user or desk.customer), **fields).ticket
