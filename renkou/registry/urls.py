"""URLs of the register pages."""

from django.urls import path

from renkou.registry import views, views_changes

urlpatterns = [
    path("persons/", views.PersonSearchView.as_view(), name="person_search"),
    path("persons/<int:pk>/", views.PersonDetailView.as_view(), name="person_detail"),
    path("persons/<int:pk>/id-number/", views.person_reveal_id, name="person_reveal_id"),
    path("persons/<int:pk>/phone/", views.person_reveal_phone, name="person_reveal_phone"),
    path("persons/pick/", views_changes.person_pick, name="person_pick"),
    path("changes/", views_changes.change_list, name="change_list"),
    path("changes/new/<str:kind>/", views_changes.change_new, name="change_new"),
    path("changes/<int:pk>/", views_changes.change_detail, name="change_detail"),
    path("changes/<int:pk>/decide/", views_changes.change_decide, name="change_decide"),
    path("changes/<int:pk>/resubmit/", views_changes.change_resubmit, name="change_resubmit"),
    path("changes/bulk/", views_changes.change_bulk, name="change_bulk"),
    path(
        "changes/<int:pk>/confirm/",
        views_changes.change_confirm_finding,
        name="change_confirm_finding",
    ),
    path("households/<int:pk>/", views.HouseholdDetailView.as_view(), name="household_detail"),
]
