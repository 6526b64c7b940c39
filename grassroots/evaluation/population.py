"""Who is evaluated in a period, where they served, and for how long at the front line.

One query reads every actual assignment that overlaps the period; the days are counted from those rows:
an officer's main post is the one held longest in the period, their difficulty the days-weighted mean of
their posts' difficulty weights, their front-line days the union of the days at front-line posts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from grassroots.workforce.models import Assignment, AssignmentKind, Officer, Unit, UnitKind

from .indicators import Window


@dataclass
class OfficerFacts:
    officer_id: int
    unit_id: int | None
    post_id: int | None
    peer_group: str
    difficulty: float
    front_line_days: int
    service_years: float
    is_leader: bool  # holds a leadership post in the period
    assignments: list[dict[str, Any]] = field(default_factory=list)

    def row(self) -> list[Any]:
        return [
            self.officer_id,
            self.unit_id,
            self.post_id,
            self.peer_group,
            round(self.difficulty, 4),
            self.front_line_days,
            round(self.service_years, 3),
            self.is_leader,
        ]


OFFICER_COLUMNS = ("officer", "unit", "post", "peer_group", "difficulty", "front_line_days", "service_years",
                   "is_leader")  # fmt: skip


def assignments_in(window: Window, unit: Unit | None = None) -> QuerySet[Assignment]:
    qs = Assignment.objects.filter(
        kind=AssignmentKind.ACTUAL, start__lte=window.end, officer__is_active=True
    ).filter(Q(end__isnull=True) | Q(end__gte=window.start))
    if unit is not None:
        qs = qs.filter(post__unit__path__startswith=unit.path)
    return qs


def population_officers(window: Window, unit: Unit | None = None) -> QuerySet[Officer]:
    """The evaluated officers as a queryset (used as a subquery by the indicator queries)."""
    return Officer.objects.filter(id__in=assignments_in(window, unit).values("officer_id"))


def _overlap(start: date, end: date | None, window: Window) -> tuple[date, date] | None:
    first = max(start, window.start)
    last = min(end or window.end, window.end)
    return (first, last) if first <= last else None


def _union_days(spans: list[tuple[date, date]]) -> int:
    days = 0
    current: tuple[date, date] | None = None
    for first, last in sorted(spans):
        if current is None or first > current[1] + timedelta(days=1):
            if current is not None:
                days += (current[1] - current[0]).days + 1
            current = (first, last)
        else:
            current = (current[0], max(current[1], last))
    if current is not None:
        days += (current[1] - current[0]).days + 1
    return days


def peer_group_code(unit_kind: str, front_line: bool) -> str:
    return f"{unit_kind}/{'front' if front_line else 'office'}"


def peer_group_label(code: str) -> str:
    kind, _slash, place = code.partition("/")
    kind_label = UnitKind(kind).label if kind in UnitKind.values else kind
    place_label = _("front line") if place == "front" else _("office")
    return f"{kind_label} · {place_label}"


def population(window: Window, unit: Unit | None = None) -> list[OfficerFacts]:
    rows = assignments_in(window, unit).values(
        "id",
        "officer_id",
        "officer__hire_date",
        "post_id",
        "post__unit_id",
        "post__unit__kind",
        "post__is_front_line",
        "post__is_leadership",
        "post__difficulty_weight",
        "start",
        "end",
    )
    by_officer: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        span = _overlap(row["start"], row["end"], window)
        if span is not None:
            row["days"] = (span[1] - span[0]).days + 1
            row["span"] = span
            by_officer[row["officer_id"]].append(row)
    facts = []
    for officer_id in sorted(by_officer):
        held = by_officer[officer_id]
        main = max(held, key=lambda r: (r["days"], r["start"], r["id"]))
        total = sum(r["days"] for r in held)
        difficulty = sum(float(r["post__difficulty_weight"]) * r["days"] for r in held) / total
        front = [r["span"] for r in held if r["post__is_front_line"]]
        hired = main["officer__hire_date"]
        facts.append(
            OfficerFacts(
                officer_id=officer_id,
                unit_id=main["post__unit_id"],
                post_id=main["post_id"],
                peer_group=peer_group_code(main["post__unit__kind"], main["post__is_front_line"]),
                difficulty=difficulty,
                front_line_days=min(_union_days(front), window.days),
                service_years=max(0.0, (window.end - hired).days / 365.25),
                is_leader=any(r["post__is_leadership"] for r in held),
                assignments=[
                    {
                        "assignment": r["id"],
                        "post": r["post_id"],
                        "front_line": r["post__is_front_line"],
                        "from": r["span"][0].isoformat(),
                        "to": r["span"][1].isoformat(),
                        "days": r["days"],
                    }
                    for r in sorted(held, key=lambda r: (r["start"], r["id"]))
                ],
            )
        )
    return facts
