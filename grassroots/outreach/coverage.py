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

Everything here is a constant number of queries whatever the number of households. ``duty_sql`` is the
definition; ``duties_generate`` materialises it into ``VisitDuty`` (the due lists), from which the state on
any later day follows by comparing dates, so that the dashboard of a whole city reads one narrow table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from grassroots.common.scoping import Actor, as_actor
from grassroots.territory.models import Household, Organization

from .models import (
    CoverageCount,
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
# Group key -> column of ``duty_sql`` (live) and of ``VisitDuty`` (materialised).
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


# ------------------------------------------------------------------------------------- the duty rows

DUTY_COLUMNS = (
    "id",
    "officer_id",
    "kind",
    "household_id",
    "organization_id",
    "start",
    "end",
    "place_region",
    "place_grid",
    "place_township",
    "place_county",
    "interval_days",
    "last_visit",
)


@contextmanager
def analytic_statements() -> Iterator[None]:
    """Large set-based reads and writes: on PostgreSQL without JIT (compiling these plans costs more than
    running them) and with room to hash in memory, for this transaction only."""
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)")
        yield


def _earliest(a: str, b: str) -> str:
    # LEAST/GREATEST ignore NULL on PostgreSQL; SQLite's MIN/MAX(a, b) would return NULL: give both a value.
    if connection.vendor == "postgresql":
        return f"LEAST({a}, {b})"
    return f"MIN(COALESCE({a}, {b}), COALESCE({b}, {a}))"


def _latest(a: str, b: str) -> str:
    if connection.vendor == "postgresql":
        return f"GREATEST({a}, {b})"
    return f"MAX(COALESCE({a}, {b}), COALESCE({b}, {a}))"


def _rule_sql(rule: VisitRule, params: list) -> str:
    """The condition of one rule over the base rows ``b`` (household or organisation columns)."""
    parts = []
    if rule.applies_to == RuleTarget.HOUSEHOLD:
        if rule.household_area:
            parts.append("b.is_urban = %s")
            params.append(rule.household_area == HouseholdArea.URBAN)
        if rule.county_id:
            parts.append("b.place_county = %s")
            params.append(rule.county_id)
    else:
        if rule.organization_kind:
            parts.append("b.org_kind = %s")
            params.append(rule.organization_kind)
        if rule.county_id:
            parts.append("b.place_county = %s")
            params.append(rule.county_id)
    return " AND ".join(parts) or "1 = 1"


def _case_sql(rules: list[VisitRule], params: list, prefix: str = "") -> str:
    """CASE giving the interval of the first (shortest) matching rule, or NULL."""
    if not rules:
        return "NULL"
    whens = []
    for rule in rules:
        condition = _rule_sql(rule, params)
        whens.append(f"WHEN {prefix}{condition} THEN {int(rule.interval_days)}")
    return f"CASE {' '.join(whens)} ELSE NULL END"


def duty_sql(
    *,
    liaisons: QuerySet[Liaison] | None = None,
    as_of: date,
    rules: list[VisitRule],
    active: bool = True,
    county_id: int | None = None,
) -> tuple[str, tuple]:
    """``FROM (duty rows) d WHERE d.interval_days IS NOT NULL`` as SQL and parameters: the liaisons of
    ``liaisons`` (and of ``county_id``) that carry a duty on ``as_of`` (``active=False``: not ended before it, future starts
    included), with the columns of ``DUTY_COLUMNS`` available as ``d.<column>``.

    Set-based, so that a whole county is one pass over its rows: the liaisons joined to their targets and
    places (``b``); the care-tag intervals in one ``GROUP BY`` over the tags of those households; each
    officer's last visit to each target in one ``GROUP BY`` over the visits; the carried-over visits by
    joining the earlier liaisons of the same targets to their visits. Raises ``EmptyResultSet`` when
    ``liaisons`` cannot match anything."""
    q = connection.ops.quote_name
    params: list[Any] = []
    start, end = q("start"), q("end")
    where = [
        f"l.kind IN ('{LiaisonKind.HOUSEHOLD}', '{LiaisonKind.ORGANIZATION}')",
        f"(l.{end} IS NULL OR l.{end} >= %s)",
    ]
    params.append(as_of)
    if active:
        where.append(f"l.{start} <= %s")
        params.append(as_of)
    # The generation's common case: a plain column filter, no semi-join. The generation first brings every
    # liaison's place up to date with its target (``liaison_places_sync``, ended liaisons included), so the
    # county's targets and the earlier liaisons of those targets all carry the same county too: filtering
    # them by it lets each county's pass read its own rows through the county indexes instead of scanning
    # every household and liaison of the city once per county.
    county_filter = {"h": "", "o": "", "p": ""}
    if county_id is not None:
        where.append("l.county_id = %s")
        params.append(county_id)
        county_filter = {alias: f" AND {alias}.county_id = {int(county_id)}" for alias in county_filter}
    if liaisons is not None and liaisons.query.where:
        subquery, sub_params = liaisons.order_by().values("pk").query.sql_with_params()
        where.append(f"l.id IN ({subquery})")
        params.extend(sub_params)
    base = (
        f"SELECT l.id, l.officer_id, l.kind, l.household_id, l.organization_id, l.{start}, l.{end}, "  # noqa: S608
        "COALESCE(h.region_id, o.region_id) AS place_region, h.grid_id AS place_grid, "
        "COALESCE(hv.parent_id, ov.parent_id) AS place_township, "
        "COALESCE(h.county_id, o.county_id) AS place_county, hv.is_urban AS is_urban, o.kind AS org_kind "
        f"FROM {q(Liaison._meta.db_table)} l "
        f"LEFT JOIN {q(Household._meta.db_table)} h ON h.id = l.household_id{county_filter['h']} "
        f"LEFT JOIN {q(Organization._meta.db_table)} o ON o.id = l.organization_id{county_filter['o']} "
        f"LEFT JOIN {q('territory_region')} hv ON hv.id = h.region_id "
        f"LEFT JOIN {q('territory_region')} ov ON ov.id = o.region_id "
        f"WHERE {' AND '.join(where)} AND (h.is_active = %s OR o.is_active = %s)"
    )
    params += [True, True]
    household_rules = [r for r in rules if r.applies_to == RuleTarget.HOUSEHOLD]
    plain = [r for r in household_rules if not r.care_tag_id]
    tagged = [r for r in household_rules if r.care_tag_id]
    organization_rules = [r for r in rules if r.applies_to == RuleTarget.ORGANIZATION]
    tags_table = q(Household.care_tags.through._meta.db_table)
    visit = q(Visit._meta.db_table)
    ctes = [f"b AS ({base})"]
    tag_join = ""
    tag_days = "NULL"
    if tagged:
        tag_params: list[Any] = []
        whens = []
        for rule in tagged:
            whens.append(
                f"WHEN t.caretag_id = {int(rule.care_tag_id)} AND {_rule_sql(rule, tag_params)} THEN {int(rule.interval_days)}"
            )
        tag_ids = ", ".join(str(int(r.care_tag_id)) for r in tagged)
        ctes.append(
            f"tag_days AS (SELECT b.id, MIN(CASE {' '.join(whens)} ELSE NULL END) AS days FROM b "  # noqa: S608
            f"JOIN {tags_table} t ON t.household_id = b.household_id WHERE t.caretag_id IN ({tag_ids}) GROUP BY b.id)"
        )
        params += tag_params
        tag_join = "LEFT JOIN tag_days td ON td.id = b.id "
        tag_days = "td.days"
    # Earlier liaisons of the same targets (a handover, a second liaison): few, so each is probed once
    # through the (target, officer, day) index for its officer's last visit before the later one started.
    carried = []
    for target in ("household_id", "organization_id"):
        carried.append(
            f"SELECT b.id, MAX((SELECT MAX(v.visited_on) FROM {visit} v WHERE v.{target} = p.{target} "  # noqa: S608
            f"AND v.officer_id = p.officer_id AND v.visited_on >= p.{start} "
            f"AND (p.{end} IS NULL OR v.visited_on <= p.{end}) AND v.visited_on < b.{start} "
            "AND v.visited_on <= %s)) AS last FROM b "
            f"JOIN {q(Liaison._meta.db_table)} p ON p.{target} = b.{target} AND p.{start} < b.{start}"
            f"{county_filter['p']} GROUP BY b.id"
        )
        params.append(as_of)
    ctes.append(f"carried AS ({' UNION ALL '.join(carried)})")
    # Each liaison's own last visit: one probe of the (target, officer, day) index, only for its kind.
    own = (
        f"CASE WHEN b.kind = '{LiaisonKind.HOUSEHOLD}' THEN (SELECT MAX(v.visited_on) FROM {visit} v "  # noqa: S608
        "WHERE v.household_id = b.household_id AND v.officer_id = b.officer_id AND v.visited_on <= %s) "
        f"ELSE (SELECT MAX(v.visited_on) FROM {visit} v WHERE v.organization_id = b.organization_id "
        "AND v.officer_id = b.officer_id AND v.visited_on <= %s) END"
    )
    case_params: list[Any] = []
    plain_days = _case_sql(plain, case_params)
    organization_days = _case_sql(organization_rules, case_params)
    params += case_params
    params += [as_of, as_of]  # the two own-visit probes, in the FROM after the SELECT list
    household_interval = _earliest(tag_days, plain_days)
    select = (
        f"SELECT b.id, b.officer_id, b.kind, b.household_id, b.organization_id, b.{start}, b.{end}, "  # noqa: S608
        "b.place_region, b.place_grid, b.place_township, b.place_county, "
        f"CASE WHEN b.kind = '{LiaisonKind.HOUSEHOLD}' THEN {household_interval} ELSE {organization_days} END "
        f"AS interval_days, {_latest('b.own', 'c.last')} AS last_visit "
        f"FROM (SELECT b.*, {own} AS own FROM b) b {tag_join}"
        "LEFT JOIN carried c ON c.id = b.id"
    )
    sql = f"WITH {', '.join(ctes)} {select}"
    return f"FROM ({sql}) AS d WHERE d.interval_days IS NOT NULL", tuple(params)


def duty_values(
    *, liaisons: QuerySet[Liaison], as_of: date, rules: list[VisitRule] | None = None
) -> list[dict]:
    """The duty rows active on ``as_of`` as dicts (``DUTY_COLUMNS``), dates as dates."""
    rules = active_rules() if rules is None else rules
    try:
        from_sql, params = duty_sql(liaisons=liaisons, as_of=as_of, rules=rules)
    except EmptyResultSet:
        return []
    columns = ", ".join(f"d.{connection.ops.quote_name(c)}" for c in DUTY_COLUMNS)
    with analytic_statements(), connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} {from_sql}", params)  # noqa: S608 - constants
        rows = [dict(zip(DUTY_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        for name in ("start", "end", "last_visit"):
            row[name] = _as_date(row[name])
    return rows


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

    @property
    def interval(self) -> tuple[float, float] | None:
        """The 95 % Wilson interval of the coverage (rates are shown with their sample and uncertainty)."""
        from grassroots.insights.figures import wilson

        return wilson(self.covered, self.assigned)

    @property
    def interval_percent(self) -> str:
        bounds = self.interval
        return "" if bounds is None else f"{bounds[0] * 100:.0f}–{bounds[1] * 100:.0f}%"

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
        from_sql, params = duty_sql(liaisons=liaisons, as_of=as_of, rules=rules)
    except EmptyResultSet:  # an actor who sees nothing
        return []
    key = connection.ops.quote_name(column)
    covered, overdue = _state_sql()
    sql = (
        f"SELECT d.{key}, COUNT(*), SUM(CASE WHEN {covered} THEN 1 ELSE 0 END), "  # noqa: S608 - constants
        f"SUM(CASE WHEN {overdue} THEN 1 ELSE 0 END) {from_sql} GROUP BY d.{key}"
    )
    with analytic_statements(), connection.cursor() as cursor:
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


def counted_coverage(*, counts: QuerySet[CoverageCount], as_of: date, group: str) -> list[CoverageRow]:
    """What ``coverage_counts`` gives, summed from the counts of the generation's day ``as_of``."""
    _check_group(group)
    rows = (
        counts.filter(as_of=as_of)
        .order_by()
        .values_list(_DUTY_COLUMNS[group])
        .annotate(Sum("assigned"), Sum("covered"), Sum("overdue"))
    )
    return [_row(*values) for values in rows]


def counts_rebuild(*, as_of: date, where: Q) -> int:
    """Recount the duties active on ``as_of`` whose officer, grid and village rows match ``where`` (a
    filter on columns both tables have), replacing those count rows."""
    CoverageCount.objects.filter(where, as_of=as_of).delete()
    states = duty_state_filters(as_of)
    grouped = (
        VisitDuty.objects.filter(where)
        .active_on(as_of)
        .order_by()
        .values("officer_id", "grid_id", "region_id", "township_id", "county_id")
        .annotate(
            assigned=Count("pk"),
            covered=Count("pk", filter=states["covered"]),
            overdue=Count("pk", filter=states["overdue"]),
        )
    )
    try:
        select_sql, params = grouped.query.sql_with_params()
    except EmptyResultSet:
        return 0
    q = connection.ops.quote_name
    columns = [
        "as_of",
        "officer_id",
        "grid_id",
        "region_id",
        "township_id",
        "county_id",
        "assigned",
        "covered",
        "overdue",
    ]
    sql = (
        f"INSERT INTO {q(CoverageCount._meta.db_table)} ({', '.join(q(c) for c in columns)}) "  # noqa: S608
        f"SELECT %s, g.* FROM ({select_sql}) AS g"
    )
    with analytic_statements(), connection.cursor() as cursor:
        cursor.execute(sql, (as_of, *params))
        return cursor.rowcount


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


def _insert_duties(
    liaisons: QuerySet[Liaison] | None, as_of: date, rules: list[VisitRule], county_id: int | None = None
) -> int:
    """INSERT … SELECT the duty rows of ``liaisons`` (not ended before ``as_of``) into ``VisitDuty``."""
    try:
        from_sql, params = duty_sql(
            liaisons=liaisons, as_of=as_of, rules=rules, active=False, county_id=county_id
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
    with analytic_statements(), connection.cursor() as cursor:
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


def _county_duties_replace(county_id: int, as_of: date, rules: list[VisitRule]) -> int:
    """One county's duties and counts, replaced in one transaction; returns the duties written."""
    with transaction.atomic():
        VisitDuty.objects.filter(Q(county_id=county_id) | Q(liaison__county_id=county_id)).delete()
        written = _insert_duties(None, as_of, rules, county_id=county_id)
        CoverageCount.objects.filter(as_of=as_of, county_id=county_id).delete()
        counts_rebuild(as_of=as_of, where=Q(county_id=county_id))
    return written


def _in_own_connection(county_id: int, as_of: date, rules: list[VisitRule]) -> int:
    try:
        return _county_duties_replace(county_id, as_of, rules)
    finally:
        connection.close()  # this worker thread's connection must not outlive it


def generation_workers(counties: int, requested: int | None = None) -> int:
    """How many counties are generated at once: ``OUTREACH_GENERATION_WORKERS`` (default 2, one per core
    of a small server) on PostgreSQL; one on SQLite (one writer at a time) and inside a transaction (other
    connections would not see its rows)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    wanted = requested if requested is not None else int(getattr(settings, "OUTREACH_GENERATION_WORKERS", 2))
    return max(1, min(wanted, counties))


def duties_generate(
    *,
    as_of: date | None = None,
    counties: Iterable[int] | None = None,
    progress: GenerationProgress | None = None,
    created_by: Any = None,
    workers: int | None = None,
) -> DutyGeneration:
    """Generate the due lists: every liaison's duty as of ``as_of`` (default today), county by county.

    Idempotent: each county's rows are replaced in one transaction, so running it again for the same day
    gives the same rows, and a reader never sees a county half-written. Liaison places are first brought
    up to date with their targets (households that moved). Counties are independent (their rows are
    disjoint), so ``generation_workers`` of them run at once, each in its own connection; ``progress`` is
    called from this thread as counties finish."""
    as_of = as_of or timezone.localdate()
    started = time.perf_counter()
    run = DutyGeneration.objects.create(as_of=as_of, started_at=timezone.now(), created_by=created_by)
    run.moved = liaison_places_sync()
    rules = active_rules()
    if counties is None:
        counties = sorted(set(Liaison.objects.order_by().values_list("county_id", flat=True).distinct()))
    counties = list(counties)
    total = 0
    parallel = generation_workers(len(counties), workers)
    if parallel > 1:
        with ThreadPoolExecutor(parallel, thread_name_prefix="due-lists") as pool:
            futures = [pool.submit(_in_own_connection, county_id, as_of, rules) for county_id in counties]
            try:
                for done, future in enumerate(as_completed(futures), start=1):
                    total += future.result()
                    if progress is not None:
                        progress(done, len(counties))
            except BaseException:
                for future in futures:  # a failed county stops the counties not yet started
                    future.cancel()
                raise
    else:
        for done, county_id in enumerate(counties, start=1):
            total += _county_duties_replace(county_id, as_of, rules)
            if progress is not None:
                progress(done, len(counties))
    # Counts of other days (and of counties no longer holding duties) go once the new day is complete.
    CoverageCount.objects.exclude(as_of=as_of, county_id__in=counties).delete()
    run.duties = total
    run.finished_at = timezone.now()
    run.seconds = round(time.perf_counter() - started, 3)
    run.save(update_fields=["moved", "duties", "finished_at", "seconds"])
    return run


def duties_refresh(*, liaisons: QuerySet[Liaison], as_of: date | None = None) -> int:
    """Recompute the duties of some liaisons (after a visit, a new or ended liaison), in the caller's
    transaction: the generation's statement, limited to these liaisons; and, when today's generation is the
    current one, recount the officer × village count rows they belong to (before and after)."""
    as_of = as_of or timezone.localdate()
    ids = liaisons.values("pk")
    touched = set(VisitDuty.objects.filter(liaison__in=ids).values_list("officer_id", "region_id"))
    VisitDuty.objects.filter(liaison__in=ids).delete()
    written = _insert_duties(Liaison.objects.filter(pk__in=ids), as_of, active_rules())
    touched |= set(VisitDuty.objects.filter(liaison__in=ids).values_list("officer_id", "region_id"))
    generation = current_generation(as_of)
    if touched and generation is not None and generation.as_of == as_of:
        officers, regions = {o for o, _r in touched}, {r for _o, r in touched}
        counts_rebuild(as_of=as_of, where=Q(officer_id__in=officers, region_id__in=regions))
    return written


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
