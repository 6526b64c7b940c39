"""Outreach reads, scoped by the actor: liaisons, visits, events, coverage, the due list, the officer's day
and the "before they ask" list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from grassroots.casework.models import FollowUp, Request, Satisfaction
from grassroots.casework.selectors import deadline_state, my_requests
from grassroots.casework.workflow import OPEN
from grassroots.common.scoping import Actor, as_actor, get_visible_or_404
from grassroots.territory.models import Grid, Household, Region
from grassroots.workforce.models import Officer, Unit

from . import coverage as cov
from .models import (
    CoverageCount,
    DutyGeneration,
    EventKind,
    EventStatus,
    Liaison,
    LiaisonKind,
    NoticeBoard,
    OutreachEvent,
    Photo,
    Visit,
    VisitDuty,
    VisitRule,
)

DUE_HORIZON_DAYS = 7


def liaison_list(
    *, actor: Actor | Any, officer_id: int | None = None, kind: str | None = None, current_only: bool = True
) -> QuerySet[Liaison]:
    qs = Liaison.objects.visible_to(actor).select_related(
        "officer", "household", "organization", "grid", "region"
    )
    if officer_id:
        qs = qs.filter(officer_id=officer_id)
    if kind:
        qs = qs.filter(kind=kind)
    if current_only:
        qs = qs.active_on(timezone.localdate())
    return qs.order_by("officer__staff_number", "kind", "region__path", "id")


def liaison_get(*, actor: Actor | Any, pk: Any) -> Liaison:
    return get_visible_or_404(
        Liaison.objects.visible_to(actor).select_related("officer", "household", "organization", "grid"),
        pk=pk,
    )


def visit_rule_list() -> QuerySet[VisitRule]:
    """Visit rules are reference data: the same for everyone who may see outreach data."""
    return VisitRule.objects.select_related("care_tag", "county").order_by(
        "-is_active", "applies_to", "interval_days", "id"
    )


def visit_rule_get(*, pk: Any) -> VisitRule:
    return get_visible_or_404(visit_rule_list(), pk=pk)


def visit_list(
    *, actor: Actor | Any, officer_id: int | None = None, household_id: int | None = None
) -> QuerySet[Visit]:
    qs = Visit.objects.visible_to(actor).select_related("officer", "household", "organization", "region")
    if officer_id:
        qs = qs.filter(officer_id=officer_id)
    if household_id:
        qs = qs.filter(household_id=household_id)
    return qs.order_by("-visited_at", "-id")


def visit_get(*, actor: Actor | Any, pk: Any) -> Visit:
    qs = Visit.objects.visible_to(actor).select_related(
        "officer", "household", "organization", "met_resident", "region"
    )
    return get_visible_or_404(qs.prefetch_related("requests", "photos"), pk=pk)


def event_list(
    *, actor: Actor | Any, start: date | None = None, end: date | None = None, officer_id: int | None = None
) -> QuerySet[OutreachEvent]:
    qs = OutreachEvent.objects.visible_to(actor).select_related("region", "organization", "unit")
    if start:
        qs = qs.filter(starts_at__gte=_day_start(start))
    if end:
        qs = qs.filter(starts_at__lt=_day_start(end + timedelta(days=1)))
    if officer_id:
        qs = qs.filter(officers__id=officer_id)
    return qs.prefetch_related("officers").order_by("starts_at", "id")


def event_get(*, actor: Actor | Any, pk: Any) -> OutreachEvent:
    qs = OutreachEvent.objects.visible_to(actor).select_related("region", "organization", "unit")
    return get_visible_or_404(qs.prefetch_related("officers", "requests", "photos"), pk=pk)


def event_report(*, actor: Actor | Any, start: date | None = None, end: date | None = None) -> dict[str, Any]:
    """Activity of the events held between ``start`` and ``end`` (default: the last 365 days), per officer
    (events, attendance, cases heard or mediated) and per place (events, attendance, circuit trials,
    cases). Two grouped queries."""
    end = end or timezone.localdate()
    start = start or end - timedelta(days=365)
    held = event_list(actor=actor, start=start, end=end).filter(status=EventStatus.HELD).order_by()
    per_officer = list(
        held.values("officers__id", "officers__name", "officers__staff_number")
        .annotate(
            events=Count("id", distinct=True),
            attendance=Sum("attendance"),
            cases=Count("requests", distinct=True),
        )
        .order_by("-events", "officers__staff_number")
    )
    per_place = list(
        held.values("region__id", "region__name", "region__code", "region__path")
        .annotate(
            events=Count("id", distinct=True),
            attendance=Sum("attendance"),
            circuit_trials=Count("id", filter=Q(kind=EventKind.CIRCUIT_TRIAL), distinct=True),
            cases=Count("requests", distinct=True),
        )
        .order_by("-events", "region__path")
    )
    return {
        "start": start,
        "end": end,
        "per_officer": [
            {
                "officer": {
                    "id": r["officers__id"],
                    "name": r["officers__name"],
                    "staff_number": r["officers__staff_number"],
                },
                "events": r["events"],
                "attendance": r["attendance"] or 0,
                "cases": r["cases"],
            }
            for r in per_officer
            if r["officers__id"] is not None
        ],
        "per_place": [
            {
                "region": {"id": r["region__id"], "name": r["region__name"], "code": r["region__code"]},
                "events": r["events"],
                "attendance": r["attendance"] or 0,
                "circuit_trials": r["circuit_trials"],
                "cases": r["cases"],
            }
            for r in per_place
        ],
    }


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# ------------------------------------------------------------------------------------------- coverage


def coverage_source(*, as_of: date) -> DutyGeneration | None:
    """The due-list generation that answers for ``as_of``, or None: compute from the visits."""
    return cov.current_generation(as_of)


def coverage_report(
    *, actor: Actor | Any, group: str, as_of: date | None = None, live: bool = False
) -> list[cov.CoverageRow]:
    """Coverage per officer, grid, village, township, county or unit, within the actor's scope, labelled,
    lowest coverage first. Read from the counts of the generation's day, or from the generated due lists
    when they answer for ``as_of``; otherwise (or with ``live``) computed from the visits."""
    actor = as_actor(actor)
    as_of = as_of or timezone.localdate()
    if group not in cov.GROUPS:
        raise ValueError(f"group must be one of {', '.join(cov.GROUPS)}")
    column_group = "officer" if group == "unit" else group
    source = None if live else coverage_source(as_of=as_of)
    if source is not None and source.as_of == as_of:  # the generation's own day: its count rows
        rows = cov.counted_coverage(
            counts=CoverageCount.objects.visible_to(actor), as_of=as_of, group=column_group
        )
    elif source is not None:
        rows = cov.duty_coverage_counts(
            duties=VisitDuty.objects.visible_to(actor), as_of=as_of, group=column_group
        )
    else:
        rows = cov.coverage_counts(
            liaisons=Liaison.objects.visible_to(actor), as_of=as_of, group=column_group
        )
    if group == "unit":
        rows = cov.coverage_by_unit(rows, as_of)
    model = {"officer": Officer, "grid": Grid, "unit": Unit}.get(group, Region)
    names = dict(
        model.objects.filter(pk__in=[r.key for r in rows if r.key is not None]).values_list("pk", "name")
    )
    for row in rows:
        row.label = names.get(row.key, "—")
    rows.sort(key=lambda r: (r.coverage if r.coverage is not None else 2, r.label))
    return rows


def coverage_summary(*, actor: Actor | Any, as_of: date | None = None) -> dict[str, Any] | None:
    """走访覆盖率 of everything in the actor's scope, for the insights dashboard: ``rate`` (None without
    duties), ``visited``, ``assigned``, ``overdue``, ``as_of``. None for roles without outreach data."""
    actor = as_actor(actor)
    if not (actor.is_admin or actor.is_staff_officer):
        return None
    as_of = as_of or timezone.localdate()
    total = cov.coverage_total(coverage_report(actor=actor, group="county", as_of=as_of))
    return {
        "rate": total.coverage,
        "visited": total.covered,
        "assigned": total.assigned,
        "overdue": total.overdue,
        "as_of": as_of,
    }


@dataclass
class DueItem:
    liaison: Liaison
    interval_days: int
    last_visit: date | None
    due: date
    state: str
    days_overdue: int = 0

    @property
    def target(self):
        return self.liaison.target


_DUE_RELATED = ("officer", "household", "organization", "region", "grid")


def _due_item(liaison: Liaison, interval: int, last: date | None, due: date, as_of: date) -> DueItem:
    state = cov.visit_state(start=liaison.start, last_visit=last, interval_days=interval, as_of=as_of)
    return DueItem(liaison, interval, last, due, state, max(0, (as_of - due).days))


class DueSequence:
    """A due list read from the generated duties, sliced lazily (so that a paginator reads one page)."""

    def __init__(self, duties: QuerySet[VisitDuty], as_of: date):
        self.duties, self.as_of = duties, as_of

    def __len__(self) -> int:
        return self.duties.count()

    def count(self) -> int:
        return len(self)

    def __getitem__(self, index: slice) -> list[DueItem]:
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        return [
            _due_item(d.liaison, d.interval_days, d.last_visit, d.due_on, self.as_of)
            for d in self.duties[index]
        ]

    def __iter__(self):
        return iter(self[0 : len(self)])


def due_list(
    *,
    actor: Actor | Any,
    officer: Officer | None = None,
    as_of: date | None = None,
    horizon_days: int = DUE_HORIZON_DAYS,
    overdue_only: bool = False,
    live: bool = False,
) -> list[DueItem] | DueSequence:
    """Liaisons due by ``as_of + horizon_days`` (or overdue), soonest first.

    One officer's list is computed from the visits (exact to the minute); the list of a whole scope is
    read from the generated duties when they answer for ``as_of`` (a ``DueSequence``, sliced lazily),
    else computed as well."""
    actor = as_actor(actor)
    as_of = as_of or timezone.localdate()
    horizon = as_of + timedelta(days=0 if overdue_only else horizon_days)
    if officer is None and not live and coverage_source(as_of=as_of) is not None:
        duties = VisitDuty.objects.visible_to(actor).active_on(as_of).filter(due_on__lte=horizon)
        if overdue_only:
            duties = duties.filter(cov.duty_state_filters(as_of)["overdue"])
        duties = duties.select_related(*(f"liaison__{name}" for name in _DUE_RELATED))
        return DueSequence(duties.order_by("due_on", "region_id", "liaison_id"), as_of)
    liaisons = Liaison.objects.visible_to(actor)
    if officer is not None:
        liaisons = liaisons.filter(officer=officer)
    rows = cov.duty_values(liaisons=liaisons, as_of=as_of)
    due_rows = []
    for row in rows:
        due = cov.due_date(
            start=row["start"], last_visit=row["last_visit"], interval_days=row["interval_days"]
        )
        if due <= horizon:
            due_rows.append((row, due))
    loaded = Liaison.objects.select_related(*_DUE_RELATED).in_bulk([row["id"] for row, _due in due_rows])
    items = []
    for row, due in due_rows:
        item = _due_item(loaded[row["id"]], row["interval_days"], row["last_visit"], due, as_of)
        if overdue_only and item.state != "overdue":
            continue
        items.append(item)
    items.sort(key=lambda i: (i.due, i.liaison.region.path, i.liaison.id))
    return items


# ------------------------------------------------------------------------------------ before they ask


@dataclass
class AttentionItem:
    household: Household
    reasons: list[str] = field(default_factory=list)
    codes: set[str] = field(default_factory=set)


REPEAT_WINDOW_DAYS = 365
UNRESOLVED_AGE_DAYS = 30
ATTENTION_LIMIT = 500


def attention_list(
    *, actor: Actor | Any, as_of: date | None = None, limit: int = ATTENTION_LIMIT
) -> list[AttentionItem]:
    """Households that need contact now, each with its reasons: care-tagged and not visited within their
    interval; two or more requests within a year; a request open for over a month; a dissatisfied
    follow-up on the latest follow-up of a request. Three queries plus one to load the households."""
    from django.utils.translation import gettext as _

    actor = as_actor(actor)
    as_of = as_of or timezone.localdate()
    households = Household.objects.visible_to(actor)
    found: dict[int, AttentionItem] = {}
    names: dict[int, Household] = {}

    def add(household_id: int, code: str, reason: str) -> None:
        item = found.setdefault(household_id, AttentionItem(household=None))  # type: ignore[arg-type]
        if code not in item.codes:
            item.codes.add(code)
            item.reasons.append(reason)

    for household_id, last, interval in cov.household_attention_rows(
        households=households, as_of=as_of, limit=limit
    ):
        if last is None:
            add(
                household_id,
                "not_visited",
                _("Care tag: not visited yet (every %(days)s days)") % {"days": interval},
            )
        else:
            add(
                household_id,
                "not_visited",
                _("Care tag: last visited %(day)s, due every %(days)s days")
                % {"day": last, "days": interval},
            )
    requests = Request.objects.visible_to(actor).filter(
        reporter_resident__household__in=households, matter__isnull=True
    )
    since = _day_start(as_of - timedelta(days=REPEAT_WINDOW_DAYS))
    for household_id, count in (
        requests.filter(created_at__gte=since)
        .values("reporter_resident__household_id")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .values_list("reporter_resident__household_id", "n")[:limit]
    ):
        add(household_id, "repeat", _("%(n)s requests within a year") % {"n": count})
    old = _day_start(as_of - timedelta(days=UNRESOLVED_AGE_DAYS))
    for household_id, count in (
        requests.filter(status__in=OPEN, created_at__lt=old)
        .values("reporter_resident__household_id")
        .annotate(n=Count("id"))
        .values_list("reporter_resident__household_id", "n")[:limit]
    ):
        add(
            household_id,
            "unresolved",
            _("%(n)s request(s) open for over %(days)s days") % {"n": count, "days": UNRESOLVED_AGE_DAYS},
        )
    later = FollowUp.objects.filter(request_id=OuterRef("request_id"), at__gt=OuterRef("at"), reached=True)
    dissatisfied = (
        FollowUp.objects.filter(request__in=requests, reached=True, satisfaction=Satisfaction.DISSATISFIED)
        .filter(~Exists(later))
        .values_list("request__reporter_resident__household_id", "request__reporter_resident__name")[:limit]
    )
    for household_id, name in dissatisfied:
        add(household_id, "dissatisfied", _("%(name)s was dissatisfied at the follow-up") % {"name": name})
    names = (
        households.filter(pk__in=list(found))
        .select_related("region", "grid")
        .prefetch_related("care_tags")
        .in_bulk()
    )
    items = []
    for household_id, item in found.items():
        if household_id in names:
            item.household = names[household_id]
            items.append(item)
    items.sort(key=lambda i: (-len(i.codes), i.household.region.path, i.household.number))
    return items[:limit]


# --------------------------------------------------------------------------------------- officer's day


@dataclass
class OfficerDay:
    day: date
    officer: Officer | None
    due: list[DueItem]
    route: list[Any]
    route_method: str
    requests: list[tuple[Request, str]]
    events: list[OutreachEvent]
    coverage: cov.CoverageRow | None
    standing: list[Liaison] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.due if item.state == "overdue")


OFFICER_DAY_REQUESTS = 50


def officer_day(*, actor: Actor | Any, day: date | None = None) -> OfficerDay:
    """One officer's day: visits due or overdue ordered into a route, open requests with their clocks
    (soonest due first), today's outreach events, the standing duties of their organisation and grid
    liaisons, and their coverage."""
    from .routing import order_route

    actor = as_actor(actor)
    day = day or timezone.localdate()
    officer = actor.officer
    if officer is None:
        return OfficerDay(day, None, [], [], "none", [], [], None)
    due = due_list(actor=actor, officer=officer, as_of=day, horizon_days=0)
    route, method = order_route(due)
    now = timezone.now()
    requests = [
        (r, deadline_state(r, now))
        for r in my_requests(actor=actor).select_related("region")[:OFFICER_DAY_REQUESTS]
    ]
    events = list(event_list(actor=actor, start=day, end=day, officer_id=officer.pk))
    rows = cov.coverage_counts(liaisons=Liaison.objects.filter(officer=officer), as_of=day, group="officer")
    standing = list(
        Liaison.objects.filter(officer=officer, kind__in=[LiaisonKind.ORGANIZATION, LiaisonKind.GRID])
        .active_on(day)
        .select_related("organization", "grid", "region")
        .order_by("kind", "region__path", "id")
    )
    return OfficerDay(day, officer, due, route, method, requests, events, rows[0] if rows else None, standing)


def officer_unit(*, officer: Officer) -> Unit | None:
    """The unit of the officer's current post (the first, for an officer holding two)."""
    from grassroots.workforce.models import Assignment

    current = (
        Assignment.objects.current(timezone.localdate())
        .filter(officer=officer)
        .select_related("post__unit")
        .order_by("start", "id")
        .first()
    )
    return current.post.unit if current else None


def notice_board_get(*, officer: Officer) -> NoticeBoard | None:
    return NoticeBoard.objects.filter(officer=officer).select_related("photo").first()


def officer_liaison_summary(*, actor: Actor | Any, officer: Officer) -> dict[str, list[Liaison]]:
    liaisons = liaison_list(actor=actor, officer_id=officer.pk)
    grouped: dict[str, list[Liaison]] = {k: [] for k in LiaisonKind.values}
    for liaison in liaisons:
        grouped[liaison.kind].append(liaison)
    return grouped


def photo_for_viewer(*, actor: Actor | Any, token: str) -> Photo:
    """A photo the actor may see: of a visit or event in scope, or a published notice-board portrait
    (anyone, even anonymous), or an unpublished one (its officer, or staff who may see that officer)."""
    actor = as_actor(actor)
    photo = get_visible_or_404(Photo.objects.all(), token=token)
    if photo.visit_id:
        get_visible_or_404(Visit.objects.visible_to(actor), pk=photo.visit_id)
        return photo
    if photo.event_id:
        get_visible_or_404(OutreachEvent.objects.visible_to(actor), pk=photo.event_id)
        return photo
    board = NoticeBoard.objects.filter(photo=photo).first()
    if board is not None and board.is_published:
        return photo
    if photo.uploaded_by_id is not None and photo.uploaded_by_id == actor.pk:
        return photo
    if board is not None and (
        actor.is_admin or Officer.objects.visible_to(actor).filter(pk=board.officer_id).exists()
    ):
        return photo
    from django.http import Http404

    raise Http404
