from django.urls import path

from chat.consumers import ChatSocket
from tickets.consumers import QueueSocket

websocket_urlpatterns = [
    path("ws/t/<slug:tenant>/queue/", QueueSocket.as_asgi()),
    path("ws/t/<slug:tenant>/chats/<str:chat_id>/", ChatSocket.as_asgi()),
]
