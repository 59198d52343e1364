"""URLs of the floating-population pages."""

from django.urls import path

from renkou.floating import peer_views, views

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
    path("floating/peers/", peer_views.peer_list, name="floating_peers"),
    path("floating/peers/<int:pk>/token/", peer_views.peer_token, name="floating_peer_token"),
    path("floating/peers/<int:pk>/revoke/", peer_views.peer_revoke, name="floating_peer_revoke"),
    path("floating/no-peer.xlsx", peer_views.no_peer_export, name="floating_no_peer_export"),
    path("floating/replies/import/", peer_views.replies_import, name="floating_replies_import"),
]
