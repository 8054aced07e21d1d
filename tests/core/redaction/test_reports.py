"""Logs and error reports never print a pasted secret."""

import logging
import sys

from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from core.redaction_reports import MaskingFormatter

KEY = "AKIAZ7QW3ERTY5UIOP2L"


def test_a_log_line_and_its_traceback_are_masked():
    try:
        raise ValueError(f"could not save description with {KEY}")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "saving %s failed", ("password: hunter22",),
            sys.exc_info(),
        )  # fmt: skip
    line = MaskingFormatter().format(record)
    assert "saving password: •••••••• failed" in line
    assert KEY not in line and "AKIA••••••••OP2L" in line and "ValueError" in line


def test_an_error_report_masks_posted_values_and_local_variables():
    request = RequestFactory().post("/t/acme/portal/new/", {"description": f"key {KEY}"})
    description = f"key {KEY}"  # a local variable of the failing frame
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
        text = reporter.get_traceback_text()
    assert description and KEY not in text
    assert "AKIA••••••••OP2L" in text
