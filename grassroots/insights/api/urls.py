from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("warnings", views.WarningViewSet, basename="warning")

urlpatterns = [
    path("insights/dashboard/", views.DashboardView.as_view(), name="insights-dashboard"),
    path("insights/requests/", views.DrillView.as_view(), name="insights-drill"),
    path("insights/hotspots/", views.HotspotView.as_view(), name="insights-hotspots"),
    *router.urls,
]
