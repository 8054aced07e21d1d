"""The ticket workspace at /t/<tenant>/agent/tickets/<number>/ (issue 10)."""

from django.views.generic import TemplateView

from tickets.agent.doors import AgentPageMixin


class WorkspaceView(AgentPageMixin, TemplateView):
    template_name = "agent/workspace.html"
    extra_context = {"agent_section": "queue"}
