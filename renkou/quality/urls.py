"""URLs of the quality pages."""

from django.urls import path

from renkou.quality import views, views_reporting

urlpatterns = [
    path("quality/", views.quality_overview, name="quality_overview"),
    path("quality/findings/", views.finding_list, name="finding_list"),
    path("quality/findings/confirm/", views.finding_confirm_bulk, name="finding_confirm_bulk"),
    path("quality/findings/<int:pk>/confirm/", views.finding_confirm, name="finding_confirm"),
    path("quality/reporting/", views_reporting.reporting_rate_page, name="reporting_rate"),
    path(
        "quality/reporting/<str:code>/",
        views_reporting.reporting_rate_page,
        name="reporting_rate_unit",
    ),
    path("quality/empty-report/", views_reporting.empty_report_new, name="empty_report_new"),
    path("quality/<str:code>/", views.quality_overview, name="quality_unit"),
    path("quality/<str:code>/run/", views.quality_run_start, name="quality_run"),
]
