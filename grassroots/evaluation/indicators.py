"""The indicators: what each one means, and the set-based queries that count them from the record.

Every casework indicator is read from one row of facts per request (``casework_facts``: an ORM query whose
columns are the request's state as of the cut-off, each subquery evaluated once) and one SQL condition over
those columns (``MEASURES``). The per-officer figures are a single ``GROUP BY`` over the facts
(``casework_cells``); the drill-down (``drill.py``) selects the rows of the same facts for which the same
condition holds, so the list behind a figure always has exactly as many rows as the figure counts.

Credit goes to the handling officer (``Request.assignee``). The record is read as of ``window.as_of``: a
request's state is the target of its last event up to then, follow-ups and sessions after it do not count.
The guards against gaming live in these definitions (see docs/evaluation.md):

- linked duplicates count once: a request linked into a matter (``matter`` set) is left out, its matter
  counts;
- a follow-up by the handling officer, or by anyone who resolved the request, is not a follow-up;
- a resolution later reopened is not on time, and it counts in the reopen rate;
- the deadline is the one the record carries (approved extensions only move it), less any pause the
  handling officer took on their own (a pause counts when someone else took it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.casework.models import (
    Agreement,
    Category,
    FollowUp,
    LitigationHandOff,
    MediationSession,
    Request,
    RequestEvent,
)
from grassroots.casework.workflow import Action
from grassroots.outreach.models import EventKind, EventStatus, OutreachEvent, Visit

from .sql import Epoch


class IndicatorKind:
    RATE = "rate"
    COUNT = "count"
    MEAN = "mean"


@dataclass(frozen=True)
class Indicator:
    code: str
    label: Any
    kind: str
    better: str  # "higher" or "lower": the direction of the default target
    numerator: Any
    denominator: Any
    source: str  # casework, returns, coverage, visits, events, front_line, mentoring
    case_mix: bool = False
    mass_work: bool = False
    unit: Any = ""
    exact: bool = False  # a fact (days served), not an estimate: no interval, never shrunk


INDICATOR_LIST = [
    Indicator("on_time", _("On-time completion"), IndicatorKind.RATE, "higher",
              _("resolved by the deadline, not reopened"), _("resolved or past the deadline"), "casework",
              case_mix=True),
    Indicator("completion", _("Completion"), IndicatorKind.RATE, "higher", _("resolved"),
              _("requests handled"), "casework", case_mix=True),
    Indicator("satisfaction", _("Satisfaction"), IndicatorKind.RATE, "higher",
              _("satisfied or basically satisfied"), _("reached by an independent follow-up"), "casework",
              case_mix=True, mass_work=True),
    Indicator("follow_up_valid", _("Valid follow-up rate"), IndicatorKind.RATE, "higher",
              _("reached by an independent follow-up"), _("resolved, reporter not anonymous"), "casework"),
    Indicator("reopen", _("Reopen rate"), IndicatorKind.RATE, "lower", _("reopened"), _("resolved"),
              "casework"),
    Indicator("return", _("Return rate"), IndicatorKind.RATE, "lower", _("returned by the officer"),
              _("assignments received"), "returns"),
    Indicator("mediation_success", _("Mediation success"), IndicatorKind.RATE, "higher",
              _("agreement signed"), _("disputes mediated"), "casework", mass_work=True),
    Indicator("pre_suit", _("Pre-suit resolution"), IndicatorKind.RATE, "higher",
              _("settled without litigation"), _("disputes resolved"), "casework", mass_work=True),
    Indicator("average_days", _("Average days"), IndicatorKind.MEAN, "lower", _("days taken (sum)"),
              _("requests resolved"), "casework", unit=_("days")),
    Indicator("visit_coverage", _("Visit coverage"), IndicatorKind.RATE, "higher",
              _("visited within their interval"), _("assigned households and organisations"), "coverage",
              mass_work=True),
    Indicator("visits", _("Visits"), IndicatorKind.COUNT, "higher", _("visits"), "", "visits",
              mass_work=True, unit=_("visits")),
    Indicator("outreach_events", _("Outreach events"), IndicatorKind.COUNT, "higher", _("events held"), "",
              "events", mass_work=True, unit=_("events")),
    Indicator("circuit_trials", _("Circuit trials"), IndicatorKind.COUNT, "higher",
              _("circuit trials held"), "", "events", mass_work=True, unit=_("trials")),
    Indicator("front_line_time", _("Front-line service time"), IndicatorKind.RATE, "higher",
              _("days at a front-line post"), _("days in the period"), "front_line", mass_work=True, exact=True),
    Indicator("mentoring_given", _("Mentoring given"), IndicatorKind.COUNT, "higher",
              _("mentoring sessions given"), "", "mentoring", mass_work=True, unit=_("sessions")),
]  # fmt: skip
INDICATORS: dict[str, Indicator] = {i.code: i for i in INDICATOR_LIST}


@dataclass(frozen=True)
class Window:
    """The period evaluated and the moment the record is read at."""

    start: date
    end: date
    as_of: datetime

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """The first moment after the period (exclusive bound)."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def as_of_date(self) -> date:
        return timezone.localtime(self.as_of).date()

    @property
    def day(self) -> date:
        """The day visit coverage is measured on: the period's last day (or the cut-off, when earlier)."""
        return min(self.end, self.as_of_date)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


# ----------------------------------------------------------------------------------- casework facts

RESOLVED_STATES = ("resolved", "follow_up", "closed")
SATISFIED = ("satisfied", "basically")
SETTLED_OUTCOMES = ("agreement", "explained", "fulfilled")


def _flag(expression: Any) -> Case:
    return Case(When(expression, then=Value(1)), default=Value(0), output_field=IntegerField())


def casework_facts(
    window: Window, officers: QuerySet | None = None, officer_id: int | None = None
) -> QuerySet[Request]:
    """One row per matter registered in the period and handled by an officer, with its state as of the
    cut-off. Each column is one (correlated, indexed) subquery; ``MEASURES`` turn them into figures."""
    as_of = window.as_of
    qs = Request.objects.filter(
        matter__isnull=True,
        assignee__isnull=False,
        created_at__gte=window.start_at,
        created_at__lt=window.end_at,
        created_at__lte=as_of,
    )
    if officers is not None:
        qs = qs.filter(assignee_id__in=officers)
    if officer_id is not None:
        qs = qs.filter(assignee_id=officer_id)
    events = RequestEvent.objects.filter(request=OuterRef("pk"), at__lte=as_of)
    last_resolve = events.filter(action=Action.RESOLVE).order_by("-at", "-id")
    # Follow-ups that count: reached, before the cut-off, by neither the handling officer nor a resolver.
    by_resolver = RequestEvent.objects.filter(
        request=OuterRef("request"), action=Action.RESOLVE, actor=OuterRef("by")
    )
    valid_follow_ups = (
        FollowUp.objects.filter(request=OuterRef("pk"), at__lte=as_of, reached=True)
        .filter(~Q(by_id=OuterRef("handler_user")))
        .filter(~Exists(by_resolver))
    )
    # A pause counts only when someone other than the handling officer took it: the deadline shift of each
    # resume that ended a pause the handling officer took is taken back.
    pause_by = Subquery(
        RequestEvent.objects.filter(
            request=OuterRef("request"), action=Action.PAUSE, id__lt=OuterRef("id"), at__lte=OuterRef("at")
        )
        .order_by("-at", "-id")
        .values("actor")[:1]
    )
    shift = Epoch(KeyTextTransform("due_after", "data"), text=True) - Epoch(
        KeyTextTransform("due_before", "data"), text=True
    )
    self_paused = (
        events.filter(action=Action.RESUME)
        .annotate(paused_by=pause_by)
        .filter(paused_by=OuterRef("handler_user"))
        .order_by()
        .values("request")
        .annotate(seconds=Sum(shift))
        .values("seconds")
    )
    return qs.annotate(handler_user=Coalesce(F("assignee__user_id"), Value(0))).annotate(
        officer=F("assignee_id"),
        f_kind=F("kind"),
        f_channel=F("channel"),
        f_category=F("category_id"),
        f_urgency=F("urgency"),
        anonymous=_flag(Q(is_anonymous=True)),
        state=Subquery(events.order_by("-at", "-id").values("to_status")[:1]),
        assigned=_flag(Exists(events.filter(action__in=[Action.ASSIGN, Action.REASSIGN]))),
        ever_resolved=_flag(Exists(events.filter(action=Action.RESOLVE))),
        reopened=_flag(Exists(events.filter(action__in=[Action.REOPEN, Action.REOPEN_DISSATISFIED]))),
        resolved_epoch=Epoch(Subquery(last_resolve.values("at")[:1])),
        outcome_as_of=Subquery(last_resolve.annotate(o=KeyTextTransform("outcome", "data")).values("o")[:1]),
        created_epoch=Epoch(F("created_at")),
        due_epoch=Epoch(F("due_at")),
        self_pause=Subquery(self_paused, output_field=FloatField()),
        followed_up=_flag(Exists(valid_follow_ups)),
        first_satisfaction=Subquery(valid_follow_ups.order_by("at", "id").values("satisfaction")[:1]),
        mediated=_flag(Exists(MediationSession.objects.filter(request=OuterRef("pk"), at__lte=as_of))),
        agreed=_flag(
            Exists(
                Agreement.objects.filter(request=OuterRef("pk"), signed_on__lte=window.as_of_date).exclude(
                    confirmation="refused"
                )
            )
        ),
        litigated=_flag(
            Exists(LitigationHandOff.objects.filter(request=OuterRef("pk"), handed_at__lte=as_of))
        ),
    )


FACT_COLUMNS = (
    "id", "officer", "f_kind", "f_channel", "f_category", "f_urgency", "anonymous", "state", "assigned",
    "ever_resolved", "reopened", "resolved_epoch", "outcome_as_of", "created_epoch", "due_epoch", "self_pause",
    "followed_up", "first_satisfaction", "mediated", "agreed", "litigated",
)  # fmt: skip


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


COHORT = f"d.assigned = 1 AND (d.state IS NULL OR d.state NOT IN {_in(('rejected', 'redirected'))})"
_RESOLVED = f"d.state IN {_in(RESOLVED_STATES)}"


def measure_sql(as_of_epoch: float) -> dict[str, str]:
    """Each casework indicator's denominator (``<code>_n``) and numerator (``<code>_k``) as a condition (or,
    for average days, a value) over the facts ``d``; a request counts in a figure when its condition holds."""
    due_known = "d.due_epoch IS NOT NULL"
    on_time_n = f"{due_known} AND (d.ever_resolved = 1 OR d.due_epoch <= {as_of_epoch!r})"
    return {
        "completion_n": "1 = 1",
        "completion_k": _RESOLVED,
        "on_time_n": on_time_n,
        "on_time_k": (
            f"{on_time_n} AND {_RESOLVED} AND d.reopened = 0 "
            "AND d.resolved_epoch <= d.due_epoch - COALESCE(d.self_pause, 0)"
        ),
        "follow_up_valid_n": "d.ever_resolved = 1 AND d.anonymous = 0",
        "follow_up_valid_k": "d.ever_resolved = 1 AND d.anonymous = 0 AND d.followed_up = 1",
        "satisfaction_n": "d.ever_resolved = 1 AND d.followed_up = 1",
        "satisfaction_k": f"d.ever_resolved = 1 AND d.followed_up = 1 AND d.first_satisfaction IN {_in(SATISFIED)}",
        "reopen_n": "d.ever_resolved = 1",
        "reopen_k": "d.ever_resolved = 1 AND d.reopened = 1",
        "mediation_success_n": "d.f_kind = 'dispute' AND d.mediated = 1",
        "mediation_success_k": "d.f_kind = 'dispute' AND d.mediated = 1 AND d.agreed = 1",
        "pre_suit_n": f"d.f_kind = 'dispute' AND {_RESOLVED}",
        "pre_suit_k": (
            f"d.f_kind = 'dispute' AND {_RESOLVED} AND d.litigated = 0 "
            f"AND d.outcome_as_of IN {_in(SETTLED_OUTCOMES)}"
        ),
        "average_days_n": _RESOLVED,
    }


AVERAGE_DAYS_SUM = f"CASE WHEN {_RESOLVED} THEN (d.resolved_epoch - d.created_epoch) / 86400.0 ELSE 0 END"
CASEWORK_CODES = ("on_time", "completion", "satisfaction", "follow_up_valid", "reopen", "mediation_success",
                  "pre_suit", "average_days")  # fmt: skip
CELL_KEYS = ("officer", "kind", "channel", "category", "urgency")
CELL_MEASURES = tuple(f"{code}_{part}" for code in CASEWORK_CODES for part in ("n", "k"))


def facts_sql(
    window: Window, officers: QuerySet | None = None, officer_id: int | None = None
) -> tuple[str, list[Any]] | None:
    """The SQL of the facts, or None when it selects nothing (e.g. an empty population)."""
    try:
        return casework_facts(window, officers, officer_id).values(*FACT_COLUMNS).query.sql_with_params()
    except EmptyResultSet:
        return None


def as_of_epoch(window: Window) -> float:
    return round(window.as_of.timestamp(), 6)


def casework_cells(window: Window, officers: QuerySet | None = None) -> list[dict[str, Any]]:
    """Every measure summed per (officer, kind, channel, category, urgency), in one GROUP BY."""
    inner = facts_sql(window, officers)
    if inner is None:
        return []
    sql, params = inner
    measures = measure_sql(as_of_epoch(window))
    sums = []
    for name in CELL_MEASURES:
        if name == "average_days_k":
            sums.append(f"SUM({AVERAGE_DAYS_SUM})")
        else:
            sums.append(f"SUM(CASE WHEN {measures[name]} THEN 1 ELSE 0 END)")
    keys = "d.officer, d.f_kind, d.f_channel, d.f_category, d.f_urgency"
    query = f"SELECT {keys}, {', '.join(sums)} FROM ({sql}) d WHERE {COHORT} GROUP BY {keys}"  # noqa: S608
    roots = category_roots()
    cells = []
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for row in cursor.fetchall():
            officer, kind, channel, category, urgency = row[:5]
            cell = {
                "officer": officer,
                "kind": kind,
                "channel": channel,
                "category": roots.get(category, "") if category else "",
                "urgency": urgency,
            }
            for name, value in zip(CELL_MEASURES, row[5:], strict=True):
                cell[name] = round(float(value or 0), 6) if name == "average_days_k" else int(value or 0)
            cells.append(cell)
    return cells


def category_roots() -> dict[int, str]:
    """Each category's top-level code (the case-mix model uses the first level of the tree)."""
    return {pk: path.split("/")[0] for pk, path in Category.objects.values_list("id", "path")}


# --------------------------------------------------------------------------------------- other counts


def returns_by_officer(window: Window, officers: QuerySet | None = None) -> dict[int, int]:
    """Returns (退单) by each officer of requests registered in the period, up to the cut-off."""
    qs = return_events(window)
    if officers is not None:
        qs = qs.filter(actor__officer__in=officers)
    rows = qs.values(officer_id=F("actor__officer")).annotate(n=Count("id")).order_by()
    return {r["officer_id"]: r["n"] for r in rows}


def return_events(window: Window) -> QuerySet[RequestEvent]:
    return RequestEvent.objects.filter(
        action=Action.RETURN,
        at__lte=window.as_of,
        actor__officer__isnull=False,
        request__matter__isnull=True,
        request__created_at__gte=window.start_at,
        request__created_at__lt=window.end_at,
    )


def visit_rows(window: Window) -> QuerySet[Visit]:
    """Visits made in the period (up to the cut-off), by their date: a visit entered late counts in the
    period it was made, as in visit coverage (the record check then shows the record has changed)."""
    return Visit.objects.filter(visited_on__gte=window.start, visited_on__lte=window.day)


def visits_by_officer(window: Window, officers: QuerySet | None = None) -> dict[int, int]:
    qs = visit_rows(window)
    if officers is not None:
        qs = qs.filter(officer_id__in=officers)
    return dict(qs.values("officer_id").annotate(n=Count("id")).order_by().values_list("officer_id", "n"))


def event_rows(window: Window) -> QuerySet[OutreachEvent]:
    """Outreach events held in the period (started before the cut-off)."""
    return OutreachEvent.objects.filter(
        status=EventStatus.HELD,
        starts_at__gte=window.start_at,
        starts_at__lt=window.end_at,
        starts_at__lte=window.as_of,
    )


def events_by_officer(window: Window, officers: QuerySet | None = None) -> dict[int, tuple[int, int]]:
    """Per officer: (events held, of which circuit trials)."""
    through = OutreachEvent.officers.through.objects.filter(outreachevent__in=event_rows(window))
    if officers is not None:
        through = through.filter(officer_id__in=officers)
    rows = (
        through.values("officer_id")
        .annotate(
            n=Count("outreachevent_id", distinct=True),
            circuit=Count(
                "outreachevent_id",
                filter=Q(outreachevent__kind=EventKind.CIRCUIT_TRIAL),
                distinct=True,
            ),
        )
        .order_by()
    )
    return {r["officer_id"]: (r["n"], r["circuit"]) for r in rows}


def mentoring_sessions(window: Window) -> QuerySet:
    from .models import MentoringSession, MentorshipStatus

    return MentoringSession.objects.filter(
        held_on__gte=window.start,
        held_on__lte=window.day,
        mentorship__status__in=[MentorshipStatus.ACTIVE, MentorshipStatus.ENDED],
    )


def mentoring_by_officer(window: Window, officers: QuerySet | None = None) -> dict[int, int]:
    qs = mentoring_sessions(window)
    if officers is not None:
        qs = qs.filter(mentorship__mentor_id__in=officers)
    rows = qs.values(officer_id=F("mentorship__mentor_id")).annotate(n=Count("id")).order_by()
    return {r["officer_id"]: r["n"] for r in rows}


def coverage_by_officer(window: Window, officers: QuerySet | None = None) -> dict[int, tuple[int, int]]:
    """Per officer: (liaisons with a visit duty, of which covered) on the period's last day, from the
    outreach coverage computation itself."""
    from grassroots.outreach.coverage import coverage_counts
    from grassroots.outreach.models import Liaison

    liaisons = Liaison.objects.all()
    if officers is not None:
        liaisons = liaisons.filter(officer_id__in=officers)
    rows = coverage_counts(liaisons=liaisons, as_of=window.day, group="officer")
    return {row.key: (row.assigned, row.covered) for row in rows}
