from datetime import date, timedelta

import pytest

from grassroots.common.errors import Forbidden, ValidationFailed
from grassroots.workforce.models import Assignment, Officer
from grassroots.workforce.services import assignment_create, assignment_end, officer_create, post_create

pytestmark = pytest.mark.django_db


def test_new_assignment_closes_the_open_one(world):
    start = date(2025, 1, 1)
    assignment_create(actor=world.user_hr, officer=world.officer_a1, post=world.post_window_a1, start=start)
    history = list(Assignment.objects.filter(officer=world.officer_a1).order_by("start"))
    assert history[0].end == start - timedelta(days=1)
    assert history[1].post == world.post_window_a1 and history[1].end is None
    assert world.officer_a1.current_unit_ids(date(2025, 6, 1)) == [world.tribunal_a1.id]


def test_overlapping_history_is_refused(world):
    with pytest.raises(ValidationFailed) as info:
        assignment_create(
            actor=world.admin,
            officer=world.officer_a1,
            post=world.post_window_a1,
            start=date(2019, 1, 1),
            end=date(2021, 1, 1),
            close_current=False,
        )
    assert info.value.errors[0].code == "overlap"


def test_planned_assignments_do_not_clash_with_actual_ones(world):
    planned = assignment_create(
        actor=world.user_hr,
        officer=world.officer_a1,
        post=world.post_judge_a2,
        start=date(2030, 1, 1),
        kind="planned",
    )
    assert planned.kind == "planned"
    assert (
        Assignment.objects.current(date(2030, 2, 1)).get(officer=world.officer_a1).post == world.post_judge_a1
    )


def test_only_hr_and_admin_change_the_workforce(world):
    with pytest.raises(Forbidden):
        post_create(actor=world.user_leader_a, unit=world.court_a, code="X", name="x")
    with pytest.raises(Forbidden):
        officer_create(actor=world.user_officer_a1, staff_number="Z1", name="z", hire_date=date(2020, 1, 1))


def test_recruit_status_is_derived_from_hire_date(world, settings):
    settings.RECRUIT_PERIOD_MONTHS = 24
    assert world.recruit_a1.is_recruit
    assert not world.officer_a1.is_recruit
    officer = Officer(hire_date=date(2024, 1, 1))
    assert officer.is_recruit_on(date(2025, 12, 31))
    assert not officer.is_recruit_on(date(2026, 1, 2))


def test_end_before_start_is_refused(world):
    current = Assignment.objects.get(officer=world.officer_a2, end__isnull=True)
    with pytest.raises(ValidationFailed):
        assignment_end(actor=world.user_hr, assignment=current, end=current.start - timedelta(days=1))


def test_post_staffing_range_is_checked(world):
    with pytest.raises(ValidationFailed) as info:
        post_create(actor=world.user_hr, unit=world.court_a, code="CA-Z", name="z", min_staff=3, max_staff=1)
    assert info.value.errors[0].field == "max_staff"
