from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-auth-token"),
    path("auth/ws-ticket/", api.WsTicketView.as_view(), name="api-ws-ticket"),
    path("me/", api.MeView.as_view(), name="api-me"),
]
