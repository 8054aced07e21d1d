"""Response headers every answer gets: the Content-Security-Policy, and no-store where a
shared or browser cache must never keep a copy (API answers, attachment downloads).

A small middleware rather than django-csp: one fixed policy, no nonces (no page has an inline
script: every script is a static file), and nothing to configure per view. A response that set
its own policy keeps it (attachments: `sandbox`).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

NO_STORE = "no-store"


def build_policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}".strip() for name, value in directives.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.policy = build_policy(settings.CONTENT_SECURITY_POLICY)
        self.by_prefix = [
            (prefix, build_policy({**settings.CONTENT_SECURITY_POLICY, **changes}))
            for prefix, changes in settings.CONTENT_SECURITY_POLICY_BY_PATH.items()
        ]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy_for(request.path)
        if request.path.startswith("/api/") or response.get("Content-Disposition", "").startswith(
            "attachment"
        ):
            # Tokens, tickets and files are per person: no cache may keep or replay them.
            response["Cache-Control"] = NO_STORE
        return response

    def policy_for(self, path: str) -> str:
        for prefix, policy in self.by_prefix:
            if path.startswith(prefix):
                return policy
        return self.policy
