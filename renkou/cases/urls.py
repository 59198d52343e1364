"""URLs of the case pages."""

from django.urls import path

from renkou.cases import views

urlpatterns = [
    path("cases/", views.overview, name="cases"),
    path("cases/area/<str:code>/", views.overview, name="cases_area"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/accept/", views.case_accept, name="case_accept"),
    path("cases/<int:pk>/assign/", views.case_assign, name="case_assign"),
    path("cases/<int:pk>/steps/", views.case_step, name="case_step"),
    path("cases/<int:pk>/extend/", views.case_extend, name="case_extend"),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("cases/<int:pk>/petitioner/", views.petitioner_reveal, name="case_petitioner"),
]
