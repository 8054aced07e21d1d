from django.urls import path

from sla import api, api_setup

urlpatterns = [
    path("plans/", api.PlanListView.as_view(), name="api-plans"),
    path("plans/<int:plan_id>/", api.PlanDetailView.as_view(), name="api-plan"),
    path("calendars/", api_setup.CalendarListView.as_view(), name="api-calendars"),
    path(
        "calendars/<int:calendar_id>/",
        api_setup.CalendarDetailView.as_view(),
        name="api-calendar",
    ),
]
