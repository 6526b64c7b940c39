"""Workforce API (read-only): scope (404 outside it), filters, shapes, query counts."""

from datetime import date, timedelta

import pytest

from grassroots.common.api.testing import assert_error, page_items
from grassroots.workforce.services import assignment_create, officer_create, post_create, unit_create

pytestmark = pytest.mark.django_db


def codes(response):
    return sorted(page_items(response, "code"))


def staff_numbers(response):
    return sorted(page_items(response, "staff_number"))


# ---- units --------------------------------------------------------------------------------------------


def test_units_per_role(world, api):
    assert codes(api(world.user_officer_a1).get("/api/units/")) == ["CA-T1"]
    assert codes(api(world.user_leader_a).get("/api/units/")) == ["CA", "CA-HR", "CA-T1", "CA-T2"]
    assert codes(api(world.user_hr).get("/api/units/")) == ["CA", "CA-HR", "CA-T1", "CA-T2", "CB"]
    assert codes(api(world.resident_user).get("/api/units/")) == []
    assert codes(api(world.admin).get("/api/units/?kind=tribunal")) == ["CA-T1", "CA-T2"]
    assert_error(api(world.admin).get("/api/units/?kind=bakery"), 400, field="kind")
    assert_error(api().get("/api/units/"), 401, "not_authenticated")


def test_unit_detail_scope(world, api):
    url = f"/api/units/{world.tribunal_a1.pk}/"
    body = api(world.user_officer_a1).get(url).json()
    assert body["parent"] == {"id": world.court_a.id, "code": "CA", "name": "兰考县人民法院"}
    assert body["region"]["code"] == "410225100"
    assert body["kind"] == "tribunal"
    assert_error(api(world.user_officer_b).get(url), 404, "not_found")
    assert_error(api(world.user_officer_a1).get(f"/api/units/{world.court_a.pk}/"), 404)
    assert_error(api(world.resident_user).get(url), 404)
    assert_error(api().get(url), 401)


def test_unit_list_queries_do_not_grow(world, api, django_assert_num_queries):
    client = api(world.user_hr)
    url = "/api/units/?kind=department"
    client.get(url)
    unit_create(actor=world.admin, code="CB-D1", name="立案庭", kind="department", parent=world.court_b)
    with django_assert_num_queries(2):
        assert len(page_items(client.get(url))) == 1
    for n in range(2, 6):
        unit_create(
            actor=world.admin, code=f"CB-D{n}", name=f"庭{n}", kind="department", parent=world.court_b
        )
    with django_assert_num_queries(2):
        assert len(page_items(client.get(url))) == 5


# ---- posts --------------------------------------------------------------------------------------------


def test_posts_scope_and_filters(world, api):
    assert codes(api(world.user_officer_a1).get("/api/posts/")) == ["CA-T1-J", "CA-T1-W"]
    assert codes(api(world.user_officer_b).get("/api/posts/")) == ["CB-J"]
    assert codes(api(world.resident_user).get("/api/posts/")) == []
    client = api(world.user_leader_a)
    assert codes(client.get(f"/api/posts/?unit={world.tribunal_a1.pk}")) == ["CA-T1-J", "CA-T1-W"]
    assert codes(client.get("/api/posts/?front_line=true")) == ["CA-T1-J", "CA-T1-W", "CA-T2-J"]
    assert codes(client.get("/api/posts/?front_line=false")) == ["CA-HR-1", "CA-P"]
    assert_error(client.get("/api/posts/?unit=abc"), 400, field="unit")
    row = client.get(f"/api/posts/{world.post_judge_a1.pk}/").json()
    assert row["unit"]["code"] == "CA-T1"
    assert row["difficulty_weight"] == "1.30"
    assert row["is_front_line"] is True


def test_post_detail_scope(world, api):
    url = f"/api/posts/{world.post_judge_a1.pk}/"
    assert_error(api(world.user_officer_b).get(url), 404)
    assert_error(api(world.resident_user).get(url), 404)
    assert_error(api().get(url), 401)
    assert api(world.user_hr).get(url).status_code == 200


def test_post_list_queries_do_not_grow(world, api, django_assert_num_queries):
    client = api(world.user_officer_b)
    client.get("/api/posts/")
    with django_assert_num_queries(2):
        assert len(page_items(client.get("/api/posts/"))) == 1
    for n in range(4):
        post_create(actor=world.admin, unit=world.court_b, code=f"CB-X{n}", name=f"岗位{n}")
    with django_assert_num_queries(2):
        assert len(page_items(client.get("/api/posts/"))) == 5


# ---- officers -----------------------------------------------------------------------------------------


def test_officers_per_role(world, api):
    assert staff_numbers(api(world.user_officer_a1).get("/api/officers/")) == ["A001", "A003"]
    assert staff_numbers(api(world.user_leader_a).get("/api/officers/")) == [
        "A000",
        "A001",
        "A002",
        "A003",
        "A100",
    ]
    assert staff_numbers(api(world.user_hr).get("/api/officers/")) == [
        "A000",
        "A001",
        "A002",
        "A003",
        "A100",
        "B001",
    ]
    assert staff_numbers(api(world.resident_user).get("/api/officers/")) == []
    assert_error(api().get("/api/officers/"), 401)


def test_officer_filters(world, api):
    client = api(world.user_hr)
    assert staff_numbers(client.get(f"/api/officers/?unit={world.court_a.pk}")) == [
        "A000",
        "A001",
        "A002",
        "A003",
        "A100",
    ]
    assert staff_numbers(client.get(f"/api/officers/?unit={world.tribunal_a1.pk}")) == ["A001", "A003"]
    assert staff_numbers(client.get("/api/officers/?recruits_only=true")) == ["A003"]
    assert staff_numbers(client.get("/api/officers/?front_line=true")) == ["A001", "A002", "A003"]
    assert staff_numbers(client.get("/api/officers/?front_line=false")) == ["A000", "A100", "B001"]
    assert staff_numbers(client.get("/api/officers/?search=孙")) == ["B001"]
    assert staff_numbers(client.get("/api/officers/?search=A10")) == ["A100"]
    assert_error(client.get("/api/officers/?recruits_only=perhaps"), 400, field="recruits_only")


def test_officer_shape_has_current_posts_and_recruit_flag(world, api):
    rows = {r["staff_number"]: r for r in api(world.user_officer_a1).get("/api/officers/").json()["results"]}
    assert rows["A003"]["is_recruit"] is True
    assert rows["A001"]["is_recruit"] is False
    [current] = rows["A001"]["current_posts"]
    assert current["post"]["code"] == "CA-T1-J"
    assert current["post"]["unit"]["code"] == "CA-T1"
    assert current["post"]["is_front_line"] is True
    assert current["end"] is None


def test_officer_detail_scope_and_history(world, api):
    assignment_create(
        actor=world.admin,
        officer=world.officer_a1,
        post=world.post_window_a1,
        start=date.today() - timedelta(days=1),
    )
    url = f"/api/officers/{world.officer_a1.pk}/"
    body = api(world.user_leader_a).get(url).json()
    assert [a["post"]["code"] for a in body["history"]] == ["CA-T1-W", "CA-T1-J"]
    assert body["history"][1]["end"] == str(date.today() - timedelta(days=2))
    assert [p["post"]["code"] for p in body["current_posts"]] == ["CA-T1-W"]
    assert_error(api(world.user_officer_b).get(url), 404, "not_found")
    assert_error(api(world.user_officer_a2).get(url), 404)
    assert_error(api(world.resident_user).get(url), 404)
    assert_error(api().get(url), 401)
    # Officers always see themselves.
    assert api(world.user_officer_b).get(f"/api/officers/{world.officer_b.pk}/").status_code == 200


def _add_officers(world, count, start):
    for n in range(start, start + count):
        officer = officer_create(
            actor=world.admin, staff_number=f"B{n:03d}", name=f"法官{n}", hire_date=date(2018, 1, 1)
        )
        assignment_create(actor=world.admin, officer=officer, post=world.post_judge_b, start=date(2020, 1, 1))


def test_officer_list_queries_do_not_grow(world, api, django_assert_num_queries):
    client = api(world.user_hr)
    url = f"/api/officers/?unit={world.court_b.pk}"
    client.get(url)
    # the unit's path, count, page, current assignments of the page (with post and unit)
    with django_assert_num_queries(4):
        assert len(page_items(client.get(url))) == 1
    _add_officers(world, 5, start=2)
    with django_assert_num_queries(4):
        assert len(page_items(client.get(url))) == 6


def test_officer_list_queries_for_an_officer(world, api, django_assert_num_queries):
    client = api(world.user_officer_b)
    client.get("/api/officers/")
    with django_assert_num_queries(3):
        assert len(page_items(client.get("/api/officers/"))) == 1
    _add_officers(world, 5, start=2)
    with django_assert_num_queries(3):
        assert len(page_items(client.get("/api/officers/"))) == 6


# ---- assignments --------------------------------------------------------------------------------------


def test_assignments_scope_and_filters(world, api):
    client = api(world.user_officer_a1)
    rows = page_items(client.get("/api/assignments/"), "officer")
    assert sorted(r["staff_number"] for r in rows) == ["A001", "A003"]
    hr = api(world.user_hr)
    [only] = hr.get(f"/api/assignments/?officer={world.officer_b.pk}").json()["results"]
    assert only["post"]["code"] == "CB-J" and only["kind"] == "actual"
    assignment_create(
        actor=world.admin,
        officer=world.officer_b,
        post=world.post_judge_a2,
        start=date.today() + timedelta(days=90),
        kind="planned",
    )
    planned = hr.get(f"/api/assignments/?officer={world.officer_b.pk}&kind=planned").json()["results"]
    assert [p["post"]["code"] for p in planned] == ["CA-T2-J"]
    assert page_items(client.get(f"/api/assignments/?officer={world.officer_b.pk}")) == []
    assert page_items(api(world.resident_user).get("/api/assignments/")) == []
    assert_error(hr.get("/api/assignments/?kind=maybe"), 400, field="kind")
    assert_error(api().get("/api/assignments/"), 401)


def test_assignment_detail_scope(world, api):
    assignment = world.officer_a1.assignments.get()
    url = f"/api/assignments/{assignment.pk}/"
    assert api(world.user_officer_a1).get(url).json()["officer"]["staff_number"] == "A001"
    assert_error(api(world.user_officer_b).get(url), 404)
    assert_error(api(world.resident_user).get(url), 404)
    assert_error(api().get(url), 401)


def test_assignment_list_queries_do_not_grow(world, api, django_assert_num_queries):
    client = api(world.user_officer_b)
    client.get("/api/assignments/")
    with django_assert_num_queries(2):
        assert len(page_items(client.get("/api/assignments/"))) == 1
    _add_officers(world, 4, start=2)
    with django_assert_num_queries(2):
        assert len(page_items(client.get("/api/assignments/"))) == 5


def test_workforce_api_is_read_only(world, api):
    client = api(world.admin)
    assert_error(client.post("/api/units/", {"code": "X"}, format="json"), 405, "method_not_allowed")
    assert_error(client.patch(f"/api/officers/{world.officer_a1.pk}/", {}, format="json"), 405)
    assert_error(client.delete(f"/api/posts/{world.post_judge_b.pk}/"), 405)
