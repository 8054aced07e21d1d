"""Secrets kept out of logs and error reports: the built-in rules applied to what they print.

Tenant patterns are not applied here (a log line has no tenant); the built-in ones catch the
formats people paste. A service masks text before storing it, so this is for what never got
that far: a request that failed while it still held the raw text.
"""

import logging

from django.views.debug import SafeExceptionReporterFilter

from core.redaction import builtin_masker


def _mask(value):
    return builtin_masker().mask(value).text if isinstance(value, str) else value


class MaskingFormatter(logging.Formatter):
    """The log line, traceback included, with every secret masked."""

    def format(self, record: logging.LogRecord) -> str:
        return _mask(super().format(record))


class MaskingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's error reports (the debug page, admin emails) with posted values and local
    variables masked, on top of Django's own hiding of settings and marked parameters."""

    def get_post_parameters(self, request):
        params = super().get_post_parameters(request)
        if not params:
            return params
        masked = params.copy()
        for key in masked:
            masked.setlist(key, [_mask(value) for value in params.getlist(key)])
        return masked

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, _mask(value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
