from django.urls import path

from . import views

app_name = "routing"
urlpatterns = [
    path("suggest/", views.intake_suggest, name="intake-suggest"),
    path("requests/<int:pk>/categorise/", views.categorise, name="categorise"),
]
