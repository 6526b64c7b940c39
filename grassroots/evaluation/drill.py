"""The records behind a figure: for an officer, an indicator and a part (numerator or denominator), the
rows the figure counts, selected by the same definitions (so the list has exactly as many rows as the
figure says). Rows carry no residents' personal data: requests are shown by tracking code, kind, category,
place and dates (never title, description, reporter or address); visits by date, mode and place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from grassroots.casework.models import Request
from grassroots.outreach.models import Liaison, Visit

from . import indicators as ind
from .indicators import INDICATORS, Window
from .population import population

PARTS = ("numerator", "denominator")


@dataclass
class DrillRow:
    kind: str  # request, return, visit, liaison, event, assignment, session
    pk: int
    when: date | datetime | None
    title: str  # redacted label
    place: str = ""
    detail: str = ""
    value: float | None = None
    request_id: int | None = None


@dataclass
class Drill:
    code: str
    part: str
    total: int  # number of rows (for average days the denominator; the numerator sums ``value``)
    rows: list[DrillRow]
    value_sum: float | None = None

    @property
    def label(self) -> Any:
        spec = INDICATORS[self.code]
        return spec.numerator if self.part == "numerator" else spec.denominator


def _casework_ids(
    window: Window, officer_id: int | None, code: str, part: str, officers: QuerySet | None = None
) -> list[tuple[int, float | None]]:
    """The requests a casework figure counts, with their days for average days: of one officer, or of the
    officers of a subquery (one statement either way)."""
    inner = ind.facts_sql(window, officers=officers, officer_id=officer_id)
    if inner is None:
        return []
    sql, params = inner
    measures = ind.measure_sql(ind.as_of_epoch(window))
    value = ind.AVERAGE_DAYS_SUM if code == "average_days" else "NULL"
    if code == "average_days" and part == "numerator":
        condition = measures["average_days_n"]
    else:
        condition = measures[f"{code}_{'k' if part == 'numerator' else 'n'}"]
    query = (
        f"SELECT d.id, {value} FROM ({sql}) d "  # noqa: S608 - conditions are module constants
        f"WHERE {ind.COHORT} AND ({condition}) ORDER BY d.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return [(row[0], None if row[1] is None else float(row[1])) for row in cursor.fetchall()]


def casework_request_ids(window: Window, officers: QuerySet, code: str) -> list[int]:
    """The requests behind a casework indicator's numerator for a group of officers."""
    return [pk for pk, _value in _casework_ids(window, None, code, "numerator", officers=officers)]


def _request_rows(pairs: list[tuple[int, float | None]], kind: str = "request") -> list[DrillRow]:
    values = dict(pairs)
    requests = {
        r.pk: r
        for r in Request.objects.filter(pk__in=list(values))
        .select_related("region", "category")
        .only(
            "id", "tracking_code", "kind", "channel", "status", "created_at", "region__name", "category__name"
        )
    }
    rows = []
    for pk, value in pairs:
        r = requests.get(pk)
        if r is None:
            continue
        rows.append(
            DrillRow(
                kind=kind,
                pk=pk,
                when=r.created_at,
                title=f"{r.tracking_code} · {r.get_kind_display()}",
                place=r.region.name,
                detail=" · ".join(
                    x for x in [r.category.name if r.category else "", r.get_status_display()] if x
                ),
                value=None if value is None else round(value, 2),
                request_id=pk,
            )
        )
    return rows


def drill(*, window: Window, officer_id: int, code: str, part: str) -> Drill:
    if code not in INDICATORS or part not in PARTS:
        raise KeyError(code)
    spec = INDICATORS[code]
    if spec.source == "casework":
        pairs = _casework_ids(window, officer_id, code, part)
        rows = _request_rows(pairs)
        value_sum = round(sum(v for _pk, v in pairs if v is not None), 6) if code == "average_days" else None
        return Drill(code, part, len(rows), rows, value_sum)
    if spec.source == "returns":
        returned = list(
            ind.return_events(window)
            .filter(actor__officer=officer_id)
            .order_by("at", "id")
            .values_list("request_id", "at", "id")
        )
        rows = [
            DrillRow("return", pk, at, "", detail=_("returned"), request_id=request_id)
            for request_id, at, pk in returned
        ]
        codes = dict(
            Request.objects.filter(pk__in=[r.request_id for r in rows]).values_list("id", "tracking_code")
        )
        returned_label = _("returned")
        for row in rows:
            row.title = f"{codes.get(row.request_id, '')} · {returned_label}"
        if part == "denominator":
            rows = _request_rows(_casework_ids(window, officer_id, "completion", "denominator")) + rows
        return Drill(code, part, len(rows), rows)
    if spec.source == "visits":
        qs = ind.visit_rows(window).filter(officer_id=officer_id).select_related("region", "organization")
        rows = [_visit_row(v) for v in qs.order_by("visited_on", "id")]
        return Drill(code, part, len(rows), rows)
    if spec.source == "events":
        qs = ind.event_rows(window).filter(officers=officer_id).select_related("region").distinct()
        if code == "circuit_trials":
            qs = qs.filter(kind="circuit_trial")
        rows = [
            DrillRow("event", e.pk, e.starts_at, f"{e.get_kind_display()} · {e.title}", e.region.name,
                     detail=_("attendance %(n)s") % {"n": e.attendance} if e.attendance is not None else "")
            for e in qs.order_by("starts_at", "id")
        ]  # fmt: skip
        return Drill(code, part, len(rows), rows)
    if spec.source == "mentoring":
        qs = (
            ind.mentoring_sessions(window)
            .filter(mentorship__mentor_id=officer_id)
            .select_related("mentorship__mentee")
        )
        rows = [
            DrillRow("session", s.pk, s.held_on, s.topic, detail=f"{s.mentorship.mentee.name} · {s.minutes}′")
            for s in qs.order_by("held_on", "id")
        ]
        return Drill(code, part, len(rows), rows)
    if spec.source == "coverage":
        return _coverage(window, officer_id, part)
    return _front_line(window, officer_id, part)


def _visit_row(v: Visit) -> DrillRow:
    target = v.organization.name if v.organization_id else _("household")
    return DrillRow("visit", v.pk, v.visited_on, f"{target} · {v.get_mode_display()}", v.region.name)


def _duties(officer_id: int, day: date) -> list[dict[str, Any]]:
    """The officer's liaisons carrying a visit duty on ``day``, from outreach's own definition of duties:
    dicts with ``id``, ``organization_id``, ``start``, ``interval_days`` and ``last_visit``."""
    from grassroots.outreach import coverage

    liaisons = Liaison.objects.filter(officer_id=officer_id)
    if hasattr(coverage, "duty_values"):
        return [row for row in coverage.duty_values(liaisons=liaisons, as_of=day) if row["interval_days"]]
    rows = coverage.duty_rows(liaisons=liaisons, as_of=day).values(
        "id", "organization_id", "start", "interval_days", "last_visit"
    )
    return [row for row in rows if row["interval_days"] is not None]


def _coverage(window: Window, officer_id: int, part: str) -> Drill:
    """The officer's liaisons with a visit duty on the period's last day, each with its state as outreach's
    ``visit_state`` decides it (the same rule its coverage counts use)."""
    from grassroots.outreach.coverage import visit_state

    day = window.day
    labels = {"covered": _("covered"), "overdue": _("overdue"), "pending": _("pending")}
    every = _("every %(days)s days")
    duties = sorted(_duties(officer_id, day), key=lambda row: row["id"])
    places = {
        pk: (region, organization)
        for pk, region, organization in Liaison.objects.filter(pk__in=[d["id"] for d in duties]).values_list(
            "id", "region__name", "organization__name"
        )
    }
    rows = []
    for duty in duties:
        state = visit_state(
            start=duty["start"], last_visit=duty["last_visit"], interval_days=duty["interval_days"], as_of=day
        )
        if part == "numerator" and state != "covered":
            continue
        region, organization = places.get(duty["id"], ("", None))
        target = organization if duty["organization_id"] else _("household")
        rows.append(
            DrillRow(
                "liaison",
                duty["id"],
                duty["last_visit"],
                f"{target} · {every % {'days': duty['interval_days']}}",
                region or "",
                detail=labels[state],
            )
        )
    return Drill("visit_coverage", part, len(rows), rows)


def _front_line(window: Window, officer_id: int, part: str) -> Drill:
    from grassroots.workforce.models import Post

    facts = next((f for f in population(window) if f.officer_id == officer_id), None)
    if facts is None:
        return Drill("front_line_time", part, 0, [])
    posts = {
        p.pk: p
        for p in Post.objects.filter(pk__in=[a["post"] for a in facts.assignments]).select_related("unit")
    }
    rows = []
    for a in facts.assignments:
        if part == "numerator" and not a["front_line"]:
            continue
        post = posts[a["post"]]
        rows.append(
            DrillRow(
                "assignment",
                a["assignment"],
                date.fromisoformat(a["from"]),
                f"{post.unit.name} · {post.name}",
                detail=f"{a['from']} – {a['to']}",
                value=a["days"],
            )
        )
    total = facts.front_line_days if part == "numerator" else window.days
    return Drill("front_line_time", part, total, rows)
