import pytest

from grassroots.common.scoping import actor_for
from grassroots.territory.models import Grid, Household, Organization, Region, Resident
from grassroots.workforce.models import Assignment, Officer, Post, Unit

pytestmark = pytest.mark.django_db


def numbers(qs):
    return sorted(h.number for h in qs)


def test_officer_sees_households_of_their_tribunal_region_and_grid(world):
    assert numbers(Household.objects.visible_to(world.user_officer_a1)) == ["H-A1-0001"]
    assert numbers(Household.objects.visible_to(world.user_officer_a2)) == ["H-A2-0001"]
    assert numbers(Household.objects.visible_to(world.user_officer_b)) == ["H-B1-0001"]


def test_leader_sees_their_unit_subtree_regions(world):
    assert numbers(Household.objects.visible_to(world.user_leader_a)) == ["H-A1-0001", "H-A2-0001"]
    names = sorted(o.staff_number for o in Officer.objects.visible_to(world.user_leader_a))
    assert names == ["A000", "A001", "A002", "A003", "A100"]


def test_hr_sees_workforce_but_no_personal_data(world):
    assert Household.objects.visible_to(world.user_hr).count() == 0
    assert Resident.objects.visible_to(world.user_hr).count() == 0
    assert Officer.objects.visible_to(world.user_hr).count() == Officer.objects.count()
    assert Unit.objects.visible_to(world.user_hr).count() == Unit.objects.count()


def test_resident_sees_only_own_household(world):
    assert numbers(Household.objects.visible_to(world.resident_user)) == ["H-A1-0001"]
    assert list(Officer.objects.visible_to(world.resident_user)) == []
    assert list(Region.objects.visible_to(world.resident_user)) == []


def test_grid_officer_sees_grid_households_outside_unit_region(world):
    # A grid in another township: linking the officer to it brings its households into scope.
    world.grid_a2.officer = world.officer_a1
    world.grid_a2.save()
    assert numbers(Household.objects.visible_to(world.user_officer_a1)) == ["H-A1-0001", "H-A2-0001"]


def test_reference_data_is_scoped_to_the_county(world):
    codes = set(Region.objects.visible_to(world.user_officer_a1).values_list("code", flat=True))
    assert "410225101001" in codes  # same county
    assert "410221100001" not in codes  # other county
    assert set(Grid.objects.visible_to(world.user_officer_b).values_list("code", flat=True)) == {
        "410221100001-01"
    }
    assert [o.name for o in Organization.objects.visible_to(world.user_officer_b)] == ["杞县南村村委会"]


def test_officer_sees_own_unit_only(world):
    units = set(Unit.objects.visible_to(world.user_officer_a1).values_list("code", flat=True))
    assert units == {"CA-T1"}
    posts = set(Post.objects.visible_to(world.user_officer_a1).values_list("code", flat=True))
    assert posts == {"CA-T1-J", "CA-T1-W"}
    officers = set(Officer.objects.visible_to(world.user_officer_a1).values_list("staff_number", flat=True))
    assert officers == {"A001", "A003"}
    assert Assignment.objects.visible_to(world.user_officer_b).filter(officer=world.officer_a1).count() == 0


def test_actor_is_cached_per_user_object(world, django_assert_num_queries):
    user = world.user_officer_a1
    actor_for(user)
    with django_assert_num_queries(0):
        actor_for(user)
