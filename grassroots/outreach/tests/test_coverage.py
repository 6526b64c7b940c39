"""Visit duties and coverage: intervals, due dates, the covered/overdue/pending arithmetic across interval
boundaries, liaison changes mid-period (handover, carried-over visits) and household moves; grouping and
scope; the generated due lists (idempotent, kept fresh by the services, equal to the live computation)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from grassroots.common.scoping import actor_for
from grassroots.outreach import coverage as cov
from grassroots.outreach.models import (
    CoverageCount,
    DutyGeneration,
    Liaison,
    LiaisonKind,
    Visit,
    VisitDuty,
    VisitRule,
)
from grassroots.outreach.selectors import coverage_report, coverage_source, due_list
from grassroots.outreach.services import (
    VisitInput,
    liaison_create,
    liaison_end,
    liaison_handover,
    visit_record,
    visit_rule_save,
)
from grassroots.territory.models import CareTag, Household
from grassroots.territory.services import household_update

AS_OF = date(2025, 6, 30)
GROUPS = ("officer", "grid", "village", "township", "county")


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9, 30)))


def visit(world, officer, day, household=None, organization=None):
    return visit_record(
        actor=world.admin,
        officer=officer,
        data=VisitInput(household=household, organization=organization, visited_at=at(day), summary="走访"),
    )


def link(world, officer, start, **target):
    kind = next(iter(target))
    return liaison_create(actor=world.admin, officer=officer, start=start, kind=kind, **target)


def by_key(rows):
    return {r.key: r for r in rows}


def counts(rows):
    return {r.key: (r.assigned, r.covered, r.overdue, r.pending) for r in rows}


# ---------------------------------------------------------------------------- an independent reference


def reference_interval(liaison: Liaison, rules: list[VisitRule]) -> int | None:
    """The shortest matching active rule, written from the definition in plain Python."""
    days = []
    for rule in rules:
        if not rule.is_active or rule.applies_to != liaison.kind:
            continue
        if liaison.kind == LiaisonKind.HOUSEHOLD:
            household = liaison.household
            if rule.care_tag_id and rule.care_tag_id not in {t.pk for t in household.care_tags.all()}:
                continue
            if rule.household_area and (rule.household_area == "urban") != household.region.is_urban:
                continue
            county = household.county_id
        else:
            if rule.organization_kind and rule.organization_kind != liaison.organization.kind:
                continue
            county = liaison.organization.county_id
        if rule.county_id and rule.county_id != county:
            continue
        days.append(rule.interval_days)
    return min(days) if days else None


def reference_states(day: date, group: str) -> dict:
    """Coverage per group on ``day`` from the definition, row by row, without SQL beyond loading rows."""
    rules = list(VisitRule.objects.all())
    liaisons = list(Liaison.objects.select_related("household__region", "organization__region"))
    visits = list(Visit.objects.all())
    result: dict = {}
    for liaison in liaisons:
        if liaison.kind == LiaisonKind.GRID or liaison.start > day or (liaison.end and liaison.end < day):
            continue
        target = liaison.household or liaison.organization
        if not target.is_active:
            continue
        interval = reference_interval(liaison, rules)
        if interval is None:
            continue

        def same_target(v, liaison=liaison):
            return v.household_id == liaison.household_id and v.organization_id == liaison.organization_id

        own = [v.visited_on for v in visits if same_target(v) and v.officer_id == liaison.officer_id]
        carried = [
            v.visited_on
            for v in visits
            if same_target(v)
            and v.visited_on < liaison.start
            and any(
                other.officer_id == v.officer_id
                and other.household_id == liaison.household_id
                and other.organization_id == liaison.organization_id
                and other.start <= v.visited_on
                and (other.end is None or other.end >= v.visited_on)
                for other in liaisons
            )
        ]
        last = max([d for d in own + carried if d <= day], default=None)
        state = cov.visit_state(start=liaison.start, last_visit=last, interval_days=interval, as_of=day)
        region = target.region
        key = {
            "officer": liaison.officer_id,
            "grid": getattr(target, "grid_id", None),
            "village": region.pk,
            "township": region.parent_id,
            "county": target.county_id,
        }[group]
        row = result.setdefault(key, [0, 0, 0, 0])
        row[0] += 1
        row[1 + ["covered", "overdue", "pending"].index(state)] += 1
    return {k: tuple(v) for k, v in result.items()}


def generated_answers_for(day: date) -> bool:
    """The generated duties answer for ``day`` when every row was generated on or before it and no visit
    falls between a generation and ``day`` (in use: generated today, no visit is dated after today)."""
    dates = VisitDuty.objects.values_list("generated_on", flat=True)
    if not dates:
        return False
    first, last = min(dates), max(dates)
    return last <= day and not Visit.objects.filter(visited_on__gt=first, visited_on__lte=day).exists()


def assert_all_agree(days, *, generated: bool = False):
    """The live SQL and the Python reference give the same counts on every day; with ``generated``, so do
    the generated duties (asserting that they answer for each day)."""
    for day in days:
        for group in GROUPS:
            expected = reference_states(day, group)
            live = counts(cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=day, group=group))
            assert live == expected, (day, group, "live")
            if generated:
                assert generated_answers_for(day), day
                duty = counts(
                    cov.duty_coverage_counts(duties=VisitDuty.objects.all(), as_of=day, group=group)
                )
                assert duty == expected, (day, group, "generated")


# ------------------------------------------------------------------------------------------ scenario


@pytest.fixture
def scenario(world, rules):
    w = world
    w.l_dibao = link(w, w.officer_a1, date(2025, 1, 1), household=w.household_a1)  # 低保: 30 days
    w.l_plain = link(w, w.officer_a1, date(2025, 1, 1), household=w.household_a2)  # no tag: 91 days
    w.l_org = link(w, w.officer_a1, date(2025, 1, 1), organization=w.org_a1)  # organisation: 30 days
    w.l_grid = link(w, w.officer_a1, date(2025, 1, 1), grid=w.grid_a1)  # no duty
    w.l_new = link(w, w.officer_a2, date(2025, 6, 20), household=w.household_a1)  # a second liaison
    visit(w, w.officer_a1, date(2025, 5, 31), household=w.household_a1)  # exactly at the window start
    visit(w, w.officer_a2, date(2025, 6, 1), household=w.household_a2)  # someone else's visit
    visit(w, w.officer_a1, date(2025, 5, 30), organization=w.org_a1)  # one day too early
    visit(w, w.officer_a1, date(2025, 7, 2), household=w.household_a2)  # after the reference day
    return w


def test_interval_is_the_shortest_matching_rule(scenario):
    w = scenario
    rows = {
        liaison.pk: liaison.interval_days
        for liaison in Liaison.objects.annotate(interval_days=cov.interval_case(cov.active_rules()))
    }
    assert rows[w.l_dibao.pk] == 30
    assert rows[w.l_plain.pk] == 91
    assert rows[w.l_org.pk] == 30
    assert rows[w.l_grid.pk] is None
    w.household_a1.care_tags.add(CareTag.objects.get(code="key_attention"))
    interval = Liaison.objects.annotate(i=cov.interval_case(cov.active_rules())).get(pk=w.l_dibao.pk).i
    assert interval == 14


def test_county_and_household_type_rules_apply_only_where_they_say(scenario):
    w = scenario
    visit_rule_save(
        actor=w.admin, name="杞县每周", applies_to="household", interval_days=7, county=w.county_b
    )
    visit_rule_save(
        actor=w.admin, name="城镇户每60天", applies_to="household", interval_days=60, household_area="urban"
    )
    intervals = dict(Liaison.objects.annotate(i=cov.interval_case(cov.active_rules())).values_list("pk", "i"))
    assert intervals[w.l_plain.pk] == 91  # 西村 is rural and in 兰考县: neither rule applies
    w.village_a2.is_urban = True
    w.village_a2.save(update_fields=["is_urban"])
    intervals = dict(Liaison.objects.annotate(i=cov.interval_case(cov.active_rules())).values_list("pk", "i"))
    assert intervals[w.l_plain.pk] == 60


def test_coverage_counts_covered_overdue_and_pending(scenario):
    w = scenario
    rows = by_key(cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=AS_OF, group="officer"))
    a1, a2 = rows[w.officer_a1.pk], rows[w.officer_a2.pk]
    # dibao visited on the window start: covered; plain household visited only by another officer: overdue;
    # organisation visited one day before its window: overdue; the grid liaison has no duty.
    assert (a1.assigned, a1.covered, a1.overdue, a1.pending) == (3, 1, 2, 0)
    assert a1.coverage == pytest.approx(1 / 3)
    # officer_a2's liaison started on 20 June: officer_a1's visit of 31 May (as the household's liaison)
    # is carried over, so it is covered, not merely new.
    assert (a2.assigned, a2.covered, a2.overdue, a2.pending) == (1, 1, 0, 0)
    # The next day both visits of 31 May have left their 30-day window: officer_a1's duties are overdue,
    # officer_a2's is pending (it has not lived a whole interval yet).
    rows = by_key(
        cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=AS_OF + timedelta(days=1), group="officer")
    )
    assert (rows[w.officer_a1.pk].covered, rows[w.officer_a1.pk].overdue) == (0, 3)
    assert (rows[w.officer_a2.pk].covered, rows[w.officer_a2.pk].pending) == (0, 1)
    # officer_a2's duty becomes overdue one day after start + 30 days (20 July).
    day = date(2025, 7, 21)
    assert counts(
        cov.coverage_counts(liaisons=Liaison.objects.filter(officer=w.officer_a2), as_of=day, group="officer")
    ) == {w.officer_a2.pk: (1, 0, 1, 0)}


def test_sql_agrees_with_the_definition_row_by_row(scenario):
    assert_all_agree(
        [date(2025, 1, 1), date(2025, 2, 1), date(2025, 4, 2), AS_OF, date(2025, 7, 3), date(2025, 10, 15)]
    )


def test_groupings_add_up(scenario):
    w = scenario
    totals = {}
    for group in GROUPS:
        rows = cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=AS_OF, group=group)
        total = cov.coverage_total(rows)
        totals[group] = (total.assigned, total.covered, total.overdue, total.pending)
    assert set(totals.values()) == {(4, 2, 2, 0)}
    villages = by_key(cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=AS_OF, group="village"))
    assert villages[w.village_a1.pk].assigned == 3  # dibao (two liaisons, two duties) and the school
    assert villages[w.village_a2.pk].assigned == 1
    townships = by_key(cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=AS_OF, group="township"))
    assert set(townships) == {w.town_a1.pk, w.town_a2.pk}
    units = by_key(coverage_report(actor=w.admin, group="unit", as_of=AS_OF))
    assert units[w.tribunal_a1.pk].assigned == 3 and units[w.tribunal_a2.pk].assigned == 1


def test_ended_liaisons_stop_counting_but_stay_in_history(scenario):
    w = scenario
    liaison_end(actor=w.admin, liaison=w.l_plain, end=date(2025, 3, 31), reason="调岗", expected_version=1)
    rows = by_key(cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=AS_OF, group="officer"))
    assert rows[w.officer_a1.pk].assigned == 2
    earlier = by_key(
        cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=date(2025, 3, 31), group="officer")
    )
    assert earlier[w.officer_a1.pk].assigned == 3  # the end day is still inside the liaison
    assert Liaison.objects.filter(pk=w.l_plain.pk, end=date(2025, 3, 31)).exists()


@pytest.mark.parametrize(
    ("tag", "interval"),
    [(None, 91), ("dibao", 30), ("key_attention", 14)],
    ids=["quarterly", "monthly", "fortnightly"],
)
def test_due_dates_across_intervals(world, rules, tag, interval):
    w = world
    w.household_a2.care_tags.set([CareTag.objects.get(code=tag)] if tag else [])
    start = date(2025, 1, 10)
    liaison = liaison_create(
        actor=w.admin, officer=w.officer_a2, kind=LiaisonKind.HOUSEHOLD, household=w.household_a2, start=start
    )
    first_due = start + timedelta(days=interval)
    # Not visited: due one interval after the start (still pending that day); overdue the day after.
    item = due_list(actor=w.admin, officer=w.officer_a2, as_of=first_due, horizon_days=0)[0]
    assert (item.liaison.pk, item.due, item.state) == (liaison.pk, first_due, "pending")
    assert (
        due_list(actor=w.admin, officer=w.officer_a2, as_of=first_due - timedelta(days=1), horizon_days=0)
        == []
    )
    item = due_list(actor=w.admin, officer=w.officer_a2, as_of=first_due + timedelta(days=1), horizon_days=0)[
        0
    ]
    assert (item.state, item.days_overdue) == ("overdue", 1)
    # A visit moves the due date to one interval after it; on the due day the visit still covers it.
    visited = first_due + timedelta(days=3)
    visit(w, w.officer_a2, visited, household=w.household_a2)
    day = visited + timedelta(days=1)
    assert due_list(actor=w.admin, officer=w.officer_a2, as_of=day, horizon_days=0) == []
    soon = due_list(actor=w.admin, officer=w.officer_a2, as_of=day, horizon_days=interval)
    assert [(i.due, i.state, i.last_visit) for i in soon] == [
        (visited + timedelta(days=interval), "covered", visited)
    ]
    due_day = visited + timedelta(days=interval)
    assert [
        i.state for i in due_list(actor=w.admin, officer=w.officer_a2, as_of=due_day, horizon_days=0)
    ] == ["covered"]
    late = due_day + timedelta(days=1)
    assert [i.state for i in due_list(actor=w.admin, officer=w.officer_a2, as_of=late, horizon_days=0)] == [
        "overdue"
    ]


def test_inactive_rules_and_inactive_targets_carry_no_duty(scenario):
    w = scenario
    VisitRule.objects.filter(applies_to="organization").update(is_active=False)
    rows = cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=AS_OF, group="officer")
    assert cov.coverage_total(rows).assigned == 3
    household_update(
        actor=w.admin, household=w.household_a2, version=w.household_a2.version, changes={"is_active": False}
    )
    rows = cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=AS_OF, group="officer")
    assert cov.coverage_total(rows).assigned == 2


def test_coverage_is_scoped(scenario):
    w = scenario
    everyone = cov.coverage_total(coverage_report(actor=w.admin, group="officer", as_of=AS_OF))
    leader = cov.coverage_total(coverage_report(actor=w.user_leader_a, group="officer", as_of=AS_OF))
    assert leader.assigned == everyone.assigned == 4
    # officer_a2 (堌阳 tribunal) sees the liaisons in 堌阳 and their own.
    officer = coverage_report(actor=actor_for(w.user_officer_a2), group="officer", as_of=AS_OF)
    assert cov.coverage_total(officer).assigned == 2  # their own, and officer_a1's 西村 household
    assert coverage_report(actor=w.user_officer_b, group="officer", as_of=AS_OF) == []
    assert coverage_report(actor=w.user_hr, group="officer", as_of=AS_OF) == []
    assert coverage_report(actor=w.resident_user, group="village", as_of=AS_OF) == []


# ------------------------------------------------------------------------ liaison changes mid-period


def test_handover_mid_period_keeps_the_household_clock(world, rules):
    w = world
    first = link(w, w.officer_a1, date(2025, 1, 1), household=w.household_a1)  # 低保: 30 days
    visit(w, w.officer_a1, date(2025, 3, 10), household=w.household_a1)
    handed = liaison_handover(
        actor=w.user_leader_a,
        from_officer=w.officer_a1,
        to_officer=w.officer_a2,
        on=date(2025, 3, 20),
        reason="轮岗",
    )
    assert handed == 1
    first.refresh_from_db()
    second = Liaison.objects.get(officer=w.officer_a2)
    assert (first.end, second.start, first.end_reason) == (date(2025, 3, 19), date(2025, 3, 20), "轮岗")
    # Never counted twice: on the last day of the first liaison only it counts, the next day only the second.
    for day, officer in ((date(2025, 3, 19), w.officer_a1), (date(2025, 3, 20), w.officer_a2)):
        rows = counts(cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=day, group="officer"))
        assert rows == {officer.pk: (1, 1, 0, 0)}, day
    # The visit of 10 March (by the liaison of the time) covers the new liaison until 9 April; then it is
    # pending until its own first interval ends (19 April), then overdue.
    assert counts(
        cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=date(2025, 4, 9), group="village")
    ) == {w.village_a1.pk: (1, 1, 0, 0)}
    assert counts(
        cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=date(2025, 4, 10), group="village")
    ) == {w.village_a1.pk: (1, 0, 0, 1)}
    assert counts(
        cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=date(2025, 4, 20), group="village")
    ) == {w.village_a1.pk: (1, 0, 1, 0)}
    # A visit by the first officer after the handover does not count for the second.
    visit(w, w.officer_a1, date(2025, 4, 15), household=w.household_a1)
    assert counts(
        cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=date(2025, 4, 20), group="officer")
    ) == {w.officer_a2.pk: (1, 0, 1, 0)}
    assert_all_agree(
        [date(2025, 3, 19), date(2025, 3, 20), date(2025, 4, 9), date(2025, 4, 10), date(2025, 4, 20)]
    )


def test_a_visit_by_an_officer_who_was_not_the_liaison_is_not_carried_over(world, rules):
    w = world
    visit(w, w.officer_a2, date(2025, 3, 1), household=w.household_a1)  # officer_a2 had no liaison yet
    link(w, w.officer_a1, date(2025, 3, 5), household=w.household_a1)
    rows = counts(
        cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=date(2025, 3, 6), group="officer")
    )
    assert rows == {w.officer_a1.pk: (1, 0, 0, 1)}


# ------------------------------------------------------------------------------------ household moves


def test_household_move_mid_period(world, rules):
    w = world
    link(w, w.officer_a1, date(2025, 1, 1), household=w.household_a1)  # 东街村, 低保: 30 days
    visit(w, w.officer_a1, date(2025, 6, 10), household=w.household_a1)
    before = counts(
        cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=date(2025, 6, 20), group="village")
    )
    assert before == {w.village_a1.pk: (1, 1, 0, 0)}
    w.household_a1.refresh_from_db()
    household_update(
        actor=w.admin,
        household=w.household_a1,
        version=w.household_a1.version,
        changes={"region": w.village_a2, "grid": w.grid_a2},
    )
    # Counted where it lives now, at once (the live computation reads the household's place); the visit
    # made before the move still covers it; the officer's own figure is unchanged.
    after = cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=date(2025, 6, 20), group="village")
    assert counts(after) == {w.village_a2.pk: (1, 1, 0, 0)}
    for group, key in (("grid", w.grid_a2.pk), ("township", w.town_a2.pk), ("officer", w.officer_a1.pk)):
        assert counts(
            cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=date(2025, 6, 20), group=group)
        ) == {key: (1, 1, 0, 0)}
    # The visit keeps the place it was made in.
    assert Visit.objects.get().region == w.village_a1
    # The generation brings the liaison's own place (scope) up to date and counts it in 西村 too.
    run = cov.duties_generate(as_of=date(2025, 6, 20))
    assert run.moved == 1
    liaison = Liaison.objects.get()
    assert (liaison.region, liaison.grid) == (w.village_a2, w.grid_a2)
    assert counts(
        cov.duty_coverage_counts(duties=VisitDuty.objects.all(), as_of=date(2025, 6, 20), group="village")
    ) == {w.village_a2.pk: (1, 1, 0, 0)}
    assert_all_agree([date(2025, 6, 20), date(2025, 7, 10), date(2025, 7, 11)], generated=True)


# --------------------------------------------------------------------------------- generated due lists


@pytest.mark.django_db(transaction=True)
def test_counties_generated_at_once_give_the_rows_of_one_after_the_other(scenario):
    w = scenario
    link(w, w.officer_b, date(2025, 1, 1), household=w.household_b1)  # a second county
    visit(w, w.officer_b, date(2025, 6, 2), household=w.household_b1)
    fields = [f.attname for f in VisitDuty._meta.fields]

    def rows():
        duties = sorted(VisitDuty.objects.values_list(*fields))
        tallies = sorted(
            CoverageCount.objects.values_list("county_id", "region_id", "officer_id", "assigned", "covered")
        )
        return duties, tallies

    if connection.vendor == "postgresql":
        assert cov.generation_workers(2) == 2
    one = cov.duties_generate(as_of=AS_OF, workers=1)
    sequential = rows()
    steps = []
    both = cov.duties_generate(
        as_of=AS_OF, workers=2, progress=lambda done, total: steps.append((done, total))
    )
    assert both.duties == one.duties == 5 and both.finished_at is not None
    assert rows() == sequential
    assert {duty[fields.index("county_id")] for duty in sequential[0]} == {w.county_a.pk, w.county_b.pk}
    assert steps == [(1, 2), (2, 2)]


def test_due_list_generation_is_idempotent(scenario):
    w = scenario
    first = cov.duties_generate(as_of=AS_OF)
    rows = sorted(VisitDuty.objects.values_list(*[f.attname for f in VisitDuty._meta.fields]))
    assert first.duties == len(rows) == 4 and first.finished_at is not None
    again = cov.duties_generate(as_of=AS_OF)
    assert again.duties == 4
    assert sorted(VisitDuty.objects.values_list(*[f.attname for f in VisitDuty._meta.fields])) == rows
    assert DutyGeneration.objects.count() == 2
    duty = VisitDuty.objects.get(liaison=w.l_dibao)
    assert (duty.last_visit, duty.covered_until, duty.due_on, duty.region_id) == (
        date(2025, 5, 31),
        date(2025, 6, 30),
        date(2025, 6, 30),
        w.village_a1.pk,
    )
    assert not VisitDuty.objects.filter(liaison=w.l_grid).exists()  # no duty
    assert_all_agree([AS_OF, date(2025, 7, 1)], generated=True)
    assert not generated_answers_for(date(2025, 7, 3))  # the visit of 2 July came after this generation


@pytest.fixture
def recent(world, rules):
    """The scenario's shape around today: the generated duties are used for today and later days."""
    w = world
    w.today = today = timezone.localdate()
    w.l_dibao = link(w, w.officer_a1, today - timedelta(days=200), household=w.household_a1)
    w.l_plain = link(w, w.officer_a1, today - timedelta(days=200), household=w.household_a2)
    w.l_org = link(w, w.officer_a1, today - timedelta(days=200), organization=w.org_a1)
    visit(w, w.officer_a1, today - timedelta(days=30), household=w.household_a1)
    visit(w, w.officer_a1, today - timedelta(days=31), organization=w.org_a1)
    visit(w, w.officer_a2, today - timedelta(days=3), household=w.household_a2)
    return w


def test_generated_due_lists_are_kept_fresh_by_the_services(recent):
    w = recent
    today = w.today
    later = [today, today + timedelta(days=1), today + timedelta(days=45), today + timedelta(days=100)]
    cov.duties_generate(as_of=today)
    assert coverage_source(as_of=today) is not None
    assert_all_agree(later, generated=True)
    visit(w, w.officer_a1, today - timedelta(days=1), organization=w.org_a1)  # covers the school again
    assert VisitDuty.objects.get(liaison=w.l_org).last_visit == today - timedelta(days=1)
    liaison_end(
        actor=w.admin, liaison=w.l_plain, end=today + timedelta(days=10), reason="调岗", expected_version=1
    )
    assert VisitDuty.objects.get(liaison=w.l_plain).end == today + timedelta(days=10)
    new = link(w, w.officer_a2, today - timedelta(days=5), household=w.household_a2)
    assert VisitDuty.objects.filter(liaison=new).exists()
    assert_all_agree(later, generated=True)
    assert CoverageCount.objects.filter(as_of=today).exists()
    assert not CoverageCount.objects.exclude(as_of=today).exists()
    # The selectors read them for today: same figures as computed from the visits.
    for group in (*GROUPS, "unit"):
        assert counts(coverage_report(actor=w.user_leader_a, group=group, as_of=today)) == counts(
            coverage_report(actor=w.user_leader_a, group=group, as_of=today, live=True)
        ), group
    # A rule change invalidates them: coverage is computed from the visits until the next generation.
    visit_rule_save(actor=w.admin, name="每周", applies_to="household", interval_days=7)
    assert coverage_source(as_of=today) is None
    live = counts(coverage_report(actor=w.admin, group="officer", as_of=today))
    cov.duties_generate(as_of=today)
    assert coverage_source(as_of=today) is not None
    assert counts(coverage_report(actor=w.admin, group="officer", as_of=today)) == live
    assert coverage_source(as_of=today - timedelta(days=1)) is None  # earlier days: from the visits


def test_scope_wide_due_list_reads_the_generated_duties(recent):
    w = recent
    today = w.today
    live = [
        (i.liaison.pk, i.due, i.state) for i in due_list(actor=w.user_leader_a, as_of=today, horizon_days=10)
    ]
    cov.duties_generate(as_of=today)
    generated = due_list(actor=w.user_leader_a, as_of=today, horizon_days=10)
    assert not isinstance(generated, list)
    assert sorted((i.liaison.pk, i.due, i.state) for i in generated) == sorted(live)
    # 东街 due today (visited 30 days ago), the school overdue by a day, 西村 overdue (visited only by an
    # officer who is not its liaison).
    assert len(generated) == len(live) == 3
    overdue = due_list(actor=w.user_leader_a, as_of=today, overdue_only=True)
    assert [i.liaison.pk for i in overdue] == [w.l_plain.pk, w.l_org.pk]
    assert [i.days_overdue for i in overdue] == [109, 1]
    assert len(due_list(actor=w.user_officer_b, as_of=today)) == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_agree_with_the_definition(world, rules, seed):
    """Random liaison histories (handovers, ends, second liaisons), visits and a move: the live SQL, the
    generated duties and the Python reference agree on every sampled day."""
    w = world
    rng = random.Random(seed)
    today = timezone.localdate()
    officers = [w.officer_a1, w.officer_a2, w.recruit_a1]
    targets = [{"household": w.household_a1}, {"household": w.household_a2}, {"organization": w.org_a1}]
    extra = Household.objects.create(
        number=f"H-R{seed}", region=w.village_a1, county=w.county_a, grid=w.grid_a1, address="x"
    )
    extra.care_tags.add(CareTag.objects.get(code="key_attention"))
    targets.append({"household": extra})
    base = today - timedelta(days=240)
    for target in targets:
        start = base + timedelta(days=rng.randrange(30))
        officer = rng.choice(officers)
        liaison = link(w, officer, start, **target)
        if rng.random() < 0.7:
            end = start + timedelta(days=rng.randrange(20, 120))
            liaison_end(actor=w.admin, liaison=liaison, end=end, reason="换人", expected_version=1)
            successor = rng.choice([o for o in officers if o != officer])
            link(w, successor, end + timedelta(days=rng.choice([1, 1, 5])), **target)
        for _ in range(rng.randrange(2, 8)):
            # up to yesterday: a visit at 09:30 today may still be in the future at this hour
            visit(w, rng.choice(officers), base + timedelta(days=rng.randrange(240)), **target)
    if seed == 2:
        household_update(
            actor=w.admin,
            household=w.household_a2,
            version=1,
            changes={"region": w.village_a1, "grid": w.grid_a1},
        )
    assert_all_agree([base + timedelta(days=d) for d in range(0, 241, 8)])
    cov.duties_generate(as_of=today)
    assert_all_agree([today + timedelta(days=d) for d in range(0, 120, 7)], generated=True)
