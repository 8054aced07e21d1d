"""Throttles that fail open: when the cache (Redis) is down, requests go through.

Every throttle here keys on the peer address Django sees (REMOTE_ADDR), never on a raw
X-Forwarded-For header a client can write: uvicorn already put the real client's address there
when, and only when, the request came through the proxy it trusts (`--forwarded-allow-ips`).
"""

import logging

from django.http import HttpRequest
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

log = logging.getLogger(__name__)


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


def page_rate_wait(request: HttpRequest, scope: str) -> int | None:
    """For plain Django views: count this request against `scope` per address.

    Returns None when it may go on, else the seconds to wait (for Retry-After).
    """
    throttle = _PageThrottle(scope)
    if throttle.allow_request(request, None):
        return None
    return max(1, int(throttle.wait() or 1))


class _PageThrottle(FailOpenMixin, SimpleRateThrottle):
    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": peer_address(request)}
