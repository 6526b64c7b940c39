from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("units", views.UnitViewSet, basename="unit")
router.register("posts", views.PostViewSet, basename="post")
router.register("officers", views.OfficerViewSet, basename="officer")
router.register("assignments", views.AssignmentViewSet, basename="assignment")

urlpatterns = router.urls
