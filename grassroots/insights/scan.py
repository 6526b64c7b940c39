"""The scheduled detection: it reads every request (as the system, unscoped) and raises warnings.

* ``scan_rises``: weekly counts per (top-level category, township) over three years, the last seven days
  tested against each series' own seasonal baseline (``detection.detect_rises``, Benjamini–Hochberg).
* ``scan_repeats``: three or more requests within 30 days from one household (or one phone number), or
  about one address.
* ``scan_groups``: open matters with many parties (5 or more) or many linked requests (群体性 risk).
* ``scan_deadlines``: open red-risk matters due within 48 hours.

Linked duplicates count once (matter roots only), except where the links are the evidence (groups).
Warnings are keyed so that a re-run raises nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from grassroots.casework.models import Category, Party, Request
from grassroots.casework.workflow import OPEN
from grassroots.territory.models import Region, RegionLevel

from .detection import detect_rises
from .models import WarningKind
from .services import warning_raise

HISTORY_WEEKS = 156
REPEAT_DAYS = 30
REPEAT_MIN = 3
GROUP_MIN_PARTIES = 5
GROUP_MIN_LINKED = 5
DEADLINE_WINDOW = timedelta(hours=48)


@dataclass
class ScanReport:
    raised: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    tested: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _townships() -> dict[str, Region]:
    return {r.path: r for r in Region.objects.filter(level=RegionLevel.TOWNSHIP)}


def _township_for(path: str, townships: dict[str, Region]) -> Region | None:
    prefix = ""
    for code in path.split("/")[:-1]:
        prefix += f"{code}/"
        if prefix in townships:
            return townships[prefix]
    return None


def scan_rises(
    *,
    now: datetime | None = None,
    alpha: float = 0.05,
    weeks: int = HISTORY_WEEKS,
    progress: Callable[[int], None] | None = None,
) -> list[Any]:
    now = now or timezone.now()
    start = now - timedelta(weeks=weeks)
    rows = (
        Request.objects.filter(
            matter__isnull=True, created_at__gte=start, created_at__lt=now, category__isnull=False
        )
        .order_by()
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("region__path", "category__path", "day")
        .annotate(n=Count("id"))
    )
    townships = _townships()
    tops = {c.path: c for c in Category.objects.filter(parent__isnull=True)}
    end_day = timezone.localtime(now).date()
    start_day = end_day - timedelta(weeks=weeks) + timedelta(days=1)
    series: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        township = _township_for(row["region__path"], townships)
        top = row["category__path"].split("/")[0] + "/"
        if township is None or top not in tops:
            continue
        # Weeks counted back from today: the last bin is the seven days ending today.
        index = weeks - 1 - (end_day - row["day"]).days // 7
        if index < 0:
            continue
        counts = series.setdefault((top, township.path), [0] * weeks)
        counts[index] += row["n"]
    offset = start_day.timetuple().tm_yday / 7
    results = detect_rises(series, alpha=alpha, week_of_year_offset=offset)
    tz = timezone.get_current_timezone()
    week_start = datetime.combine(end_day - timedelta(days=6), datetime.min.time(), tzinfo=tz)
    for result in results:
        if progress:
            progress(1)
        if not result.flagged:
            continue
        top, township_path = result.key
        category, township = tops[top], townships[township_path]
        evidence = Request.objects.filter(
            matter__isnull=True,
            created_at__gte=week_start,
            created_at__lt=now,
            category__path__startswith=top,
            region__path__startswith=township_path,
        )
        warning_raise(
            kind=WarningKind.RISE,
            key=f"rise:{category.pk}:{township.pk}:{timezone.localtime(now).date().isoformat()}",
            region=township,
            category=category,
            severity="high" if result.q_value < alpha / 10 else "medium",
            facts={
                "observed": result.observed,
                "expected": round(result.expected, 2),
                "upper": result.upper,
                "p_value": result.p_value,
                "q_value": result.q_value,
                "dispersion": round(result.dispersion, 2),
                "seasonal": result.seasonal,
                "tested_series": len(results),
                "week_from": timezone.localtime(week_start).date().isoformat(),
                "week_to": timezone.localtime(now).date().isoformat(),
            },
            evidence=list(evidence),
        )
    return results


def scan_repeats(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    recent = Request.objects.filter(
        matter__isnull=True, created_at__gte=now - timedelta(days=REPEAT_DAYS), created_at__lt=now
    )
    month = timezone.localtime(now).strftime("%Y-%m")
    raised = 0
    groups = [
        (
            "household",
            "reporter_resident__household_id",
            Q(reporter_resident__isnull=False),
            WarningKind.REPEAT_REPORTER,
        ),
        ("phone", "reporter_phone_hash", ~Q(reporter_phone_hash=""), WarningKind.REPEAT_REPORTER),
        ("place", "address", ~Q(address=""), WarningKind.REPEAT_PLACE),
    ]
    for label, group_field, condition, kind in groups:
        values = [group_field, "region_id"] if label == "place" else [group_field]
        hits = (
            recent.filter(condition)
            .order_by()
            .values(*values)
            .annotate(n=Count("id"))
            .filter(n__gte=REPEAT_MIN)
        )
        for hit in hits:
            lookup = {name: hit[name] for name in values}
            evidence = list(
                recent.filter(condition, **lookup).select_related("region", "grid").order_by("created_at")
            )
            if not evidence:
                continue
            last = evidence[-1]
            ident = "-".join(str(hit[name])[:40] for name in values)
            _, created = warning_raise(
                kind=kind,
                key=f"{kind}:{label}:{ident}:{month}",
                region=last.region,
                grid=last.grid,
                category=last.category,
                facts={"by": label, "count": len(evidence), "days": REPEAT_DAYS},
                evidence=evidence,
                severity="high" if len(evidence) >= 2 * REPEAT_MIN else "medium",
            )
            raised += created
    return raised


def scan_groups(*, now: datetime | None = None) -> int:
    open_roots = Request.objects.filter(matter__isnull=True, status__in=OPEN)
    raised = 0
    by_parties = (
        Party.objects.filter(request__in=open_roots)
        .order_by()
        .values("request_id")
        .annotate(n=Count("id"))
        .filter(n__gte=GROUP_MIN_PARTIES)
    )
    by_links = (
        Request.objects.filter(matter__in=open_roots)
        .order_by()
        .values("matter_id")
        .annotate(n=Count("id"))
        .filter(n__gte=GROUP_MIN_LINKED - 1)
    )
    found = {row["request_id"]: ("parties", row["n"]) for row in by_parties}
    for row in by_links:
        found.setdefault(row["matter_id"], ("linked", row["n"] + 1))
    for request in Request.objects.filter(pk__in=found).select_related("region", "grid"):
        basis, count = found[request.pk]
        evidence = [request, *Request.objects.filter(matter=request)]
        _, created = warning_raise(
            kind=WarningKind.GROUP,
            key=f"group:{request.pk}",
            region=request.region,
            grid=request.grid,
            category=request.category,
            request=request,
            facts={"by": basis, "count": count},
            evidence=evidence,
            severity="high",
        )
        raised += created
    return raised


def scan_deadlines(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    due = Request.objects.filter(
        matter__isnull=True,
        status__in=OPEN,
        is_paused=False,
        risk="red",
        due_at__gte=now,
        due_at__lt=now + DEADLINE_WINDOW,
    ).select_related("region", "grid")
    raised = 0
    for request in due:
        hours = round((request.due_at - now).total_seconds() / 3600, 1)
        _, created = warning_raise(
            kind=WarningKind.DEADLINE,
            key=f"deadline:{request.pk}:{request.due_at.isoformat()}",
            region=request.region,
            grid=request.grid,
            category=request.category,
            request=request,
            facts={"due_at": request.due_at.isoformat(), "hours_left": hours},
            evidence=[request],
            severity="high",
        )
        raised += created
    return raised
