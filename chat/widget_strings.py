"""The chat widget's words (static/chat/widget.js), in the server's gettext catalog (issue 14).

The widget asks `GET /api/v1/t/<tenant>/chat/strings/?lang=...` once when it starts and shows
what comes back, so every language the catalogs have is complete in the widget too and follows
locale/GLOSSARY.md. Placeholders keep the widget's `{name}` style: the widget fills them with
the visitor's values (`t("chatId", {id: ...})`), so translators move them but never rename them.
"""

from __future__ import annotations

import functools

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The widget fills in the words in braces ({id}, {n}, {name}, {email}, {ref}): translators
# keep them as written (the comments below reach the catalog).
STRINGS = {
    # Translators: the live chat widget's button on a customer's website.
    "launcher": _("Chat with us"),
    "title": _("Chat with us"),
    "close": _("Close"),
    "language": _("Language"),
    "intro": _("Ask us anything. We usually reply within a few minutes."),
    "name": _("Your name"),
    "email": _("Email"),
    "message": _("How can we help?"),
    "start": _("Start chat"),
    # Translators: the chat's ID, which a visitor can read out on the phone; keep {id}.
    "chatId": _("Chat ID: {id}"),
    "waiting": _("Waiting for an agent…"),
    # Translators: the visitor's place in the queue of waiting chats; {n} is 1, 2, 3... (keep
    # {n} as written).
    "position": _("You are number {n} in line."),
    # Translators: {name} is the agent's name; keep {name} as written.
    "chattingWith": _("You're chatting with {name}"),
    # Translators: {name} is the agent's name; keep {name} as written.
    "typing": _("{name} is typing…"),
    "agent": _("Agent"),
    "you": _("You"),
    "placeholder": _("Type a message…"),
    "send": _("Send"),
    "sending": _("Sending…"),
    "queued": _("Will be sent when you're back online"),
    # Translators: a mark under a chat message the agent has read.
    "read": pgettext_lazy("chat message", "Read"),
    "notSent": _("Not sent"),
    "reconnecting": _("Connection lost. Reconnecting…"),
    "endChat": _("End chat"),
    "ended": _("This chat has ended."),
    "rate": _("How did we do?"),
    # Translators: the label of the n-th star of a 1-5 rating; keep {n} as written.
    "star": _("{n} of 5"),
    "comment": _("Comment (optional)"),
    "sendRating": _("Send rating"),
    "thanks": _("Thank you for your feedback!"),
    "transcript": _("Email me the transcript"),
    # Translators: {email} is the visitor's address; keep {email} as written.
    "transcriptSent": _("We sent the transcript to {email}."),
    "newChat": _("Start a new chat"),
    "closedNow": _("Chat is closed right now."),
    "leaveIntro": _("Leave us a message and we'll reply by email."),
    "noAgent": _(
        "Sorry, nobody could take your chat in time. Leave a message with the conversation so "
        "far and we'll reply by email."
    ),
    "closedMeanwhile": _(
        "Chat has closed for today. Leave a message with the conversation so far and we'll "
        "reply by email."
    ),
    # Translators: {ref} is the request's reference, e.g. ACME-42; keep {ref} as written.
    "becameTicket": _("This chat is now request {ref}. We'll reply by email."),
    "leave": _("Leave a message"),
    "addMore": _("Anything to add? (optional)"),
    "sendMessage": _("Send message"),
    "left": _("Thanks! We got your message and will reply by email."),
    "busy": _("All our agents are busy right now."),
    "tooMany": _("Too many attempts. Please wait a minute and try again."),
    "failed": _("Something went wrong. Please try again."),
    "unavailable": _("Chat is not available on this site."),
    "expired": _("This chat is no longer available."),
}


@functools.lru_cache(maxsize=16)
def strings_in(language: str) -> dict[str, str]:
    """Every widget string, translated into `language` (a code of settings.LANGUAGES). Kept
    per process: catalogs change only with a deploy, which starts new processes. Callers
    must not change the dict."""
    with translation.override(language):
        return {key: str(text) for key, text in STRINGS.items()}
