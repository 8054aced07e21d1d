from django.urls import path

from tickets import reports

urlpatterns = [
    path("reports/sla/", reports.SlaReportView.as_view(), name="api-sla-report"),
]
