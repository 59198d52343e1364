"""URLs of the quality pages."""

from django.urls import path

from renkou.quality import views

urlpatterns = [
    path("quality/", views.quality_overview, name="quality_overview"),
    path("quality/findings/", views.finding_list, name="finding_list"),
    path(
        "quality/findings/<int:pk>/confirm/",
        views.finding_confirm_view,
        name="finding_confirm",
    ),
]
