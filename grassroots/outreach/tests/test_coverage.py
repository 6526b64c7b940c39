"""Visit duties and coverage: intervals, due dates, the covered/overdue/pending arithmetic, grouping, scope."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from grassroots.common.scoping import actor_for
from grassroots.outreach import coverage as cov
from grassroots.outreach.models import Liaison, LiaisonKind, Visit, VisitRule
from grassroots.outreach.selectors import coverage_report, due_list
from grassroots.outreach.services import (
    VisitInput,
    liaison_create,
    liaison_end,
    visit_record,
    visit_rule_save,
)
from grassroots.territory.models import CareTag

AS_OF = date(2025, 6, 30)


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9, 30)))


def visit(world, officer, day, household=None, organization=None):
    return visit_record(
        actor=world.admin,
        officer=officer,
        data=VisitInput(household=household, organization=organization, visited_at=at(day), summary="走访"),
    )


@pytest.fixture
def scenario(world, rules):
    w = world
    link = lambda officer, start, **target: liaison_create(  # noqa: E731
        actor=w.admin, officer=officer, start=start, kind=next(iter(target)), **target
    )
    w.l_dibao = link(w.officer_a1, date(2025, 1, 1), household=w.household_a1)  # 低保: 30 days
    w.l_plain = link(w.officer_a1, date(2025, 1, 1), household=w.household_a2)  # no tag: 91 days
    w.l_org = link(w.officer_a1, date(2025, 1, 1), organization=w.org_a1)  # organisation: 30 days
    w.l_grid = link(w.officer_a1, date(2025, 1, 1), grid=w.grid_a1)  # no duty
    w.l_new = link(w.officer_a2, date(2025, 6, 20), household=w.household_a1)  # new: pending
    visit(w, w.officer_a1, date(2025, 5, 31), household=w.household_a1)  # exactly at the window start
    visit(w, w.officer_a2, date(2025, 6, 1), household=w.household_a2)  # someone else's visit
    visit(w, w.officer_a1, date(2025, 5, 30), organization=w.org_a1)  # one day too early
    visit(w, w.officer_a1, date(2025, 7, 2), household=w.household_a2)  # after the reference day
    return w


def by_key(rows):
    return {r.key: r for r in rows}


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


def test_a_county_rule_applies_only_in_its_county(scenario):
    w = scenario
    visit_rule_save(
        actor=w.admin, name="杞县每周", applies_to="household", interval_days=7, county=w.county_b
    )
    rules = cov.active_rules()
    intervals = dict(Liaison.objects.annotate(i=cov.interval_case(rules)).values_list("pk", "i"))
    assert intervals[w.l_plain.pk] == 91  # 兰考县: the county rule does not apply


def test_coverage_counts_covered_overdue_and_pending(scenario):
    w = scenario
    rows = by_key(cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=AS_OF, group="officer"))
    a1, a2 = rows[w.officer_a1.pk], rows[w.officer_a2.pk]
    # dibao visited on the window start: covered; plain household visited only by another officer: overdue;
    # organisation visited one day before its window: overdue; the grid liaison has no duty.
    assert (a1.assigned, a1.covered, a1.overdue, a1.pending) == (3, 1, 2, 0)
    assert a1.coverage == pytest.approx(1 / 3)
    assert (a2.assigned, a2.covered, a2.overdue, a2.pending) == (1, 0, 0, 1)
    # The next day the dibao visit has left its window.
    rows = by_key(
        cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=AS_OF + timedelta(days=1), group="officer")
    )
    assert (rows[w.officer_a1.pk].covered, rows[w.officer_a1.pk].overdue) == (0, 3)


def test_sql_counts_agree_with_the_definition_row_by_row(scenario):
    rules = cov.active_rules()
    for day in (date(2025, 2, 1), date(2025, 4, 2), AS_OF, date(2025, 7, 3), date(2025, 10, 15)):
        expected: dict[int, list[int]] = {}
        for liaison in cov.duty_rows(liaisons=Liaison.objects.all(), as_of=day, rules=rules).annotate(
            interval_days=cov.interval_case(rules)
        ):
            last = (
                Visit.objects.filter(officer_id=liaison.officer_id, visited_on__lte=day)
                .filter(household_id=liaison.household_id, organization_id=liaison.organization_id)
                .order_by("-visited_on")
                .values_list("visited_on", flat=True)
                .first()
            )
            assert last == liaison.last_visit
            state = cov.visit_state(
                start=liaison.start, last_visit=last, interval_days=liaison.interval_days, as_of=day
            )
            counts = expected.setdefault(liaison.officer_id, [0, 0, 0, 0])
            counts[0] += 1
            counts[1 + ["covered", "overdue", "pending"].index(state)] += 1
        got = {
            r.key: [r.assigned, r.covered, r.overdue, r.pending]
            for r in cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=day, group="officer")
        }
        assert got == expected, day


def test_groupings_add_up(scenario):
    w = scenario
    totals = {}
    for group in ("officer", "grid", "village", "township", "county"):
        rows = cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=AS_OF, group=group)
        total = cov.coverage_total(rows)
        totals[group] = (total.assigned, total.covered, total.overdue, total.pending)
    assert set(totals.values()) == {(4, 1, 2, 1)}
    villages = by_key(cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=AS_OF, group="village"))
    assert villages[w.village_a1.pk].assigned == 3  # dibao (two liaisons) and the school
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
        cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=date(2025, 3, 1), group="officer")
    )
    assert earlier[w.officer_a1.pk].assigned == 3
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
    # Not visited: due one interval after the start; overdue the day after.
    item = due_list(actor=w.admin, officer=w.officer_a2, as_of=first_due, horizon_days=0)[0]
    assert (item.liaison.pk, item.due, item.state) == (liaison.pk, first_due, "pending")
    item = due_list(actor=w.admin, officer=w.officer_a2, as_of=first_due + timedelta(days=1), horizon_days=0)[
        0
    ]
    assert (item.state, item.days_overdue) == ("overdue", 1)
    # A visit moves the due date to one interval after it.
    visited = first_due + timedelta(days=3)
    visit(w, w.officer_a2, visited, household=w.household_a2)
    day = visited + timedelta(days=1)
    assert due_list(actor=w.admin, officer=w.officer_a2, as_of=day, horizon_days=0) == []
    soon = due_list(actor=w.admin, officer=w.officer_a2, as_of=day, horizon_days=interval)
    assert [(i.due, i.state, i.last_visit) for i in soon] == [
        (visited + timedelta(days=interval), "covered", visited)
    ]
    late = visited + timedelta(days=interval + 1)
    assert [i.state for i in due_list(actor=w.admin, officer=w.officer_a2, as_of=late, horizon_days=0)] == [
        "overdue"
    ]


def test_inactive_rules_are_ignored(scenario):
    VisitRule.objects.filter(applies_to="organization").update(is_active=False)
    rows = cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=AS_OF, group="officer")
    assert cov.coverage_total(rows).assigned == 3


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
