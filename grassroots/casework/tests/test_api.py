import pytest

from grassroots.casework.models import Request
from grassroots.common.api.testing import assert_error, page_items
from grassroots.common.models import AuditEntry

pytestmark = pytest.mark.django_db

INTAKE = {
    "channel": "window",
    "kind": "dispute",
    "title": "宅基地纠纷",
    "description": "两户院墙争执",
    "region": "410225100001",
    "reporter_name": "刘大爷",
    "reporter_phone": "13800138000",
}


def register(api, user, **extra):
    response = api(user).post("/api/requests/", {**INTAKE, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def act(api, user, request_id, action, version, **extra):
    return api(user).post(
        f"/api/requests/{request_id}/transitions/",
        {"action": action, "version": version, **extra},
        format="json",
    )


def test_intake_then_workflow_over_the_api(world, api):
    body = register(api, world.user_officer_a1)
    assert body["status"] == "registered" and body["reporter_phone"] == "138****8000"
    assert body["deadline_unit"] == "calendar_days" and body["events"][0]["action"] == "intake"
    rid = body["id"]
    assert act(api, world.user_officer_a1, rid, "accept", 1).status_code == 200
    response = act(
        api,
        world.user_leader_a,
        rid,
        "assign",
        2,
        data={"lead_unit": "CA-T1", "assist_units": ["CA-T2"], "assignee": "A001"},
    )
    assert response.status_code == 200, response.content
    detail = response.json()
    assert detail["status"] == "assigned" and detail["assignee"] == "A001"
    assert {u["unit"] for u in detail["units"]} == {"CA-T1", "CA-T2"}
    assert page_items(api(world.user_officer_a1).get("/api/requests/?mine=true")) == [rid]


def test_stale_version_is_a_conflict_and_a_forbidden_step_changes_nothing(world, api):
    rid = register(api, world.user_officer_a1)["id"]
    assert act(api, world.user_officer_a1, rid, "accept", 1).status_code == 200
    assert_error(act(api, world.user_officer_a1, rid, "reject", 1, reason="x"), 409, "conflict")
    assert_error(
        act(api, world.admin, rid, "resolve", 2, data={"outcome": "agreement"}), 409, "invalid_transition"
    )
    assert_error(
        act(api, world.user_officer_a1, rid, "assign", 2, data={"lead_unit": "CA-T1"}), 403, "forbidden"
    )
    assert_error(act(api, world.user_officer_a1, rid, "redirect", 2), 400, "validation_failed", "reason")
    assert Request.objects.get(pk=rid).version == 2


def test_idempotency_key_header_returns_the_first_request(world, api):
    client = api(world.user_officer_a1)
    first = client.post("/api/requests/", INTAKE, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    again = client.post("/api/requests/", INTAKE, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Request.objects.count() == 1
    different = client.post(
        "/api/requests/", {**INTAKE, "title": "别的事"}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    assert_error(different, 409, "conflict")


def test_anonymous_public_intake_and_refusals(world, api):
    response = api().post(
        "/api/requests/",
        {**INTAKE, "channel": "web", "kind": "complaint", "is_anonymous": True, "reporter_name": ""},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert_error(api().post("/api/requests/", INTAKE, format="json"), 403, "forbidden")
    assert_error(api(world.user_hr).post("/api/requests/", INTAKE, format="json"), 403, "forbidden")
    assert_error(
        api(world.user_officer_b).post("/api/requests/", INTAKE, format="json"),
        400,
        "validation_failed",
        "region",
    )
    bad = api(world.user_officer_a1).post(
        "/api/requests/", {**INTAKE, "kind": "wish", "region": "999"}, format="json"
    )
    fields = {f["field"] for f in assert_error(bad, 400, "validation_failed")["fields"]}
    assert fields == {"kind", "region"}


@pytest.mark.parametrize("who", ["officer_b", "hr", "resident_other"])
def test_every_request_endpoint_answers_404_out_of_scope(world, api, who):
    rid = register(api, world.user_officer_a1)["id"]
    user = {"officer_b": world.user_officer_b, "hr": world.user_hr, "resident_other": None}[who]
    if user is None:
        from django.contrib.auth import get_user_model

        from grassroots.common.models import Role

        user = get_user_model().objects.create_user("someone", password="x" * 12, role=Role.RESIDENT)
    client = api(user)
    assert_error(client.get(f"/api/requests/{rid}/"), 404, "not_found")
    assert_error(
        client.post(f"/api/requests/{rid}/transitions/", {"action": "accept", "version": 1}, format="json"),
        404,
    )
    assert_error(client.post(f"/api/requests/{rid}/follow-ups/", {"reached": False}, format="json"), 404)
    assert_error(client.post(f"/api/requests/{rid}/link/", {"matter": rid}, format="json"), 404)
    assert rid not in page_items(client.get("/api/requests/"))
    assert Request.objects.get(pk=rid).version == 1


def test_anonymous_reads_need_authentication(world, api):
    rid = register(api, world.user_officer_a1)["id"]
    assert api().get("/api/requests/").status_code == 401
    assert api().get(f"/api/requests/{rid}/").status_code == 401


def test_follow_up_duplicates_and_link(world, api):
    rid = register(
        api, world.user_officer_a1, kind="help", title="村口路灯坏了", description="东街村口路灯坏了一个月"
    )["id"]
    for user, action, version, extra in [
        (world.user_officer_a1, "accept", 1, {}),
        (world.user_leader_a, "assign", 2, {"data": {"lead_unit": "CA-T1"}}),
        (world.user_officer_a1, "start", 3, {}),
        (world.user_officer_a1, "resolve", 4, {"data": {"outcome": "fulfilled"}}),
    ]:
        assert act(api, user, rid, action, version, **extra).status_code == 200
    response = api(world.user_recruit_a1).post(
        f"/api/requests/{rid}/follow-ups/", {"reached": True, "satisfaction": "satisfied"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Request.objects.get(pk=rid).status == "closed"
    other = register(
        api,
        world.user_officer_a1,
        channel="hotline",
        kind="help",
        title="路灯",
        description="东街村口的路灯坏了快一个月",
    )["id"]
    candidates = (
        api(world.user_officer_a1)
        .post(
            "/api/requests/duplicates/",
            {"text": "东街村口的路灯坏了快一个月", "region": "410225100001", "reporter_phone": "13800138000"},
            format="json",
        )
        .json()
    )
    assert rid in [c["request"]["id"] for c in candidates]
    third = register(
        api,
        world.user_officer_a1,
        channel="messaging",
        kind="help",
        title="路灯不亮",
        description="东街村口路灯坏了",
    )["id"]
    response = api(world.user_officer_a1).post(
        f"/api/requests/{third}/link/", {"matter": other, "reason": "同一件事"}, format="json"
    )
    assert response.status_code == 200 and response.json()["matter"] == other
    assert AuditEntry.objects.filter(action="request.link").count() == 1


def test_list_query_count_does_not_grow(world, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    register(api, world.user_officer_a1)
    client = api(world.user_leader_a)
    client.get("/api/requests/")  # warm the actor cache of this client's user
    with CaptureQueriesContext(connection) as one:
        client.get("/api/requests/")
    for n in range(5):
        register(api, world.user_officer_a1, title=f"事项{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/requests/")
    assert response.json()["count"] == 6
    assert len(many.captured_queries) == len(one.captured_queries) <= 12


BAD_IDS = ["false", "1.5", "abc", "-1", "0x10", "99999999999999999999"]
DETAIL_ACTIONS = [
    ("get", "/api/requests/{id}/"),
    ("post", "/api/requests/{id}/follow-ups/"),
    ("post", "/api/requests/{id}/link/"),
    ("post", "/api/requests/{id}/transitions/"),
    ("post", "/api/requests/{id}/categorise/"),
    ("get", "/api/requests/{id}/agreement/"),
    ("post", "/api/requests/{id}/agreement/"),
    ("post", "/api/requests/{id}/agreement/confirmation/"),
    ("post", "/api/requests/{id}/litigation/"),
    ("get", "/api/requests/{id}/parties/"),
    ("post", "/api/requests/{id}/parties/"),
    ("get", "/api/requests/{id}/mediation-sessions/"),
    ("post", "/api/requests/{id}/mediation-sessions/"),
    ("post", "/api/clock-alerts/{id}/acknowledge/"),
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_malformed_id_in_the_path_is_not_found_on_every_detail_action(world, api, bad):
    client = api(world.admin)
    for method, path in DETAIL_ACTIONS:
        response = getattr(client, method)(path.format(id=bad), {}, format="json")
        assert response.status_code == 404, (method, path, bad, response.content)
        assert response.json()["error"]["code"] == "not_found"


def test_malformed_ids_in_the_body_are_refused_or_not_found(world, api):
    rid = register(api, world.user_officer_a1)["id"]
    client = api(world.admin)
    huge = 10**20
    link = client.post(f"/api/requests/{rid}/link/", {"matter": huge, "reason": "同一事项"}, format="json")
    assert link.status_code in (400, 404), link.content
    link = client.post(f"/api/requests/{rid}/link/", {"matter": "false", "reason": "x"}, format="json")
    assert_error(link, 400, "validation_failed", "matter")
    session = client.post(
        f"/api/requests/{rid}/mediation-sessions/",
        {
            "at": "2025-06-01T10:00:00+08:00",
            "place": "调解室",
            "mediators": [huge],
            "parties_present": [huge],
        },
        format="json",
    )
    assert session.status_code in (400, 404, 409), session.content
    suggest = client.post("/api/routing/suggest/", {"request": huge}, format="json")
    assert suggest.status_code in (400, 404), suggest.content
