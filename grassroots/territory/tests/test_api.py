"""Territory API: scope (404 outside it), writes through the services, error shape, query counts."""

import pytest
from django.core.cache import cache

from grassroots.common.api.testing import assert_error, page_items
from grassroots.common.models import AuditEntry
from grassroots.common.testing import make_id_number
from grassroots.territory.models import CareTag, Household, Resident
from grassroots.territory.services import (
    HouseholdInput,
    ResidentInput,
    household_create,
    organization_create,
    resident_create,
)

pytestmark = pytest.mark.django_db

PROTECTED_KEYS = {
    "id_number_encrypted",
    "id_number_hash",
    "id_number_masked",
    "phone_encrypted",
    "phone_hash",
    "phone_masked",
}


def numbers(response):
    return sorted(page_items(response, "number"))


def codes(response):
    return sorted(page_items(response, "code"))


def no_protected_columns(data):
    """No encrypted column, hash or raw key name anywhere in a response body."""
    if isinstance(data, dict):
        assert not PROTECTED_KEYS & set(data), data
        for value in data.values():
            no_protected_columns(value)
    elif isinstance(data, list):
        for value in data:
            no_protected_columns(value)


# ---- regions ------------------------------------------------------------------------------------------


def test_regions_are_scoped_to_the_county(world, api):
    got = codes(api(world.user_officer_a1).get("/api/regions/?level=5"))
    assert got == ["410225100001", "410225101001"]
    assert codes(api(world.user_officer_b).get("/api/regions/?level=5")) == ["410221100001"]
    assert codes(api(world.user_hr).get("/api/regions/?level=5")) == [
        "410221100001",
        "410225100001",
        "410225101001",
    ]
    assert codes(api(world.resident_user).get("/api/regions/")) == []


def test_region_filters_and_shape(world, api):
    response = api(world.admin).get("/api/regions/?parent=410225")
    assert codes(response) == ["410225100", "410225101"]
    first = response.json()["results"][0]
    assert first["parent"] == {"id": world.county_a.id, "code": "410225", "name": "兰考县"}
    assert first["level"] == 4
    assert_error(api(world.admin).get("/api/regions/?level=9"), 400, "validation_failed", "level")


def test_region_detail_outside_scope_is_404(world, api):
    url = f"/api/regions/{world.village_a1.pk}/"
    assert api(world.user_officer_a1).get(url).json()["code"] == "410225100001"
    assert_error(api(world.user_officer_b).get(url), 404, "not_found")
    assert_error(api(world.resident_user).get(url), 404, "not_found")
    assert_error(api().get(url), 401, "not_authenticated")
    assert_error(api(world.admin).get("/api/regions/999999/"), 404, "not_found")
    assert_error(api(world.admin).get("/api/regions/abc/"), 404, "not_found")


def test_region_list_queries_do_not_grow(world, api, django_assert_num_queries):
    client = api(world.user_officer_b)
    url = "/api/regions/?level=5"
    client.get(url)  # builds and caches the caller's scope
    with django_assert_num_queries(2):
        assert len(page_items(client.get(url))) == 1
    from grassroots.territory.services import region_create

    for n in range(4):
        region_create(
            actor=world.admin, code=f"41022110000{n + 2}", name=f"村{n}", level=5, parent=world.town_b1
        )
    with django_assert_num_queries(2):
        assert len(page_items(client.get(url))) == 5


# ---- grids --------------------------------------------------------------------------------------------


def test_grids_are_scoped_and_filtered(world, api):
    assert codes(api(world.user_officer_b).get("/api/grids/")) == ["410221100001-01"]
    assert codes(api(world.user_leader_a).get("/api/grids/?region=410225101")) == ["410225101001-01"]
    # A code is a whole path segment: the tail of another code selects nothing.
    assert codes(api(world.admin).get("/api/grids/?region=225")) == []
    grid = api(world.admin).get(f"/api/grids/{world.grid_a1.pk}/").json()
    assert grid["officer"] == {"id": world.officer_a1.id, "name": "张法官"}
    assert grid["region"]["code"] == "410225100001"


def test_grid_detail_outside_scope_is_404(world, api):
    url = f"/api/grids/{world.grid_a1.pk}/"
    assert_error(api(world.user_officer_b).get(url), 404)
    assert_error(api(world.resident_user).get(url), 404)
    assert_error(api().get(url), 401)


def test_grid_list_queries_do_not_grow(world, api, django_assert_num_queries):
    from grassroots.territory.models import Grid

    client = api(world.user_officer_b)
    client.get("/api/grids/")
    with django_assert_num_queries(2):
        assert len(page_items(client.get("/api/grids/"))) == 1
    for n in range(4):
        Grid.objects.create(
            code=f"410221100001-0{n + 2}",
            name=f"南村{n}网格",
            region=world.village_b1,
            county=world.county_b,
            officer=world.officer_b,
        )
    with django_assert_num_queries(2):
        assert len(page_items(client.get("/api/grids/"))) == 5


# ---- care tags ----------------------------------------------------------------------------------------


def test_care_tags_are_listed_for_every_signed_in_role(world, api, django_assert_num_queries):
    client = api(world.resident_user)
    with django_assert_num_queries(2):
        listed = codes(client.get("/api/care-tags/"))
    assert listed == sorted(CareTag.objects.values_list("code", flat=True))
    CareTag.objects.create(code="new_tag", name="新标签", sort_order=99)
    with django_assert_num_queries(2):
        assert "new_tag" in codes(client.get("/api/care-tags/"))
    assert_error(api().get("/api/care-tags/"), 401)


# ---- households ---------------------------------------------------------------------------------------


def test_household_list_per_role(world, api):
    assert numbers(api(world.user_officer_a1).get("/api/households/")) == ["H-A1-0001"]
    assert numbers(api(world.user_leader_a).get("/api/households/")) == ["H-A1-0001", "H-A2-0001"]
    assert numbers(api(world.user_officer_b).get("/api/households/")) == ["H-B1-0001"]
    assert numbers(api(world.admin).get("/api/households/")) == ["H-A1-0001", "H-A2-0001", "H-B1-0001"]
    assert numbers(api(world.user_hr).get("/api/households/")) == []
    assert numbers(api(world.resident_user).get("/api/households/")) == ["H-A1-0001"]
    assert_error(api().get("/api/households/"), 401, "not_authenticated")


def test_household_list_filters(world, api):
    client = api(world.admin)
    assert numbers(client.get("/api/households/?region=410225")) == ["H-A1-0001", "H-A2-0001"]
    assert numbers(client.get("/api/households/?region=410225101")) == ["H-A2-0001"]
    assert numbers(client.get("/api/households/?region=999999")) == []
    assert numbers(client.get("/api/households/?grid=410221100001-01")) == ["H-B1-0001"]
    assert numbers(client.get("/api/households/?care_tag=dibao")) == ["H-A1-0001"]
    assert numbers(client.get("/api/households/?search=西村")) == ["H-A2-0001"]
    assert numbers(client.get("/api/households/?active=false")) == []
    row = client.get("/api/households/?care_tag=dibao").json()["results"][0]
    assert row["care_tags"] == ["dibao"]
    assert row["member_count"] == 1
    assert row["grid"]["code"] == "410225100001-01"
    assert_error(client.get("/api/households/?active=maybe"), 400, field="active")


def test_household_detail_scope(world, api):
    url = f"/api/households/{world.household_a1.pk}/"
    assert api(world.user_officer_a1).get(url).status_code == 200
    assert api(world.resident_user).get(url).status_code == 200
    assert_error(api(world.user_officer_b).get(url), 404, "not_found")
    assert_error(api(world.user_hr).get(url), 404, "not_found")
    assert_error(api(world.resident_user).get(f"/api/households/{world.household_a2.pk}/"), 404)
    assert_error(api().get(url), 401)


def test_household_detail_shows_residents_masked_only(world, api):
    response = api(world.user_officer_a1).get(f"/api/households/{world.household_a1.pk}/")
    body = response.json()
    no_protected_columns(body)
    [resident] = body["residents"]
    full_id = make_id_number("410225", "19500101", 11)
    assert resident["id_number"] == full_id[:4] + "*" * 10 + full_id[-4:]
    assert resident["phone"] == "138****8000"
    assert full_id not in response.content.decode()
    assert "13800138000" not in response.content.decode()
    assert body["care_tags"] == ["dibao"]
    assert body["county"]["code"] == "410225"
    assert body["version"] == 1


def _add_households(world, count, village, grid, start=2):
    tags = tuple(CareTag.objects.all()[:2])
    for n in range(start, start + count):
        household = household_create(
            actor=world.admin,
            data=HouseholdInput(
                number=f"H-X-{village.code}-{n:04d}",
                region=village,
                grid=grid,
                address=f"{n}号",
                care_tags=tags,
            ),
        )
        resident_create(actor=world.admin, household=household, data=ResidentInput(name=f"居民{n}"))


def test_household_list_queries_do_not_grow(world, api, django_assert_num_queries):
    client = api(world.user_officer_b)
    client.get("/api/households/")
    # count, page (with member counts), care tags of the page
    with django_assert_num_queries(3):
        assert len(page_items(client.get("/api/households/"))) == 1
    _add_households(world, 5, world.village_b1, world.grid_b1)
    with django_assert_num_queries(3):
        assert len(page_items(client.get("/api/households/"))) == 6
    # The region filter resolves the code to its path first.
    with django_assert_num_queries(4):
        assert len(page_items(client.get("/api/households/?region=410221&care_tag=tekun"))) >= 1


def test_household_detail_queries_do_not_grow(world, api, django_assert_max_num_queries):
    client = api(world.user_officer_b)
    url = f"/api/households/{world.household_b1.pk}/"
    client.get(url)
    with django_assert_max_num_queries(3):
        assert len(client.get(url).json()["residents"]) == 1
    for n in range(4):
        resident_create(actor=world.admin, household=world.household_b1, data=ResidentInput(name=f"家人{n}"))
    with django_assert_max_num_queries(3):
        assert len(client.get(url).json()["residents"]) == 5


def test_household_create(world, api):
    payload = {
        "number": "H-A1-0002",
        "region": "410225100001",
        "grid": "410225100001-01",
        "address": "东街14号",
        "care_tags": ["elderly_alone", "dibao"],
        "latitude": "34.821000",
        "longitude": "114.813000",
    }
    response = api(world.user_officer_a1).post("/api/households/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == "H-A1-0002"
    assert body["region"]["code"] == "410225100001"
    assert body["grid"]["code"] == "410225100001-01"
    assert body["county"]["code"] == "410225"
    assert sorted(body["care_tags"]) == ["dibao", "elderly_alone"]
    assert body["version"] == 1 and body["residents"] == []
    entry = AuditEntry.objects.get(action="household.create", object_id=str(body["id"]))
    assert entry.actor_label == "officer_a1"


def test_household_create_validation_names_the_field(world, api):
    client = api(world.user_officer_a1)
    base = {"number": "H-NEW-1", "region": "410225100001", "address": "东街1号"}
    assert_error(
        client.post("/api/households/", {**base, "region": "999"}, format="json"), 400, field="region"
    )
    assert_error(
        client.post("/api/households/", {**base, "care_tags": ["nope"]}, format="json"),
        400,
        field="care_tags",
    )
    error = assert_error(
        client.post("/api/households/", {**base, "number": "H-A1-0001"}, format="json"), 400, field="number"
    )
    assert error["fields"][0]["code"] == "duplicate"
    assert_error(
        client.post("/api/households/", {**base, "region": "410225100"}, format="json"), 400, field="region"
    )
    assert_error(
        client.post("/api/households/", {**base, "grid": "410225101001-01"}, format="json"), 400, field="grid"
    )
    assert_error(
        client.post("/api/households/", {"region": "410225100001"}, format="json"), 400, field="number"
    )
    assert not Household.objects.filter(number="H-NEW-1").exists()


def test_household_create_by_roles_that_may_not(world, api):
    payload = {"number": "H-NEW-2", "region": "410225100001", "address": "东街2号"}
    assert_error(api(world.user_hr).post("/api/households/", payload, format="json"), 403, "forbidden")
    assert_error(api(world.resident_user).post("/api/households/", payload, format="json"), 403, "forbidden")
    assert_error(api().post("/api/households/", payload, format="json"), 401)
    # An officer of the other county: the region is outside their area.
    error = assert_error(
        api(world.user_officer_b).post("/api/households/", payload, format="json"), 400, field="region"
    )
    assert error["fields"][0]["code"] == "scope"
    assert not Household.objects.filter(number="H-NEW-2").exists()


def test_household_patch(world, api):
    url = f"/api/households/{world.household_a1.pk}/"
    client = api(world.user_officer_a1)
    response = client.patch(
        url, {"version": 1, "address": "东街12号之一", "care_tags": ["veteran"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["address"] == "东街12号之一"
    assert body["care_tags"] == ["veteran"]
    assert body["version"] == 2
    assert body["grid"]["code"] == "410225100001-01"  # untouched
    entry = AuditEntry.objects.filter(action="household.update").last()
    assert entry.data["after"]["address"] == "东街12号之一"
    # Clearing the grid is a change too.
    response = client.patch(url, {"version": 2, "grid": None}, format="json")
    assert response.status_code == 200 and response.json()["grid"] is None


def test_household_patch_stale_version_is_409(world, api):
    url = f"/api/households/{world.household_a1.pk}/"
    client = api(world.user_officer_a1)
    assert client.patch(url, {"version": 1, "notes": "first"}, format="json").status_code == 200
    assert_error(client.patch(url, {"version": 1, "notes": "second"}, format="json"), 409, "conflict")
    world.household_a1.refresh_from_db()
    assert world.household_a1.notes == "first"


def test_household_patch_validation_and_scope(world, api):
    url = f"/api/households/{world.household_a1.pk}/"
    client = api(world.user_officer_a1)
    assert_error(client.patch(url, {"address": "x"}, format="json"), 400, field="version")
    assert_error(client.patch(url, {"version": 1, "region": "000"}, format="json"), 400, field="region")
    assert_error(client.patch(url, {"version": 1, "address": ""}, format="json"), 400, field="address")
    assert_error(api(world.user_officer_b).patch(url, {"version": 1, "notes": "x"}, format="json"), 404)
    assert_error(api(world.user_hr).patch(url, {"version": 1, "notes": "x"}, format="json"), 404)
    assert_error(api(world.resident_user).patch(url, {"version": 1, "notes": "x"}, format="json"), 403)
    other = f"/api/households/{world.household_a2.pk}/"
    assert_error(api(world.resident_user).patch(other, {"version": 1, "notes": "x"}, format="json"), 404)
    assert_error(api().patch(url, {"version": 1, "notes": "x"}, format="json"), 401)
    assert_error(client.put(url, {"version": 1}, format="json"), 405, "method_not_allowed")
    assert_error(client.delete(url), 405, "method_not_allowed")
    world.household_a1.refresh_from_db()
    assert world.household_a1.version == 1


# ---- residents ----------------------------------------------------------------------------------------


def names(response):
    return sorted(page_items(response, "name"))


def test_resident_list_per_role(world, api):
    assert names(api(world.user_officer_a1).get("/api/residents/")) == ["刘大爷"]
    assert names(api(world.user_leader_a).get("/api/residents/")) == ["刘大爷", "陈阿姨"]
    assert names(api(world.user_officer_b).get("/api/residents/")) == ["吴先生"]
    assert names(api(world.user_hr).get("/api/residents/")) == []
    assert names(api(world.resident_user).get("/api/residents/")) == ["刘大爷"]
    assert_error(api().get("/api/residents/"), 401)


def test_resident_list_filters(world, api):
    client = api(world.admin)
    full_id = make_id_number("410225", "19620515", 22)
    assert names(client.get(f"/api/residents/?id_number={full_id}")) == ["陈阿姨"]
    # Exact lookup through the keyed hash, after normalising (case, spaces).
    spaced = full_id[:6] + " " + full_id[6:].lower()
    assert names(client.get("/api/residents/", {"id_number": spaced})) == ["陈阿姨"]
    assert names(client.get(f"/api/residents/?id_number={full_id[:-1]}0")) == []
    assert names(client.get("/api/residents/?search=吴")) == ["吴先生"]
    assert names(client.get(f"/api/residents/?household={world.household_a1.pk}")) == ["刘大爷"]
    # Scope still applies to the lookup.
    assert names(api(world.user_officer_b).get(f"/api/residents/?id_number={full_id}")) == []
    assert_error(client.get("/api/residents/?household=x"), 400, field="household")


def test_resident_list_is_masked_and_queries_do_not_grow(world, api, django_assert_num_queries):
    client = api(world.user_officer_b)
    client.get("/api/residents/")
    with django_assert_num_queries(2):
        response = client.get("/api/residents/")
    [row] = response.json()["results"]
    no_protected_columns(response.json())
    assert row["phone"] == "137****7000"
    assert row["household_number"] == "H-B1-0001"
    for n in range(5):
        resident_create(
            actor=world.admin,
            household=world.household_b1,
            data=ResidentInput(name=f"家人{n}", id_number=make_id_number("410221", "19900101", 100 + n)),
        )
    with django_assert_num_queries(2):
        assert len(page_items(client.get("/api/residents/"))) == 6


def test_resident_detail_scope(world, api):
    url = f"/api/residents/{world.resident_a1.pk}/"
    assert api(world.user_officer_a1).get(url).json()["name"] == "刘大爷"
    assert api(world.resident_user).get(url).status_code == 200
    assert_error(api(world.user_officer_b).get(url), 404, "not_found")
    assert_error(api(world.user_hr).get(url), 404, "not_found")
    assert_error(api(world.resident_user).get(f"/api/residents/{world.resident_a2.pk}/"), 404)
    assert_error(api().get(url), 401)


def test_resident_create(world, api):
    id_number = make_id_number("410225", "19880808", 44)
    payload = {
        "household": world.household_a1.pk,
        "name": "刘小妹",
        "id_number": id_number,
        "phone": "138-0013-8001",
        "relationship": "child",
    }
    response = api(world.user_officer_a1).post("/api/residents/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    no_protected_columns(body)
    assert body["id_number"] == id_number[:4] + "*" * 10 + id_number[-4:]
    assert body["phone"] == "138****8001"
    assert body["gender"] == "female" and body["birth_date"] == "1988-08-08"  # derived from the ID number
    assert body["household"] == world.household_a1.pk and body["version"] == 1
    assert id_number not in response.content.decode()
    assert AuditEntry.objects.filter(action="resident.create", object_id=str(body["id"])).exists()


def test_resident_create_validation_names_the_field(world, api):
    client = api(world.user_officer_a1)
    good = make_id_number("410225", "19880808", 44)
    base = {"household": world.household_a1.pk, "name": "某人"}
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    error = assert_error(
        client.post("/api/residents/", {**base, "id_number": bad_check}, format="json"),
        400,
        field="id_number",
    )
    assert error["fields"][0]["code"] == "invalid_id_number"
    assert "check digit" in error["fields"][0]["message"]
    duplicate = make_id_number("410225", "19500101", 11)
    error = assert_error(
        client.post("/api/residents/", {**base, "id_number": duplicate}, format="json"),
        400,
        field="id_number",
    )
    assert error["fields"][0]["code"] == "duplicate"
    assert_error(client.post("/api/residents/", {**base, "phone": "abc"}, format="json"), 400, field="phone")
    assert_error(
        client.post("/api/residents/", {**base, "relationship": "cousin"}, format="json"),
        400,
        field="relationship",
    )
    assert_error(
        client.post("/api/residents/", {"household": world.household_a1.pk}, format="json"), 400, field="name"
    )
    # A household outside the caller's scope is reported exactly like a missing one.
    error = assert_error(
        client.post("/api/residents/", {**base, "household": world.household_b1.pk}, format="json"),
        400,
        field="household",
    )
    assert error["fields"][0]["code"] == "does_not_exist"
    assert not Resident.objects.filter(name="某人").exists()


def test_resident_create_by_roles_that_may_not(world, api):
    payload = {"household": world.household_a1.pk, "name": "某人"}
    assert_error(api(world.resident_user).post("/api/residents/", payload, format="json"), 403, "forbidden")
    assert_error(api(world.user_hr).post("/api/residents/", payload, format="json"), 400, field="household")
    assert_error(api().post("/api/residents/", payload, format="json"), 401)
    assert not Resident.objects.filter(name="某人").exists()


def test_resident_patch(world, api):
    url = f"/api/residents/{world.resident_a1.pk}/"
    client = api(world.user_officer_a1)
    response = client.patch(url, {"version": 1, "phone": "13811112222", "name": "刘大爷爷"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["phone"] == "138****2222" and body["name"] == "刘大爷爷" and body["version"] == 2
    # The ID number was kept (re-encrypted, same value).
    assert body["id_number"].endswith(make_id_number("410225", "19500101", 11)[-4:])
    assert_error(client.patch(url, {"version": 1, "name": "again"}, format="json"), 409, "conflict")
    assert_error(client.patch(url, {"version": 2, "id_number": "123"}, format="json"), 400, field="id_number")
    assert_error(client.patch(url, {"name": "x"}, format="json"), 400, field="version")
    # Moving to a household outside scope: not found.
    assert_error(
        client.patch(url, {"version": 2, "household": world.household_b1.pk}, format="json"),
        400,
        field="household",
    )


def test_resident_patch_scope(world, api):
    url = f"/api/residents/{world.resident_a1.pk}/"
    payload = {"version": 1, "name": "x"}
    assert_error(api(world.user_officer_b).patch(url, payload, format="json"), 404)
    assert_error(api(world.user_hr).patch(url, payload, format="json"), 404)
    assert_error(api(world.resident_user).patch(url, payload, format="json"), 403, "forbidden")
    assert_error(api().patch(url, payload, format="json"), 401)
    world.resident_a1.refresh_from_db()
    assert world.resident_a1.version == 1


def test_reveal_returns_full_values_and_is_audited(world, api):
    url = f"/api/residents/{world.resident_a1.pk}/reveal/"
    response = api(world.user_officer_a1).post(url, {"reason": "上门走访核对"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id_number": make_id_number("410225", "19500101", 11), "phone": "13800138000"}
    assert "no-store" in response.headers["Cache-Control"]
    entry = AuditEntry.objects.get(action="resident.reveal")
    assert entry.object_id == str(world.resident_a1.pk)
    assert entry.object_type == "territory.resident"
    assert entry.actor_label == "officer_a1"
    assert entry.reason == "上门走访核对"
    # The reason is optional.
    assert api(world.user_leader_a).post(url, format="json").status_code == 200
    assert AuditEntry.objects.filter(action="resident.reveal").count() == 2


def test_reveal_refused_outside_scope_and_role(world, api):
    url = f"/api/residents/{world.resident_a1.pk}/reveal/"
    assert_error(api(world.user_hr).post(url, {}, format="json"), 404)
    assert_error(api(world.resident_user).post(url, {}, format="json"), 403, "forbidden")
    assert_error(api(world.user_officer_b).post(url, {}, format="json"), 404)
    assert_error(api().post(url, {}, format="json"), 401)
    assert_error(api(world.user_officer_a1).get(url), 405)
    assert_error(
        api(world.user_officer_a1).post(url, {"reason": "x" * 501}, format="json"), 400, field="reason"
    )
    assert not AuditEntry.objects.filter(action="resident.reveal").exists()


# ---- organisations ------------------------------------------------------------------------------------


def test_organizations_scope_and_filters(world, api):
    assert names(api(world.user_officer_b).get("/api/organizations/")) == ["杞县南村村委会"]
    assert names(api(world.user_hr).get("/api/organizations/")) == ["城关镇中心小学", "杞县南村村委会"]
    assert names(api(world.resident_user).get("/api/organizations/")) == []
    client = api(world.admin)
    assert names(client.get("/api/organizations/?kind=school")) == ["城关镇中心小学"]
    assert names(client.get("/api/organizations/?region=410221")) == ["杞县南村村委会"]
    assert names(client.get("/api/organizations/?search=小学")) == ["城关镇中心小学"]
    assert_error(client.get("/api/organizations/?kind=bank"), 400, field="kind")
    url = f"/api/organizations/{world.org_a1.pk}/"
    assert api(world.user_officer_a2).get(url).json()["region"]["code"] == "410225100001"
    assert_error(api(world.user_officer_b).get(url), 404)
    assert_error(api(world.resident_user).get(url), 404)
    assert_error(api().get(url), 401)


def test_organization_list_queries_do_not_grow(world, api, django_assert_num_queries):
    client = api(world.user_officer_b)
    client.get("/api/organizations/")
    with django_assert_num_queries(2):
        assert len(page_items(client.get("/api/organizations/"))) == 1
    for n in range(4):
        organization_create(actor=world.admin, name=f"企业{n}", kind="enterprise", region=world.village_b1)
    with django_assert_num_queries(2):
        assert len(page_items(client.get("/api/organizations/"))) == 5


def test_organization_create(world, api):
    payload = {"name": "东街调解委员会", "kind": "social_org", "region": "410225100001", "address": "东街1号"}
    response = api(world.user_officer_a1).post("/api/organizations/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["region"]["code"] == "410225100001"
    assert AuditEntry.objects.filter(
        action="organization.create", object_id=str(response.json()["id"])
    ).exists()
    client = api(world.user_officer_a1)
    assert_error(
        client.post("/api/organizations/", {**payload, "credit_code": "91410225MA0000000X"}, format="json"),
        400,
        field="credit_code",
    )
    assert_error(
        client.post("/api/organizations/", {**payload, "region": "1"}, format="json"), 400, field="region"
    )
    assert_error(
        client.post("/api/organizations/", {**payload, "kind": "bank"}, format="json"), 400, field="kind"
    )
    assert_error(api(world.user_hr).post("/api/organizations/", payload, format="json"), 403, "forbidden")
    assert_error(api(world.resident_user).post("/api/organizations/", payload, format="json"), 403)
    assert_error(
        api(world.user_officer_b).post("/api/organizations/", payload, format="json"), 400, field="region"
    )
    assert_error(api().post("/api/organizations/", payload, format="json"), 401)


# ---- authentication -----------------------------------------------------------------------------------


@pytest.fixture
def fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def test_token_auth_works_for_the_api(world, fresh_throttle):
    from rest_framework.test import APIClient

    from grassroots.common.testing import PASSWORD

    client = APIClient()
    response = client.post(
        "/api/auth/token/", {"username": "officer_a1", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert numbers(client.get("/api/households/")) == ["H-A1-0001"]
    # The same token again, and form-encoded login works too.
    again = APIClient().post("/api/auth/token/", {"username": "officer_a1", "password": PASSWORD})
    assert again.json()["token"] == token
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert_error(client.get("/api/households/"), 401, "authentication_failed")


def test_session_auth_works_for_the_api(world):
    from rest_framework.test import APIClient

    from grassroots.common.testing import PASSWORD

    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="leader_a", password=PASSWORD)
    assert numbers(client.get("/api/households/")) == ["H-A1-0001", "H-A2-0001"]
    # Writes with a session need the CSRF token, like any form.
    payload = {"version": 1, "notes": "x"}
    response = client.patch(f"/api/households/{world.household_a1.pk}/", payload, format="json")
    assert_error(response, 403)


def test_token_login_errors_and_throttle(world, fresh_throttle):
    from rest_framework.test import APIClient

    client = APIClient()
    error = assert_error(
        client.post("/api/auth/token/", {"username": "officer_a1", "password": "wrong"}, format="json"), 400
    )
    assert error["code"] == "validation_failed"
    assert_error(client.post("/api/auth/token/", {}, format="json"), 400, field="username")
    for _ in range(8):
        client.post("/api/auth/token/", {"username": "officer_a1", "password": "wrong"}, format="json")
    response = client.post("/api/auth/token/", {"username": "officer_a1", "password": "wrong"}, format="json")
    assert_error(response, 429, "throttled")
    assert "Retry-After" in response.headers
