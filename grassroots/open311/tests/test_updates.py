"""The mySociety two-way extension: GET and POST servicerequestupdates, statuses mapped both ways."""

from __future__ import annotations

import pytest

from grassroots.casework.models import Request, RequestEvent
from grassroots.casework.services import request_transition
from grassroots.common.errors import ValidationFailed
from grassroots.open311 import statuses
from grassroots.open311.models import PostedUpdate
from grassroots.open311.services import api_key_issue

from .conftest import as_json, lamp_post
from .contract import items

pytestmark = pytest.mark.django_db


def _new(client, o311) -> Request:
    code = as_json(client.post("/open311/requests.json", lamp_post(o311)))[0]["service_request_id"]
    return Request.objects.get(tracking_code=code)


def _update(client, o311, request, status, fmt="json", **extra):
    data = {"api_key": o311.plain, "service_request_id": request.tracking_code, "status": status, **extra}
    return client.post(f"/open311/servicerequestupdates.{fmt}", data)


def test_status_walk_through_the_workflow(client, o311):
    request = _new(client, o311)
    expected = [
        ("INVESTIGATING", "accepted", "open"),
        ("IN_PROGRESS", "in_progress", "open"),  # assign (to the category's unit) and start
        ("FIXED", "resolved", "closed"),
        ("REOPEN", "reopened", "open"),
        ("ACTION_SCHEDULED", "assigned", "open"),
        ("INTERNAL_REFERRAL", "accepted", "open"),
    ]
    for extended, internal, public in expected:
        response = _update(client, o311, request, extended, description=f"{extended} 说明")
        assert response.status_code == 200, response.content
        request.refresh_from_db()
        assert request.status == internal
        record = as_json(client.get(f"/open311/requests/{request.tracking_code}.json"))[0]
        assert record["status"] == public
        assert record["status_notes"].endswith(f"{extended} 说明")
    assert request.units.filter(unit=o311.world.court_a).exists()
    actions = list(request.events.values_list("action", flat=True))
    assert actions == ["intake", "accept", "assign", "start", "resolve", "reopen", "assign", "return"]


def test_get_updates_derived_from_events(client, o311, contract):
    request = _new(client, o311)
    w = o311.world
    request_transition(actor=w.user_leader_a, request=request, action="accept")
    request_transition(
        actor=w.user_leader_a,
        request=request,
        action="assign",
        data={"lead_unit": w.court_a, "assignee": w.officer_a1},
    )
    request_transition(actor=w.user_officer_a1, request=request, action="start")
    request_transition(actor=w.user_officer_a1, request=request, action="pause", reason="等待配件")
    request_transition(actor=w.user_officer_a1, request=request, action="resume")
    request_transition(
        actor=w.user_officer_a1, request=request, action="resolve", data={"outcome": "fulfilled"}
    )
    body = as_json(client.get("/open311/servicerequestupdates.json"))
    mine = [u for u in body if u["service_request_id"] == request.tracking_code]
    assert [u["status"] for u in mine] == [
        "OPEN",
        "INVESTIGATING",
        "ACTION_SCHEDULED",
        "IN_PROGRESS",
        "FIXED",
    ]
    event_ids = [
        str(e.id)
        for e in RequestEvent.objects.filter(request=request)
        .exclude(action__in=["pause", "resume"])
        .order_by("at", "id")
    ]
    assert [u["update_id"] for u in mine] == event_ids  # stable: the casework event's id
    assert as_json(client.get("/open311/servicerequestupdates.json")) == body
    for update in mine:
        assert set(update) == {
            "update_id",
            "service_request_id",
            "status",
            "updated_datetime",
            "description",
            "media_url",
        }
        assert update["status"] in statuses.EXTENDED
    xml = contract.parse_xml(client.get("/open311/servicerequestupdates.xml").content, "updates")
    assert [u["update_id"] for u in items(xml, "service_request_updates", "request_update")] == [
        u["update_id"] for u in body
    ]
    # paging
    first = as_json(client.get("/open311/servicerequestupdates.json?page=1&page_size=2"))
    second = as_json(client.get("/open311/servicerequestupdates.json?page=2&page_size=2"))
    assert first + second == body[:4]
    assert client.get("/open311/servicerequestupdates.json?page_size=5000").status_code == 400
    # the window
    assert as_json(client.get("/open311/servicerequestupdates.json?end_date=2020-01-01T00:00:00Z")) == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_status_with_no_legal_transition_changes_nothing(client, o311, contract, fmt):
    request = _new(client, o311)
    version, events, audit = request.version, request.events.count(), PostedUpdate.objects.count()
    response = _update(client, o311, request, "FIXED", fmt=fmt)  # registered cannot be fixed
    assert response.status_code == 400
    if fmt == "xml":
        error = items(contract.parse_xml(response.content, "errors"), "errors", "error")[0]
    else:
        error = as_json(response)[0]
    assert "cannot move to FIXED" in error["description"]
    request.refresh_from_db()
    assert (request.version, request.events.count(), PostedUpdate.objects.count()) == (version, events, audit)


def test_chain_that_fails_halfway_rolls_back(client, o311):
    request = _new(client, o311)
    o311.lights.default_unit = None
    o311.lights.save()  # no lead unit for the assignment: accept happens first, then assign fails
    from grassroots.open311.models import ApiKey
    from grassroots.open311.services import api_key_issue

    _key, plain = api_key_issue(
        actor=o311.world.admin, name="管理员", owner=o311.world.admin, region=o311.world.county_a
    )
    response = client.post(
        "/open311/servicerequestupdates.json",
        {"api_key": plain, "service_request_id": request.tracking_code, "status": "IN_PROGRESS"},
    )
    assert response.status_code == 400 and "lead unit" in as_json(response)[0]["description"]
    request.refresh_from_db()
    assert request.status == "registered" and request.events.count() == 1
    assert ApiKey.objects.count() == 2


def test_extended_statuses_to_closed_states(client, o311):
    for status, internal in (
        ("DUPLICATE", "rejected"),
        ("CANCELLED", "rejected"),
        ("NOT_COUNCILS_RESPONSIBILITY", "redirected"),
        ("NO_FURTHER_ACTION", "rejected"),
    ):
        request = _new(client, o311)
        response = _update(client, o311, request, status, description="")
        assert response.status_code == 200, response.content
        request.refresh_from_db()
        assert request.status == internal
        updates = as_json(
            client.get(f"/open311/servicerequestupdates.json?service_request_id={request.tracking_code}")
        )
        assert updates[-1]["status"] == status  # what the client posted is what it reads back
        assert as_json(client.get(f"/open311/requests/{request.tracking_code}.json"))[0]["status"] == "closed"


def test_comment_and_idempotent_update_id(client, o311):
    request = _new(client, o311)
    first = _update(
        client,
        o311,
        request,
        "OPEN",
        description="居民补充：灯杆有裂缝",
        update_id="fms-u-1",
        media_url="https://example.cn/2.jpg",
    )
    assert first.status_code == 200
    update_id = as_json(first)[0]["update_id"]
    assert update_id.startswith("c")
    again = _update(client, o311, request, "OPEN", description="居民补充：灯杆有裂缝", update_id="fms-u-1")
    assert as_json(again)[0]["update_id"] == update_id
    assert PostedUpdate.objects.count() == 1
    request.refresh_from_db()
    assert request.status == "registered" and request.events.count() == 1
    listed = as_json(client.get("/open311/servicerequestupdates.json"))
    comment = next(u for u in listed if u["update_id"] == update_id)
    assert (
        comment["description"] == "居民补充：灯杆有裂缝"
        and comment["media_url"] == "https://example.cn/2.jpg"
    )
    moved = as_json(_update(client, o311, request, "INVESTIGATING", update_id="fms-u-2"))[0]["update_id"]
    assert moved == str(request.events.order_by("-id").first().id)


def test_update_errors(client, o311):
    request = _new(client, o311)
    assert _update(client, o311, request, "OPEN", api_key="").status_code == 403
    missing = client.post("/open311/servicerequestupdates.json", {"api_key": o311.plain})
    assert missing.status_code == 400
    assert {e["description"].split(":")[0] for e in as_json(missing)} == {"service_request_id", "status"}
    assert _update(client, o311, request, "SOLVED").status_code == 400
    unknown = client.post(
        "/open311/servicerequestupdates.json",
        {"api_key": o311.plain, "service_request_id": "ZZZ", "status": "OPEN"},
    )
    assert unknown.status_code == 404
    html = _update(client, o311, request, "OPEN", description="<script>x</script>")
    assert html.status_code == 400


def test_mapping_tables_cover_every_status():
    assert len(statuses.EXTENDED) == 12
    for status in (
        "registered",
        "accepted",
        "assigned",
        "in_progress",
        "resolved",
        "follow_up",
        "closed",
        "rejected",
        "redirected",
        "reopened",
    ):
        assert statuses.current_status(status) in statuses.EXTENDED
        assert statuses.public_status(status) in ("open", "closed")
    for extended, plans in statuses.PLANS.items():
        assert extended in statuses.EXTENDED
        for steps in plans.values():
            assert steps


def test_update_with_a_key_from_another_area_is_404_like_a_missing_request(client, o311):
    w = o311.world
    request = _new(client, o311)
    _key, plain = api_key_issue(actor=w.admin, name="杞县热线", owner=w.officer_b.user, region=w.county_b)
    for status in ("OPEN", "INVESTIGATING"):  # a comment and a transition alike
        response = client.post(
            "/open311/servicerequestupdates.json",
            {"api_key": plain, "service_request_id": request.tracking_code, "status": status},
        )
        assert response.status_code == 404
        assert as_json(response) == [
            {"code": 404, "description": f"service_request_id {request.tracking_code!r} not found"}
        ]
    request.refresh_from_db()
    assert request.status == "registered" and PostedUpdate.objects.count() == 0


def test_a_key_acts_only_where_its_owner_may_register(o311):
    w = o311.world
    with pytest.raises(ValidationFailed) as refused:
        api_key_issue(actor=w.admin, name="错配", owner=w.officer_b.user, region=w.county_a)
    assert [e.field for e in refused.value.errors] == ["owner"]
    with pytest.raises(ValidationFailed):
        api_key_issue(actor=w.admin, name="居民", owner=w.resident_user, region=w.county_a)
    with pytest.raises(ValidationFailed):
        api_key_issue(actor=w.user_officer_a1, name="非管理员", owner=w.leader_a.user, region=w.county_a)


def test_paging_merges_events_and_comments_in_order(client, o311):
    first, second = _new(client, o311), _new(client, o311)
    _update(client, o311, first, "OPEN", description="补充一")
    _update(client, o311, second, "INVESTIGATING")
    _update(client, o311, first, "OPEN", description="补充二")
    _update(client, o311, first, "IN_PROGRESS")
    _update(client, o311, second, "OPEN", description="补充三")
    everything = as_json(client.get("/open311/servicerequestupdates.json"))
    assert len(everything) == 2 + 3 + 1 + 3  # 2 intakes, 3 comments, accept, accept+assign+start
    times = [u["updated_datetime"] for u in everything]
    assert times == sorted(times)
    for size in (1, 2, 3, 4, 7):
        pages, page = [], 1
        while True:
            chunk = as_json(client.get(f"/open311/servicerequestupdates.json?page={page}&page_size={size}"))
            if not chunk:
                break
            assert len(chunk) <= size
            pages += chunk
            page += 1
        assert pages == everything, size
    only_first = as_json(
        client.get(f"/open311/servicerequestupdates.json?service_request_id={first.tracking_code}")
    )
    assert [u["status"] for u in only_first] == [
        "OPEN",
        "OPEN",
        "OPEN",
        "INVESTIGATING",
        "ACTION_SCHEDULED",
        "IN_PROGRESS",
    ]
    assert [u["description"] for u in only_first][1:3] == ["补充一", "补充二"]
