from datetime import timedelta

import pytest
from django.utils import timezone

from grassroots.casework import clock
from grassroots.casework.history import (
    HistoricalFollowUp,
    HistoricalRequest,
    HistoryError,
    closable,
    history_token,
    replay_status,
    requests_write_history,
)
from grassroots.casework.models import FollowUp, Request, RequestEvent, RequestUnit
from grassroots.casework.workflow import Status
from grassroots.common.models import AuditEntry

pytestmark = pytest.mark.django_db


def record(world, status, number, **extra):
    created = timezone.now() - timedelta(days=90 - number)
    values = {
        "kind": "complaint",
        "channel": "hotline",
        "title": f"路灯不亮 {number}",
        "description": "村口路灯坏了一个月",
        "region_id": world.village_a1.pk,
        "created_at": created,
        "status": status,
        "record_id": f"R{number}",
        "reporter_name": "刘大爷",
        "reporter_phone": "13800138000",
        "lead_unit_id": world.tribunal_a1.pk,
        "handler_user_id": world.user_officer_a1.pk,
        "leader_user_id": world.user_leader_a.pk,
    }
    if status in (Status.RESOLVED, Status.FOLLOW_UP, Status.CLOSED, Status.REOPENED):
        values["resolved_at"] = created + timedelta(days=4)
    values.update(extra)
    return HistoricalRequest(**values)


def trail(request):
    return list(request.events.order_by("at", "id").values_list("action", "from_status", "to_status"))


def test_every_final_status_gets_a_trail_that_replays_to_it(world):
    statuses = [s for s in Status.values if s not in (Status.CLOSED, Status.REOPENED)]
    records = [record(world, s, i, reason="不属于受理范围") for i, s in enumerate(statuses)]
    base = timezone.now() - timedelta(days=60)
    satisfied = HistoricalFollowUp(
        at=base + timedelta(days=6), satisfaction="satisfied", by_id=world.user_officer_a2.pk
    )
    records.append(record(world, Status.CLOSED, 20, created_at=base, resolved_at=base + timedelta(days=5),
                          closed_at=base + timedelta(days=6), follow_ups=[satisfied]))  # fmt: skip
    unhappy = HistoricalFollowUp(
        at=base + timedelta(days=6),
        satisfaction="dissatisfied",
        comment="没修好",
        by_id=world.user_officer_a2.pk,
    )
    happy = HistoricalFollowUp(
        at=base + timedelta(days=15), satisfaction="basically", by_id=world.user_officer_a2.pk
    )
    records.append(record(world, Status.CLOSED, 21, created_at=base, resolved_at=base + timedelta(days=14),
                          closed_at=base + timedelta(days=15), follow_ups=[unhappy, happy]))  # fmt: skip
    records.append(record(world, Status.REOPENED, 22, created_at=base, resolved_at=base + timedelta(days=5),
                          follow_ups=[unhappy]))  # fmt: skip
    result = requests_write_history(actor=world.admin, records=records, source="12345-test")
    assert result.created == len(records) and None not in result.ids
    for item, pk in zip(records, result.ids, strict=True):
        request = Request.objects.get(pk=pk)
        assert request.status == item.status
        assert replay_status(trail(request)) == item.status, trail(request)
        assert request.county_id == world.county_a.pk
        assert request.created_at == item.created_at
        assert request.client_token == history_token("12345-test", item.record_id)
        assert (
            request.reporter_phone_masked == "138****8000"
            and "13800138000" not in request.reporter_phone_encrypted
        )
        assert all(e.data["imported"] for e in request.events.all())
        times = list(request.events.order_by("id").values_list("at", flat=True))
        assert times == sorted(times)
        # The clock: the policy snapshot and the deadline intake would have set (complaint: 7 working days).
        assert (request.deadline_amount, request.deadline_unit) == (7, "working_days")
    closed = Request.objects.get(pk=result.ids[-3])
    assert closed.due_at == clock.deadline_from(closed.created_at, 7, "working_days")
    assert closed.resolved_by_id == world.user_officer_a1.pk
    assert closable(list(closed.follow_ups.values_list("reached", "satisfaction")), False)
    # Resolution time from the trail; only a request still awaiting its follow-up has a follow-up due date.
    assert closed.resolved_at == closed.events.get(action="resolve").at and closed.follow_up_due_at is None
    waiting = Request.objects.get(pk=result.ids[statuses.index(Status.RESOLVED)])
    assert waiting.follow_up_due_at == clock.deadline_from(waiting.resolved_at, 3, "working_days")
    assert Request.objects.get(pk=result.ids[-1]).resolved_at is None  # reopened
    twice = Request.objects.get(pk=result.ids[-2])
    assert twice.reopen_count == 1 and twice.events.filter(action="reopen_dissatisfied").count() == 1
    assert twice.events.get(action="reopen_dissatisfied").reason == "没修好"
    assert Request.objects.get(pk=result.ids[-1]).reopen_count == 1
    assert RequestUnit.objects.filter(request_id=closed.pk, role="lead", unit=world.tribunal_a1).exists()
    assert len(set(Request.objects.values_list("tracking_code", flat=True))) == len(records)
    entry = AuditEntry.objects.get(action="request.import_history")
    assert entry.data["created"] == len(records)


def test_rewriting_the_same_records_never_duplicates(world):
    first = requests_write_history(actor=world.admin, records=[record(world, Status.ACCEPTED, 1)], source="s")
    again = requests_write_history(
        actor=world.admin,
        records=[record(world, Status.ACCEPTED, 1), record(world, Status.ACCEPTED, 2)],
        source="s",
    )
    assert (again.created, again.skipped) == (1, 1)
    assert again.ids[0] == first.ids[0]
    assert Request.objects.count() == 2
    other = requests_write_history(actor=world.admin, records=[record(world, Status.ACCEPTED, 1)], source="t")
    assert other.created == 1


def test_linked_request_points_at_its_matter(world):
    records = [record(world, Status.IN_PROGRESS, 1), record(world, Status.REGISTERED, 2, matter_index=0)]
    result = requests_write_history(actor=world.admin, records=records, source="s")
    linked = Request.objects.get(pk=result.ids[1])
    assert linked.matter_id == result.ids[0]
    assert replay_status(trail(linked)) == Status.REGISTERED
    assert linked.events.filter(action="link").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"status": "done"}, "unknown status"),
        ({"status": Status.REJECTED}, "needs a reason"),
        ({"status": Status.IN_PROGRESS, "matter_index": 0}, "stays registered"),
        ({"status": Status.CLOSED, "follow_ups": "resolver"}, "other than the resolver"),
        ({"status": Status.RESOLVED, "follow_ups": "someone"}, "no follow-up since"),
    ],
)
def test_invalid_records_write_nothing(world, extra, message):
    if extra.get("follow_ups") == "resolver":
        extra["follow_ups"] = [
            HistoricalFollowUp(at=timezone.now(), satisfaction="satisfied", by_id=world.user_officer_a1.pk)
        ]
    elif extra.get("follow_ups") == "someone":
        extra["follow_ups"] = [
            HistoricalFollowUp(at=timezone.now(), satisfaction="satisfied", by_id=world.user_officer_a2.pk)
        ]
    records = [
        record(world, Status.ACCEPTED, 1),
        record(world, **{"status": Status.ACCEPTED, "number": 2, **extra}),
    ]
    with pytest.raises(HistoryError, match=message) as caught:
        requests_write_history(actor=world.admin, records=records, source="s")
    assert caught.value.index == 1
    assert (
        not Request.objects.exists() and not RequestEvent.objects.exists() and not FollowUp.objects.exists()
    )
