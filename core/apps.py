from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core machinery")

    def ready(self) -> None:
        from core import outbox_handlers  # noqa: F401  (registers the email and live handlers)
