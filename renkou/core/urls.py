"""URLs of the core pages."""

from django.urls import path

from renkou.core import views

urlpatterns = [
    path("audit/", views.audit_list, name="audit_list"),
    path("jobs/<int:pk>/", views.job_status, name="job_status"),
]
