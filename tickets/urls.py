from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("t/<slug:tenant>/portal/", views.PortalView.as_view(), name="portal"),
    path("t/<slug:tenant>/portal/new/", views.NewTicketView.as_view(), name="new"),
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
