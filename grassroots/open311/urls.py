"""Open311 GeoReport v2 at /open311/: every resource with a .xml or .json suffix."""

from django.urls import path, re_path

from . import views

app_name = "open311"
FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"
ID = r"(?P<code>[A-Za-z0-9_.\-]{1,64}?)"

urlpatterns = [
    path("", views.root, name="root"),
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.service_list, name="services"),
    re_path(r"^services/" + ID + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests_view, name="requests"),
    re_path(r"^requests/" + ID + FMT, views.request_detail, name="request"),
    re_path(r"^request/" + ID + FMT, views.request_detail, name="request-singular"),
    re_path(r"^tokens/(?P<token>[A-Za-z0-9]{1,64})" + FMT, views.token_detail, name="token"),
    re_path(r"^servicerequestupdates" + FMT, views.updates_view, name="updates"),
]
