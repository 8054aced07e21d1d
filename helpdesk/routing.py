from django.urls import path

from tickets.consumers import QueueSocket

websocket_urlpatterns = [
    path("ws/t/<slug:tenant>/queue/", QueueSocket.as_asgi()),
]
