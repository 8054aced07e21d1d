from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("t/<slug:tenant>/agent/chats/", views.ConsoleView.as_view(), name="console"),
]
