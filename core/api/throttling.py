"""Throttles that fail open: when the cache (Redis) is down, requests go through."""

import logging

from rest_framework.throttling import AnonRateThrottle

log = logging.getLogger(__name__)


class FailOpenMixin:
    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # cache unreachable: availability beats rate limiting
            log.warning("Throttle cache unavailable, letting the request through: %s", exc)
            return True


class AddressThrottle(FailOpenMixin, AnonRateThrottle):
    """Per client address, for anonymous routes (login, widget)."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
