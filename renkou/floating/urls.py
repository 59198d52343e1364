"""URLs of the floating-population pages."""

from django.urls import path

from renkou.floating import views

urlpatterns = [
    path("floating/", views.worklist, name="floating_worklist"),
    path("floating/rates/", views.rates_page, name="floating_rates"),
    path("floating/requests/new/", views.request_new, name="floating_request_new"),
    path("floating/messages/<uuid:message_id>/", views.message_detail, name="floating_message"),
    path(
        "floating/messages/<uuid:message_id>/send/",
        views.message_send,
        name="floating_message_send",
    ),
    path(
        "floating/messages/<uuid:message_id>/reply/",
        views.message_reply,
        name="floating_message_reply",
    ),
    path(
        "floating/messages/<uuid:message_id>/review/",
        views.message_review,
        name="floating_message_review",
    ),
]
