from django.urls import include, path

urlpatterns = [
    path("", include("grassroots.territory.api.urls")),
    path("", include("grassroots.workforce.api.urls")),
]
