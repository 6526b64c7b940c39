"""The outreach API: every endpoint scoped (out of scope answers 404 like missing; HR and residents 403),
writes through the services (versions, idempotent visits, all-or-nothing bulk), pinned query counts."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grassroots.casework.models import Request
from grassroots.common.api.testing import assert_documented, assert_error, page_items
from grassroots.common.models import AuditEntry
from grassroots.outreach import coverage as cov
from grassroots.outreach.events import EventInput, event_create
from grassroots.outreach.models import Liaison, OutreachEvent, Visit, VisitRule
from grassroots.outreach.services import VisitInput, liaison_create, visit_record

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TODAY = timezone.localdate


def now_iso(days: int = 0) -> str:
    return (timezone.now() - timedelta(days=days)).isoformat()


@pytest.fixture
def linked(world, rules):
    """officer_a1 linked to 东街 household (低保) and the school; one visit; one event."""
    w = world
    start = TODAY() - timedelta(days=100)
    w.l_household = liaison_create(
        actor=w.admin, officer=w.officer_a1, kind="household", household=w.household_a1, start=start
    )
    w.l_org = liaison_create(
        actor=w.admin, officer=w.officer_a1, kind="organization", organization=w.org_a1, start=start
    )
    w.visit = visit_record(
        actor=w.user_officer_a1,
        data=VisitInput(
            household=w.household_a1, visited_at=timezone.now() - timedelta(days=40), summary="走访"
        ),
    )
    # today in the local calendar at any hour of the run (UTC and local dates differ for part of the day)
    begins = timezone.make_aware(datetime.combine(TODAY(), time(0, 30)))
    w.event = event_create(
        actor=w.user_officer_a1,
        data=EventInput(
            kind="circuit_trial",
            title="巡回审判进东街",
            starts_at=begins,
            ends_at=begins + timedelta(hours=2),
            region=w.village_a1,
            officers=[w.officer_a1],
        ),
    )
    return w


# ------------------------------------------------------------------------------------------- liaisons


def test_liaisons_create_list_end_with_history(linked, api):
    w = linked
    leader = api(w.user_leader_a)
    body = {"officer": "A002", "kind": "household", "household": w.household_a2.pk, "start": "2025-01-01"}
    refused = api(w.user_officer_a1).post(
        "/api/outreach/liaisons/", {**body, "household": w.household_a1.pk}, format="json"
    )
    assert_error(refused, 403, "forbidden")  # officers do not assign liaisons
    response = leader.post("/api/outreach/liaisons/", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (
        created["officer"]["staff_number"],
        created["household"]["number"],
        created["region"]["code"],
    ) == (
        "A002",
        "H-A2-0001",
        "410225101001",
    )
    again = leader.post("/api/outreach/liaisons/", body, format="json")
    assert assert_error(again, 400, "validation_failed", "household")["fields"][0]["code"] == "duplicate"
    out = leader.post("/api/outreach/liaisons/", {**body, "household": w.household_b1.pk}, format="json")
    assert_error(out, 400, "validation_failed", "household")  # not visible: "does not exist"
    ended = leader.post(
        f"/api/outreach/liaisons/{created['id']}/end/",
        {"end": "2025-03-31", "reason": "调岗", "version": 1},
        format="json",
    )
    assert ended.status_code == 200 and ended.json()["end"] == "2025-03-31" and ended.json()["version"] == 2
    stale = leader.post(
        f"/api/outreach/liaisons/{created['id']}/end/",
        {"end": "2025-04-30", "reason": "x", "version": 1},
        format="json",
    )
    assert_error(stale, 409, "conflict")
    current = page_items(leader.get("/api/outreach/liaisons/?officer=A002"))
    history = page_items(leader.get("/api/outreach/liaisons/?officer=A002&current=false"))
    assert created["id"] not in current and created["id"] in history


def test_handover_and_area_over_the_api(linked, api):
    w = linked
    leader = api(w.user_leader_a)
    response = leader.post(
        "/api/outreach/liaisons/handover/",
        {"from_officer": "A001", "to_officer": "A002", "on": TODAY().isoformat(), "reason": "轮岗"},
        format="json",
    )
    assert response.status_code == 200 and response.json() == {"count": 2}
    assert Liaison.objects.filter(officer=w.officer_a2, end__isnull=True).count() == 2
    assert Liaison.objects.filter(officer=w.officer_a1, end=TODAY() - timedelta(days=1)).count() == 2
    response = leader.post(
        "/api/outreach/liaisons/area/",
        {"officer": "A003", "grid": w.grid_a1.code, "start": "2025-01-01"},
        format="json",
    )
    assert response.json() == {"count": 1}
    assert_error(
        leader.post(
            "/api/outreach/liaisons/area/",
            {"officer": "A003", "region": "410225", "start": "2025-01-01"},
            format="json",
        ),
        400,
        "validation_failed",
        "region",
    )


# ---------------------------------------------------------------------------------------- visit rules


def test_visit_rules_create_and_update_with_version(linked, api):
    w = linked
    rules = api(w.user_officer_a1).get("/api/outreach/visit-rules/")
    assert {r["interval_days"] for r in rules.json()["results"]} >= {14, 30, 91}
    body = {"name": "杞县每周", "applies_to": "household", "interval_days": 7}
    # A leader's rule must be limited to a county in their scope; administrators may add global ones.
    assert_error(
        api(w.user_leader_a).post("/api/outreach/visit-rules/", body, format="json"),
        400,
        "validation_failed",
        "county",
    )
    assert_error(api(w.user_officer_a1).post("/api/outreach/visit-rules/", body, format="json"), 403)
    created = api(w.user_leader_a).post(
        "/api/outreach/visit-rules/", {**body, "county": "410225"}, format="json"
    )
    assert created.status_code == 201, created.content
    rule = created.json()
    changed = api(w.user_leader_a).patch(
        f"/api/outreach/visit-rules/{rule['id']}/", {"interval_days": 10, "version": 1}, format="json"
    )
    assert (
        changed.status_code == 200
        and changed.json()["interval_days"] == 10
        and changed.json()["version"] == 2
    )
    assert_error(
        api(w.user_leader_a).patch(
            f"/api/outreach/visit-rules/{rule['id']}/", {"interval_days": 9, "version": 1}, format="json"
        ),
        409,
    )
    default = VisitRule.objects.filter(county__isnull=True).first()
    assert_error(
        api(w.user_leader_a).patch(
            f"/api/outreach/visit-rules/{default.pk}/",
            {"interval_days": 9, "version": default.version},
            format="json",
        ),
        400,
        "validation_failed",
        "county",
    )
    bad = api(w.admin).post(
        "/api/outreach/visit-rules/",
        {"name": "x", "applies_to": "organization", "interval_days": 400, "household_area": "urban"},
        format="json",
    )
    assert {f["field"] for f in assert_error(bad, 400)["fields"]} == {"interval_days"}


# --------------------------------------------------------------------------------------------- visits


def test_visit_create_is_idempotent_and_raises_a_request_linked_both_ways(linked, api):
    w = linked
    client = api(w.user_officer_a1)
    body = {
        "household": w.household_a1.pk,
        "visited_at": now_iso(),
        "mode": "phone",
        "met_resident": w.resident_a1.pk,
        "summary": "电话问候",
        "needs": "院墙倒塌需要修缮",
        "raise_request": True,
        "request_kind": "help",
        "client_token": "phone-1",
    }
    first = client.post("/api/outreach/visits/", body, format="json")
    again = client.post("/api/outreach/visits/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200), first.content
    assert first.json()["id"] == again.json()["id"]
    assert Visit.objects.filter(client_token="phone-1").count() == 1 and Request.objects.count() == 1
    request = Request.objects.get()
    assert first.json()["requests"] == [
        {
            "id": request.pk,
            "tracking_code": request.tracking_code,
            "title": "院墙倒塌需要修缮",
            "status": request.status,
        }
    ]
    # Both ways: the visit lists the request; the request names the visit it came from.
    assert list(request.outreach_visits.values_list("pk", flat=True)) == [first.json()["id"]]
    assert page_items(client.get(f"/api/outreach/visits/?request={request.tracking_code}")) == [
        first.json()["id"]
    ]
    header = client.post(
        "/api/outreach/visits/",
        {**body, "client_token": None, "raise_request": False},
        format="json",
        HTTP_IDEMPOTENCY_KEY="hdr-1",
    )
    assert header.status_code == 201 and Visit.objects.get(pk=header.json()["id"]).client_token == "hdr-1"
    raised = client.post(
        f"/api/outreach/visits/{header.json()['id']}/raise-request/",
        {"kind": "dispute", "title": "宅基地纠纷", "description": "邻里宅基地边界争议"},
        format="json",
    )
    assert raised.status_code == 201 and raised.json()["title"] == "宅基地纠纷"
    assert Request.objects.get(pk=raised.json()["id"]).outreach_visits.get().pk == header.json()["id"]
    bad = client.post(
        "/api/outreach/visits/",
        {"household": w.household_b1.pk, "visited_at": now_iso(-2), "mode": "fax", "summary": ""},
        format="json",
    )
    assert {f["field"] for f in assert_error(bad, 400)["fields"]} == {"household", "mode", "summary"}
    future = client.post(
        "/api/outreach/visits/",
        {"household": w.household_a1.pk, "visited_at": now_iso(-2), "summary": "x"},
        format="json",
    )
    assert_error(future, 400, "validation_failed", "visited_at")


def test_bulk_visits_name_the_bad_row_and_save_nothing(linked, api):
    w = linked
    client = api(w.user_officer_a1)
    rows = [
        {"household": w.household_a1.pk, "visited_at": now_iso(1), "summary": "走访"},
        {"organization": w.org_a1.pk, "visited_at": now_iso(1), "summary": ""},
        {"household": w.household_a1.pk, "visited_at": now_iso(1)},
    ]
    before = Visit.objects.count()
    response = client.post("/api/outreach/visits/bulk/", {"rows": rows}, format="json")
    fields = {f["field"] for f in assert_error(response, 400)["fields"]}
    assert fields == {"rows.1.summary", "rows.2.summary"}
    rows[1]["summary"], rows[2]["summary"] = "法治课", "回访"
    rows[2]["household"] = w.household_b1.pk  # out of scope: does not exist for this officer
    assert_error(
        client.post("/api/outreach/visits/bulk/", {"rows": rows}, format="json"),
        400,
        field="rows.2.household",
    )
    rows[2]["household"] = w.household_a1.pk
    rows[2]["visited_at"] = now_iso(-3)  # in the future: refused by the service, naming the row
    error = assert_error(client.post("/api/outreach/visits/bulk/", {"rows": rows}, format="json"), 400)
    assert [(f["field"], f["row"]) for f in error["fields"]] == [("visited_at", 3)]
    assert Visit.objects.count() == before
    rows[2]["visited_at"] = now_iso(1)
    response = client.post("/api/outreach/visits/bulk/", {"rows": rows}, format="json")
    assert response.status_code == 201 and len(response.json()) == 3
    assert Visit.objects.count() == before + 3


def test_visit_photo_upload(linked, api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = linked
    client = api(w.user_officer_a1)
    response = client.post(
        f"/api/outreach/visits/{w.visit.pk}/photos/",
        {"photo": SimpleUploadedFile("p.png", PNG, content_type="image/png"), "caption": "院墙"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["url"].endswith(f"/photos/{response.json()['token']}/")
    bad = client.post(
        f"/api/outreach/visits/{w.visit.pk}/photos/",
        {"photo": SimpleUploadedFile("p.png", b"<svg/>", content_type="image/png")},
        format="multipart",
    )
    assert assert_error(bad, 400, "validation_failed", "photo")["fields"][0]["code"] == "file_type"
    detail = client.get(f"/api/outreach/visits/{w.visit.pk}/").json()
    assert [p["caption"] for p in detail["photos"]] == ["院墙"]


# --------------------------------------------------------------------------------------------- events


def test_events_create_update_with_version_and_report(linked, api):
    w = linked
    client = api(w.user_officer_a1)
    starts = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    created = client.post(
        "/api/outreach/events/",
        {
            "kind": "law_to_door",
            "title": "送法进校园",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "region": "410225100001",
            "organization": w.org_a1.pk,
            "officers": ["A001"],
            "topics": "校园安全",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    event = created.json()
    assert (
        event["organization"]["name"] == "城关镇中心小学" and event["officers"][0]["staff_number"] == "A001"
    )
    # Held before it starts: refused. Moved to yesterday, then held with the cases heard on the spot.
    early = client.patch(
        f"/api/outreach/events/{event['id']}/", {"status": "held", "version": 1}, format="json"
    )
    assert_error(early, 400, "validation_failed", "status")
    moved = client.patch(
        f"/api/outreach/events/{event['id']}/",
        {"starts_at": now_iso(1), "ends_at": now_iso(1), "version": 1},
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["version"] == 2
    visit = visit_record(
        actor=w.user_officer_a1,
        data=VisitInput(household=w.household_a1, visited_at=timezone.now(), summary="s", needs="纠纷"),
        raise_request=True,
    )
    code = visit.requests.get().tracking_code
    held = client.patch(
        f"/api/outreach/events/{event['id']}/",
        {"status": "held", "attendance": 60, "requests": [code], "version": 2},
        format="json",
    )
    assert held.status_code == 200, held.content
    assert held.json()["requests"][0]["tracking_code"] == code and held.json()["attendance"] == 60
    assert Request.objects.get(tracking_code=code).outreach_events.get().pk == event["id"]
    assert_error(
        client.patch(f"/api/outreach/events/{event['id']}/", {"attendance": 1, "version": 2}, format="json"),
        409,
    )
    assert_error(
        api(w.user_officer_a2).patch(
            f"/api/outreach/events/{event['id']}/", {"attendance": 1, "version": 3}, format="json"
        ),
        403,
    )
    assert_error(
        client.patch(
            f"/api/outreach/events/{event['id']}/", {"requests": ["NOPE-1"], "version": 3}, format="json"
        ),
        400,
        field="requests",
    )
    report = client.get("/api/outreach/events/report/").json()
    mine = {r["officer"]["staff_number"]: r for r in report["per_officer"]}
    assert (mine["A001"]["events"], mine["A001"]["attendance"], mine["A001"]["cases"]) == (1, 60, 1)
    place = {r["region"]["code"]: r for r in report["per_place"]}["410225100001"]
    assert (place["events"], place["cases"]) == (1, 1)
    listed = page_items(
        client.get(f"/api/outreach/events/?start={(TODAY() - timedelta(days=2)).isoformat()}&status=held")
    )
    assert listed == [event["id"]]


# -------------------------------------------------------------------------- due, coverage, attention, day


def test_due_coverage_attention_and_day(linked, api):
    w = linked
    leader = api(w.user_leader_a)
    due = leader.get("/api/outreach/due/?horizon_days=0").json()["results"]
    # 东街 (低保, monthly) last visited 40 days ago: overdue; the school never visited in 100 days: overdue.
    assert {(d["liaison"], d["state"]) for d in due} == {
        (w.l_household.pk, "overdue"),
        (w.l_org.pk, "overdue"),
    }
    assert {d["days_overdue"] for d in due} == {10, 70}
    mine = api(w.user_officer_a1).get("/api/outreach/due/?mine=true&horizon_days=0").json()
    assert mine["count"] == 2
    assert_error(api(w.user_officer_b).get("/api/outreach/due/?officer=A001"), 404)
    assert api(w.user_officer_b).get("/api/outreach/due/").json()["count"] == 0
    response = leader.get("/api/outreach/coverage/?group=village")
    assert_documented(response, "/api/outreach/coverage/")
    coverage = response.json()
    assert coverage["source"] == "visits" and coverage["total"]["assigned"] == 2
    assert coverage["rows"] == [
        {
            "key": w.village_a1.pk,
            "label": "东街村",
            "assigned": 2,
            "covered": 0,
            "overdue": 2,
            "pending": 0,
            "coverage": 0.0,
            "coverage_low": 0.0,
            "coverage_high": pytest.approx(0.6576, abs=1e-3),  # Wilson 95 % for 0 of 2
        }
    ]
    cov.duties_generate()
    response = leader.get("/api/outreach/coverage/?group=village")
    assert_documented(response, "/api/outreach/coverage/")
    generated = response.json()
    assert generated["source"] == "generated" and generated["rows"] == coverage["rows"]
    assert leader.get("/api/outreach/coverage/?group=village&live=true").json()["source"] == "visits"
    assert_error(leader.get("/api/outreach/coverage/?group=street"), 400, field="group")
    attention = leader.get("/api/outreach/attention/").json()["results"]
    assert [a["household"]["number"] for a in attention] == ["H-A1-0001"]
    assert attention[0]["codes"] == ["not_visited"] and "30" in attention[0]["reasons"][0]
    assert attention[0]["care_tags"] == ["dibao"]
    response = api(w.user_officer_a1).get("/api/outreach/day/")
    assert_documented(response, "/api/outreach/day/")
    day = response.json()
    assert day["officer"]["staff_number"] == "A001" and day["route_method"] == "village"
    assert [s["liaison"] for s in day["stops"]] == [w.l_household.pk, w.l_org.pk] or [
        s["liaison"] for s in day["stops"]
    ] == [w.l_org.pk, w.l_household.pk]
    assert [s["order"] for s in day["stops"]] == [1, 2]
    assert [e["title"] for e in day["events"]] == ["巡回审判进东街"]
    assert day["coverage"]["assigned"] == 2
    assert [d["liaison"] for d in day["standing_duties"]] == [w.l_org.pk]


def test_coverage_export_is_a_workbook(linked, api):
    from openpyxl import load_workbook

    response = api(linked.user_leader_a).get("/api/outreach/coverage/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert len(book.sheetnames) == 8  # summary, six groupings, overdue
    overdue = list(book[book.sheetnames[-1]].iter_rows(values_only=True))
    assert len(overdue) == 3 and {row[3] for row in overdue[1:]} == {"H-A1-0001", "城关镇中心小学"}
    summary = dict(list(book[book.sheetnames[0]].iter_rows(values_only=True))[1:])
    assert 2 in summary.values()
    assert_error(api(linked.user_hr).get("/api/outreach/coverage/export/"), 403)


# ----------------------------------------------------------------------------------- scope and roles


ENDPOINTS = [
    "/api/outreach/liaisons/",
    "/api/outreach/visit-rules/",
    "/api/outreach/visits/",
    "/api/outreach/events/",
    "/api/outreach/events/report/",
    "/api/outreach/due/",
    "/api/outreach/coverage/",
    "/api/outreach/coverage/export/",
    "/api/outreach/attention/",
    "/api/outreach/day/",
]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_hr_and_residents_are_refused_and_anonymous_must_log_in(linked, api, path):
    for user in (linked.user_hr, linked.resident_user):
        assert_error(api(user).get(path), 403, "forbidden")
    assert api().get(path).status_code == 401


def test_every_object_endpoint_answers_404_out_of_scope(linked, api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = linked
    client = api(w.user_officer_b)
    lid, vid, eid = w.l_household.pk, w.visit.pk, w.event.pk
    for path in (
        f"/api/outreach/liaisons/{lid}/",
        f"/api/outreach/visits/{vid}/",
        f"/api/outreach/events/{eid}/",
    ):
        assert_error(client.get(path), 404, "not_found")
    assert_error(
        client.post(
            f"/api/outreach/liaisons/{lid}/end/",
            {"end": "2025-01-01", "reason": "x", "version": 1},
            format="json",
        ),
        404,
    )
    assert_error(client.post(f"/api/outreach/visits/{vid}/raise-request/", {}, format="json"), 404)
    assert_error(
        client.post(
            f"/api/outreach/visits/{vid}/photos/",
            {"photo": SimpleUploadedFile("p.png", PNG)},
            format="multipart",
        ),
        404,
    )
    assert_error(
        client.patch(f"/api/outreach/events/{eid}/", {"attendance": 1, "version": 1}, format="json"), 404
    )
    assert_error(
        client.post(
            f"/api/outreach/events/{eid}/photos/",
            {"photo": SimpleUploadedFile("p.png", PNG)},
            format="multipart",
        ),
        404,
    )
    for path in (
        "/api/outreach/liaisons/",
        "/api/outreach/visits/",
        "/api/outreach/events/",
        "/api/outreach/attention/",
    ):
        assert page_items(client.get(path)) == [], path
    assert client.get("/api/outreach/coverage/").json()["rows"] == []
    for path in (
        "/api/outreach/liaisons/?officer=A001",
        "/api/outreach/visits/?officer=A001",
        "/api/outreach/events/?officer=A001",
    ):
        assert_error(client.get(path), 404)
    # Nothing changed behind the 404s.
    assert Liaison.objects.get(pk=lid).version == 1 and OutreachEvent.objects.get(pk=eid).version == 1
    assert not AuditEntry.objects.filter(actor_id=w.user_officer_b.pk).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/outreach/liaisons/",
        "/api/outreach/visits/",
        "/api/outreach/events/",
        "/api/outreach/due/",
        "/api/outreach/attention/",
        "/api/outreach/coverage/?group=officer",
        "/api/outreach/day/",
    ],
)
def test_list_query_counts_do_not_grow(linked, api, path):
    w = linked
    client = api(w.user_leader_a if "day" not in path else w.user_officer_a1)
    client.get(path)  # warm the actor cache of this client's user
    with CaptureQueriesContext(connection) as one:
        assert client.get(path).status_code == 200
    households = []
    from grassroots.territory.models import CareTag, Household

    tag = CareTag.objects.get(code="elderly_alone")
    for n in range(6):
        household = Household.objects.create(
            number=f"H-X-{n}", region=w.village_a1, county=w.county_a, grid=w.grid_a1, address=f"东街{n}号"
        )
        household.care_tags.add(tag)
        households.append(household)
        liaison_create(
            actor=w.admin, officer=w.officer_a1, kind="household", household=household, start=date(2025, 1, 1)
        )
        visit_record(
            actor=w.user_officer_a1,
            data=VisitInput(
                household=household, visited_at=timezone.now() - timedelta(days=50), summary="走访"
            ),
        )
        begins = timezone.now() - timedelta(hours=n + 1)
        event_create(
            actor=w.admin,
            data=EventInput(
                kind="legal_publicity",
                title=f"法治宣传{n}",
                starts_at=begins,
                ends_at=begins,
                region=w.village_a1,
                officers=[w.officer_a1, w.officer_a2],
            ),
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(path).status_code == 200
    assert len(many.captured_queries) == len(one.captured_queries) <= 14, [
        q["sql"][:120] for q in many.captured_queries
    ]
