"""The development email backend: a line per email on the console, the full email on request.

Django's console backend writes every email in full to stdout, and Celery's worker logs its
stdout at WARNING: password-set links ended up in every development log (and in container logs
when compose defaulted to it). The relay already logs one line per email at INFO (recipient,
subject, key: core/outbox_handlers); this backend prints the full message only when asked,
with EMAIL_CONSOLE_BODIES=1 (say, to follow a password-set link in development).
"""

from django.conf import settings
from django.core.mail.backends.console import EmailBackend as ConsoleBackend


class EmailBackend(ConsoleBackend):
    def write_message(self, message) -> None:
        if settings.EMAIL_CONSOLE_BODIES:
            super().write_message(message)
