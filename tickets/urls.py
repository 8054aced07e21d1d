from django.urls import path

from tickets import contact, org_reports, views
from tickets.agent import calls, canned, queue, reports, workspace

app_name = "tickets"

urlpatterns = [
    # The agents' workspace (templates/agent/); the chat console is chat.urls.
    path("t/<slug:tenant>/agent/", queue.QueueView.as_view(), name="agent_queue"),
    path(
        "t/<slug:tenant>/agent/tickets/<int:number>/",
        workspace.WorkspaceView.as_view(),
        name="agent_ticket",
    ),
    path("t/<slug:tenant>/agent/calls/new/", calls.RecordCallView.as_view(), name="agent_call"),
    path("t/<slug:tenant>/agent/canned/", canned.CannedListView.as_view(), name="agent_canned"),
    path(
        "t/<slug:tenant>/agent/canned/<int:canned_id>/",
        canned.CannedEditView.as_view(),
        name="agent_canned_edit",
    ),
    path("t/<slug:tenant>/agent/reports/", reports.ReportsView.as_view(), name="agent_reports"),
    path(
        "t/<slug:tenant>/agent/reports/<slug:table>.csv",
        reports.ReportCsvView.as_view(),
        name="agent_report_csv",
    ),
    path("t/<slug:tenant>/contact/", contact.ContactPageView.as_view(), name="contact"),
    path("t/<slug:tenant>/portal/", views.PortalView.as_view(), name="portal"),
    path("t/<slug:tenant>/portal/new/", views.NewTicketView.as_view(), name="new"),
    path(
        "t/<slug:tenant>/portal/report/",
        org_reports.OrganizationReportView.as_view(),
        name="org_report",
    ),
    path("t/<slug:tenant>/tickets/<int:number>/", views.TicketPageView.as_view(), name="ticket"),
    path(
        "t/<slug:tenant>/tickets/<int:number>/close/",
        views.TicketActionView.as_view(),
        {"action": "close"},
        name="close",
    ),
    path(
        "t/<slug:tenant>/tickets/<int:number>/rate/",
        views.TicketActionView.as_view(),
        {"action": "rate"},
        name="rate",
    ),
]
