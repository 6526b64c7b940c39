"""The scheduled detection: it reads every request (as the system, unscoped) and raises warnings.

* ``scan_rises``: weekly counts per (top-level category, township) over three years, the last seven days
  tested against each series' own seasonal baseline (``detection.detect_rises``, Benjamini–Hochberg).
* ``scan_repeats``: three or more requests within 30 days from one household (or one phone number), or
  about one place: the same address (more precise than the village's own name) or the same point (about
  100 m); linked requests count here, as coming back about one matter is what this looks for.
* ``scan_groups``: open matters with many parties (5 or more) or many linked requests (群体性 risk).
* ``scan_deadlines``: open red-risk matters due within 48 hours.

Linked duplicates count once (matter roots only), except where the links are the evidence (repeats, groups).
Each warning is about a subject (``services.warning_raise``): while it is open, a re-run adds evidence to it
instead of raising it again.
"""

from __future__ import annotations

import hashlib
import re
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
from .services import warning_escalate, warning_raise

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
            subject=f"rise:{category.pk}:{township.pk}",
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


def _bare_address(address: str, names: list[str]) -> str:
    """The address without spaces, punctuation and the names of its own region and ancestors: what is left
    says where exactly (a house number, a road, a building); empty when the address only names the village."""
    text = re.sub(r"[\s,，.。、/()（）\-#]+", "", address)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "")
    return text


def scan_repeats(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    recent = Request.objects.filter(created_at__gte=now - timedelta(days=REPEAT_DAYS), created_at__lt=now)
    raised = 0

    def raise_for(label: str, ident: str, evidence: list[Request], kind: str) -> None:
        nonlocal raised
        last = evidence[-1]
        _, created = warning_raise(
            kind=kind,
            subject=f"{kind}:{label}:{ident}",
            region=last.region,
            grid=last.grid,
            category=last.category,
            facts={"by": label, "count": len(evidence), "days": REPEAT_DAYS},
            evidence=evidence,
            severity="high" if len(evidence) >= 2 * REPEAT_MIN else "medium",
            min_new=REPEAT_MIN,
        )
        raised += created

    for label, group_field, condition in (
        ("household", "reporter_resident__household_id", Q(reporter_resident__isnull=False)),
        ("phone", "reporter_phone_hash", ~Q(reporter_phone_hash="")),
    ):
        hits = (
            recent.filter(condition)
            .order_by()
            .values(group_field)
            .annotate(n=Count("id"))
            .filter(n__gte=REPEAT_MIN)
        )
        for hit in hits:
            evidence = list(
                recent.filter(condition, **{group_field: hit[group_field]})
                .select_related("region", "grid", "category")
                .order_by("created_at", "id")
            )
            if len(evidence) >= REPEAT_MIN:
                raise_for(label, str(hit[group_field])[:64], evidence, WarningKind.REPEAT_REPORTER)

    # One place: the same precise address in one village, or the same point (coordinates to 3 decimals).
    by_place: dict[tuple, list[Request]] = defaultdict(list)
    candidates = (
        recent.filter(~Q(address="") | Q(latitude__isnull=False))
        .select_related("region", "grid", "category")
        .order_by("created_at", "id")
    )
    region_names: dict[int, list[str]] = {}
    for request in candidates.iterator(chunk_size=2000):
        if request.address:
            names = region_names.get(request.region_id)
            if names is None:
                codes = [c for c in request.region.path.split("/") if c]
                names = list(Region.objects.filter(code__in=codes).values_list("name", flat=True))
                region_names[request.region_id] = names
            bare = _bare_address(request.address, names)
            if len(bare) >= 2:
                by_place[("address", request.region_id, bare)].append(request)
        if request.latitude is not None and request.longitude is not None:
            by_place[("point", round(float(request.latitude), 3), round(float(request.longitude), 3))].append(
                request
            )
    seen: set[frozenset[int]] = set()
    for (basis, *ident), evidence in sorted(by_place.items(), key=lambda item: item[0][0]):
        ids = frozenset(r.pk for r in evidence)
        if len(evidence) < REPEAT_MIN or ids in seen:
            continue
        seen.add(ids)
        digest = hashlib.sha256("|".join(map(str, ident)).encode()).hexdigest()[:24]
        raise_for(basis, digest, evidence, WarningKind.REPEAT_PLACE)
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
        warning, created = warning_raise(
            kind=WarningKind.GROUP,
            subject=f"group:{request.pk}",
            region=request.region,
            grid=request.grid,
            category=request.category,
            request=request,
            facts={"by": basis, "count": count},
            evidence=evidence,
            severity="high",
        )
        if created:
            warning_escalate(warning=warning)
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
            subject=f"deadline:{request.pk}:{request.due_at.isoformat()}",
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
