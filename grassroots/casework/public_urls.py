from django.urls import path

from . import public_views

app_name = "public"
urlpatterns = [
    path("requests/new/", public_views.public_submit, name="submit"),
    path("track/", public_views.public_track_lookup, name="track-lookup"),
    path("track/<str:code>/", public_views.public_track, name="track"),
    path("track/<str:code>/feedback/", public_views.public_feedback, name="feedback"),
]
