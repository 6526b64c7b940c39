"""Visit duties and coverage, computed by set-based queries.

Definitions (``docs/outreach.md``):

- A liaison's interval is the shortest ``interval_days`` among the active rules that match its target
  (households: rules without a care tag, or with one of the household's tags; organisations: rules without
  a kind, or with the organisation's kind; a rule with a county applies only there). No rule: no duty.
- On day D the window starts at ``D - interval``. The liaison is *covered* when its officer visited the
  target on or after the window start (and not after D). The next visit is due ``interval`` days after the
  last visit (or after the start of the liaison, when there was none); past that day the liaison is
  *overdue*. A liaison never visited that has not yet lived a whole interval is *pending*.
- Coverage = covered / assigned, where assigned = liaisons with a duty active on D.

Everything here is a constant number of queries whatever the number of households: the interval is a
``CASE`` over the (few) rules with an ``EXISTS`` on the care-tag table, the last visit a correlated
``MAX`` on the (target, officer, day) index, and the grouping one ``GROUP BY`` over those rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    DateField,
    Exists,
    F,
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

from grassroots.common.scoping import Actor, as_actor
from grassroots.territory.models import Household

from .models import Liaison, LiaisonKind, RuleTarget, Visit, VisitRule

GROUPS = ("officer", "grid", "village", "township", "county", "unit")
_GROUP_COLUMNS = {
    "officer": "officer_id",
    "grid": "grid_id",
    "village": "region_id",
    "township": "township_id",
    "county": "county_id",
}


def active_rules() -> list[VisitRule]:
    """Active rules, shortest interval first (the first that matches wins)."""
    return list(VisitRule.objects.filter(is_active=True).order_by("interval_days", "id"))


def _rule_condition(
    rule: VisitRule, *, household_ref: str, org_kind_ref: str, county_ref: str, kind_ref: str | None
) -> Q:
    if rule.applies_to == RuleTarget.HOUSEHOLD:
        cond = Q(**{kind_ref: LiaisonKind.HOUSEHOLD}) if kind_ref else Q(pk__isnull=False)
        if rule.care_tag_id:
            tagged = Household.care_tags.through.objects.filter(
                household_id=OuterRef(household_ref), caretag_id=rule.care_tag_id
            )
            cond &= Q(Exists(tagged))
    else:
        if kind_ref is None:
            return Q(pk__in=[])
        cond = Q(**{kind_ref: LiaisonKind.ORGANIZATION})
        if rule.organization_kind:
            cond &= Q(**{org_kind_ref: rule.organization_kind})
    if rule.county_id:
        cond &= Q(**{county_ref: rule.county_id})
    return cond


def _case(rules: list[VisitRule], value, output, **refs: Any) -> Case | Value:
    whens = [
        When(_rule_condition(rule, **refs), then=Value(value(rule), output_field=output)) for rule in rules
    ]
    if not whens:
        return Value(None, output_field=output)
    return Case(*whens, default=Value(None, output_field=output), output_field=output)


_LIAISON_REFS = {
    "household_ref": "household_id",
    "org_kind_ref": "organization__kind",
    "county_ref": "county_id",
    "kind_ref": "kind",
}
_HOUSEHOLD_REFS = {"household_ref": "pk", "org_kind_ref": "", "county_ref": "county_id", "kind_ref": None}


def interval_case(rules: list[VisitRule], refs: dict[str, Any] = _LIAISON_REFS) -> Case | Value:
    return _case(rules, lambda r: r.interval_days, IntegerField(), **refs)


def window_case(rules: list[VisitRule], day: date, refs: dict[str, Any] = _LIAISON_REFS) -> Case | Value:
    """The first day of each row's window on ``day``: a visit on or after it covers the row."""
    return _case(rules, lambda r: day - timedelta(days=r.interval_days), DateField(), **refs)


def last_visit_subquery(as_of: date) -> Coalesce:
    """The liaison officer's last visit to the liaison's target up to ``as_of``."""

    def latest(target: str) -> Subquery:
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

    return Coalesce(latest("household"), latest("organization"), output_field=DateField())


def duty_rows(
    *, liaisons: QuerySet[Liaison], as_of: date, rules: list[VisitRule] | None = None
) -> QuerySet[Liaison]:
    """Active liaisons that carry a duty, annotated with ``interval_days``, ``window_start`` and
    ``last_visit`` (one query whatever their number)."""
    rules = active_rules() if rules is None else rules
    return (
        liaisons.active_on(as_of)
        .filter(kind__in=[LiaisonKind.HOUSEHOLD, LiaisonKind.ORGANIZATION])
        .annotate(window_start=window_case(rules, as_of), last_visit=last_visit_subquery(as_of))
        .filter(window_start__isnull=False)
    )


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


def coverage_counts(
    *, liaisons: QuerySet[Liaison], as_of: date, group: str, rules: list[VisitRule] | None = None
) -> list[CoverageRow]:
    """Assigned, covered, overdue and pending liaisons per group key, in one ``GROUP BY`` over the duty rows.

    ``group`` is one of officer, grid, village, township, county (a column); "unit" is computed from the
    officer rows (few) by ``coverage_by_unit``."""
    if group not in _GROUP_COLUMNS:
        raise ValueError(f"group must be one of {', '.join(_GROUP_COLUMNS)}")
    rows = duty_rows(liaisons=liaisons, as_of=as_of, rules=rules).annotate(township_id=F("region__parent_id"))
    try:
        inner_sql, params = rows.values(
            _GROUP_COLUMNS[group], "start", "window_start", "last_visit"
        ).query.sql_with_params()
    except EmptyResultSet:  # an actor who sees nothing
        return []
    key = connection.ops.quote_name(_GROUP_COLUMNS[group])
    sql = (
        f"SELECT d.{key}, COUNT(*), "  # noqa: S608 - column names are quoted constants
        "SUM(CASE WHEN d.last_visit >= d.window_start THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN (d.last_visit IS NULL OR d.last_visit < d.window_start) AND d.start < d.window_start "
        "THEN 1 ELSE 0 END) "
        f"FROM ({inner_sql}) AS d GROUP BY d.{key}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        result = []
        for key_value, assigned, covered, overdue in cursor.fetchall():
            covered, overdue = int(covered or 0), int(overdue or 0)
            result.append(
                CoverageRow(
                    key=key_value,
                    assigned=assigned,
                    covered=covered,
                    overdue=overdue,
                    pending=assigned - covered - overdue,
                )
            )
    return result


def scoped_liaisons(actor: Actor | Any) -> QuerySet[Liaison]:
    return Liaison.objects.visible_to(as_actor(actor))


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


def household_attention_rows(
    *, households: QuerySet[Household], as_of: date, rules: list[VisitRule] | None = None
) -> QuerySet[Household]:
    """Care-tagged households not visited by anyone within their interval (one query)."""
    rules = [r for r in (active_rules() if rules is None else rules) if r.applies_to == RuleTarget.HOUSEHOLD]
    last = (
        Visit.objects.filter(household_id=OuterRef("pk"), visited_on__lte=as_of)
        .order_by()
        .values("household_id")
        .annotate(last=Max("visited_on"))
        .values("last")
    )
    tagged = Household.care_tags.through.objects.filter(household_id=OuterRef("pk"))
    return (
        households.filter(is_active=True)
        .filter(Exists(tagged))
        .annotate(
            window_start=window_case(rules, as_of, _HOUSEHOLD_REFS),
            interval_days=interval_case(rules, _HOUSEHOLD_REFS),
            last_visit=Subquery(last, output_field=DateField()),
        )
        .filter(window_start__isnull=False)
        .filter(Q(last_visit__isnull=True) | Q(last_visit__lt=F("window_start")))
    )


def due_date(*, start: date, last_visit: date | None, interval_days: int) -> date:
    """The day by which the next visit is due."""
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
