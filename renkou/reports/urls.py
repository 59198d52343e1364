"""URLs of the reports page."""

from django.urls import path

from renkou.reports import views

urlpatterns = [
    path("reports/", views.report_page, name="reports"),
    path("reports/jobs/<int:pk>/", views.report_job, name="report_job"),
    path("reports/jobs/<int:pk>/<str:name>", views.report_download, name="report_download"),
    path("reports/<str:code>/", views.report_page, name="reports_unit"),
]
