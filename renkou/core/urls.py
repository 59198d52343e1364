"""URLs of the core pages."""

from django.urls import path

from renkou.core import views, views_jobs, views_staff

urlpatterns = [
    path("audit/", views.audit_list, name="audit_list"),
    path("jobs/<int:pk>/", views.job_status, name="job_status"),
    path("jobs/<int:pk>/again/", views_jobs.job_again, name="job_again"),
    path("staff/", views_staff.staff_list, name="staff_list"),
    path("staff/users.xlsx", views_staff.staff_export, name="staff_export"),
    path("staff/new/", views_staff.staff_create, name="staff_create"),
    path("staff/users/<int:pk>/", views_staff.staff_user, name="staff_user"),
    path("staff/users/<int:pk>/roles/add/", views_staff.staff_role_add, name="staff_role_add"),
    path(
        "staff/users/<int:pk>/roles/revoke/",
        views_staff.staff_role_revoke,
        name="staff_role_revoke",
    ),
    path("staff/users/<int:pk>/move/", views_staff.staff_move, name="staff_move"),
    path("staff/users/<int:pk>/password/", views_staff.staff_password, name="staff_password"),
    path(
        "staff/users/<int:pk>/second-factor/",
        views_staff.staff_second_factor,
        name="staff_second_factor",
    ),
    path("staff/users/<int:pk>/deactivate/", views_staff.staff_deactivate, name="staff_deactivate"),
    path("staff/users/<int:pk>/reactivate/", views_staff.staff_reactivate, name="staff_reactivate"),
]
