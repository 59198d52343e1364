"""URLs of the web app's own pages."""

from django.contrib.auth import views as auth_views
from django.urls import path

from renkou.core import twofactor
from renkou.web import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("orgunits/", views.OrgUnitListView.as_view(), name="orgunit_list"),
    path("orgunits/<str:code>/", views.OrgUnitDetailView.as_view(), name="orgunit_detail"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/2fa/setup/", twofactor.otp_setup, name="otp_setup"),
    path("accounts/2fa/verify/", twofactor.otp_verify, name="otp_verify"),
    path("healthz", views.healthz, name="healthz"),
]
