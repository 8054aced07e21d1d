from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self) -> None:
        from chat.jobs import close_idle_chats
        from chat.presets import apply_chat_part
        from chat.sla import SUBJECT, ChatClocks
        from core import idle
        from sla import subjects
        from sla.presets.service import register_part

        subjects.register(SUBJECT, ChatClocks())
        idle.register("chats", close_idle_chats)
        register_part("chat", apply_chat_part)
