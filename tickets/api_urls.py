from django.urls import path

from tickets import api, canned_api

urlpatterns = [
    path("tickets/", api.TicketListView.as_view(), name="api-tickets"),
    path("tickets/<int:number>/", api.TicketDetailView.as_view(), name="api-ticket"),
    path("tickets/<int:number>/messages/", api.TicketMessagesView.as_view(), name="api-messages"),
    path("tickets/<int:number>/events/", api.TicketEventsView.as_view(), name="api-events"),
    path("tickets/<int:number>/feedback/", api.TicketFeedbackView.as_view(), name="api-feedback"),
    path("attachments/<str:attachment_id>/", api.AttachmentView.as_view(), name="api-attachment"),
    path("categories/", api.CategoryListView.as_view(), name="api-categories"),
    path("priorities/", api.PriorityListView.as_view(), name="api-priorities"),
    path("request-types/", api.RequestTypeListView.as_view(), name="api-request-types"),
    path("canned-responses/", canned_api.CannedListView.as_view(), name="api-canned"),
    path(
        "canned-responses/<int:canned_id>/use/",
        canned_api.CannedUseView.as_view(),
        name="api-canned-use",
    ),
]
