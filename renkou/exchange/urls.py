"""URLs of the exchange pages."""

from django.urls import path

from renkou.exchange import views, views_worklist

urlpatterns = [
    path("exchange/", views.exchange_home, name="exchange_home"),
    path("exchange/completeness/", views.completeness_page, name="exchange_completeness"),
    path(
        "exchange/completeness/<str:code>/",
        views.completeness_page,
        name="exchange_completeness_unit",
    ),
    path("exchange/upload/", views.exchange_upload, name="exchange_upload"),
    path("exchange/confirm/", views.exchange_confirm, name="exchange_confirm"),
    path("exchange/jobs/<int:pk>/", views.exchange_job, name="exchange_job"),
    path("exchange/jobs/<int:pk>/status/", views.exchange_job_status, name="exchange_job_status"),
    path("exchange/imports/<int:pk>/", views.exchange_import, name="exchange_import"),
    path("exchange/imports/<int:pk>/link/", views.exchange_relink, name="exchange_relink"),
    path(
        "exchange/imports/<int:pk>/quarantine.<str:fmt>",
        views.quarantine_download,
        name="exchange_quarantine",
    ),
    path(
        "exchange/imports/<int:pk>/worklist/",
        views_worklist.worklist_page,
        name="exchange_worklist",
    ),
    path(
        "exchange/imports/<int:pk>/worklist/dismiss/",
        views_worklist.worklist_dismiss_bulk,
        name="exchange_worklist_dismiss",
    ),
    path(
        "exchange/rows/<int:pk>/<str:action>/",
        views_worklist.worklist_action,
        name="exchange_row_action",
    ),
]
