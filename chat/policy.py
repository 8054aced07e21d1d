"""Who may do what with a chat. Services ask; doors translate `NotAllowed` (403) and
`Conflict` (409).

Actors: a member (agents and admins work chats), the chat's visitor (a `Contact`; the door
only builds one from the chat's own token, so a contact is always the visitor of the chat at
hand) and the system (jobs).
"""

from django.utils.translation import gettext as _

from accounts.actors import Actor, Contact, Member, System
from chat.models import ChatSession, ChatStatus
from core.errors import Conflict, NotAllowed
from tickets.policy import check_closure_summary


def works_chats(actor: Actor) -> bool:
    return isinstance(actor, Member) and actor.is_staff


def _same_tenant(actor: Actor, chat: ChatSession) -> None:
    if actor.tenant_id != chat.tenant_id:
        raise NotAllowed(_("This chat belongs to another help desk."))


def require_staff(actor: Actor) -> None:
    if not works_chats(actor):
        raise NotAllowed(_("Only agents work chats."))


def is_visitor(actor: Actor) -> bool:
    return isinstance(actor, Contact)


def check_accept(actor: Actor, chat: ChatSession) -> None:
    require_staff(actor)
    _same_tenant(actor, chat)
    if chat.status != ChatStatus.WAITING:
        raise Conflict(
            _("This chat has already been taken.")
            if chat.status == ChatStatus.ACTIVE
            else _("This chat is closed."),
            status=chat.status,
        )


def is_chat_agent(actor: Actor, chat: ChatSession) -> bool:
    return works_chats(actor) and chat.agent_id == actor.user_id


def check_post(actor: Actor, chat: ChatSession) -> None:
    """The visitor writes until the chat closes; the agent who accepted it while it is active."""
    _same_tenant(actor, chat)
    if chat.status == ChatStatus.CLOSED:
        raise Conflict(_("This chat is closed."))
    if is_visitor(actor) or isinstance(actor, System):
        return
    if not works_chats(actor):
        raise NotAllowed(_("Only the chat's visitor and its agent write in it."))
    if chat.status == ChatStatus.WAITING:
        raise Conflict(_("Accept the chat before writing in it."))
    if chat.agent_id != actor.user_id:
        raise NotAllowed(_("Another agent has this chat."))


def post_allowed_when(actor: Actor) -> tuple[tuple[str, ...], int | None] | None:
    """The chats of the actor's tenant `check_post` surely lets `actor` write in, for a store
    that checks them in its one statement (chat/services/messages.py): (statuses, the agent it
    must be or None). Never wider than check_post; None: ask check_post."""
    if is_visitor(actor):
        return (ChatStatus.WAITING, ChatStatus.ACTIVE), None
    if works_chats(actor):
        return (ChatStatus.ACTIVE,), actor.user_id
    return None


def check_close(
    actor: Actor, chat: ChatSession, *, summary: str = "", summary_required: bool = False
) -> None:
    """`summary_required`: the tenant's closure summary setting (CONTRACT section 8): an
    agent's close then needs one (the visitor's and the jobs' do not), as a ticket's does."""
    _same_tenant(actor, chat)
    if not (is_visitor(actor) or isinstance(actor, System) or works_chats(actor)):
        raise NotAllowed(_("Only the chat's visitor and agents close chats."))
    if chat.status == ChatStatus.CLOSED:
        raise Conflict(_("This chat is closed already."))
    check_closure_summary(actor, required=summary_required, summary=summary)


def check_transfer(actor: Actor, chat: ChatSession) -> None:
    require_staff(actor)
    _same_tenant(actor, chat)
    if chat.status != ChatStatus.ACTIVE:
        raise Conflict(_("Only an active chat can be transferred."))
    if chat.agent_id != actor.user_id and not actor.is_admin:
        raise NotAllowed(_("Only the chat's agent or an admin transfers it."))


def check_to_ticket(actor: Actor, chat: ChatSession) -> None:
    """Agents turn any chat into a ticket; its visitor a waiting chat (leave a message with
    the conversation so far, when no agent came)."""
    _same_tenant(actor, chat)
    if is_visitor(actor):
        if chat.status != ChatStatus.WAITING:
            raise NotAllowed(_("An agent has this chat; ask them to open a ticket."))
        return
    if not (works_chats(actor) or isinstance(actor, System)):
        raise NotAllowed(_("Only agents turn chats into tickets."))


def check_visitor(actor: Actor, chat: ChatSession) -> None:
    """Rating and transcript: the chat's visitor (its token)."""
    _same_tenant(actor, chat)
    if not is_visitor(actor):
        raise NotAllowed(_("Only the chat's visitor may do this."))


def may_read(actor: Actor, chat: ChatSession) -> bool:
    return actor.tenant_id == chat.tenant_id and (is_visitor(actor) or works_chats(actor))
