"""The agents' chat console at /t/<tenant>/agent/chats/ (issue 11), inside the agent workspace.

The page is a frame for static/chat/console.js: it hands the script its configuration and every
string it shows (translated here, passed through json_script: the CSP allows no inline script).
The console itself talks to the chat API and sockets of CONTRACT sections 4 and 6.
"""

from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.generic import TemplateView

from accounts.doors import STAFF_ROLES
from accounts.models import Membership
from tickets import canned as canned_reads
from tickets.agent.doors import AgentPageMixin
from tickets.selectors import ticket_settings


def console_strings() -> dict[str, str]:
    """What console.js shows, by key; `{name}`-style placeholders are filled in the browser."""
    return {
        "available": _("Available"),
        "away": _("Away"),
        "availableHint": _("Available agents get new chats and alerts."),
        "alertsOn": _("Turn on alerts"),
        "alertsEnabled": _("Alerts on"),
        "alertsBlocked": _("Notifications are blocked in this browser; the sound still plays."),
        "waiting": _("Waiting"),
        "mine": _("My chats"),
        "noneWaiting": _("No one is waiting."),
        "noneMine": _("No chats in progress."),
        "waitingFor": _("waiting {time}"),
        "chattingFor": _("started {time} ago"),
        "replyDue": _("reply due in {time}"),
        "replyOverdue": _("reply overdue by {time}"),
        "answered": _("answered"),
        "slaWarning": _("first response at risk"),
        "slaBreached": _("first response breached"),
        "preview": _("Preview"),
        "accept": _("Accept"),
        "acceptTaken": _("Another agent has already taken this chat."),
        "open": pgettext("verb: open a chat", "Open"),
        "chatId": _("Chat {id}"),
        "verified": _("verified"),
        "unverified": _("unverified"),
        "visitor": _("Visitor"),
        "you": _("You"),
        "typing": _("{name} is typing…"),
        "read": _("Read"),
        "sending": _("Sending…"),
        "queued": _("Waiting for the connection"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "replyLabel": _("Reply"),
        "replyPlaceholder": _("Type a reply. Enter sends, Shift+Enter adds a line."),
        "send": _("Send"),
        "transferTo": _("Transfer to"),
        "transfer": _("Transfer"),
        "transferred": _("Transferred to {name}."),
        "noOtherAgent": _("No other agent"),
        "makeTicket": _("Turn into ticket"),
        "ticketMade": _("Ticket {reference}"),
        "summaryLabel": _("Resolution summary (sent to the visitor with the transcript)"),
        "summaryRequiredLabel": _(
            "Resolution summary (required: sent to the visitor with the transcript)"
        ),
        "closeChat": _("Close chat"),
        "closedChat": _("This chat is closed."),
        "statusWaiting": _("waiting"),
        "statusActive": _("active"),
        "statusClosed": pgettext("of a chat", "closed"),
        "history": _("Earlier with this visitor"),
        "historyChats": _("Chats"),
        "historyTickets": _("Tickets"),
        "historyNone": _("Nothing earlier."),
        "historyUnverified": _(
            "The visitor is not verified: earlier chats and tickets are not shown."
        ),
        "closeTab": _("Close tab"),
        "newChatAlert": _("New chat waiting"),
        "chatAssigned": _("A chat was transferred to you"),
        "failed": _("That did not work: {detail}"),
        "pickChat": _("Accept a waiting chat, or open one of yours, to start."),
    }


class ConsoleView(AgentPageMixin, TemplateView):
    template_name = "chat/console.html"
    extra_context = {"agent_section": "chats"}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        slug = self.tenant.slug
        agents = (
            Membership.objects.filter(role__in=STAFF_ROLES)
            .select_related("user")
            .order_by("user__email")
        )
        context["console_config"] = {
            "tenant": slug,
            "me": self.request.user.email,
            "api": f"/api/v1/t/{slug}/",
            "chatSocket": f"/ws/t/{slug}/chats/",
            "queueSocket": f"/ws/t/{slug}/queue/",
            "ticketPage": f"/t/{slug}/agent/tickets/",
            "csrf": get_token(self.request),
            "agents": [
                {"email": m.user.email, "name": m.user.display_name}
                for m in agents
                if m.user.email != self.request.user.email and m.user.is_active
            ],
            "strings": console_strings(),
            # The tenant's closure summary setting: the close form says it is required (the
            # service refuses a close without one either way).
            "summaryRequired": ticket_settings(self.tenant.pk).closure_summary_required,
        }
        context["canned_url"] = f"/api/v1/t/{slug}/canned-responses/"
        context["canned_strings"] = canned_reads.picker_strings()  # the picker's words
        return context
