from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("grids", views.GridViewSet, basename="grid")
router.register("care-tags", views.CareTagViewSet, basename="care-tag")
router.register("households", views.HouseholdViewSet, basename="household")
router.register("residents", views.ResidentViewSet, basename="resident")
router.register("organizations", views.OrganizationViewSet, basename="organization")

urlpatterns = router.urls
