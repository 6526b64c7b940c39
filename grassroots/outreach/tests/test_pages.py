"""The outreach pages: who may use them, the quick visit form with the one-step request, bulk entry,
coverage, events, notice boards and photos."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from grassroots.casework.models import Request
from grassroots.outreach.events import EventInput, event_create
from grassroots.outreach.models import Liaison, NoticeBoard, Photo, Visit, VisitRule
from grassroots.outreach.services import VisitInput, liaison_create, visit_record

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PAGES = [
    "day",
    "visits",
    "visit-new",
    "visits-bulk",
    "coverage",
    "attention",
    "liaisons",
    "events",
    "event-new",
    "event-report",
    "rules",
    "board-edit",
]


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.mark.parametrize("name", PAGES)
def test_pages_render_for_officers_and_are_refused_to_hr_and_residents(world, rules, client_for, name):
    w = world
    liaison_create(
        actor=w.admin,
        officer=w.officer_a1,
        kind="household",
        household=w.household_a1,
        start=date(2025, 1, 1),
    )
    response = client_for(w.user_officer_a1).get(reverse(f"outreach:{name}"))
    assert response.status_code == 200
    for user in (w.user_hr, w.resident_user):
        assert client_for(user).get(reverse(f"outreach:{name}")).status_code == 403


def test_officer_day_lists_the_overdue_household(world, rules, client_for):
    w = world
    liaison_create(
        actor=w.admin,
        officer=w.officer_a1,
        kind="household",
        household=w.household_a1,
        start=timezone.localdate() - timedelta(days=60),
    )
    page = client_for(w.user_officer_a1).get(reverse("outreach:day")).content.decode()
    assert w.household_a1.number in page and "state--overdue" in page


def test_visit_form_records_the_visit_and_raises_the_request_in_one_step(
    world, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    w = world
    client = client_for(w.user_officer_a1)
    data = {
        "target": w.household_a1.number,
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "mode": "in_person",
        "met": "刘大爷",
        "summary": "入户走访",
        "needs": "院墙倒塌需要修缮",
        "raise_request": "on",
        "request_kind": "help",
        "client_token": "form-1",
        "photo": SimpleUploadedFile("p.png", PNG, content_type="image/png"),
    }
    response = client.post(reverse("outreach:visit-new"), data)
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("outreach:visit", args=[visit.pk])
    request = Request.objects.get()
    assert (
        request.channel == "visit"
        and request.title == "院墙倒塌需要修缮"
        and list(visit.requests.all()) == [request]
    )
    photo = Photo.objects.get()
    assert client.get(reverse("outreach:photo", args=[photo.token])).status_code == 200
    assert client_for(w.user_officer_b).get(reverse("outreach:photo", args=[photo.token])).status_code == 404
    page = client_for(w.user_officer_a1).get(reverse("outreach:visit", args=[visit.pk])).content.decode()
    assert request.tracking_code in page
    assert client_for(w.user_officer_b).get(reverse("outreach:visit", args=[visit.pk])).status_code == 404


def test_visit_form_shows_errors_and_saves_nothing(world, client_for):
    w = world
    client = client_for(w.user_officer_a1)
    response = client.post(
        reverse("outreach:visit-new"),
        {"target": w.household_b1.number, "visited_at": "2025-01-01T10:00", "mode": "phone", "summary": "x"},
    )
    assert response.status_code == 200 and list(response.context["form"].errors) == ["target"]
    response = client.post(
        reverse("outreach:visit-new"),
        {
            "target": w.household_a1.number,
            "visited_at": "2025-01-01T10:00",
            "mode": "phone",
            "summary": "x",
            "raise_request": "on",
            "request_kind": "help",
        },
    )
    assert response.status_code == 200 and "needs" in response.context["form"].errors
    assert Visit.objects.count() == 0


def test_bulk_entry_names_the_bad_row(world, client_for):
    w = world
    client = client_for(w.user_officer_a1)
    rows = f"{w.household_a1.number} | 户主 | 了解情况 |\n{w.org_a1.name} | 校长 | 法治课 |\n{w.household_b1.number} | x | y |"
    response = client.post(
        reverse("outreach:visits-bulk"), {"day": "2025-06-01", "mode": "in_person", "rows": rows}
    )
    assert response.status_code == 200 and "3" in response.content.decode() and Visit.objects.count() == 0
    rows = "\n".join(rows.splitlines()[:2])
    response = client.post(
        reverse("outreach:visits-bulk"), {"day": "2025-06-01", "mode": "in_person", "rows": rows}
    )
    assert response.status_code == 302 and Visit.objects.count() == 2


def test_coverage_page_groups(world, rules, client_for):
    w = world
    liaison_create(
        actor=w.admin,
        officer=w.officer_a1,
        kind="household",
        household=w.household_a1,
        start=date(2025, 1, 1),
    )
    client = client_for(w.user_leader_a)
    for group in ("officer", "grid", "village", "township", "county", "unit"):
        page = client.get(
            reverse("outreach:coverage"), {"group": group, "as_of": "2025-06-30"}
        ).content.decode()
        assert "0.0%" in page, group
    assert (
        w.officer_a1.name in client.get(reverse("outreach:coverage"), {"group": "officer"}).content.decode()
    )


def test_leader_assigns_liaisons_and_officers_may_not(world, client_for):
    w = world
    data = {
        "officer": w.officer_a2.staff_number,
        "kind": "household",
        "target": w.town_a2.code,
        "whole_area": "on",
        "start": "2025-01-01",
    }
    client_for(w.user_officer_a1).post(reverse("outreach:liaisons"), data)
    assert Liaison.objects.count() == 0
    response = client_for(w.user_leader_a).post(reverse("outreach:liaisons"), data)
    assert response.status_code == 302 and Liaison.objects.filter(officer=w.officer_a2).count() == 1


def test_event_calendar_and_detail(world, client_for):
    w = world
    start = timezone.localtime().replace(hour=9, minute=0)
    event = event_create(
        actor=w.admin,
        data=EventInput(
            kind="law_to_door",
            title="送法进校园",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            region=w.village_a1,
            officers=[w.officer_a1],
        ),
    )
    client = client_for(w.user_officer_a1)
    assert "送法进校园" in client.get(reverse("outreach:events")).content.decode()
    assert "送法进校园" in client.get(reverse("outreach:day")).content.decode()
    assert client.get(reverse("outreach:event", args=[event.pk])).status_code == 200
    assert client_for(w.user_officer_b).get(reverse("outreach:event", args=[event.pk])).status_code == 404


def test_notice_board_is_public_only_once_published(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = world
    url = reverse("outreach:board", args=[w.officer_a1.pk])
    assert client.get(url).status_code == 404
    client.force_login(w.user_officer_a1)
    response = client.post(
        reverse("outreach:board-edit"),
        {
            "public_phone": "0371-2345678",
            "duties": "联系东街村",
            "is_published": "on",
            "photo": SimpleUploadedFile("me.png", PNG),
        },
    )
    assert response.status_code == 302
    board = NoticeBoard.objects.get()
    client.logout()
    page = client.get(url).content.decode()
    assert "0371-2345678" in page and w.officer_a1.name in page
    # The print button works without inline script (the Content Security Policy allows none).
    assert "data-print" in page and "/static/web/print.js" in page and "onclick" not in page
    assert client.get(reverse("outreach:photo", args=[board.photo.token])).status_code == 200


def _more_of_everything(w, n: int) -> None:
    from grassroots.territory.models import CareTag, Household

    tag = CareTag.objects.get(code="elderly_alone")
    for i in range(n):
        household = Household.objects.create(
            number=f"H-P-{n}-{i}",
            region=w.village_a1,
            county=w.county_a,
            grid=w.grid_a1,
            address=f"东街{i}号",
        )
        household.care_tags.add(tag)
        liaison_create(
            actor=w.admin, officer=w.officer_a1, kind="household", household=household, start=date(2025, 1, 1)
        )
        visit = visit_record(
            actor=w.user_officer_a1,
            data=VisitInput(
                household=household, visited_at=timezone.now() - timedelta(days=40), summary="走访", needs="x"
            ),
            raise_request=True,
        )
        begins = timezone.now() - timedelta(hours=i + 1)
        event = event_create(
            actor=w.admin,
            data=EventInput(
                kind="circuit_trial",
                title=f"巡回审判{i}",
                starts_at=begins,
                ends_at=begins,
                region=w.village_a1,
                officers=[w.officer_a1, w.officer_a2],
            ),
        )
        event.requests.add(visit.requests.get())


@pytest.mark.parametrize(
    ("name", "who"),
    [
        ("day", "officer"),
        ("visits", "officer"),
        ("liaisons", "leader"),
        ("attention", "leader"),
        ("coverage", "leader"),
        ("events", "leader"),
        ("event-report", "leader"),
        ("rules", "leader"),
    ],
)
def test_list_pages_pin_their_query_counts(
    world, rules, client_for, django_assert_max_num_queries, name, who
):
    w = world
    client = client_for(w.user_officer_a1 if who == "officer" else w.user_leader_a)
    url = reverse(f"outreach:{name}")
    _more_of_everything(w, 2)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _more_of_everything(w, 8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
    assert len(few.captured_queries) <= 30


def test_cards_boards_and_visits_of_another_county_are_not_found(world, client_for):
    w = world
    client = client_for(w.user_officer_b)
    assert client.get(reverse("outreach:card", args=[w.officer_a1.pk])).status_code == 404
    assert client.get(reverse("outreach:board", args=[w.officer_a1.pk])).status_code == 404
    visit = visit_record(
        actor=w.user_officer_a1,
        data=VisitInput(household=w.household_a1, visited_at=timezone.now(), summary="走访"),
    )
    assert client.get(reverse("outreach:visit", args=[visit.pk])).status_code == 404
    assert visit.pk not in [
        v.pk for v in client.get(reverse("outreach:visits"), {"officer": ""}).context["page"]
    ]
    page = client_for(w.user_officer_a1).get(reverse("outreach:visits")).content.decode()
    assert w.household_a1.number in page


def test_handover_and_rule_pages(world, rules, client_for):
    w = world
    liaison_create(
        actor=w.admin,
        officer=w.officer_a1,
        kind="household",
        household=w.household_a1,
        start=date(2025, 1, 1),
    )
    leader = client_for(w.user_leader_a)
    response = leader.post(
        reverse("outreach:liaison-handover"),
        {"from_officer": "A001", "to_officer": "A002", "on": "2025-06-01", "reason": "轮岗"},
    )
    assert response.status_code == 302
    assert Liaison.objects.get(officer=w.officer_a2).start == date(2025, 6, 1)
    assert Liaison.objects.get(officer=w.officer_a1).end == date(2025, 5, 31)
    history = leader.get(reverse("outreach:liaisons"), {"history": "1"}).content.decode()
    assert "2025-05-31" in history and "轮岗" in history
    data = {
        "name": "兰考每周",
        "applies_to": "household",
        "interval_days": "7",
        "county": "410225",
        "is_active": "on",
    }
    assert client_for(w.user_officer_a1).get(reverse("outreach:rule-new")).status_code == 403
    leader = client_for(w.user_leader_a)  # one test client: log the leader back in
    response = leader.post(reverse("outreach:rule-new"), data)
    assert response.status_code == 302
    rule = VisitRule.objects.get(name="兰考每周")
    response = leader.post(
        reverse("outreach:rule-edit", args=[rule.pk]), {**data, "interval_days": "10", "version": "1"}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.interval_days, rule.version) == (10, 2)
    stale = leader.post(
        reverse("outreach:rule-edit", args=[rule.pk]), {**data, "interval_days": "12", "version": "1"}
    )
    assert stale.status_code == 200 and VisitRule.objects.get(pk=rule.pk).interval_days == 10
    response = leader.post(reverse("outreach:rule-new"), {**data, "name": "到处", "county": ""})
    assert response.status_code == 200 and not VisitRule.objects.filter(name="到处").exists()


def test_coverage_export_page(world, rules, client_for):
    from openpyxl import load_workbook

    w = world
    liaison_create(
        actor=w.admin,
        officer=w.officer_a1,
        kind="household",
        household=w.household_a1,
        start=date(2025, 1, 1),
    )
    response = client_for(w.user_leader_a).get(reverse("outreach:coverage-export"), {"as_of": "2025-06-30"})
    assert response.status_code == 200 and "coverage-2025-06-30.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    officers = list(book[book.sheetnames[1]].iter_rows(values_only=True))
    assert officers[1][:6] == (w.officer_a1.name, w.officer_a1.pk, 1, 0, 1, 0)
    assert client_for(w.user_hr).get(reverse("outreach:coverage-export")).status_code == 403


def test_event_form_schedules_at_an_organisation(world, client_for):
    w = world
    client = client_for(w.user_officer_a1)
    starts = (timezone.localtime() + timedelta(days=2)).replace(second=0, microsecond=0)
    data = {
        "kind": "law_to_door",
        "title": "送法进校园",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "region": w.village_a1.code,
        "organization": w.org_a1.name,
        "officers": "A001",
        "topics": "校园安全",
    }
    response = client.post(reverse("outreach:event-new"), data)
    from grassroots.outreach.models import OutreachEvent

    event = OutreachEvent.objects.get()
    assert response.status_code == 302 and (event.organization, event.region) == (w.org_a1, w.village_a1)
    response = client.post(reverse("outreach:event-new"), {**data, "organization": w.org_b1.name})
    assert response.status_code == 200 and "organization" in response.context["form"].errors
    assert OutreachEvent.objects.count() == 1
