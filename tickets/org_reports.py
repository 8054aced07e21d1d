"""An organization admin's SLA report page at /t/<tenant>/portal/report/ (CONTRACT section 8).

A customer whom the tenant admin marked as their organization's admin, while the tenant has
organization reports on, reads the report of section 4 limited to their organization's tickets
(`tickets.reporting` with `Window.organization_id`), without the breakdowns by agent and tier:
the same figures as `GET /api/v1/t/<tenant>/reports/sla/` gives them. Staff are sent to their
own reports page; other customers get the 403 page (as the API's 403).
"""

from __future__ import annotations

from dataclasses import replace

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from accounts.doors import TenantPageMixin
from tickets import reporting, selectors
from tickets.agent import report_tables
from tickets.agent.reports import range_form, report_context

# The tables of the agents' page that an organization sees (no by_agent, no by_tier).
TABLES = tuple(t for t in report_tables.TABLES if t not in reporting.STAFF_ONLY)


class OrganizationReportView(TenantPageMixin, TemplateView):
    template_name = "tickets/org_report.html"

    def get(self, request, *args, **kwargs):
        if self.membership.is_staff_member:
            return redirect("tickets:agent_reports", tenant=self.tenant.slug)
        self.organization_id = selectors.organization_scope(self.membership)
        if self.organization_id is None:
            raise PermissionDenied(_("Only your organization's admin can read its reports."))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form, window = range_form(self.request, self.tenant)
        context.update(
            form=form,
            zone=self.tenant.timezone,
            organization=self.membership.organization,
        )
        if window is None:
            return context
        window = replace(window, organization_id=self.organization_id)
        context.update(report_context(window, self.tenant, TABLES))
        return context
