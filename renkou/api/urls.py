"""URLs of the JSON API under /api/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from renkou.api import views
from renkou.exchange.api import NotificationView
from renkou.floating.inbox import inbox

router = SimpleRouter()
router.register("persons", views.PersonViewSet, basename="api-person")
router.register("households", views.HouseholdViewSet, basename="api-household")
router.register("events", views.EventViewSet, basename="api-event")
router.register("changes", views.ChangeViewSet, basename="api-change")

urlpatterns = [
    path("schema", SpectacularAPIView.as_view(), name="api_schema"),
    path("notifications/", NotificationView.as_view(), name="api_notifications"),
    path("floating/inbox/", inbox, name="api_floating_inbox"),
    path("", include(router.urls)),
]
