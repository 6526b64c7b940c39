"""The evaluation API: scoped like the pages (out of scope = 404), versions on every change, one error shape."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_results_are_scoped(api, evaluated):
    w = evaluated.world
    run = evaluated.run
    own, other, far = (evaluated.results[o.pk] for o in (w.officer_a1, w.officer_a2, w.officer_b))
    mine = api(w.user_officer_a1).get(f"/api/evaluation/results/?run={run.pk}").json()
    assert [r["officer"]["id"] for r in mine["results"]] == [w.officer_a1.pk]
    assert api(w.user_officer_a1).get(f"/api/evaluation/results/{other.pk}/").status_code == 404
    leader = api(w.user_leader_a)
    seen = {
        r["officer"]["id"] for r in leader.get(f"/api/evaluation/results/?run={run.pk}").json()["results"]
    }
    assert {w.officer_a1.pk, w.officer_a2.pk} <= seen and w.officer_b.pk not in seen
    assert leader.get(f"/api/evaluation/results/{far.pk}/").status_code == 404
    assert leader.get(f"/api/evaluation/results/{far.pk}/drill/?indicator=completion").status_code == 404
    hr = api(w.user_hr)
    assert hr.get(f"/api/evaluation/results/{far.pk}/").status_code == 200
    assert api(w.resident_user).get("/api/evaluation/results/").status_code == 403
    assert api().get("/api/evaluation/results/").status_code == 401
    body = hr.get(f"/api/evaluation/results/{own.pk}/").json()
    assert body["breakdown"] and body["rank_best"] <= body["rank"] <= body["rank_worst"]


def test_unit_results_are_scoped(api, evaluated):
    w = evaluated.world
    rows = api(w.user_leader_a).get(f"/api/evaluation/unit-results/?run={evaluated.run.pk}").json()["results"]
    assert w.court_b.pk not in {r["unit"] for r in rows} and rows
    assert (
        api(w.user_officer_a1).get(f"/api/evaluation/unit-results/?run={evaluated.run.pk}").json()["results"]
        == []
    )
    bad = api(w.user_hr).get("/api/evaluation/unit-results/?run=999999")
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "run"


def test_drill_down_equals_the_figure(api, evaluated):
    w = evaluated.world
    result = evaluated.results[w.officer_a1.pk]
    for entry in result.breakdown:
        if entry["code"] in ("visits", "outreach_events", "circuit_trials", "mentoring_given"):
            body = (
                api(w.user_hr)
                .get(f"/api/evaluation/results/{result.pk}/drill/?indicator={entry['code']}")
                .json()
            )
            assert body["total"] == entry["k"] == len(body["rows"])
            continue
        body = (
            api(w.user_hr)
            .get(f"/api/evaluation/results/{result.pk}/drill/?indicator={entry['code']}&part=denominator")
            .json()
        )
        assert body["total"] == entry["n"] == body["figure"], entry["code"]
    bad = api(w.user_hr).get(f"/api/evaluation/results/{result.pk}/drill/?indicator=nonsense")
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "indicator"


def test_run_lifecycle_through_the_api(api, world):
    from .helpers import active_scheme, period_days_ago

    version = active_scheme(world.user_hr)
    start, end = period_days_ago(30)
    hr = api(world.user_hr)
    assert api(world.user_leader_a).post("/api/evaluation/runs/", {}, format="json").status_code in (400, 403)
    created = hr.post("/api/evaluation/runs/", {"scheme_version": version.pk, "period_start": str(start),
                                               "period_end": str(end)}, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    run = created.json()
    assert run["status"] == "computed"
    stale = hr.post(
        f"/api/evaluation/runs/{run['id']}/publish/", {"version": run["version"] - 1}, format="json"
    )
    assert stale.status_code == 409
    published = hr.post(
        f"/api/evaluation/runs/{run['id']}/publish/", {"version": run["version"]}, format="json"
    )
    assert published.json()["status"] == "published"
    report = hr.post(
        f"/api/evaluation/runs/{run['id']}/recompute/", {"read_record": True}, format="json"
    ).json()
    assert report["ok"] and report["results_equal"] and report["record_unchanged"]
    backwards = hr.post("/api/evaluation/runs/", {"scheme_version": version.pk, "period_start": str(end),
                                                 "period_end": str(start)}, format="json")  # fmt: skip
    assert backwards.status_code == 400 and backwards.json()["error"]["fields"][0]["field"] == "period_end"


def test_scheme_versions_through_the_api(api, world):
    hr = api(world.user_hr)
    created = hr.post(
        "/api/evaluation/scheme-versions/", {"code": "trial", "name": "试行方案"}, format="json"
    )
    assert created.status_code == 201
    draft = created.json()
    definition = dict(draft["definition"], front_line_credit=99)
    bad = hr.put(f"/api/evaluation/scheme-versions/{draft['id']}/", {"definition": definition, "version": draft["version"]},
                 format="json")  # fmt: skip
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "front_line_credit"
    active = hr.post(
        f"/api/evaluation/scheme-versions/{draft['id']}/activate/",
        {"version": draft["version"]},
        format="json",
    )
    assert active.json()["status"] == "active"
    frozen = hr.put(f"/api/evaluation/scheme-versions/{draft['id']}/",
                    {"definition": draft["definition"], "version": active.json()["version"]}, format="json")  # fmt: skip
    assert frozen.status_code == 409
    assert (
        api(world.user_officer_a1).get(f"/api/evaluation/scheme-versions/{draft['id']}/").status_code == 200
    )


def test_result_list_pins_its_queries(api, evaluated, django_assert_max_num_queries):
    client = api(evaluated.world.user_hr)
    with django_assert_max_num_queries(6):
        response = client.get(f"/api/evaluation/results/?run={evaluated.run.pk}")
    assert response.status_code == 200 and response.json()["count"] == len(evaluated.results)


def test_appeals_and_adjustments_through_the_api(api, evaluated):
    w = evaluated.world
    result = evaluated.results[w.officer_a1.pk]
    other = evaluated.results[w.officer_a2.pk]
    officer = api(w.user_officer_a1)
    assert (
        officer.post(
            f"/api/evaluation/results/{other.pk}/appeal/", {"reason": "不服"}, format="json"
        ).status_code
        == 404
    )
    appeal = officer.post(
        f"/api/evaluation/results/{result.pk}/appeal/", {"reason": "回访漏记，请复核"}, format="json"
    )
    assert appeal.status_code == 201
    again = officer.post(
        f"/api/evaluation/results/{result.pk}/appeal/", {"reason": "再次申诉理由"}, format="json"
    )
    assert again.status_code == 409
    assert officer.post(f"/api/evaluation/results/{result.pk}/adjust/", {"kind": "score", "score_delta": 5, "reason": "自评"},
                        format="json").status_code == 403  # fmt: skip
    leader = api(w.user_leader_a)
    asked = leader.post(f"/api/evaluation/results/{other.pk}/adjust/", {"kind": "score", "score_delta": -3,
                                                                        "reason": "漏报重办"}, format="json")  # fmt: skip
    assert asked.status_code == 201
    adjustment = asked.json()
    hr = api(w.user_hr)
    decided = hr.post(f"/api/evaluation/adjustments/{adjustment['id']}/decide/",
                      {"approve": True, "reason": "核实", "version": adjustment["version"]}, format="json")  # fmt: skip
    assert decided.json()["status"] == "approved"
    body = hr.get(f"/api/evaluation/results/{other.pk}/").json()
    assert body["effective_score"] == pytest.approx(max(0, body["score"] - 3))
