import pytest

from grassroots.casework.follow_up import follow_up_record
from grassroots.casework.matters import duplicate_candidates, matter_count, request_link, text_similarity
from grassroots.casework.models import FollowUp, Request
from grassroots.casework.services import IntakeInput, InvalidTransition, request_intake, request_transition
from grassroots.casework.workflow import Action, Status
from grassroots.common.errors import Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db


def resolved_request(world, **extra):
    values = {
        "channel": "hotline",
        "kind": "help",
        "title": "低保申请咨询",
        "description": "老人想申请低保，不知道流程",
        "region": world.village_a1,
        "reporter_resident": world.resident_a1,
    }
    values.update(extra)
    request, _ = request_intake(actor=world.user_officer_a1, data=IntakeInput(**values))
    for actor, action, data in [
        (world.user_officer_a1, Action.ACCEPT, {}),
        (world.user_leader_a, Action.ASSIGN, {"lead_unit": world.tribunal_a1}),
        (world.user_officer_a1, Action.START, {}),
        (world.user_officer_a1, Action.RESOLVE, {"outcome": "explained"}),
    ]:
        request = request_transition(actor=actor, request=request, action=action, data=data)
    return request


def test_satisfied_follow_up_closes(world):
    request = resolved_request(world)
    follow_up_record(actor=world.user_recruit_a1, request=request, reached=True, satisfaction="satisfied")
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert [e.action for e in request.events.all()][-2:] == ["schedule_follow_up", "close"]


def test_dissatisfaction_reopens_with_the_reason(world):
    request = resolved_request(world)
    with pytest.raises(ValidationFailed):
        follow_up_record(
            actor=world.user_recruit_a1, request=request, reached=True, satisfaction="dissatisfied"
        )
    follow_up_record(
        actor=world.user_recruit_a1,
        request=request,
        reached=True,
        satisfaction="dissatisfied",
        comment="问题没有解决",
    )
    request.refresh_from_db()
    assert request.status == Status.REOPENED and request.reopen_count == 1 and request.outcome == ""
    assert request.events.get(action="reopen_dissatisfied").reason == "问题没有解决"


def test_the_resolver_cannot_follow_up_their_own_work(world):
    request = resolved_request(world)
    with pytest.raises(Forbidden):
        follow_up_record(actor=world.user_officer_a1, request=request, reached=True, satisfaction="satisfied")
    assert FollowUp.objects.count() == 0
    assert Request.objects.get(pk=request.pk).status == Status.RESOLVED


def test_closing_needs_a_follow_up_or_three_unreached_attempts(world):
    request = resolved_request(world)
    request = request_transition(
        actor=world.user_recruit_a1, request=request, action=Action.SCHEDULE_FOLLOW_UP
    )
    with pytest.raises(InvalidTransition):
        request_transition(actor=world.user_recruit_a1, request=request, action=Action.CLOSE)
    for _ in range(2):
        follow_up_record(actor=world.user_recruit_a1, request=request, reached=False)
    assert Request.objects.get(pk=request.pk).status == Status.FOLLOW_UP
    follow_up_record(actor=world.user_recruit_a1, request=request, reached=False)
    assert Request.objects.get(pk=request.pk).status == Status.CLOSED


def test_similarity_of_chinese_text():
    assert text_similarity("村口路灯坏了一个月", "村口的路灯坏了快一个月了") > 0.4
    assert text_similarity("村口路灯坏了", "拖欠工资三个月") == 0


def test_duplicates_found_across_channels_and_linked_as_one_matter(world):
    first, _ = request_intake(
        actor=world.user_officer_a1,
        data=IntakeInput(
            channel="hotline",
            kind="complaint",
            title="村口路灯坏了",
            description="东街村口路灯坏了一个月，晚上很黑",
            region=world.village_a1,
            reporter_name="刘大爷",
            reporter_phone="13800138000",
        ),
    )
    unrelated, _ = request_intake(
        actor=world.user_officer_a1,
        data=IntakeInput(
            channel="window",
            kind="demand",
            title="拖欠工资",
            description="工地拖欠工资三个月",
            region=world.village_a2,
            reporter_name="陈某",
        ),
    )
    text = "东街村口的路灯坏了快一个月了"
    candidates = duplicate_candidates(
        actor=world.user_officer_a1, text=text, region=world.village_a1, reporter_phone="138-0013-8000"
    )
    assert [c.request.pk for c in candidates] == [first.pk]
    assert "same phone number" in candidates[0].reasons and "same place" in candidates[0].reasons
    assert duplicate_candidates(actor=world.user_officer_b, text=text, region=world.village_a1) == []
    second, _ = request_intake(
        actor=world.user_officer_a1,
        data=IntakeInput(
            channel="grid_report",
            kind="complaint",
            title="路灯",
            description=text,
            region=world.village_a1,
            reporter_name="网格员",
        ),
    )
    request_link(actor=world.user_officer_a1, request=second, matter=first, reason="同一路灯")
    second.refresh_from_db()
    assert second.matter == first
    assert matter_count(Request.objects.all()) == 2  # first (with second) and the unrelated one
    assert unrelated.matter is None
    with pytest.raises(InvalidTransition, match="part of matter"):
        request_transition(actor=world.user_officer_a1, request=second, action=Action.ACCEPT)
    with pytest.raises(
        ValidationFailed, match="scope"
    ):  # the unrelated request lies outside officer_a1's area
        request_link(actor=world.user_officer_a1, request=second, matter=unrelated)
    with pytest.raises(InvalidTransition, match="Already linked"):
        request_link(actor=world.user_leader_a, request=second, matter=unrelated)
