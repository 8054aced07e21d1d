"""Every error under /api/ is JSON: DRF's own, Django's 404/403, and anything unexpected.

This handler covers what is raised inside an API view; core.middleware.ApiErrorsMiddleware
covers what answers before or around the view (unmatched URLs, CSRF, bad hosts, DEBUG pages).
"""

import logging

from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.utils.translation import gettext as _
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ServiceError

log = logging.getLogger(__name__)
security_log = logging.getLogger("django.security")


def _suspicious(exc: SuspiciousOperation) -> Response:
    security_log.warning("%s: %s", type(exc).__name__, exc)
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": _("The request body is too large.")}, status=413)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response({"detail": _("The request has too many fields or files.")}, status=400)
    return Response({"detail": _("Bad request.")}, status=400)


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response(exc.as_json(), status=exc.status)
    if isinstance(exc, SuspiciousOperation):
        return _suspicious(exc)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {"detail": response.data}
    return response
