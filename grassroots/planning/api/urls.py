from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("planning/rule-sets", views.RuleSetViewSet, basename="planning-rule-set")
router.register("planning/plan-runs", views.PlanRunViewSet, basename="planning-plan-run")
router.register("planning/rosters", views.RosterViewSet, basename="planning-roster")
router.register("planning/roster-runs", views.RosterRunViewSet, basename="planning-roster-run")
router.register("planning/my-duties", views.MyDutiesViewSet, basename="planning-my-duties")

urlpatterns = router.urls
