from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self) -> None:
        from chat.jobs import close_idle_chats
        from chat.sla import SUBJECT, ChatClocks
        from core import idle
        from sla import subjects

        subjects.register(SUBJECT, ChatClocks())
        idle.register("chats", close_idle_chats)
