"""Root URL configuration."""

from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("renkou.core.urls")),
    path("", include("renkou.registry.urls")),
    path("", include("renkou.quality.urls")),
    path("", include("renkou.web.urls")),
]
