from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grassroots.casework import clock
from grassroots.casework.escalation import clock_tick
from grassroots.casework.models import CalendarDay, ClockAlert, Request
from grassroots.casework.services import IntakeInput, policy_for, request_intake, request_transition
from grassroots.casework.workflow import Action

SH = ZoneInfo("Asia/Shanghai")
NO_OVERRIDES: dict = {}


def test_china_official_calendar_with_adjusted_working_days():
    # National Day 2025: 1–8 October off; Sunday 28 September and Saturday 11 October are working days.
    assert not clock.is_workday(date(2025, 10, 1), NO_OVERRIDES)
    assert not clock.is_workday(date(2025, 10, 8), NO_OVERRIDES)
    assert clock.is_workday(date(2025, 9, 28), NO_OVERRIDES)
    assert clock.is_workday(date(2025, 10, 11), NO_OVERRIDES)
    assert clock.add_working_days(date(2025, 9, 30), 1, NO_OVERRIDES) == date(2025, 10, 9)
    assert clock.add_working_days(date(2025, 9, 30), 3, NO_OVERRIDES) == date(2025, 10, 11)


def test_overrides_decide_first_and_years_beyond_the_package_fall_back_to_weekdays():
    assert clock.is_workday(date(2031, 1, 3), NO_OVERRIDES)  # a Friday, no data for 2031: weekday rule
    overrides = {date(2031, 1, 3): False, date(2025, 10, 1): True}
    assert not clock.is_workday(date(2031, 1, 3), overrides)
    assert clock.is_workday(date(2025, 10, 1), overrides)


def test_weekday_calendar_for_other_countries(settings):
    settings.WORK_CALENDAR = "weekdays"
    assert clock.is_workday(date(2025, 10, 1), NO_OVERRIDES)  # a Wednesday
    assert not clock.is_workday(date(2025, 9, 28), NO_OVERRIDES)


def test_deadline_units():
    start = datetime(2025, 9, 30, 10, 0, tzinfo=SH)
    assert clock.deadline_from(start, 2, "hours", NO_OVERRIDES) == start + timedelta(hours=2)
    assert clock.deadline_from(start, 3, "working_days", NO_OVERRIDES) == datetime(
        2025, 10, 11, 23, 59, 59, tzinfo=SH
    )
    assert clock.deadline_from(start, 30, "calendar_days", NO_OVERRIDES) == datetime(
        2025, 10, 30, 23, 59, 59, tzinfo=SH
    )


def test_a_pause_moves_the_deadline_by_the_working_days_lost():
    due = datetime(2025, 10, 15, 23, 59, 59, tzinfo=SH)
    paused = datetime(2025, 9, 26, 10, 0, tzinfo=SH)  # Friday
    resumed = datetime(2025, 10, 9, 10, 0, tzinfo=SH)
    # Lost: Fri 26, Sun 28 (adjusted working day), Mon 29, Tue 30 September.
    assert clock.working_days_between(paused.date(), resumed.date(), NO_OVERRIDES) == 4
    assert clock.shift_for_pause(due, paused, resumed, "working_days", NO_OVERRIDES) == datetime(
        2025, 10, 21, 23, 59, 59, tzinfo=SH
    )
    assert clock.shift_for_pause(due, paused, resumed, "hours", NO_OVERRIDES) == due + (resumed - paused)


@settings(max_examples=60, deadline=None)
@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)), st.integers(min_value=1, max_value=40)
)
def test_working_day_arithmetic_is_consistent(start, days):
    end = clock.add_working_days(start, days, NO_OVERRIDES)
    assert clock.is_workday(end, NO_OVERRIDES)
    assert (
        clock.working_days_between(start + timedelta(days=1), end + timedelta(days=1), NO_OVERRIDES) == days
    )


@pytest.mark.django_db
def test_calendar_day_rows_are_used(world):
    CalendarDay.objects.create(day=date(2031, 1, 3), is_workday=False, name="地方假日")
    assert not clock.is_workday(date(2031, 1, 3))


def _complaint(world, **extra):
    values = {
        "channel": "hotline",
        "kind": "complaint",
        "title": "噪音扰民",
        "description": "夜间施工",
        "region": world.village_a1,
        "reporter_name": "王女士",
        "reporter_phone": "13500000000",
    }
    values.update(extra)
    request, _ = request_intake(actor=world.user_officer_a1, data=IntakeInput(**values))
    return request


@pytest.mark.django_db
def test_intake_snapshots_the_policy_and_sets_the_deadline(world):
    request = _complaint(world)
    assert (request.deadline_amount, request.deadline_unit) == (7, "working_days")
    assert request.due_at == clock.deadline_from(request.created_at, 7, "working_days")
    urgent = _complaint(world, urgency="emergency")
    assert urgent.due_at == urgent.created_at + timedelta(hours=2)
    assert (
        policy_for(kind="dispute", urgency="normal", channel="petition", category=None).unit
        == "calendar_days"
    )


@pytest.mark.django_db
def test_pause_and_resume_are_recorded_and_move_the_deadline(world):
    request = _complaint(world)
    for actor, action, data in [
        (world.user_officer_a1, Action.ACCEPT, {}),
        (world.user_leader_a, Action.ASSIGN, {"lead_unit": world.tribunal_a1}),
        (world.user_officer_a1, Action.START, {}),
    ]:
        request = request_transition(actor=actor, request=request, action=action, data=data)
    request = request_transition(
        actor=world.user_officer_a1, request=request, action=Action.PAUSE, reason="等待鉴定结论"
    )
    # Pretend the pause began twelve days ago (the clock arithmetic is what is under test).
    Request.objects.filter(pk=request.pk).update(paused_at=request.paused_at - timedelta(days=12))
    request.refresh_from_db()
    due_before = request.due_at
    request = request_transition(actor=world.user_officer_a1, request=request, action=Action.RESUME)
    event = request.events.get(action="resume")
    assert datetime.fromisoformat(event.data["due_before"]) == due_before
    assert request.due_at > due_before + timedelta(days=7)
    with pytest.raises(Exception, match="not paused"):
        request_transition(actor=world.user_officer_a1, request=request, action=Action.RESUME)


@pytest.mark.django_db
def test_extension_beyond_the_rule_is_refused(world):
    from grassroots.common.errors import ValidationFailed

    request = _complaint(world)
    for actor, action, data in [
        (world.user_officer_a1, Action.ACCEPT, {}),
        (world.user_leader_a, Action.ASSIGN, {"lead_unit": world.tribunal_a1}),
        (world.user_officer_a1, Action.START, {}),
    ]:
        request = request_transition(actor=actor, request=request, action=action, data=data)
    with pytest.raises(ValidationFailed) as info:
        request_transition(
            actor=world.user_officer_a1,
            request=request,
            action=Action.REQUEST_EXTENSION,
            reason="复杂",
            data={"days": 8},
        )
    assert "1 to 7 days" in info.value.errors[0].message


@pytest.mark.django_db
def test_reminder_then_escalation_up_the_unit_tree_once_each(world):
    request = _complaint(world)
    request = request_transition(actor=world.user_officer_a1, request=request, action=Action.ACCEPT)
    request = request_transition(
        actor=world.user_leader_a,
        request=request,
        action=Action.ASSIGN,
        data={"lead_unit": world.tribunal_a1},
    )
    now = request.due_at - timedelta(hours=3)
    first = clock_tick(now=now)
    assert (first.reminders, first.escalations) == (1, 0)
    assert clock_tick(now=now).reminders == 0  # idempotent
    alert = ClockAlert.objects.get(request=request, kind="reminder")
    assert alert.unit == world.tribunal_a1
    late = request.due_at + timedelta(hours=30)  # complaint policy escalates every 24 h: tier 2
    report = clock_tick(now=late)
    assert report.escalations == 2
    tiers = dict(
        ClockAlert.objects.filter(request=request, kind="escalation").values_list("tier", "unit__code")
    )
    assert tiers == {1: "CA", 2: "CA"}
    assert clock_tick(now=late).escalations == 0
    request.refresh_from_db()
    assert request.escalation_tier == 2


@pytest.mark.django_db
def test_paused_and_closed_requests_do_not_escalate(world):
    request = _complaint(world)
    request = request_transition(
        actor=world.user_officer_a1, request=request, action=Action.REJECT, reason="不属受理范围"
    )
    assert clock_tick(now=request.due_at + timedelta(days=5)).escalations == 0


@pytest.mark.django_db
def test_my_requests_and_leader_queue_with_deadline_colours(world):
    from grassroots.casework.escalation import clock_alert_acknowledge
    from grassroots.casework.selectors import deadline_state, leader_queue, my_requests

    request = _complaint(world)
    request = request_transition(actor=world.user_officer_a1, request=request, action=Action.ACCEPT)
    queue = leader_queue(actor=world.user_leader_a)
    assert list(queue["awaiting_assignment"]) == [request]
    assert list(leader_queue(actor=world.user_officer_b)["awaiting_assignment"]) == []
    request = request_transition(
        actor=world.user_leader_a,
        request=request,
        action=Action.ASSIGN,
        data={"lead_unit": world.tribunal_a1, "assignee": world.officer_a1},
    )
    assert list(my_requests(actor=world.user_officer_a1)) == [request]
    assert list(my_requests(actor=world.user_officer_a2)) == []
    assert deadline_state(request, request.due_at - timedelta(days=3)) == "on_time"
    assert deadline_state(request, request.due_at - timedelta(hours=2)) == "due_soon"
    assert deadline_state(request, request.due_at + timedelta(minutes=1)) == "overdue"
    clock_tick(now=request.due_at + timedelta(hours=1))
    alerts = list(leader_queue(actor=world.user_leader_a)["escalations"])
    assert [a.tier for a in alerts] == [1]
    clock_alert_acknowledge(actor=world.user_leader_a, alert=alerts[0], note="已督办")
    assert list(leader_queue(actor=world.user_leader_a)["escalations"]) == []


@pytest.mark.django_db
def test_queue_shows_each_escalation_once_at_its_highest_tier(world):
    from grassroots.casework.escalation import clock_alert_acknowledge
    from grassroots.casework.selectors import leader_queue

    request = _complaint(world)
    request = request_transition(actor=world.user_officer_a1, request=request, action=Action.ACCEPT)
    request = request_transition(
        actor=world.user_leader_a,
        request=request,
        action=Action.ASSIGN,
        data={"lead_unit": world.tribunal_a1},
    )
    other = request_transition(
        actor=world.user_officer_a1, request=_complaint(world, title="又一件"), action="accept"
    )
    clock_tick(now=request.due_at + timedelta(hours=60))  # three tiers for each
    assert ClockAlert.objects.filter(kind="escalation", request=request).count() == 3
    shown = list(leader_queue(actor=world.user_leader_a)["escalations"])
    assert sorted((a.request_id, a.tier) for a in shown) == sorted([(request.pk, 3), (other.pk, 3)])
    clock_alert_acknowledge(
        actor=world.user_leader_a, alert=next(a for a in shown if a.request_id == request.pk)
    )
    assert not ClockAlert.objects.filter(request=request, acknowledged_at__isnull=True).exists()
    assert [a.request_id for a in leader_queue(actor=world.user_leader_a)["escalations"]] == [other.pk]
