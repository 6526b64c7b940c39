from rest_framework.routers import SimpleRouter

from grassroots.routing import api as routing_api

from . import mediation, views

router = SimpleRouter()
router.register("requests", views.RequestViewSet, basename="request")
router.register("requests", routing_api.RequestCategoriseViewSet, basename="request-categorise")
router.register("routing", routing_api.RoutingViewSet, basename="routing")
router.register("requests", mediation.DisputeViewSet, basename="request-dispute")
router.register("clock-alerts", views.ClockAlertViewSet, basename="clock-alert")
router.register("mediators", mediation.MediatorViewSet, basename="mediator")
router.register("public/track", mediation.PublicTrackViewSet, basename="public-track")

urlpatterns = router.urls
