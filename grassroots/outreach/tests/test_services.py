"""Liaisons, visits (single, bulk, with a request raised in one step), events, photos, the attention list
and the route."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from grassroots.casework.models import Channel, FollowUp, Request
from grassroots.common.errors import Conflict, Forbidden, ValidationFailed
from grassroots.common.models import AuditEntry
from grassroots.outreach.events import EventInput, event_create, event_record_outcome, photo_attach
from grassroots.outreach.models import Liaison, LiaisonKind, Visit
from grassroots.outreach.routing import order_route, route_length_km
from grassroots.outreach.selectors import attention_list, photo_for_viewer
from grassroots.outreach.services import (
    VisitInput,
    liaison_assign_area,
    liaison_create,
    liaison_end,
    notice_board_save,
    visit_raise_request,
    visit_record,
    visits_bulk_record,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def fields(exc) -> set[tuple[str, int | None]]:
    return {(e.field, e.row) for e in exc.value.errors}


def test_liaison_create_checks_role_scope_and_duplicates(world):
    w = world
    with pytest.raises(Forbidden):
        liaison_create(
            actor=w.user_officer_a1,
            officer=w.officer_a1,
            kind="household",
            household=w.household_a1,
            start=date(2025, 1, 1),
        )
    with pytest.raises(ValidationFailed) as exc:
        liaison_create(
            actor=w.user_leader_a,
            officer=w.officer_a1,
            kind="household",
            household=w.household_b1,
            start=date(2025, 1, 1),
        )
    assert fields(exc) == {("household", None)}
    liaison = liaison_create(
        actor=w.user_leader_a,
        officer=w.officer_a1,
        kind="household",
        household=w.household_a1,
        start=date(2025, 1, 1),
    )
    assert (liaison.region, liaison.grid, liaison.county) == (w.village_a1, w.grid_a1, w.county_a)
    with pytest.raises(ValidationFailed) as exc:
        liaison_create(
            actor=w.user_leader_a,
            officer=w.officer_a1,
            kind="household",
            household=w.household_a1,
            start=date(2025, 2, 1),
        )
    assert exc.value.errors[0].code == "duplicate"
    with pytest.raises(ValidationFailed) as exc:
        liaison_create(
            actor=w.user_leader_a, officer=w.officer_a1, kind="organization", start=date(2025, 1, 1)
        )
    assert fields(exc) == {("organization", None)}
    assert AuditEntry.objects.filter(action="liaison.create").count() == 1


def test_liaison_end_keeps_history_and_detects_conflicts(world):
    w = world
    liaison = liaison_create(
        actor=w.admin,
        officer=w.officer_a1,
        kind="organization",
        organization=w.org_a1,
        start=date(2025, 1, 1),
    )
    with pytest.raises(ValidationFailed):
        liaison_end(actor=w.admin, liaison=liaison, end=date(2025, 5, 1), reason=" ", expected_version=1)
    liaison_end(actor=w.admin, liaison=liaison, end=date(2025, 5, 1), reason="轮岗", expected_version=1)
    with pytest.raises(Conflict):
        liaison_end(actor=w.admin, liaison=liaison, end=date(2025, 6, 1), reason="again", expected_version=1)
    # A new liaison may start after the old one ended: both rows remain.
    liaison_create(
        actor=w.admin,
        officer=w.officer_a1,
        kind="organization",
        organization=w.org_a1,
        start=date(2025, 6, 1),
    )
    assert Liaison.objects.filter(organization=w.org_a1).count() == 2


def test_assign_area_links_every_household_once(world):
    w = world
    assert (
        liaison_assign_area(
            actor=w.user_leader_a, officer=w.officer_a2, region=w.town_a2, start=date(2025, 1, 1)
        )
        == 1
    )
    assert (
        liaison_assign_area(
            actor=w.user_leader_a, officer=w.officer_a2, region=w.town_a2, start=date(2025, 1, 1)
        )
        == 0
    )
    assert (
        liaison_assign_area(
            actor=w.user_leader_a, officer=w.officer_a2, grid=w.grid_a1, start=date(2025, 1, 1)
        )
        == 1
    )
    assert set(Liaison.objects.filter(officer=w.officer_a2).values_list("household", flat=True)) == {
        w.household_a1.pk,
        w.household_a2.pk,
    }
    with pytest.raises(ValidationFailed):
        liaison_assign_area(
            actor=w.user_leader_a, officer=w.officer_a2, region=w.county_a, start=date(2025, 1, 1)
        )


def test_visit_record_scope_and_validation(world):
    w = world
    now = timezone.now()
    visit = visit_record(
        actor=w.user_officer_a1,
        data=VisitInput(household=w.household_a1, visited_at=now, mode="phone", summary="电话问候"),
    )
    assert (visit.officer, visit.region, visit.visited_on) == (
        w.officer_a1,
        w.village_a1,
        timezone.localdate(),
    )
    with pytest.raises(ValidationFailed) as exc:
        visit_record(
            actor=w.user_officer_a1, data=VisitInput(household=w.household_b1, visited_at=now, summary="x")
        )
    assert fields(exc) == {("household", None)}
    with pytest.raises(ValidationFailed) as exc:
        visit_record(
            actor=w.user_officer_a1,
            data=VisitInput(
                household=w.household_a1, visited_at=now + timedelta(days=1), mode="fax", summary=""
            ),
        )
    assert fields(exc) == {("visited_at", None), ("mode", None), ("summary", None)}
    with pytest.raises(Forbidden):
        visit_record(actor=w.user_hr, data=VisitInput(household=w.household_a1, visited_at=now, summary="x"))
    with pytest.raises(Forbidden):
        visit_record(
            actor=w.user_officer_a1,
            officer=w.officer_a2,
            data=VisitInput(household=w.household_a1, visited_at=now, summary="x"),
        )
    retry = visit_record(
        actor=w.user_officer_a1,
        data=VisitInput(household=w.household_a1, visited_at=now, summary="电话问候", client_token="t-1"),
    )
    again = visit_record(
        actor=w.user_officer_a1,
        data=VisitInput(household=w.household_a1, visited_at=now, summary="电话问候", client_token="t-1"),
    )
    assert retry.pk == again.pk and Visit.objects.count() == 2


def test_a_request_is_raised_from_a_visit_in_one_step(world):
    w = world
    data = VisitInput(
        household=w.household_a1,
        visited_at=timezone.now(),
        met_resident=w.resident_a1,
        met="刘大爷",
        summary="入户走访",
        needs="屋顶漏雨，需要危房改造帮助\n已拍照",
    )
    visit = visit_record(actor=w.user_officer_a1, data=data, raise_request=True)
    request = visit.requests.get()
    assert (request.channel, request.kind, request.region, request.grid) == (
        Channel.VISIT,
        "help",
        w.village_a1,
        w.grid_a1,
    )
    assert request.reporter_resident == w.resident_a1
    assert request.title == "屋顶漏雨，需要危房改造帮助"
    assert request.description.startswith("屋顶漏雨")
    # Raising again returns the same request (idempotent on the visit).
    assert visit_raise_request(actor=w.user_officer_a1, visit=visit) == request
    assert Request.objects.count() == 1
    # No need written: nothing at all is saved.
    with pytest.raises(ValidationFailed) as exc:
        visit_record(
            actor=w.user_officer_a1,
            data=VisitInput(household=w.household_a1, visited_at=timezone.now(), summary="x"),
            raise_request=True,
        )
    assert fields(exc) == {("needs", None)}
    assert Visit.objects.count() == 1


def test_raising_a_request_that_fails_leaves_no_visit(world):
    w = world
    # The region of an organisation visit has no household to raise for: refused before anything is written.
    with pytest.raises(ValidationFailed):
        visit_record(
            actor=w.user_officer_a1,
            data=VisitInput(organization=w.org_a1, visited_at=timezone.now(), summary="x", needs="y"),
            raise_request=True,
        )
    assert Visit.objects.count() == 0 and Request.objects.count() == 0


def test_bulk_visits_are_all_or_nothing_with_row_errors(world):
    w = world
    now = timezone.now()
    good = VisitInput(household=w.household_a1, visited_at=now, summary="走访")
    with pytest.raises(ValidationFailed) as exc:
        visits_bulk_record(
            actor=w.user_officer_a1,
            rows=[
                good,
                VisitInput(household=w.household_b1, visited_at=now, summary="x"),
                VisitInput(household=w.household_a1, visited_at=now),
            ],
        )
    assert fields(exc) == {("household", 2), ("summary", 3)}
    assert Visit.objects.count() == 0
    visits = visits_bulk_record(
        actor=w.user_officer_a1,
        rows=[good, VisitInput(organization=w.org_a1, visited_at=now, summary="法治副校长讲课")],
    )
    assert len(visits) == 2 and all(v.pk for v in visits)
    assert (
        AuditEntry.objects.filter(action="visit.record", object_id__in=[str(v.pk) for v in visits]).count()
        == 2
    )


def test_events_and_outcomes(world):
    w = world
    start = timezone.now() - timedelta(hours=3)
    data = EventInput(
        kind="circuit_trial",
        title="巡回审判进东街",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        region=w.village_a1,
        officers=[w.officer_a1],
    )
    event = event_create(actor=w.user_officer_a1, data=data)
    assert event.county == w.county_a
    with pytest.raises(ValidationFailed) as exc:
        event_create(
            actor=w.user_officer_a1,
            data=EventInput(**{**data.__dict__, "officers": [w.officer_b], "region": w.village_b1}),
        )
    assert {f for f, _ in fields(exc)} == {"officers", "region"}
    visit = visit_record(
        actor=w.user_officer_a1,
        data=VisitInput(household=w.household_a1, visited_at=timezone.now(), summary="s", needs="纠纷"),
        raise_request=True,
    )
    request = visit.requests.get()
    event = event_record_outcome(
        actor=w.user_officer_a1,
        event=event,
        status="held",
        attendance=40,
        requests=[request],
        expected_version=1,
    )
    assert (event.status, event.attendance, list(event.requests.all())) == ("held", 40, [request])
    with pytest.raises(Conflict):
        event_record_outcome(
            actor=w.user_officer_a1, event=event, status="held", attendance=41, expected_version=1
        )
    with pytest.raises(ValidationFailed) as exc:  # the cases heard stay linked: it was not cancelled
        event_record_outcome(actor=w.user_officer_a1, event=event, status="cancelled", expected_version=2)
    assert fields(exc) == {("requests", None)}
    with pytest.raises(Forbidden):  # an officer who is not among its officers
        event_record_outcome(
            actor=w.user_officer_a2, event=event, status="held", attendance=1, expected_version=2
        )
    with pytest.raises(Forbidden):
        event_create(actor=w.resident_user, data=data)


def test_photos_are_checked_and_served_only_in_scope(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = world
    visit = visit_record(
        actor=w.user_officer_a1,
        data=VisitInput(household=w.household_a1, visited_at=timezone.now(), summary="s"),
    )
    with pytest.raises(ValidationFailed) as exc:
        photo_attach(
            actor=w.user_officer_a1,
            visit=visit,
            upload=SimpleUploadedFile("x.png", b"<svg/>", content_type="image/png"),
        )
    assert exc.value.errors[0].code == "file_type"
    settings.OUTREACH_PHOTO_MAX_BYTES = 32
    with pytest.raises(ValidationFailed) as exc:
        photo_attach(actor=w.user_officer_a1, visit=visit, upload=SimpleUploadedFile("x.png", PNG))
    assert exc.value.errors[0].code == "too_large"
    settings.OUTREACH_PHOTO_MAX_BYTES = 1024
    photo = photo_attach(actor=w.user_officer_a1, visit=visit, upload=SimpleUploadedFile("x.png", PNG))
    assert photo.content_type == "image/png" and (tmp_path / photo.file.name).exists()
    assert photo_for_viewer(actor=w.user_leader_a, token=photo.token) == photo
    from django.http import Http404

    for outsider in (w.user_officer_b, w.user_hr, w.resident_user):
        with pytest.raises(Http404):
            photo_for_viewer(actor=outsider, token=photo.token)
    portrait = photo_attach(actor=w.user_officer_a1, upload=SimpleUploadedFile("me.png", PNG))
    notice_board_save(
        actor=w.user_officer_a1,
        officer=w.officer_a1,
        public_phone="0371-1234567",
        duties="联系东街村",
        is_published=False,
        photo=portrait,
    )
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Http404):
        photo_for_viewer(actor=AnonymousUser(), token=portrait.token)
    notice_board_save(
        actor=w.user_officer_a1,
        officer=w.officer_a1,
        public_phone="0371-1234567",
        duties="联系东街村",
        is_published=True,
    )
    assert photo_for_viewer(actor=AnonymousUser(), token=portrait.token) == portrait


def test_attention_list_gives_reasons(world, rules):
    w = world
    today = timezone.localdate()
    items = {i.household.pk: i for i in attention_list(actor=w.user_leader_a, as_of=today)}
    assert "not_visited" in items[w.household_a1.pk].codes  # 低保, never visited
    assert w.household_a2.pk not in items  # no care tag, no requests
    assert w.household_b1.pk not in items  # out of scope
    visit_record(
        actor=w.user_officer_a1,
        data=VisitInput(household=w.household_a1, visited_at=timezone.now(), summary="s"),
    )
    visit = visit_record(
        actor=w.user_officer_a1,
        data=VisitInput(
            household=w.household_a1,
            visited_at=timezone.now(),
            summary="s",
            needs="邻里纠纷",
            met_resident=w.resident_a1,
        ),
        raise_request=True,
    )
    visit_raise_request(
        actor=w.user_officer_a1, visit=visit, kind="dispute", title="宅基地纠纷", description="宅基地边界争议"
    )
    request = visit.requests.order_by("id").first()
    FollowUp.objects.create(
        request=request, by=w.admin, at=timezone.now(), reached=True, satisfaction="dissatisfied"
    )
    items = {i.household.pk: i for i in attention_list(actor=w.user_leader_a, as_of=today)}
    assert items[w.household_a1.pk].codes == {"repeat", "dissatisfied"}
    assert any("2" in reason for reason in items[w.household_a1.pk].reasons)
    assert attention_list(actor=w.user_officer_b, as_of=today) == []
    assert attention_list(actor=w.user_hr, as_of=today) == []


class _Item:
    def __init__(self, liaison, lat, lon, due):
        self.liaison, self.due = liaison, due
        self.target = type("T", (), {"latitude": lat, "longitude": lon})()


def test_route_orders_located_stops_with_ortools_and_groups_the_rest(world):
    w = world
    liaison = Liaison(region=w.village_a1, kind=LiaisonKind.HOUSEHOLD)
    other = Liaison(region=w.village_a2, kind=LiaisonKind.HOUSEHOLD)
    day = date(2025, 6, 1)
    # Points along a line, given out of order: the best open path visits them in line order.
    xs = [0.00, 0.04, 0.01, 0.03, 0.02]
    items = [_Item(liaison, 34.8, 114.8 + x, day) for x in xs] + [
        _Item(other, None, None, day),
        _Item(liaison, None, None, day),
    ]
    stops, method = order_route(items)
    assert method == "ortools"
    located = [s.longitude for s in stops if s.latitude is not None]
    assert located in (sorted(located), sorted(located, reverse=True))
    assert [s.village for s in stops[5:]] == [w.village_a1.name, w.village_a2.name]
    assert route_length_km(stops) == pytest.approx(
        0.04 * 111.32 * 0.8211, rel=0.02
    )  # 4 km of longitude at 34.8°
    stops, method = order_route(items[5:])
    assert method == "village"
