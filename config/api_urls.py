from django.urls import include, path, re_path

from grassroots.common.api.auth import TokenObtainView
from grassroots.common.api.views import api_not_found

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("", include("grassroots.territory.api.urls")),
    path("", include("grassroots.workforce.api.urls")),
    path("", include("grassroots.casework.api.urls")),
    path("", include("grassroots.outreach.api.urls")),
    path("", include("grassroots.planning.api.urls")),
    path("", include("grassroots.insights.api.urls")),
    path("", include("grassroots.evaluation.api.urls")),
    # Last: any other path under /api/ answers 404 in the API's error shape, not as an HTML page ([\s\S]: a
    # path holding an encoded line break must not fall through to the HTML 404).
    re_path(r"^[\s\S]*$", api_not_found),
]
