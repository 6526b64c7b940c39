from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("outreach/liaisons", views.LiaisonViewSet, basename="outreach-liaison")
router.register("outreach/visit-rules", views.VisitRuleViewSet, basename="outreach-visit-rule")
router.register("outreach/visits", views.VisitViewSet, basename="outreach-visit")
router.register("outreach/events", views.EventViewSet, basename="outreach-event")
router.register("outreach/due", views.DueViewSet, basename="outreach-due")
router.register("outreach/coverage", views.CoverageViewSet, basename="outreach-coverage")
router.register("outreach/attention", views.AttentionViewSet, basename="outreach-attention")
router.register("outreach/day", views.OfficerDayViewSet, basename="outreach-day")

urlpatterns = router.urls
