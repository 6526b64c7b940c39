"""Guards against gaming the figures: self-follow-ups, linked duplicates, reopened resolutions, and
extensions or pauses that nobody else approved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grassroots.casework.matters import request_link
from grassroots.casework.models import FollowUp, Request, RequestEvent
from grassroots.casework.services import IntakeInput, request_intake, request_transition
from grassroots.casework.workflow import Action
from grassroots.evaluation.drill import drill
from grassroots.evaluation.indicators import CELL_MEASURES, Window, casework_cells

from .helpers import ago, history, write

pytestmark = pytest.mark.django_db


def _window() -> Window:
    today = timezone.localdate()
    return Window(today - timedelta(days=60), today, timezone.now() + timedelta(seconds=1))


def _figures(officer) -> dict[str, int]:
    totals = dict.fromkeys(CELL_MEASURES, 0)
    for cell in casework_cells(_window()):
        if cell["officer"] == officer.pk:
            for name in CELL_MEASURES:
                totals[name] += cell[name]
    return totals


def _handled(world, **extra):
    return history(officer=world.officer_a1, unit=world.tribunal_a1, region=world.village_a1, **extra)


def test_a_follow_up_by_the_handling_officer_or_a_resolver_does_not_count(world):
    w = world
    ids = write(w.admin, [
        _handled(w, created=ago(30), follow_up_by=w.user_hr),  # independent: counts
        _handled(w, created=ago(29), follow_up_by=w.user_officer_a1),  # the officer themself
        _handled(w, created=ago(28), follow_up_by=w.user_hr, handler_user=w.user_officer_a2),
    ])  # fmt: skip
    # A record (e.g. imported from an older system) whose follow-up was made by the colleague who resolved it.
    FollowUp.objects.filter(request_id=ids[2]).update(by=w.user_officer_a2)
    figures = _figures(w.officer_a1)
    assert figures["follow_up_valid_n"] == 3
    assert figures["follow_up_valid_k"] == 1
    assert figures["satisfaction_n"] == 1 and figures["satisfaction_k"] == 1
    rows = drill(window=_window(), officer_id=w.officer_a1.pk, code="satisfaction", part="denominator").rows
    assert len(rows) == 1


def test_a_dissatisfied_self_follow_up_is_not_hidden_by_a_later_one(world):
    w = world
    write(w.admin, [_handled(w, created=ago(30), follow_up_by=w.user_hr, reopened=True)])
    figures = _figures(w.officer_a1)
    # The first independent answer was dissatisfied: the request counts as not satisfied.
    assert (figures["satisfaction_n"], figures["satisfaction_k"]) == (1, 0)


def test_linked_duplicates_count_once(world):
    w = world
    ids = write(w.admin, [
        _handled(w, created=ago(20), status="in_progress"),
        _handled(w, created=ago(19), status="in_progress"),
    ])  # fmt: skip
    before = _figures(w.officer_a1)["completion_n"]
    assert before == 2
    duplicate, matter = Request.objects.get(pk=ids[1]), Request.objects.get(pk=ids[0])
    request_link(actor=w.admin, request=duplicate, matter=matter, reason="同一事项")
    assert _figures(w.officer_a1)["completion_n"] == 1


def test_a_resolution_later_reopened_counts_against(world):
    w = world
    write(w.admin, [
        _handled(w, created=ago(30), follow_up_by=w.user_hr, days=0.5),
        _handled(w, created=ago(29), follow_up_by=w.user_hr, days=0.5, reopened=True),
    ])  # fmt: skip
    figures = _figures(w.officer_a1)
    assert figures["completion_k"] == 2  # both are resolved now
    assert figures["on_time_n"] == 2 and figures["on_time_k"] == 1  # the reopened one is not on time
    assert figures["reopen_n"] == 2 and figures["reopen_k"] == 1


def _in_progress(world) -> Request:
    request, _created = request_intake(
        actor=world.user_officer_a1,
        data=IntakeInput(channel="hotline", kind="complaint", title="路灯不亮", description="村口路灯坏了",
                         region=world.village_a1, reporter_name="王女士"),
    )  # fmt: skip
    for actor, action, data in [
        (world.user_officer_a1, Action.ACCEPT, {}),
        (world.user_leader_a, Action.ASSIGN, {"lead_unit": world.tribunal_a1, "assignee": world.officer_a1}),
        (world.user_officer_a1, Action.START, {}),
    ]:
        request = request_transition(actor=actor, request=request, action=action, data=data)
    # The deadline passed a day ago (the clock arithmetic is casework's; what is tested is what counts).
    Request.objects.filter(pk=request.pk).update(due_at=timezone.now() - timedelta(days=1))
    request.refresh_from_db()
    return request


def _resolve(world, request: Request) -> None:
    request_transition(
        actor=world.user_officer_a1, request=request, action=Action.RESOLVE, data={"outcome": "fulfilled"}
    )


def test_extensions_count_only_when_approved(world):
    w = world
    approved, denied, pending = _in_progress(w), _in_progress(w), _in_progress(w)
    for request in (approved, denied, pending):
        request_transition(actor=w.user_officer_a1, request=request, action=Action.REQUEST_EXTENSION,
                           reason="需补充材料", data={"days": 5})  # fmt: skip
    request_transition(actor=w.user_leader_a, request=approved, action=Action.APPROVE_EXTENSION)
    request_transition(actor=w.user_leader_a, request=denied, action=Action.DENY_EXTENSION, reason="理由不足")
    for request in (approved, denied, pending):
        _resolve(w, Request.objects.get(pk=request.pk))
    on_time = {
        r.pk
        for r in drill(window=_window(), officer_id=w.officer_a1.pk, code="on_time", part="numerator").rows
    }
    assert on_time == {approved.pk}


def _pause_and_resume(world, request: Request, by) -> None:
    request_transition(actor=by, request=request, action=Action.PAUSE, reason="等待鉴定结论")
    three_days_ago = timezone.now() - timedelta(days=3)
    Request.objects.filter(pk=request.pk).update(paused_at=three_days_ago)
    RequestEvent.objects.filter(request=request, action=Action.PAUSE).update(at=three_days_ago)
    request_transition(actor=by, request=Request.objects.get(pk=request.pk), action=Action.RESUME)


def test_a_pause_the_handling_officer_took_themself_does_not_count(world):
    w = world
    own, leaders = _in_progress(w), _in_progress(w)
    _pause_and_resume(w, own, w.user_officer_a1)
    _pause_and_resume(w, leaders, w.user_leader_a)
    for request in (own, leaders):
        moved = Request.objects.get(pk=request.pk)
        assert moved.due_at > timezone.now()  # the record's clock moved on for both
        _resolve(w, moved)
    on_time = {
        r.pk
        for r in drill(window=_window(), officer_id=w.officer_a1.pk, code="on_time", part="numerator").rows
    }
    assert on_time == {leaders.pk}
    assert _figures(w.officer_a1)["on_time_k"] == 1


def test_state_is_read_as_of_the_cut_off(world):
    w = world
    write(w.admin, [_handled(w, created=ago(30), days=20, follow_up_by=w.user_hr)])  # resolved 10 days ago
    today = timezone.localdate()
    early = Window(today - timedelta(days=60), today, timezone.now() - timedelta(days=15))
    cells = [c for c in casework_cells(early) if c["officer"] == w.officer_a1.pk]
    assert sum(c["completion_n"] for c in cells) == 1
    assert sum(c["completion_k"] for c in cells) == 0  # not yet resolved at the cut-off
    assert sum(c["satisfaction_n"] for c in cells) == 0
