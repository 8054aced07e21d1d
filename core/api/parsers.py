"""Request body parsers for the API: JSON that cannot exhaust the stack or memory.

Django's `request.body` (which DRF reads JSON through) refuses a body whose declared length,
or whose buffered length, passes DATA_UPLOAD_MAX_MEMORY_SIZE before reading it, and reads no
more than the declared length; the error handler turns that into a JSON 413
(core/api/errors.py). What is left here: a document nested deeper than the interpreter's
recursion limit raises RecursionError inside `json.load`, which DRF does not catch.
"""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from None
