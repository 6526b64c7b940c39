from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("households/", views.household_list, name="household-list"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("residents/<int:pk>/reveal/", views.resident_reveal_view, name="resident-reveal"),
    path("officers/", views.officer_list, name="officer-list"),
    path("officers/<int:pk>/", views.officer_detail, name="officer-detail"),
    path("audit/verify/", views.audit_verify_view, name="audit-verify"),
]
