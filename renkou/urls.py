"""Root URL configuration."""

from django.urls import include, path

from renkou.api import pages as api_pages

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("renkou.api.urls")),
    path("api-tokens/", api_pages.token_list, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", api_pages.token_revoke, name="api_token_revoke"),
    path("", include("renkou.core.urls")),
    path("", include("renkou.registry.urls")),
    path("", include("renkou.quality.urls")),
    path("", include("renkou.exchange.urls")),
    path("", include("renkou.analytics.urls")),
    path("", include("renkou.benefits.urls")),
    path("", include("renkou.floating.urls")),
    path("", include("renkou.cases.urls")),
    path("", include("renkou.targets.urls")),
    path("", include("renkou.health.urls")),
    path("", include("renkou.reports.urls")),
    path("", include("renkou.notifications.urls")),
    path("", include("renkou.web.urls")),
]
