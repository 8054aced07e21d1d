"""The SLA reports page at /t/<tenant>/agent/reports/ (issue 10)."""

from django.views.generic import TemplateView

from tickets.agent.doors import AgentPageMixin


class ReportsView(AgentPageMixin, TemplateView):
    template_name = "agent/reports.html"
    extra_context = {"agent_section": "reports"}
