"""Demo step of insights: what the scheduled job would have left after the demo year, so that the demo leader
opens a dashboard that is fast (request outcomes kept), a map (village points), and early warnings to act on:
danger text and group words read in the last 30 days' requests (as intake does), and the scans (rises,
repeats, groups, deadlines). Reset removes them again (before casework removes the requests)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from grassroots.casework.models import Request
from grassroots.common.demo import DemoContext, DemoManifest, DemoStep, raw_delete
from grassroots.territory.models import Region

from . import scan, services
from .models import Digest, EarlyWarning, PlacePoint, RequestOutcome

DANGER_DAYS = 30


def step_insights(ctx: DemoContext) -> dict[str, int]:
    counts = {
        "outcomes": services.outcomes_refresh(),
        "rolled_up": services.rollup_refresh(),
        "map_points": services.place_points_refresh(),
    }
    since = timezone.now() - timedelta(days=DANGER_DAYS)
    recent = Request.objects.filter(created_at__gte=since).select_related("region", "grid", "category")
    raised = 0
    for request in recent.iterator(chunk_size=2000):
        raised += len(services.danger_check(request=request))
    counts["text_warnings"] = raised
    counts["rise_series"] = len(scan.scan_rises())
    counts["repeat_warnings"] = scan.scan_repeats()
    counts["group_warnings"] = scan.scan_groups()
    counts["deadline_warnings"] = scan.scan_deadlines()
    return counts


STEPS = [DemoStep("insights.insights", "request outcomes, map points and early warnings", step_insights)]


def reset(manifest: DemoManifest) -> dict[str, int]:
    counties = list(Region.objects.filter(code__in=manifest.county_codes).values_list("id", flat=True))
    paths = list(Region.objects.filter(pk__in=counties).values_list("path", flat=True))
    warnings = EarlyWarning.objects.filter(county_id__in=counties)
    raw_delete(EarlyWarning.evidence.through.objects.filter(earlywarning__in=warnings))
    raw_delete(EarlyWarning.escalated_to.through.objects.filter(earlywarning__in=warnings))
    removed = {"warnings": raw_delete(warnings)}
    removed["outcomes"] = raw_delete(RequestOutcome.objects.filter(request__county_id__in=counties))
    in_area = Q(pk__in=[])
    for path in paths:
        in_area |= Q(region__path__startswith=path)
    removed["map_points"] = raw_delete(PlacePoint.objects.filter(in_area))
    removed["digests"] = raw_delete(Digest.objects.filter(user__username__startswith="demo-"))
    return removed
