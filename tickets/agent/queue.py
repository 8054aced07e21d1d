"""The queue dashboard at /t/<tenant>/agent/ (issue 10)."""

from django.views.generic import TemplateView

from tickets.agent.doors import AgentPageMixin


class QueueView(AgentPageMixin, TemplateView):
    template_name = "agent/queue.html"
    extra_context = {"agent_section": "queue"}
