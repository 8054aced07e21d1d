from django.urls import path

from chat import api, contact_api

urlpatterns = [
    path("chat/availability/", api.AvailabilityView.as_view(), name="api-chat-availability"),
    path("chat/strings/", api.WidgetStringsView.as_view(), name="api-chat-strings"),
    path("chat/offline-message/", api.OfflineMessageView.as_view(), name="api-chat-offline"),
    path("chat/presence/", api.PresenceView.as_view(), name="api-chat-presence"),
    # The contact form's JSON door (a tickets feature behind the widget's origin checks).
    path("contact/", contact_api.ContactView.as_view(), name="api-contact"),
    path("chats/", api.ChatListView.as_view(), name="api-chats"),
    path("chats/<str:chat_id>/", api.ChatDetailView.as_view(), name="api-chat"),
    path("chats/<str:chat_id>/messages/", api.ChatMessagesView.as_view(), name="api-chat-msgs"),
    path("chats/<str:chat_id>/accept/", api.ChatAcceptView.as_view(), name="api-chat-accept"),
    path("chats/<str:chat_id>/close/", api.ChatCloseView.as_view(), name="api-chat-close"),
    path("chats/<str:chat_id>/ticket/", api.ChatTicketView.as_view(), name="api-chat-ticket"),
    path("chats/<str:chat_id>/transfer/", api.ChatTransferView.as_view(), name="api-chat-transfer"),
    path("chats/<str:chat_id>/rating/", api.ChatRatingView.as_view(), name="api-chat-rating"),
    path(
        "chats/<str:chat_id>/transcript/",
        api.ChatTranscriptView.as_view(),
        name="api-chat-transcript",
    ),
]
