"""Throttles that fail open: when the cache (Redis) is down, requests go through.

Every throttle here keys on the peer address Django sees (REMOTE_ADDR), never on a raw
X-Forwarded-For header a client can write: uvicorn already put the real client's address there
when, and only when, the request came through the proxy it trusts (`--forwarded-allow-ips`).
"""

import logging

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

log = logging.getLogger(__name__)

RATE_MESSAGE = gettext_lazy("Too many requests. Try again in a few minutes.")


def tenant_ident(tenant) -> str:
    """The ident of a per-tenant bucket: the widget's API (chat.doors) and the contact page
    (tickets.contact) count their POSTs in the same `chat_tenant` bucket through it."""
    return f"tenant_{tenant.pk}"


def form_page_throttled(form, render, wait: int):
    """A page's form refused by its rate limit: the page again (`render(form)`, a response)
    with the reason as a form error, 429 and `Retry-After`; what was typed stays in the form."""
    form.add_error(None, RATE_MESSAGE)
    response = render(form)
    response.status_code = 429
    response["Retry-After"] = str(wait)
    return response


class FailOpenMixin:
    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # cache unreachable: availability beats rate limiting
            log.warning("Throttle cache unavailable, letting the request through: %s", exc)
            return True


def peer_address(request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


class AddressThrottle(FailOpenMixin, AnonRateThrottle):
    """Per client address, for anonymous routes (login, widget)."""

    scope = "auth"

    def get_ident(self, request) -> str:
        return peer_address(request)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class MemberThrottle(FailOpenMixin, UserRateThrottle):
    """Per person (their user id), for routes that need a login; subclasses name the scope."""

    def get_ident(self, request) -> str:
        return peer_address(request)


class WsTicketThrottle(MemberThrottle):
    scope = "ws_ticket"


class MembershipWriteThrottle(FailOpenMixin, SimpleRateThrottle):
    """Per member of a tenant (their membership), on POST only: reads are never counted.

    Runs after the door's permission has set `request.membership` (DRF checks permissions,
    then throttles). Subclasses name the scope; a rate of None in settings turns it off.
    """

    def allow_request(self, request, view) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        membership = getattr(request, "membership", None)
        if membership is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": member_ident(membership.pk)}


class TicketCreateThrottle(MembershipWriteThrottle):
    scope = "ticket_create"


class TicketReplyThrottle(MembershipWriteThrottle):
    scope = "ticket_reply"


def member_ident(membership_id: int) -> str:
    """A member's bucket: the same for the API's throttle and a page's (one limit, either door)."""
    return f"member_{membership_id}"


def member_rate_wait(request: HttpRequest, scope: str) -> int | None:
    """`page_rate_wait` for a page behind a tenant door: per `request.membership`, in the same
    bucket as the API's (one limit, whichever door is used)."""
    return page_rate_wait(request, scope, ident=member_ident(request.membership.pk))


def page_rate_wait(request: HttpRequest, scope: str, *, ident: str | None = None) -> int | None:
    """For plain Django views: count this request against `scope` per address (or `ident`).

    Returns None when it may go on, else the seconds to wait (for Retry-After).
    """
    throttle = _PageThrottle(scope, ident=ident)
    if throttle.allow_request(request, None):
        return None
    return max(1, int(throttle.wait() or 1))


class _PageThrottle(FailOpenMixin, SimpleRateThrottle):
    def __init__(self, scope: str, *, ident: str | None = None):
        self.scope, self.ident = scope, ident
        super().__init__()

    def get_cache_key(self, request, view):
        ident = self.ident if self.ident is not None else peer_address(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
