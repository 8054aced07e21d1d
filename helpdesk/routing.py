from django.urls import path

from core.consumers import QueueSocket

websocket_urlpatterns = [
    path("ws/t/<slug:tenant>/queue/", QueueSocket.as_asgi()),
]
