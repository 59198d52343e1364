"""URLs of the statistics dashboard."""

from django.urls import path

from renkou.analytics import views, views_settings

urlpatterns = [
    path("statistics/", views.dashboard, name="statistics"),
    path(
        "statistics/settings/sex-ratio/",
        views_settings.srb_setting,
        name="statistics_srb_setting",
    ),
    path("statistics/<str:code>/", views.dashboard, name="statistics_unit"),
    path("statistics/<str:code>/compute/", views.dashboard_compute, name="statistics_compute"),
]
