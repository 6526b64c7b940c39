"""Planning on the database: rule sets, the problem built from the workforce record, plan runs as jobs
(claimed, solved, stored at once, taken up again after a dead worker), approval through the workforce
services, and duty rosters from their definition to the stored roster."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from grassroots.common.errors import Conflict, Forbidden, ValidationFailed
from grassroots.common.models import AuditEntry
from grassroots.planning import jobs
from grassroots.planning.build import rotation_problem
from grassroots.planning.models import JobStatus, PlannedMove, PlanRun, RosterAssignment, RosterRun
from grassroots.planning.rotation import model as rotation
from grassroots.planning.rotation.checker import check
from grassroots.planning.services import (
    DutyInput,
    MemberInput,
    RuleInput,
    cover_save,
    day_off_save,
    duty_type_save,
    member_save,
    plan_run_approve,
    plan_run_cancel,
    plan_run_create,
    post_profile_set,
    request_save,
    roster_create,
    roster_run_cancel,
    roster_run_create,
    rule_set_create,
    rule_set_update,
)
from grassroots.workforce.models import Assignment, AssignmentKind

from .conftest import PLAN_START

pytestmark = pytest.mark.django_db


def rules_of(rule_set) -> list[RuleInput]:
    return [RuleInput(r.family, r.enabled, r.hard, r.weight, dict(r.params)) for r in rule_set.rules.all()]


# -- rule sets ---------------------------------------------------------------------------------------------


def test_a_new_rule_set_has_every_rule_family_with_soft_only_ones_soft(court):
    rules = {r.family: r for r in court.rule_set.rules.all()}
    assert set(rules) == set(rotation.FAMILIES)
    assert not rules[rotation.PREFERENCES].hard and not rules[rotation.MOVE_COST].hard
    assert AuditEntry.objects.filter(
        action="planning.rule_set.create", object_id=str(court.rule_set.pk)
    ).exists()


def test_rule_set_validation_names_the_rule_and_parameter(court):
    rules = rules_of(court.rule_set)
    for rule in rules:
        if rule.family == rotation.FRONT_LINE:
            rule.params = {"k": 5, "window": 3}
        if rule.family == rotation.PREFERENCES:
            rule.hard = True
        if rule.family == rotation.MIN_STAY:
            rule.params = {"months": 2}
    with pytest.raises(ValidationFailed) as caught:
        rule_set_update(
            actor=court.world.user_hr,
            rule_set=court.rule_set,
            expected_version=court.rule_set.version,
            name="x",
            period_kind="quarter",
            pool_depth=None,
            history_periods=12,
            rules=rules,
        )
    fields = {(e.field, e.row) for e in caught.value.errors}
    assert ("rules.front_line_window.k", 1) in fields
    assert ("rules.preferences.hard", 8) in fields
    assert ("rules.min_stay.months", 2) in fields
    court.rule_set.refresh_from_db()
    assert court.rule_set.version == 1  # nothing written


def test_a_stale_rule_set_update_is_a_conflict_and_officers_may_not_edit(court):
    w = court.world
    kwargs = {
        "name": "新",
        "period_kind": "quarter",
        "pool_depth": None,
        "history_periods": 12,
        "rules": rules_of(court.rule_set),
    }
    rule_set_update(actor=w.user_hr, rule_set=court.rule_set, expected_version=1, **kwargs)
    with pytest.raises(Conflict):
        rule_set_update(actor=w.user_hr, rule_set=court.rule_set, expected_version=1, **kwargs)
    with pytest.raises(Forbidden):
        rule_set_create(actor=w.officer_a1.user, name="x", unit=w.court_a)
    with pytest.raises(Forbidden):
        rule_set_create(actor=w.leader_a.user, name="x", unit=w.court_a)


# -- the problem from the record ------------------------------------------------------------------------------


def test_the_problem_holds_the_units_posts_officers_and_their_history(court):
    w = court.world
    problem = rotation_problem(court.rule_set, start=PLAN_START, periods=4)
    posts = {q.id: q for q in problem.posts}
    assert w.post_president.code not in posts  # leadership posts are not rotated
    assert w.post_judge_b.code not in posts  # another court
    assert posts["CA-T1-J"].grassroots and posts["CA-T1-J"].front_line
    assert not posts["CA-OFF"].grassroots and not posts["CA-OFF"].front_line
    officers = {o.id: o for o in problem.officers}
    assert "A000" not in officers and "B001" not in officers
    first = officers["A200"]
    assert len(first.history) == 12
    # 2024Q1 … 2026Q4 in the office; the history starts with 2024Q1 (12 quarters before 2027Q1).
    assert first.history == ("CA-OFF",) * 12
    assert officers["A205"].history[-2:] == ("CA-FIL", "CA-FIL") and officers["A205"].history[-3] == "CA-OFF"
    recruit = officers["A003"]
    assert recruit.recruit_served == 0 and recruit.history[-1] is None  # hired in December 2026
    assert problem.periods == ("2027Q1", "2027Q2", "2027Q3", "2027Q4")


def test_post_profiles_set_type_grassroots_and_required_skills(court):
    w = court.world
    post_profile_set(
        actor=w.user_hr, post=court.research, post_type="research", required_skills=["law_degree"]
    )
    problem = rotation_problem(court.rule_set, start=PLAN_START, periods=2)
    research = next(q for q in problem.posts if q.id == "CA-RES")
    assert research.type == "research" and research.skills == frozenset({"law_degree"})
    assert AuditEntry.objects.filter(action="planning.post_profile.set").exists()


# -- plan runs ------------------------------------------------------------------------------------------------


def test_a_plan_run_is_solved_by_a_worker_and_its_plan_passes_the_checker(court):
    w = court.world
    run = plan_run_create(
        actor=w.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=4, time_limit=20
    )
    assert run.status == JobStatus.QUEUED and run.problem["officers"]
    assert jobs.job_run_next() == ("plan", run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE and run.result in ("OPTIMAL", "FEASIBLE")
    problem = rotation.problem_from_json(run.problem)
    report = check(problem, rotation.RotationPlan.from_json(run.plan))
    assert report.ok and run.report["ok"] and run.objective == report.penalty
    assert run.moves_count == PlannedMove.objects.filter(run=run).count() == report.moves
    # Officers out of front-line service since 2023 must serve there in 2027Q1, and the move says why.
    reasons = {
        move.officer.staff_number: {r["code"] for r in move.reasons}
        for move in PlannedMove.objects.filter(run=run, period=0).select_related("officer")
    }
    assert "front_line" in reasons["A202"] or "tenure" in reasons["A202"]
    assert AuditEntry.objects.filter(action="planning.plan_run.finish", object_id=str(run.pk)).exists()
    assert jobs.job_run_next() is None


def test_approving_writes_the_moves_as_planned_assignments_once(court):
    w = court.world
    run = plan_run_create(
        actor=w.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=3, time_limit=20
    )
    jobs.job_run_next()
    run.refresh_from_db()
    with pytest.raises(Forbidden):
        plan_run_approve(actor=w.leader_a.user, run=run, expected_version=run.version)
    with pytest.raises(Conflict):
        plan_run_approve(actor=w.user_hr, run=run, expected_version=run.version - 1)
    plan_run_approve(actor=w.user_hr, run=run, expected_version=run.version)
    planned = Assignment.objects.filter(kind=AssignmentKind.PLANNED, note=f"rotation plan #{run.pk}")
    moves = list(PlannedMove.objects.filter(run=run))
    assert planned.count() == len(moves) > 0
    for move in moves:
        assert planned.filter(
            officer=move.officer, post=move.to_post, start=move.starts, end=move.ends
        ).exists()
    assert AuditEntry.objects.filter(action="assignment.create", data__kind="planned").count() == len(moves)
    run.refresh_from_db()
    with pytest.raises(Conflict):
        plan_run_approve(actor=w.user_hr, run=run, expected_version=run.version)


def test_a_plan_that_breaks_a_hard_rule_cannot_be_approved(court):
    w = court.world
    run = plan_run_create(
        actor=w.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=2, time_limit=20
    )
    jobs.job_run_next()
    run.refresh_from_db()
    broken = dict(run.plan)
    broken["A200"] = ["CA-RES", "CA-T2-J"]  # a move after one period breaks the minimum stay
    PlanRun.objects.filter(pk=run.pk).update(plan=broken)
    run.refresh_from_db()
    with pytest.raises(ValidationFailed) as caught:
        plan_run_approve(actor=w.user_hr, run=run, expected_version=run.version)
    assert caught.value.errors[0].field == "plan"
    assert not Assignment.objects.filter(kind=AssignmentKind.PLANNED).exists()


def test_an_infeasible_rule_set_is_explained_and_gives_the_best_plan_with_its_violations(court):
    w = court.world
    rules = rules_of(court.rule_set)
    for rule in rules:
        if rule.family == rotation.MOVE_CAP:
            rule.params = {"per_period": 0}
    rule_set_update(
        actor=w.user_hr,
        rule_set=court.rule_set,
        expected_version=1,
        name=court.rule_set.name,
        period_kind="quarter",
        pool_depth=None,
        history_periods=12,
        rules=rules,
    )
    run = plan_run_create(
        actor=w.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=2, time_limit=30
    )
    jobs.job_run_next()
    run.refresh_from_db()
    assert run.status == JobStatus.DONE and run.result == "INFEASIBLE"
    assert "move_cap" in run.explanation["families"] and run.explanation["confirmed"]
    assert run.plan and not run.report["ok"]
    assert {v["family"] for v in run.report["violations"] if v["hard"]} >= {"move_cap"}


def test_a_second_run_of_the_same_rule_set_waits_for_the_first(court):
    w = court.world
    plan_run_create(actor=w.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=2)
    with pytest.raises(Conflict):
        plan_run_create(actor=w.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=2)


def test_bad_run_input_names_each_field_and_writes_nothing(court):
    with pytest.raises(ValidationFailed) as caught:
        plan_run_create(
            actor=court.world.user_hr,
            rule_set=court.rule_set,
            start=date(2027, 1, 15),
            periods=40,
            time_limit=0,
        )
    assert {e.field for e in caught.value.errors} == {"start", "periods", "time_limit"}
    assert not PlanRun.objects.exists()


def test_cancelling_a_queued_run_closes_it_and_a_running_one_stops_it(court):
    w = court.world
    run = plan_run_create(actor=w.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=2)
    plan_run_cancel(actor=w.user_hr, run=run)
    assert run.status == JobStatus.CANCELLED and jobs.job_run_next() is None
    with pytest.raises(Conflict):
        plan_run_cancel(actor=w.user_hr, run=run)
    run = plan_run_create(actor=w.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=2)
    assert jobs.job_claim("plan", run.pk)
    plan_run_cancel(actor=w.user_hr, run=run)
    assert run.status == JobStatus.RUNNING and run.cancel_requested
    jobs.plan_run_execute(run.pk)
    run.refresh_from_db()
    assert run.status in (JobStatus.CANCELLED, JobStatus.DONE) and run.finished_at is not None


def test_a_run_whose_worker_died_is_taken_up_again_and_finishes(court):
    w = court.world
    run = plan_run_create(
        actor=w.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=2, time_limit=20
    )
    assert jobs.job_claim("plan", run.pk)
    # The worker dies: the row says running, its heartbeat stops, nothing else was written.
    PlanRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert not PlannedMove.objects.filter(run=run).exists()
    assert jobs.job_next() == ("plan", run.pk)
    assert jobs.job_run_next() == ("plan", run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE and run.attempts >= 2 and run.report["ok"]


def test_a_live_run_is_not_taken_by_a_second_worker(court):
    run = plan_run_create(actor=court.world.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=2)
    assert jobs.job_claim("plan", run.pk)
    assert not jobs.job_claim("plan", run.pk)
    assert jobs.job_next() is None


# -- duty rosters --------------------------------------------------------------------------------------------


@pytest.fixture
def roster(world):
    w = world
    roster = roster_create(
        actor=w.leader_a.user, name="2027年1月值班", unit=w.court_a, start_date=date(2027, 1, 4), days=14
    )
    window = duty_type_save(
        actor=w.leader_a.user, roster=roster, data=DutyInput("W", "立案窗口", 480, kind="filing_window")
    )
    reception = duty_type_save(
        actor=w.leader_a.user, roster=roster, data=DutyInput("R", "院长接待日", 240, kind="reception")
    )
    for officer in (w.officer_a1, w.officer_a2, w.hr, w.leader_a):
        member_save(
            actor=w.leader_a.user,
            roster=roster,
            officer=officer,
            data=MemberInput(
                max_total_minutes=480 * 8, max_consecutive_shifts=4, max_weekends=1, max_shifts={"R": 2}
            ),
        )
    cover_save(actor=w.leader_a.user, roster=roster, duty=window, days="working_days", minimum=1, preferred=2)
    cover_save(
        actor=w.leader_a.user,
        roster=roster,
        duty=reception,
        days="date",
        on_date=date(2027, 1, 6),
        minimum=1,
        preferred=1,
    )
    return roster


def test_roster_runs_store_a_roster_that_keeps_every_rule_and_minimum(world, roster):
    w = world
    member = roster.members.get(officer=w.officer_a1)
    day_off_save(actor=w.leader_a.user, member=member, on_date=date(2027, 1, 5))
    request_save(
        actor=w.leader_a.user,
        member=member,
        on_date=date(2027, 1, 6),
        duty=roster.duty_types.get(code="R"),
        on=True,
        weight=3,
    )
    run = roster_run_create(actor=w.leader_a.user, roster=roster, time_limit=10)
    assert jobs.job_run_next() == ("roster", run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE and run.report["ok"], run.report
    stored = RosterAssignment.objects.filter(run=run)
    assert not stored.filter(officer=w.officer_a1, date=date(2027, 1, 5)).exists()
    # Every working day has at least one person at the window (the minimum is hard); 2027-01-06 a reception.
    from grassroots.casework.clock import is_workday

    for d in range(14):
        day = date(2027, 1, 4) + timedelta(days=d)
        if is_workday(day):
            assert stored.filter(date=day, duty__code="W").count() >= 1, day
    assert stored.filter(date=date(2027, 1, 6), duty__code="R").count() == 1
    assert run.objective == run.report["objective"]


def test_roster_edits_are_for_hr_admins_and_the_units_leaders(world, roster):
    w = world
    with pytest.raises(Forbidden):
        roster_create(actor=w.officer_a1.user, name="x", unit=w.court_a, start_date=date(2027, 1, 1), days=7)
    with pytest.raises(Forbidden):
        roster_create(actor=w.leader_a.user, name="x", unit=w.court_b, start_date=date(2027, 1, 1), days=7)
    roster_create(actor=w.user_hr, name="x", unit=w.court_b, start_date=date(2027, 1, 1), days=7)


def test_roster_input_errors_name_the_field(world, roster):
    w = world
    window = roster.duty_types.get(code="W")
    with pytest.raises(ValidationFailed) as caught:
        duty_type_save(actor=w.user_hr, roster=roster, data=DutyInput("W", "", 0, forbidden_next=["Z"]))
    assert {e.field for e in caught.value.errors} == {"code", "name", "minutes", "forbidden_next"}
    with pytest.raises(ValidationFailed) as caught:
        cover_save(actor=w.user_hr, roster=roster, duty=window, days="date", minimum=3, preferred=2)
    assert {e.field for e in caught.value.errors} == {"date", "minimum"}
    with pytest.raises(ValidationFailed) as caught:
        member_save(
            actor=w.user_hr,
            roster=roster,
            officer=w.officer_a1,
            data=MemberInput(max_total_minutes=10, min_total_minutes=20, max_shifts={"Q": 1}),
        )
    assert {e.field for e in caught.value.errors} == {"min_total_minutes", "max_shifts.Q", "officer"}


def test_an_impossible_minimum_gives_no_roster_and_says_so(world, roster):
    w = world
    cover_save(
        actor=w.user_hr,
        roster=roster,
        duty=roster.duty_types.get(code="W"),
        days="every_day",
        minimum=5,
        preferred=5,
    )
    run = roster_run_create(actor=w.user_hr, roster=roster, time_limit=5)
    jobs.job_run_next()
    run.refresh_from_db()
    assert run.status == JobStatus.DONE and run.result == "INFEASIBLE"
    assert not RosterAssignment.objects.filter(run=run).exists()


def test_cancelling_a_queued_roster_run(world, roster):
    run = roster_run_create(actor=world.user_hr, roster=roster)
    roster_run_cancel(actor=world.user_hr, run=run)
    assert RosterRun.objects.get(pk=run.pk).status == JobStatus.CANCELLED
