"""List pages: filters, pagination and pinned query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grassroots.territory.models import CareTag, Household
from grassroots.workforce.services import assignment_create, officer_create

pytestmark = pytest.mark.django_db


def numbers(response):
    return [h.number for h in response.context["page"]]


def staff_numbers(response):
    return [o.staff_number for o in response.context["page"]]


def add_households(world, count, *, grid=None, tag=None):
    households = Household.objects.bulk_create(
        Household(
            number=f"H-X-{i:04d}",
            region=world.village_a1,
            county=world.county_a,
            grid=grid or world.grid_a1,
            address=f"东街{i}号",
        )
        for i in range(count)
    )
    if tag is not None:
        Household.care_tags.through.objects.bulk_create(
            Household.care_tags.through(household_id=h.pk, caretag_id=tag.pk) for h in households
        )
    return households


# Households ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["H-A1-0001", "H-A2-0001", "H-B1-0001"]),
        ({"region": "410225"}, ["H-A1-0001", "H-A2-0001"]),
        ({"region": "410225101"}, ["H-A2-0001"]),
        ({"region": "410221100001"}, ["H-B1-0001"]),
        ({"grid": "410225100001-01"}, ["H-A1-0001"]),
        ({"care_tag": "dibao"}, ["H-A1-0001"]),
        ({"care_tag": "veteran"}, []),
        ({"q": "南村"}, ["H-B1-0001"]),
        ({"q": "h-a2"}, ["H-A2-0001"]),
        ({"region": "410225", "q": "东街"}, ["H-A1-0001"]),
    ],
)
def test_household_filters(world, client_for, query, expected):
    response = client_for(world.admin).get(reverse("household-list"), query)
    assert response.status_code == 200
    assert numbers(response) == expected


def test_household_list_is_scoped_and_ignores_regions_outside_scope(world, client_for):
    client = client_for(world.user_officer_a1)
    assert numbers(client.get(reverse("household-list"))) == ["H-A1-0001"]
    # A region of another county is not a valid choice: the filter is dropped, the scope still holds.
    response = client.get(reverse("household-list"), {"region": "410221100001"})
    assert numbers(response) == ["H-A1-0001"]
    choices = dict(response.context["form"].fields["region"].choices)
    assert "410225100" in choices and "410221100" not in choices


def test_region_choices_offer_the_villages_of_the_selected_township(world, client_for):
    response = client_for(world.admin).get(reverse("household-list"), {"region": "410225100"})
    choices = dict(response.context["form"].fields["region"].choices)
    assert "410225100001" in choices  # village of the selected township
    assert "410225101001" not in choices  # village of another township
    assert "410225101" in choices  # every township stays selectable


def test_household_pagination(world, client_for):
    add_households(world, 120)
    client = client_for(world.user_officer_a1)
    first = client.get(reverse("household-list"))
    assert len(numbers(first)) == 50
    assert first.context["page"].paginator.count == 121
    assert "page=2" in first.content.decode()
    last = client.get(reverse("household-list"), {"page": 3})
    assert len(numbers(last)) == 21
    beyond = client.get(reverse("household-list"), {"page": 99})
    assert numbers(beyond) == numbers(last)
    # Filters survive paging.
    filtered = client.get(reverse("household-list"), {"q": "东街1", "page": 2})
    assert "q=%E4%B8%9C%E8%A1%971" in filtered.content.decode()


def queries_for(client, url, query=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query or {})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", ["user_officer_a1", "user_leader_a", "admin"])
def test_household_list_query_count_does_not_grow_with_rows(
    world, client_for, role, django_assert_max_num_queries
):
    client = client_for(getattr(world, role))
    url = reverse("household-list")
    client.get(url)  # warm the session and the content-type caches
    few = queries_for(client, url)
    add_households(world, 80, tag=CareTag.objects.get(code="tekun"))
    many = queries_for(client, url)
    # Building an officer's scope costs 8 queries per request (session, user, officer, units, grids,
    # counties); the page adds region, grid and care-tag choices, the count, one page and its care tags.
    assert few == many <= 14
    with django_assert_max_num_queries(17):
        client.get(url, {"region": "410225100", "care_tag": "tekun", "q": "东街"})


# Officers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["A000", "A001", "A002", "A003", "A100", "B001"]),
        ({"unit": "tribunal_a1"}, ["A001", "A003"]),
        ({"unit": "court_a"}, ["A000", "A001", "A002", "A003", "A100"]),
        ({"recruits": "on"}, ["A003"]),
        ({"front_line": "yes"}, ["A001", "A002", "A003"]),
        ({"front_line": "no"}, ["A000", "A100", "B001"]),
        ({"q": "李"}, ["A002"]),
        ({"q": "b00"}, ["B001"]),
        ({"unit": "tribunal_a1", "recruits": "on"}, ["A003"]),
    ],
)
def test_officer_filters(world, client_for, query, expected):
    if "unit" in query:
        query = {**query, "unit": getattr(world, query["unit"]).pk}
    response = client_for(world.user_hr).get(reverse("officer-list"), query)
    assert response.status_code == 200
    assert staff_numbers(response) == expected


def test_officer_list_is_scoped(world, client_for):
    response = client_for(world.user_officer_a1).get(reverse("officer-list"))
    assert staff_numbers(response) == ["A001", "A003"]
    response = client_for(world.user_officer_b).get(reverse("officer-list"), {"unit": world.tribunal_a1.pk})
    assert staff_numbers(response) == ["B001"]  # a unit outside scope is not a valid choice


def add_officers(world, count):
    for i in range(count):
        officer = officer_create(
            actor=world.admin, staff_number=f"X{i:03d}", name=f"干警{i}", hire_date=world.officer_a1.hire_date
        )
        assignment_create(
            actor=world.admin, officer=officer, post=world.post_judge_a1, start=world.officer_a1.hire_date
        )


def test_officer_pagination(world, client_for):
    add_officers(world, 60)
    client = client_for(world.admin)
    first = client.get(reverse("officer-list"))
    assert len(staff_numbers(first)) == 50
    second = client.get(reverse("officer-list"), {"page": 2})
    assert len(staff_numbers(second)) == 16


@pytest.mark.parametrize("role", ["user_officer_a1", "user_leader_a", "user_hr", "admin"])
def test_officer_list_query_count_does_not_grow_with_rows(
    world, client_for, role, django_assert_max_num_queries
):
    client = client_for(getattr(world, role))
    url = reverse("officer-list")
    client.get(url)
    few = queries_for(client, url)
    add_officers(world, 30)
    many = queries_for(client, url)
    # Scope (up to 8), unit choices, the count, one page and its current assignments.
    assert few == many <= 12
    with django_assert_max_num_queries(13):
        client.get(url, {"unit": world.tribunal_a1.pk, "front_line": "yes", "recruits": "on", "q": "法官"})
