"""The agents' chat console at /t/<tenant>/agent/chats/ (issue 11), inside the agent workspace."""

from django.views.generic import TemplateView

from tickets.agent.doors import AgentPageMixin


class ConsoleView(AgentPageMixin, TemplateView):
    template_name = "chat/console.html"
    extra_context = {"agent_section": "chats"}
