"""URLs of the service-programme pages."""

from django.urls import path

from renkou.health import views

urlpatterns = [
    path("health/", views.overview, name="health"),
    path("health/area/<str:code>/", views.overview, name="health_area"),
    path("health/area/<str:code>/figures/", views.figures, name="health_figures"),
    path("health/institutions/", views.institutions, name="health_institutions"),
    path("health/imports/", views.imports, name="health_imports"),
    path("health/imports/<int:pk>/", views.import_detail, name="health_import"),
    path("health/persons/<int:pk>/", views.person_records, name="health_person"),
    path("health/persons/<int:pk>/records/", views.record_new, name="health_record_new"),
    path("health/records/<int:pk>/", views.record_detail, name="health_record"),
    path("health/records/<int:pk>/steps/", views.step_new, name="health_step_new"),
    path("health/records/<int:pk>/withdraw/", views.consent_withdraw, name="health_withdraw"),
]
