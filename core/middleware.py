"""Request hygiene before anything reads the request, and JSON errors under /api/.

Hygiene: PostgreSQL cannot store or compare text holding NUL (psycopg refuses the query: a 500),
so a NUL never gets past here in the URL's path (404), its query (400) or a cookie (dropped).

First in MIDDLEWARE, so it sees every answer, including those Django gives before or around a
view: an unmatched URL, a CSRF failure, a DisallowedHost 400, and DEBUG's HTML pages for 404 and
500. Under /api/ each of them becomes `{"detail": ...}` with the same status (CONTRACT section 4:
every error under /api/ is JSON, whatever the settings).
"""

from django.core.exceptions import BadRequest
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
# Headers an error answer must keep: what to do next (Allow, Retry-After, WWW-Authenticate).
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


def _detail(status: int) -> str:
    details = {
        400: _("Bad request."),
        401: _("Authentication credentials were not provided or are not valid."),
        403: _("You do not have permission to do this."),
        404: _("Not found."),
        405: _("Method not allowed."),
        406: _("Only JSON responses are offered."),
        413: _("The request body is too large."),
        415: _("Unsupported media type."),
        429: _("Too many requests; try again later."),
    }
    if status >= 500:
        return _("Internal error; it has been logged.")
    return details.get(status, _("The request failed."))


def json_error(status: int, detail: str | None = None) -> JsonResponse:
    return JsonResponse({"detail": detail or _detail(status)}, status=status)


def _is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip().endswith("json")


class ApiErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path_info.startswith(API_PREFIX)
        # PostgreSQL cannot store or compare text holding NUL: psycopg refuses the query with
        # a ValueError (a 500) wherever a path id or a query value reaches the database raw
        # (admin search and filters, str path converters). NUL is never meaningful in a URL.
        if "\x00" in request.path_info:
            if api:
                return json_error(404)
            raise Http404(_("Not found."))
        cookies = request.META.get("HTTP_COOKIE", "")
        if "\x00" in cookies:  # the session's key would reach PostgreSQL: such a cookie is none
            kept = (part for part in cookies.split(";") if "\x00" not in part)
            request.META["HTTP_COOKIE"] = ";".join(kept)
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            detail = _("A query value may not contain NUL characters.")
            if api:
                return json_error(400, detail)
            raise BadRequest(detail)
        response = self.get_response(request)
        if api and response.status_code >= 400 and not _is_json(response):
            return self._as_json(response)
        return response

    @staticmethod
    def _as_json(response) -> JsonResponse:
        replacement = json_error(response.status_code)
        for header in KEPT_HEADERS:
            if header in response:
                replacement[header] = response[header]
        for cookie in response.cookies.values():
            replacement.cookies[cookie.key] = cookie
        return replacement
