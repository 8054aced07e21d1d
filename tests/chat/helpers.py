from accounts.actors import Contact, Member
from accounts.models import Membership
from accounts.tenancy import tenant_scope
from chat import services
from chat.models import ChatSession


def member(desk, user) -> Member:
    with tenant_scope(desk.tenant):
        return Member(
            Membership.objects.select_related("tenant", "user", "organization").get(user=user)
        )


def visitor(chat: ChatSession) -> Contact:
    return Contact(tenant=chat.tenant, name=chat.visitor_name, email=chat.visitor_email)


def start_chat(desk, *, name="Vera Visitor", email="vera@example.net", message="Hello?", **kw):
    """A chat started through the service; returns (chat, token)."""
    with tenant_scope(desk.tenant):
        started = services.chat_start(
            tenant=desk.tenant, name=name, email=email, message=message, **kw
        )
        return started.chat, started.token


def accepted_chat(desk, agent=None, **kw):
    chat, token = start_chat(desk, **kw)
    with tenant_scope(desk.tenant):
        chat = services.chat_accept(actor=member(desk, agent or desk.agent), chat=chat)
    return chat, token


def reload(chat: ChatSession) -> ChatSession:
    with tenant_scope(chat.tenant):
        return ChatSession.objects.select_related("tenant", "agent", "ticket").get(pk=chat.pk)
