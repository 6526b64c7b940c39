from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register(
    "evaluation/scheme-versions", views.SchemeVersionViewSet, basename="evaluation-scheme-version"
)
router.register("evaluation/runs", views.RunViewSet, basename="evaluation-run")
router.register("evaluation/results", views.ResultViewSet, basename="evaluation-result")
router.register("evaluation/unit-results", views.UnitResultViewSet, basename="evaluation-unit-result")
router.register("evaluation/adjustments", views.AdjustmentViewSet, basename="evaluation-adjustment")
router.register("evaluation/appeals", views.AppealViewSet, basename="evaluation-appeal")
router.register("evaluation/mentorships", views.MentorshipViewSet, basename="evaluation-mentorship")
router.register("evaluation/nominations", views.NominationViewSet, basename="evaluation-nomination")
router.register("evaluation/honours", views.HonourViewSet, basename="evaluation-honour")

urlpatterns = router.urls
