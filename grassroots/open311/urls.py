"""Open311 GeoReport v2 at /open311/: every resource with a .xml or .json suffix."""

from django.urls import path, re_path

from . import views

app_name = "open311"
FMT = r"\.(?P<fmt>[^/.]+)$"
# Any name up to the last dot: the view answers 404 for an unknown one and 400 for an unknown format.
ID = r"(?P<code>[^/]{1,200}?)"

urlpatterns = [
    path("", views.root, name="root"),
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.service_list, name="services"),
    re_path(r"^services/" + ID + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests_view, name="requests"),
    re_path(r"^requests/" + ID + FMT, views.request_detail, name="request"),
    re_path(r"^request/" + ID + FMT, views.request_detail, name="request-singular"),
    re_path(r"^tokens/(?P<token>[^/]{1,200}?)" + FMT, views.token_detail, name="token"),
    re_path(r"^servicerequestupdates" + FMT, views.updates_view, name="updates"),
    # Last: anything else under the endpoint answers 404 in the spec's error list, not an HTML page.
    re_path(r"^(?P<path>.+)$", views.not_found, name="not-found"),
]
