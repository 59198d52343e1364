"""URLs of the statistics dashboard."""

from django.urls import path

from renkou.analytics import views

urlpatterns = [
    path("statistics/", views.dashboard, name="statistics"),
    path("statistics/<str:code>/", views.dashboard, name="statistics_unit"),
    path("statistics/<str:code>/compute/", views.dashboard_compute, name="statistics_compute"),
]
