"""URLs of the target pages."""

from django.urls import path

from renkou.targets import views

urlpatterns = [
    path("targets/", views.home, name="targets"),
    path("targets/new/", views.agreement_new, name="targets_new"),
    path("targets/copy/", views.agreement_copy, name="targets_copy"),
    path("targets/<int:pk>/", views.scorecard, name="targets_scorecard"),
    path("targets/<int:pk>/edit/", views.agreement_edit, name="targets_edit"),
    path("targets/<int:pk>/trend/", views.trend, name="targets_trend"),
    path("targets/<int:pk>/export.xlsx", views.export, name="targets_export"),
    path("targets/<int:pk>/compute/", views.compute, name="targets_compute"),
]
