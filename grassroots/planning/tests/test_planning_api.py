"""Planning API: rotation for HR and administrators (others 403), rosters also for the unit's leaders,
objects out of scope 404; a plan started, polled, its moves read and approved (a stale version 409);
roster runs and their assignments; an officer's own duties."""

from __future__ import annotations

import pytest

from grassroots.common.api.testing import assert_error
from grassroots.planning import jobs
from grassroots.planning.models import JobStatus, PlanRun, RosterAssignment, RosterRun
from grassroots.workforce.models import Assignment, AssignmentKind

from .conftest import PLAN_START
from .test_planning_pages import solved_roster
from .test_planning_services import roster  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_rule_sets_are_created_read_and_changed_with_the_version(api, court):
    w = court.world
    hr = api(w.user_hr)
    listed = hr.get("/api/planning/rule-sets/")
    assert listed.status_code == 200 and listed.json()["count"] == 1
    created = hr.post(
        "/api/planning/rule-sets/",
        {
            "name": "杞县法院交流",
            "unit": w.court_b.pk,
            "period_kind": "month",
            "rules": [
                {
                    "family": "move_cap",
                    "enabled": True,
                    "hard": True,
                    "weight": 10,
                    "params": {"per_period": 1},
                }
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["unit"]["id"] == w.court_b.pk and [r["family"] for r in body["rules"]] == ["move_cap"]
    url = f"/api/planning/rule-sets/{body['id']}/"
    changed = hr.patch(url, {"version": body["version"], "name": "新名"}, format="json")
    assert changed.status_code == 200 and changed.json()["name"] == "新名"
    assert hr.patch(url, {"version": body["version"], "name": "x"}, format="json").status_code == 409
    bad = hr.patch(
        url,
        {"version": changed.json()["version"], "rules": [{"family": "preferences", "hard": True}]},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["fields"]
    heavy = hr.patch(
        url,
        {
            "version": changed.json()["version"],
            "rules": [{"family": "move_cap", "weight": 2**40, "params": {"per_period": 2**40}}],
        },
        format="json",
    )
    assert_error(heavy, 400, "validation_failed")
    fields = {f["field"] for f in heavy.json()["error"]["fields"]}
    assert any("weight" in f for f in fields) and any("per_period" in f for f in fields), fields


def test_rotation_endpoints_refuse_other_roles_with_403(api, court):
    w = court.world
    for user in (w.officer_a1.user, w.leader_a.user, w.resident_user):
        client = api(user)
        assert client.get("/api/planning/rule-sets/").status_code == 403
        assert client.get(f"/api/planning/rule-sets/{court.rule_set.pk}/").status_code == 403
        assert client.get("/api/planning/plan-runs/").status_code == 403
    assert api().get("/api/planning/rule-sets/").status_code == 401


def test_a_plan_is_started_polled_its_moves_read_and_approved_once(api, court):
    w = court.world
    hr = api(w.user_hr)
    created = hr.post(
        "/api/planning/plan-runs/",
        {"rule_set": court.rule_set.pk, "start": PLAN_START.isoformat(), "periods": 3, "time_limit": 20},
        format="json",
    )
    assert created.status_code == 201, created.json()
    run_id = created.json()["id"]
    assert created.json()["status"] == "queued" and created.json()["percent"] == 0
    # A second run of the same rule set while one is queued: 409.
    again = hr.post(
        "/api/planning/plan-runs/",
        {"rule_set": court.rule_set.pk, "start": PLAN_START.isoformat(), "periods": 3},
        format="json",
    )
    assert again.status_code == 409
    jobs.job_run_next()
    run = hr.get(f"/api/planning/plan-runs/{run_id}/").json()
    assert run["status"] == "done" and run["percent"] == 100 and run["checker"]["ok"]
    moves = hr.get(f"/api/planning/plan-runs/{run_id}/moves/").json()
    assert moves["count"] == run["moves_count"] > 0
    first = moves["results"][0]
    assert first["to_post"]["code"] and first["reasons"] and first["reasons"][0]["text"]
    assert (
        hr.post(f"/api/planning/plan-runs/{run_id}/approve/", {"version": run["version"] - 1}).status_code
        == 409
    )
    approved = hr.post(
        f"/api/planning/plan-runs/{run_id}/approve/", {"version": run["version"]}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["approved_at"]
    planned = Assignment.objects.filter(kind=AssignmentKind.PLANNED, note=f"rotation plan #{run_id}")
    assert planned.count() == run["moves_count"]
    # The same request again: the version moved on, nothing is written twice.
    assert (
        hr.post(f"/api/planning/plan-runs/{run_id}/approve/", {"version": run["version"]}).status_code == 409
    )
    assert planned.count() == run["moves_count"]
    assert hr.post(f"/api/planning/plan-runs/{run_id}/cancel/").status_code == 409  # already finished


def test_a_queued_plan_is_cancelled_and_a_missing_one_is_404(api, court):
    hr = api(court.world.user_hr)
    run_id = hr.post(
        "/api/planning/plan-runs/",
        {"rule_set": court.rule_set.pk, "start": PLAN_START.isoformat(), "periods": 2},
        format="json",
    ).json()["id"]
    cancelled = hr.post(f"/api/planning/plan-runs/{run_id}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert PlanRun.objects.get(pk=run_id).status == JobStatus.CANCELLED
    assert hr.get("/api/planning/plan-runs/999999/").status_code == 404
    assert hr.get("/api/planning/plan-runs/999999/moves/").status_code == 404


def test_rosters_and_runs_for_leaders_in_their_subtree_cross_scope_404(api, world, roster):  # noqa: F811
    leader = api(world.leader_a.user)
    listed = leader.get("/api/planning/rosters/").json()
    assert [r["id"] for r in listed["results"]] == [roster.pk]
    detail = leader.get(f"/api/planning/rosters/{roster.pk}/").json()
    assert {d["code"] for d in detail["duty_types"]} == {"W", "R"} and len(detail["members"]) == 4
    created = leader.post(
        "/api/planning/roster-runs/", {"roster": roster.pk, "time_limit": 10}, format="json"
    )
    assert created.status_code == 201, created.json()
    run_id = created.json()["id"]
    jobs.job_run_next()
    run = leader.get(f"/api/planning/roster-runs/{run_id}/").json()
    assert run["status"] == "done" and run["checker"]["ok"]
    duties = leader.get(f"/api/planning/roster-runs/{run_id}/assignments/").json()
    assert duties["count"] == RosterAssignment.objects.filter(run_id=run_id).count() > 0
    # A unit the leader does not lead: not a unit they can name.
    other = leader.post(
        "/api/planning/rosters/",
        {"name": "x", "unit": world.court_b.pk, "start_date": "2027-01-04", "days": 7},
        format="json",
    )
    assert other.status_code == 400
    # A roster of court B is out of the leader's scope: 404.
    hr = api(world.user_hr)
    foreign = hr.post(
        "/api/planning/rosters/",
        {"name": "杞县值班", "unit": world.court_b.pk, "start_date": "2027-01-04", "days": 7},
        format="json",
    ).json()
    assert leader.get(f"/api/planning/rosters/{foreign['id']}/").status_code == 404
    assert (
        leader.post("/api/planning/roster-runs/", {"roster": foreign["id"]}, format="json").status_code == 404
    )
    # Officers may not plan rosters.
    officer = api(world.officer_a1.user)
    assert officer.get("/api/planning/rosters/").status_code == 403
    assert officer.get(f"/api/planning/roster-runs/{run_id}/").status_code == 403


def test_an_officer_reads_only_their_own_duties(api, world, roster):  # noqa: F811
    run = solved_roster(world, roster)
    mine = RosterAssignment.objects.filter(run=run, officer=world.officer_a1)
    body = api(world.officer_a1.user).get("/api/planning/my-duties/").json()
    assert body["count"] == mine.count()
    assert {d["officer"]["id"] for d in body["results"]} <= {world.officer_a1.pk}
    assert api(world.resident_user).get("/api/planning/my-duties/").status_code == 403
    assert RosterRun.objects.filter(pk=run.pk).exists()


def test_a_roster_is_defined_through_the_api_and_solved(api, world):
    hr = api(world.user_hr)
    created = hr.post(
        "/api/planning/rosters/",
        {"name": "接口值班", "unit": world.court_a.pk, "start_date": "2027-03-01", "days": 14},
        format="json",
    ).json()
    base = f"/api/planning/rosters/{created['id']}"
    duty = hr.post(
        f"{base}/duties/",
        {"code": "W", "name": "立案窗口", "minutes": 480, "kind": "filing_window"},
        format="json",
    )
    assert duty.status_code == 201, duty.json()
    for officer in (world.officer_a1, world.officer_a2):
        member = hr.post(
            f"{base}/members/",
            {"officer": officer.pk, "max_total_minutes": 480 * 8, "max_weekends": 1},
            format="json",
        )
        assert member.status_code == 201, member.json()
    assert (
        hr.post(f"{base}/members/", {"officer": 999999, "max_total_minutes": 1}, format="json").status_code
        == 404
    )
    cover = hr.post(
        f"{base}/covers/", {"duty": "W", "days": "working_days", "minimum": 1, "preferred": 1}, format="json"
    )
    assert cover.status_code == 201, cover.json()
    assert hr.post(f"{base}/covers/", {"duty": "Z", "days": "every_day"}, format="json").status_code == 400
    # Beyond what the columns hold (and what the solver should multiply): a 400 naming the field, on
    # every database alike, and nothing saved.
    huge = hr.post(
        f"{base}/covers/",
        {"duty": "W", "days": "every_day", "minimum": 40000, "preferred": 40000, "under_weight": 2**40},
        format="json",
    )
    assert_error(huge, 400, "validation_failed")
    assert {f["field"] for f in huge.json()["error"]["fields"]} == {"minimum", "preferred", "under_weight"}
    assert len(hr.get(f"{base}/").json()["covers"]) == 1
    member_id = cover.json()["members"][0]["id"]
    off = hr.post(f"{base}/days-off/", {"member": member_id, "date": "2027-03-02"}, format="json")
    assert off.status_code == 201 and off.json()["members"][0]["days_off"][0]["date"] == "2027-03-02"
    wish = hr.post(
        f"{base}/requests/",
        {"member": member_id, "date": "2027-03-03", "duty": "W", "on": True},
        format="json",
    )
    assert wish.status_code == 201 and wish.json()["members"][0]["requests"][0]["on"] is True
    run = hr.post(
        "/api/planning/roster-runs/", {"roster": created["id"], "time_limit": 5}, format="json"
    ).json()
    jobs.job_run_next()
    assert hr.get(f"/api/planning/roster-runs/{run['id']}/").json()["checker"]["ok"]
    # An officer may not change rosters.
    assert (
        api(world.officer_a1.user)
        .post(f"{base}/duties/", {"code": "X", "name": "x", "minutes": 1})
        .status_code
        == 403
    )
