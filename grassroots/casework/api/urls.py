from rest_framework.routers import SimpleRouter

from grassroots.routing import api as routing_api

from . import views

router = SimpleRouter()
router.register("requests", views.RequestViewSet, basename="request")
router.register("requests", routing_api.RequestCategoriseViewSet, basename="request-categorise")
router.register("routing", routing_api.RoutingViewSet, basename="routing")
router.register("clock-alerts", views.ClockAlertViewSet, basename="clock-alert")

urlpatterns = router.urls
