from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core machinery"

    def ready(self) -> None:
        from core import outbox_handlers  # noqa: F401  (registers the email and live handlers)
