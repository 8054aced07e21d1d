from django.urls import path

from sla import api

urlpatterns = [
    path("plans/", api.PlanListView.as_view(), name="api-plans"),
    path("reports/sla/", api.SlaReportView.as_view(), name="api-sla-report"),
]
