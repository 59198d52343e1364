"""URLs of the register pages."""

from django.urls import path

from renkou.registry import views

urlpatterns = [
    path("persons/", views.PersonSearchView.as_view(), name="person_search"),
    path("persons/<int:pk>/", views.PersonDetailView.as_view(), name="person_detail"),
    path("persons/<int:pk>/id-number/", views.person_reveal_id, name="person_reveal_id"),
    path("households/<int:pk>/", views.HouseholdDetailView.as_view(), name="household_detail"),
]
