from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("requests", views.RequestViewSet, basename="request")
router.register("clock-alerts", views.ClockAlertViewSet, basename="clock-alert")

urlpatterns = router.urls
