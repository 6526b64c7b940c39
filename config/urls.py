from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("config.api_urls")),
    path("registers/", include("grassroots.territory.urls")),
    path("casework/", include("grassroots.casework.urls")),
    path("routing/", include("grassroots.routing.urls")),
    path("public/", include("grassroots.casework.public_urls")),
    path("outreach/", include("grassroots.outreach.urls")),
    path("planning/", include("grassroots.planning.urls")),
    path("open311/", include("grassroots.open311.urls")),
    path("insights/", include("grassroots.insights.urls")),
    path("evaluation/", include("grassroots.evaluation.urls")),
    path("", include("grassroots.web.urls")),
]

handler500 = "grassroots.common.middleware.server_error"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
