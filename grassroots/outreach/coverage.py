"""Visit duties and coverage, computed by set-based queries.

Definitions (``docs/outreach.md``):

- A liaison's interval is the shortest ``interval_days`` among the active rules that match its target
  (households: rules without a care tag, or with one of the household's tags, limited to urban or rural
  households where the rule says so; organisations: rules without a kind, or with the organisation's kind;
  a rule with a county applies only there). No rule, an inactive household or organisation, or a grid
  liaison: no duty.
- The liaison's *last visit* on day D is the latest of: its officer's last visit to the target on or
  before D; the last visit to the target before the liaison started by an officer who was then the
  target's liaison (a handover keeps the household's clock running).
- On day D the window starts at ``D - interval``. The liaison is *covered* when its last visit is on or
  after the window start. The next visit is due ``interval`` days after the last visit (or after the start
  of the liaison, when the last visit is older than the start); past that day the liaison is *overdue*. A
  liaison not covered that has not yet lived a whole interval is *pending*.
- Coverage = covered / assigned, where assigned = liaisons with a duty active on D (a duty counts once per
  liaison: a household with two liaison officers carries two duties).
- Places (grid, village, township, county) are the target's current ones: a household that moved is
  counted where it lives; the visits it received before moving still count.

Everything here is a constant number of queries whatever the number of households. ``duty_rows`` is the
definition; ``duties_generate`` materialises it into ``VisitDuty`` (the due lists), from which the state on
any later day follows by comparing dates, so that the dashboard of a whole city reads one narrow table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from grassroots.common.scoping import Actor, as_actor
from grassroots.territory.models import Household, Organization

from .models import (
    DutyGeneration,
    HouseholdArea,
    Liaison,
    LiaisonKind,
    RuleTarget,
    Visit,
    VisitDuty,
    VisitRule,
)

GROUPS = ("officer", "grid", "village", "township", "county", "unit")
DUTY_KINDS = (LiaisonKind.HOUSEHOLD, LiaisonKind.ORGANIZATION)
# Group key -> column of ``duty_rows`` (live) and of ``VisitDuty`` (materialised).
_LIVE_COLUMNS = {
    "officer": "officer_id",
    "grid": "place_grid",
    "village": "place_region",
    "township": "place_township",
    "county": "place_county",
}
_DUTY_COLUMNS = {
    "officer": "officer_id",
    "grid": "grid_id",
    "village": "region_id",
    "township": "township_id",
    "county": "county_id",
}


def active_rules() -> list[VisitRule]:
    """Active rules, shortest interval first (the first that matches wins)."""
    return list(VisitRule.objects.filter(is_active=True).order_by("interval_days", "id"))


# ----------------------------------------------------------------------------------------- intervals


def _rule_condition(rule: VisitRule, refs: dict[str, str | None]) -> Q:
    if rule.applies_to == RuleTarget.HOUSEHOLD:
        cond = Q(**{refs["kind"]: LiaisonKind.HOUSEHOLD}) if refs["kind"] else Q(pk__isnull=False)
        if rule.care_tag_id:
            tagged = Household.care_tags.through.objects.filter(
                household_id=OuterRef(refs["household"]), caretag_id=rule.care_tag_id
            )
            cond &= Q(Exists(tagged))
        if rule.household_area:
            cond &= Q(**{refs["urban"]: rule.household_area == HouseholdArea.URBAN})
        county = refs["household_county"]
    else:
        if refs["kind"] is None:
            return Q(pk__in=[])
        cond = Q(**{refs["kind"]: LiaisonKind.ORGANIZATION})
        if rule.organization_kind:
            cond &= Q(**{refs["org_kind"]: rule.organization_kind})
        county = refs["org_county"]
    if rule.county_id:
        cond &= Q(**{county: rule.county_id})
    return cond


def _case(rules: list[VisitRule], value: Callable[[VisitRule], Any], output: Any, refs: dict) -> Case | Value:
    whens = [
        When(_rule_condition(rule, refs), then=Value(value(rule), output_field=output)) for rule in rules
    ]
    if not whens:
        return Value(None, output_field=output)
    return Case(*whens, default=Value(None, output_field=output), output_field=output)


LIAISON_REFS: dict[str, str | None] = {
    "kind": "kind",
    "household": "household_id",
    "urban": "household__region__is_urban",
    "household_county": "household__county_id",
    "org_kind": "organization__kind",
    "org_county": "organization__county_id",
}
HOUSEHOLD_REFS: dict[str, str | None] = {
    "kind": None,
    "household": "pk",
    "urban": "region__is_urban",
    "household_county": "county_id",
    "org_kind": None,
    "org_county": None,
}


def interval_case(rules: list[VisitRule], refs: dict = LIAISON_REFS) -> Case | Value:
    return _case(rules, lambda r: r.interval_days, IntegerField(), refs)


# --------------------------------------------------------------------------------------- last visits


def _own_last_visit(target: str, as_of: date) -> Subquery:
    visits = (
        Visit.objects.filter(
            **{target: OuterRef(f"{target}_id")}, officer_id=OuterRef("officer_id"), visited_on__lte=as_of
        )
        .order_by()
        .values(target)
        .annotate(last=Max("visited_on"))
        .values("last")
    )
    return Subquery(visits, output_field=DateField())


def _carried_visit(target: str, as_of: date) -> Subquery:
    """The last visit to the target before the liaison started, by an officer who was then its liaison."""
    liaison_then = Liaison.objects.filter(
        **{target: OuterRef(target)}, officer_id=OuterRef("officer_id"), start__lte=OuterRef("visited_on")
    ).filter(Q(end__isnull=True) | Q(end__gte=OuterRef("visited_on")))
    visits = (
        Visit.objects.filter(
            **{target: OuterRef(f"{target}_id")}, visited_on__lt=OuterRef("start"), visited_on__lte=as_of
        )
        .filter(Exists(liaison_then))
        .order_by()
        .values(target)
        .annotate(last=Max("visited_on"))
        .values("last")
    )
    return Subquery(visits, output_field=DateField())


class LatestDate(Func):
    """The later of two dates, ignoring a NULL (PostgreSQL's GREATEST; on SQLite each side is still written
    once, so a subquery on either side runs once per row)."""

    function = "GREATEST"
    arity = 2
    output_field = DateField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        a_sql, a_params = compiler.compile(self.source_expressions[0])
        b_sql, b_params = compiler.compile(self.source_expressions[1])
        return f"NULLIF(MAX(COALESCE({a_sql}, ''), COALESCE({b_sql}, '')), '')", [*a_params, *b_params]


def _by_kind(household: Any, organization: Any) -> Case:
    return Case(
        When(kind=LiaisonKind.HOUSEHOLD, then=household), default=organization, output_field=DateField()
    )


def last_visit_expression(as_of: date) -> LatestDate:
    """The liaison's last visit up to ``as_of``, carried-over visits included (see the module docstring)."""
    own = _by_kind(_own_last_visit("household", as_of), _own_last_visit("organization", as_of))
    carried = _by_kind(_carried_visit("household", as_of), _carried_visit("organization", as_of))
    return LatestDate(own, carried)


def duty_rows(
    *, liaisons: QuerySet[Liaison], as_of: date, rules: list[VisitRule] | None = None, active: bool = True
) -> QuerySet[Liaison]:
    """Liaisons of the kinds that carry duties (active on ``as_of``, or with ``active=False`` not ended
    before it) with an active target, annotated with ``interval_days`` (None: no rule, no duty),
    ``last_visit`` and the target's current place (``place_region``, ``place_grid``, ``place_township``,
    ``place_county``).

    Each annotation is written once in the SELECT: filtering on one would make Django write its
    ``CASE`` or subquery again in the WHERE, so ``duty_sql`` filters in an outer query instead."""
    rules = active_rules() if rules is None else rules
    if active:
        liaisons = liaisons.active_on(as_of)
    else:
        liaisons = liaisons.filter(Q(end__isnull=True) | Q(end__gte=as_of))
    return (
        liaisons.filter(kind__in=DUTY_KINDS)
        .filter(Q(household__is_active=True) | Q(organization__is_active=True))
        .annotate(
            interval_days=interval_case(rules),
            last_visit=last_visit_expression(as_of),
            place_region=Coalesce("household__region_id", "organization__region_id"),
            place_grid=F("household__grid_id"),
            place_township=Coalesce("household__region__parent_id", "organization__region__parent_id"),
            place_county=Coalesce("household__county_id", "organization__county_id"),
        )
    )


def duty_sql(
    *,
    liaisons: QuerySet[Liaison],
    as_of: date,
    columns: list[str],
    rules: list[VisitRule],
    active: bool = True,
) -> tuple[str, tuple]:
    """``SELECT … FROM (duty rows) d WHERE d.interval_days IS NOT NULL`` as SQL and parameters, with
    ``columns`` of the duty rows available as ``d.<column>``; raises ``EmptyResultSet`` when nothing can
    match."""
    inner = (
        duty_rows(liaisons=liaisons, as_of=as_of, rules=rules, active=active)
        .order_by()
        .values(*dict.fromkeys([*columns, "start", "interval_days", "last_visit"]))
    )
    sql, params = inner.query.sql_with_params()
    return f"FROM ({sql}) AS d WHERE d.interval_days IS NOT NULL", tuple(params)


def _plus_days(column: str, days: str) -> str:
    """SQL for the date ``column`` plus ``days`` (an integer column) days."""
    if connection.vendor == "postgresql":
        return f"({column} + {days})"
    return f"date({column}, '+' || {days} || ' days')"


def _state_sql() -> tuple[str, str]:
    """SQL conditions over ``d`` for covered and overdue on the day given as the parameter."""
    start = f"d.{connection.ops.quote_name('start')}"
    covered = f"{_plus_days('d.last_visit', 'd.interval_days')} >= %s"
    overdue = f"(d.last_visit IS NULL OR NOT ({covered})) AND {_plus_days(start, 'd.interval_days')} < %s"
    return covered, overdue


# ------------------------------------------------------------------------------------- coverage rows


@dataclass
class CoverageRow:
    key: Any
    label: str = ""
    assigned: int = 0
    covered: int = 0
    overdue: int = 0
    pending: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def coverage(self) -> float | None:
        return self.covered / self.assigned if self.assigned else None

    @property
    def coverage_percent(self) -> str:
        value = self.coverage
        return "—" if value is None else f"{value * 100:.1f}%"

    def add(self, other: CoverageRow) -> None:
        self.assigned += other.assigned
        self.covered += other.covered
        self.overdue += other.overdue
        self.pending += other.pending


def _check_group(group: str) -> None:
    if group not in _LIVE_COLUMNS:
        raise ValueError(f"group must be one of {', '.join(_LIVE_COLUMNS)}")


def coverage_counts(
    *, liaisons: QuerySet[Liaison], as_of: date, group: str, rules: list[VisitRule] | None = None
) -> list[CoverageRow]:
    """Assigned, covered, overdue and pending liaisons per group key, computed from the visits in one
    ``GROUP BY`` over the duty rows (any day, past ones included).

    ``group`` is one of officer, grid, village, township, county; "unit" is computed from the officer rows
    (few) by ``coverage_by_unit``."""
    _check_group(group)
    column = _LIVE_COLUMNS[group]
    rules = active_rules() if rules is None else rules
    try:
        from_sql, params = duty_sql(liaisons=liaisons, as_of=as_of, columns=[column], rules=rules)
    except EmptyResultSet:  # an actor who sees nothing
        return []
    key = connection.ops.quote_name(column)
    covered, overdue = _state_sql()
    sql = (
        f"SELECT d.{key}, COUNT(*), SUM(CASE WHEN {covered} THEN 1 ELSE 0 END), "  # noqa: S608 - constants
        f"SUM(CASE WHEN {overdue} THEN 1 ELSE 0 END) {from_sql} GROUP BY d.{key}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (as_of, as_of, as_of, *params))
        return [
            _row(key_value, assigned, covered, overdue) for key_value, assigned, covered, overdue in cursor
        ]


def _row(key: Any, assigned: int, covered: int | None, overdue: int | None) -> CoverageRow:
    covered, overdue = int(covered or 0), int(overdue or 0)
    return CoverageRow(
        key=key, assigned=assigned, covered=covered, overdue=overdue, pending=assigned - covered - overdue
    )


def duty_state_filters(day: date) -> dict[str, Q]:
    """The state of a ``VisitDuty`` row on ``day`` (on or after its generation) as filters."""
    covered = Q(covered_until__gte=day)
    not_covered = Q(covered_until__isnull=True) | Q(covered_until__lt=day)
    return {"covered": covered, "overdue": not_covered & Q(grace_until__lt=day)}


def duty_coverage_counts(*, duties: QuerySet[VisitDuty], as_of: date, group: str) -> list[CoverageRow]:
    """What ``coverage_counts`` gives, read from the materialised duties (valid from their generation on)."""
    _check_group(group)
    states = duty_state_filters(as_of)
    rows = (
        duties.active_on(as_of)
        .order_by()
        .values_list(_DUTY_COLUMNS[group])
        .annotate(
            assigned=Count("pk"),
            covered=Count("pk", filter=states["covered"]),
            overdue=Count("pk", filter=states["overdue"]),
        )
    )
    return [_row(*values) for values in rows]


def coverage_total(rows: list[CoverageRow]) -> CoverageRow:
    total = CoverageRow(key=None)
    for row in rows:
        total.add(row)
    return total


def coverage_by_unit(officer_rows: list[CoverageRow], as_of: date) -> list[CoverageRow]:
    """Officer rows summed into the units the officers serve in on ``as_of`` (an officer serving in two
    units counts in both)."""
    from grassroots.workforce.models import Assignment

    by_officer = {row.key: row for row in officer_rows}
    units: dict[int, CoverageRow] = {}
    pairs = (
        Assignment.objects.current(as_of)
        .filter(officer_id__in=list(by_officer))
        .values_list("officer_id", "post__unit_id")
        .distinct()
    )
    for officer_id, unit_id in pairs:
        units.setdefault(unit_id, CoverageRow(key=unit_id)).add(by_officer[officer_id])
    return list(units.values())


def scoped_liaisons(actor: Actor | Any) -> QuerySet[Liaison]:
    return Liaison.objects.visible_to(as_actor(actor))


# ---------------------------------------------------------------------------- the "before they ask" rows


def household_attention_rows(
    *, households: QuerySet[Household], as_of: date, limit: int, rules: list[VisitRule] | None = None
) -> list[tuple[int, date | None, int]]:
    """``(household id, last visit, interval)`` of care-tagged households that nobody visited within their
    interval, the longest unvisited first, at most ``limit`` (one query)."""
    rules = [r for r in (active_rules() if rules is None else rules) if r.applies_to == RuleTarget.HOUSEHOLD]
    last = (
        Visit.objects.filter(household_id=OuterRef("pk"), visited_on__lte=as_of)
        .order_by()
        .values("household_id")
        .annotate(last=Max("visited_on"))
        .values("last")
    )
    tagged = Household.care_tags.through.objects.filter(household_id=OuterRef("pk"))
    inner = (
        households.filter(is_active=True)
        .filter(Exists(tagged))
        .annotate(
            interval_days=interval_case(rules, HOUSEHOLD_REFS),
            last_visit=Subquery(last, output_field=DateField()),
        )
        .order_by()
        .values("id", "last_visit", "interval_days")
    )
    try:
        inner_sql, params = inner.query.sql_with_params()
    except EmptyResultSet:
        return []
    pk = connection.ops.quote_name("id")
    sql = (
        f"SELECT d.{pk}, d.last_visit, d.interval_days FROM ({inner_sql}) AS d "  # noqa: S608 - constants
        "WHERE d.interval_days IS NOT NULL AND (d.last_visit IS NULL OR "
        f"{_plus_days('d.last_visit', 'd.interval_days')} < %s) "
        f"ORDER BY d.last_visit ASC NULLS FIRST, d.{pk} LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, as_of, limit))
        return [(household_id, _as_date(last), interval) for household_id, last, interval in cursor]


def _as_date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def due_date(*, start: date, last_visit: date | None, interval_days: int) -> date:
    """The day by which the next visit is due (the last day the duty is still covered or pending)."""
    base = last_visit if last_visit is not None and last_visit >= start else start
    return base + timedelta(days=interval_days)


def visit_state(*, start: date, last_visit: date | None, interval_days: int, as_of: date) -> str:
    """covered, pending or overdue, as the SQL above counts them."""
    window_start = as_of - timedelta(days=interval_days)
    if last_visit is not None and last_visit >= window_start:
        return "covered"
    if start < window_start:
        return "overdue"
    return "pending"


# ------------------------------------------------------------------------- the materialised due lists

_DUTY_FIELDS = (
    "liaison_id",
    "officer_id",
    "kind",
    "household_id",
    "organization_id",
    "grid_id",
    "region_id",
    "township_id",
    "county_id",
    "start",
    "end",
    "interval_days",
    "last_visit",
    "covered_until",
    "grace_until",
    "due_on",
    "generated_on",
)


def _insert_duties(liaisons: QuerySet[Liaison], as_of: date, rules: list[VisitRule]) -> int:
    """INSERT … SELECT the duty rows of ``liaisons`` (not ended before ``as_of``) into ``VisitDuty``."""
    columns = [
        "id",
        "officer_id",
        "kind",
        "household_id",
        "organization_id",
        "place_grid",
        "place_region",
        "place_township",
        "place_county",
        "end",
    ]
    try:
        from_sql, params = duty_sql(
            liaisons=liaisons, as_of=as_of, columns=columns, rules=rules, active=False
        )
    except EmptyResultSet:
        return 0
    q = connection.ops.quote_name
    covered = _plus_days("d.last_visit", "d.interval_days")
    grace = _plus_days(f"d.{q('start')}", "d.interval_days")
    sql = (
        f"INSERT INTO {q(VisitDuty._meta.db_table)} ({', '.join(q(f) for f in _DUTY_FIELDS)}) "  # noqa: S608
        f"SELECT d.id, d.officer_id, d.kind, d.household_id, d.organization_id, d.place_grid, d.place_region, "
        f"d.place_township, d.place_county, d.{q('start')}, d.{q('end')}, d.interval_days, d.last_visit, "
        f"{covered}, {grace}, "
        f"CASE WHEN d.last_visit >= d.{q('start')} THEN {covered} ELSE {grace} END, %s "
        f"{from_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (as_of, *params))
        return cursor.rowcount


def liaison_places_sync(liaisons: QuerySet[Liaison] | None = None) -> int:
    """Copy the current place of each household or organisation onto its liaisons where it changed (a
    household moved): scope and coverage then follow the household. Returns the number of liaisons moved."""
    liaisons = Liaison.objects.all() if liaisons is None else liaisons
    moved = 0
    household = Household.objects.filter(pk=OuterRef("household_id"))
    moved += (
        liaisons.filter(kind=LiaisonKind.HOUSEHOLD)
        .filter(
            ~Q(region_id=F("household__region_id"))
            | ~Q(county_id=F("household__county_id"))
            | Q(household__grid_id__isnull=False, grid_id__isnull=True)
            | ~Q(grid_id=F("household__grid_id"))
        )
        .update(
            region_id=Subquery(household.values("region_id")[:1]),
            county_id=Subquery(household.values("county_id")[:1]),
            grid_id=Subquery(household.values("grid_id")[:1]),
        )
    )
    organization = Organization.objects.filter(pk=OuterRef("organization_id"))
    moved += (
        liaisons.filter(kind=LiaisonKind.ORGANIZATION)
        .filter(~Q(region_id=F("organization__region_id")) | ~Q(county_id=F("organization__county_id")))
        .update(
            region_id=Subquery(organization.values("region_id")[:1]),
            county_id=Subquery(organization.values("county_id")[:1]),
        )
    )
    return moved


# progress(done_counties, total_counties)
GenerationProgress = Callable[[int, int], None]


def duties_generate(
    *,
    as_of: date | None = None,
    counties: Iterable[int] | None = None,
    progress: GenerationProgress | None = None,
    created_by: Any = None,
) -> DutyGeneration:
    """Generate the due lists: every liaison's duty as of ``as_of`` (default today), county by county.

    Idempotent: each county's rows are replaced in one transaction, so running it again for the same day
    gives the same rows, and a reader never sees a county half-written. Liaison places are first brought
    up to date with their targets (households that moved)."""
    as_of = as_of or timezone.localdate()
    started = time.perf_counter()
    run = DutyGeneration.objects.create(as_of=as_of, started_at=timezone.now(), created_by=created_by)
    run.moved = liaison_places_sync()
    rules = active_rules()
    if counties is None:
        counties = sorted(set(Liaison.objects.order_by().values_list("county_id", flat=True).distinct()))
    counties = list(counties)
    total = 0
    for done, county_id in enumerate(counties, start=1):
        with transaction.atomic():
            VisitDuty.objects.filter(Q(county_id=county_id) | Q(liaison__county_id=county_id)).delete()
            total += _insert_duties(Liaison.objects.filter(county_id=county_id), as_of, rules)
        if progress is not None:
            progress(done, len(counties))
    run.duties = total
    run.finished_at = timezone.now()
    run.seconds = round(time.perf_counter() - started, 3)
    run.save(update_fields=["moved", "duties", "finished_at", "seconds"])
    return run


def duties_refresh(*, liaisons: QuerySet[Liaison], as_of: date | None = None) -> int:
    """Recompute the duties of some liaisons (after a visit, a new or ended liaison), in the caller's
    transaction: the generation's statement, limited to these liaisons."""
    as_of = as_of or timezone.localdate()
    VisitDuty.objects.filter(liaison__in=liaisons.values("pk")).delete()
    return _insert_duties(Liaison.objects.filter(pk__in=liaisons.values("pk")), as_of, active_rules())


def duties_refresh_targets(*, households: Iterable[int] = (), organizations: Iterable[int] = ()) -> int:
    """Recompute the duties of every liaison of these households and organisations (a visit to one of
    them may cover its liaison, or be carried over to a later one)."""
    households, organizations = list(households), list(organizations)
    if not households and not organizations:
        return 0
    return duties_refresh(
        liaisons=Liaison.objects.filter(Q(household_id__in=households) | Q(organization_id__in=organizations))
    )


def duties_invalidate() -> None:
    """The visit rules changed: the materialised duties no longer follow them until the next generation."""
    DutyGeneration.objects.filter(is_valid=True).update(is_valid=False)


def current_generation(as_of: date) -> DutyGeneration | None:
    """The generation whose duties answer for ``as_of``: the last complete one, still valid (no rule
    changed since), on or before ``as_of``, for today or a later day (the services keep the rows up to date
    with every visit up to today; an earlier day is computed from the visits)."""
    if as_of < timezone.localdate():
        return None
    latest = DutyGeneration.objects.filter(finished_at__isnull=False).order_by("-finished_at", "-id").first()
    if latest is None or not latest.is_valid or latest.as_of > as_of:
        return None
    return latest
