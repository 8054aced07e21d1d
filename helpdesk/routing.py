from django.urls import path

from tickets.consumers import QueueSocket
from tickets.presence import TicketPresenceSocket

websocket_urlpatterns = [
    path("ws/t/<slug:tenant>/queue/", QueueSocket.as_asgi()),
    path("ws/t/<slug:tenant>/tickets/<int:number>/", TicketPresenceSocket.as_asgi()),
]
