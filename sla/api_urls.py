from django.urls import path

from sla import api

urlpatterns = [
    path("plans/", api.PlanListView.as_view(), name="api-plans"),
]
