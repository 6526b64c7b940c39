"""Follow-up scheduled by rule at resolution: when it is due, what clears it, the overdue alert, the
follow-up queue page, and the typical resolution time shown at intake, on the receipt and to the public."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.casework import selectors
from grassroots.casework.follow_up import follow_up_record, follow_up_tick
from grassroots.casework.models import AlertKind, CalendarDay, ClockAlert, FollowUpRule, Request
from grassroots.casework.services import IntakeInput, request_intake, request_transition
from grassroots.casework.workflow import Action, Status
from grassroots.common.models import AuditEntry

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def intake(world, **overrides):
    actor = overrides.pop("actor", world.user_officer_a1)
    values = {
        "channel": "window",
        "kind": "help",
        "title": "东街路灯不亮",
        "description": "东街12号门口路灯坏了一个月",
        "region": world.village_a1,
        "reporter_resident": world.resident_a1,
    }
    values.update(overrides)
    return request_intake(actor=actor, data=IntakeInput(**values))[0]


def resolve(world, item, outcome="explained"):
    item = request_transition(actor=world.user_officer_a1, request=item, action=Action.ACCEPT)
    item = request_transition(
        actor=world.user_leader_a,
        request=item,
        action=Action.ASSIGN,
        data={"lead_unit": world.tribunal_a1, "assignee": world.officer_a1},
    )
    item = request_transition(actor=world.user_officer_a1, request=item, action=Action.START)
    return request_transition(
        actor=world.user_officer_a1, request=item, action=Action.RESOLVE, data={"outcome": outcome}
    )


def login(user):
    client = Client()
    client.force_login(user)
    return client


def test_resolution_schedules_the_follow_up_by_the_default_rule(world):
    item = resolve(world, intake(world))
    assert item.status == Status.RESOLVED and item.resolved_at is not None
    rule = FollowUpRule.objects.get(kind="", channel="")
    assert (rule.amount, rule.unit) == (3, "working_days")
    local = timezone.localtime(item.resolved_at, SHANGHAI).date()
    due = timezone.localtime(item.follow_up_due_at, SHANGHAI)
    assert due.date() > local and (due.hour, due.minute) == (23, 59)
    event = item.events.get(action="resolve")
    assert datetime.fromisoformat(event.data["follow_up_due"]) == item.follow_up_due_at


def test_the_rule_counts_working_days_over_a_holiday(world):
    """Resolved on Thursday 2025-10-09: Friday 10th is made a holiday here, Saturday 11th is China's adjusted
    working day after the National Day week (调休), Sunday does not count: three working days end on
    Tuesday 14th."""
    import chinese_calendar

    assert chinese_calendar.is_workday(date(2025, 10, 11)) and chinese_calendar.is_workday(date(2025, 10, 10))
    CalendarDay.objects.create(day=date(2025, 10, 10), is_workday=False, name="test holiday")
    item = intake(world)
    resolved_at = datetime(2025, 10, 9, 15, 0, tzinfo=SHANGHAI)
    from grassroots.casework.services import follow_up_due

    assert timezone.localtime(follow_up_due(item, resolved_at), SHANGHAI).date() == date(2025, 10, 14)


def test_a_more_specific_rule_wins_and_anonymous_reporters_get_none(world):
    FollowUpRule.objects.create(name="热线投诉", kind="complaint", channel="hotline", amount=24, unit="hours")
    complaint = resolve(world, intake(world, kind="complaint", channel="hotline"))
    assert complaint.follow_up_due_at - complaint.resolved_at == timedelta(hours=24)
    dispute = intake(
        world, kind="dispute", title="宅基地纠纷", description="两户宅基地边界", client_token="d"
    )
    from grassroots.casework.services import follow_up_due

    assert follow_up_due(dispute, dispute.created_at) - dispute.created_at > timedelta(days=14)
    anonymous = intake(
        world, channel="web", is_anonymous=True, reporter_resident=None, actor=None, kind="complaint"
    )
    assert follow_up_due(anonymous, timezone.now()) is None


def test_close_and_reopen_clear_the_schedule(world):
    item = resolve(world, intake(world))
    follow_up_record(actor=world.user_leader_a, request=item, reached=True, satisfaction="satisfied")
    item.refresh_from_db()
    assert item.status == Status.CLOSED and item.follow_up_due_at is None and item.resolved_at is not None
    other = resolve(world, intake(world, title="西街下水道", client_token="x"))
    follow_up_record(
        actor=world.user_leader_a,
        request=other,
        reached=True,
        satisfaction="dissatisfied",
        comment="没修好",
    )
    other.refresh_from_db()
    assert other.status == Status.REOPENED and other.follow_up_due_at is None and other.resolved_at is None


def test_overdue_follow_up_alerts_the_lead_unit_once(world):
    item = resolve(world, intake(world))
    assert follow_up_tick().reminders == 0  # not due yet
    later = item.follow_up_due_at + timedelta(minutes=1)
    report = follow_up_tick(now=later)
    assert (report.checked, report.reminders) == (1, 1)
    alert = ClockAlert.objects.get(request=item, kind=AlertKind.FOLLOW_UP)
    assert alert.unit == world.tribunal_a1 and alert.due_at == item.follow_up_due_at
    assert follow_up_tick(now=later + timedelta(hours=5)).reminders == 0
    assert AuditEntry.objects.filter(action="request.follow_up_overdue", object_id=str(item.pk)).count() == 1
    queue = selectors.leader_queue(actor=world.user_leader_a)["escalations"]
    assert [a.kind for a in queue] == [AlertKind.FOLLOW_UP]
    assert not selectors.leader_queue(actor=world.user_officer_b)["escalations"].exists()


def test_follow_up_queue_lists_what_others_resolved(world, django_assert_max_num_queries):
    item = resolve(world, intake(world))
    url = reverse("casework:follow-ups")
    other = login(world.user_leader_a).get(url)
    assert other.status_code == 200 and item.tracking_code in other.content.decode()
    # The resolver does not see it (someone else calls back); another county never does.
    assert item.tracking_code not in login(world.user_officer_a1).get(url).content.decode()
    assert item.tracking_code not in login(world.user_officer_b).get(url).content.decode()
    assert item.tracking_code not in login(world.user_officer_a2).get(url).content.decode()
    assert login(world.user_hr).get(url).status_code == 403
    client = login(world.user_leader_a)
    with django_assert_max_num_queries(12) as first:
        client.get(url)
    for n in range(4):
        resolve(world, intake(world, title=f"第{n}件", client_token=f"f{n}"))
    with django_assert_max_num_queries(len(first.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("deadline--on_time") + page.count("deadline--due_soon") == 5


def test_typical_resolution_needs_enough_history(world):
    assert selectors.typical_resolution(kind="help") is None
    now = timezone.now()
    for n in range(12):
        item = resolve(world, intake(world, title=f"第{n}件", client_token=f"h{n}"))
        Request.objects.filter(pk=item.pk).update(
            created_at=now - timedelta(days=n + 1), resolved_at=now - timedelta(hours=1)
        )
    from django.core.cache import cache

    cache.clear()
    typical = selectors.typical_resolution(kind="help", county_id=world.county_a.pk)
    assert typical.sample == 12 and not typical.by_category
    days = sorted(n + 1 - 1 / 24 for n in range(12))
    assert typical.median_days == pytest.approx((days[5] + days[6]) / 2, abs=0.1)
    assert typical.median_days < typical.p80_days <= days[-1]
    assert selectors.typical_resolution(kind="help", county_id=world.county_b.pk) is None
    receipt = login(world.user_officer_a1).get(reverse("casework:receipt", args=[intake(world).pk]))
    assert f"{typical.median_days}" in receipt.content.decode()


def test_expected_panel_shows_the_deadline_a_save_would_get(world):
    client = login(world.user_officer_a1)
    url = reverse("casework:intake-expected")
    empty = client.get(url)
    assert empty.status_code == 200 and "due_at" not in empty.context
    page = client.get(url, {"kind": "consultation", "channel": "window", "region": world.village_a1.pk})
    expected = page.context["expected"]
    assert (expected.amount, expected.unit) == (3, "working_days")
    assert expected.due_at.strftime("%Y-%m-%d") in page.content.decode()
    urgent = client.get(url, {"kind": "consultation", "urgency": "emergency"}).context["expected"]
    assert (urgent.amount, urgent.unit) == (2, "hours")
    assert login(world.user_hr).get(url, {"kind": "help"}).status_code == 403
    assert login(world.resident_user).get(url, {"kind": "help"}).status_code == 403
