"""Upload limits enforced while the request streams in, not after it has been read whole.

The handler cannot answer the request itself, and an exception raised while parsing would
surface inside the CSRF middleware as a 500. So it stops reading, flags the request, and the
view turns the flag into a 413 (JSON) or a form error (`check_upload_size`).
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.utils import formats
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from core.errors import TooLarge


def max_bytes() -> int:
    return settings.ATTACHMENT_MAX_BYTES


def too_large() -> TooLarge:
    limit_mb = max_bytes() / (1024 * 1024)
    # 10, or 2,5 in German: the number as the reader writes it.
    size = formats.number_format(int(limit_mb) if limit_mb.is_integer() else round(limit_mb, 1))
    return TooLarge(
        _("Each file may be at most %(size)s MB.") % {"size": size},
        max_bytes=max_bytes(),
    )


def check_upload_size(request) -> None:
    """Raise the 413 error when the upload handler stopped reading an oversized request."""
    if getattr(request, "upload_too_large", False):
        raise too_large()


class LimitedUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: stops at a declared size that cannot fit, or as soon as a
    file's streamed size passes the limit."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        declared_limit = max_bytes() * settings.ATTACHMENT_MAX_FILES + 1024 * 1024
        if content_length and content_length > declared_limit:
            self.request.upload_too_large = True
            return QueryDict(), MultiValueDict()  # nothing read, nothing parsed
        return None

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > max_bytes():
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
