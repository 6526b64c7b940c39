"""My requests: what an officer works on, filtered by deadline colour, status, kind, channel and code or
title, soonest deadline first; and the judicial confirmation form of a dispute's agreement."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.casework import mediation, selectors
from grassroots.casework.models import Mediator, Request
from grassroots.casework.services import IntakeInput, request_intake, request_transition
from grassroots.casework.workflow import Action, Status

pytestmark = pytest.mark.django_db


def assigned(world, **overrides):
    values = {
        "channel": "window",
        "kind": "help",
        "title": "东街路灯不亮",
        "description": "东街12号门口路灯坏了一个月",
        "region": world.village_a1,
        "reporter_resident": world.resident_a1,
    }
    values.update(overrides)
    item, _ = request_intake(actor=world.user_officer_a1, data=IntakeInput(**values))
    item = request_transition(actor=world.user_officer_a1, request=item, action=Action.ACCEPT)
    return request_transition(
        actor=world.user_leader_a,
        request=item,
        action=Action.ASSIGN,
        data={"lead_unit": world.tribunal_a1, "assignee": world.officer_a1},
    )


def login(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def four(world):
    now = timezone.now()
    overdue = assigned(world, title="逾期的事", client_token="1")
    soon = assigned(world, title="快到期的事", client_token="2", channel="hotline")
    later = assigned(world, title="不急的事", client_token="3", kind="consultation")
    paused = assigned(world, title="中止的事", client_token="4")
    paused = request_transition(actor=world.user_officer_a1, request=paused, action=Action.START)
    request_transition(actor=world.user_officer_a1, request=paused, action=Action.PAUSE, reason="等待鉴定")
    Request.objects.filter(pk=overdue.pk).update(due_at=now - timedelta(hours=2))
    Request.objects.filter(pk=soon.pk).update(due_at=now + timedelta(hours=3))
    Request.objects.filter(pk=later.pk).update(due_at=now + timedelta(days=4))
    return {"overdue": overdue, "due_soon": soon, "on_time": later, "paused": paused}


def codes(client, **params):
    page = client.get(reverse("casework:my-requests"), params)
    assert page.status_code == 200
    return [row["item"].tracking_code for row in page.context["rows"]]


@pytest.mark.parametrize("state", ["overdue", "due_soon", "on_time", "paused"])
def test_deadline_filter_matches_the_colour(world, four, state):
    client = login(world.user_officer_a1)
    assert codes(client, deadline=state) == [four[state].tracking_code]
    assert selectors.deadline_state(Request.objects.get(pk=four[state].pk)) == state


def test_other_filters_and_the_order(world, four):
    client = login(world.user_officer_a1)
    everything = codes(client)
    assert everything[:3] == [four[s].tracking_code for s in ("overdue", "due_soon", "on_time")]
    assert codes(client, channel="hotline") == [four["due_soon"].tracking_code]
    assert codes(client, kind="consultation") == [four["on_time"].tracking_code]
    assert codes(client, q="快到期") == [four["due_soon"].tracking_code]
    assert codes(client, q=four["paused"].tracking_code.lower()) == [four["paused"].tracking_code]
    assert codes(client, status="in_progress") == [four["paused"].tracking_code]
    assert codes(client, deadline="bogus") == everything  # an unknown choice is ignored, not an error
    # Out of scope: officer B of the other county has none of them.
    assert codes(login(world.user_officer_b)) == []


def test_filtered_list_query_count_does_not_grow(world, four, django_assert_max_num_queries):
    client = login(world.user_officer_a1)
    url = reverse("casework:my-requests")
    with django_assert_max_num_queries(12) as first:
        client.get(url, {"deadline": "on_time", "channel": "window"})
    for n in range(4):
        item = assigned(world, title=f"第{n}件", client_token=f"n{n}")
        Request.objects.filter(pk=item.pk).update(due_at=timezone.now() + timedelta(days=3))
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert len(codes(client, deadline="on_time", channel="window")) == 5


@pytest.fixture
def agreed(world):
    item = assigned(world, kind="dispute", title="宅基地纠纷", description="两户院墙边界")
    item = request_transition(actor=world.user_officer_a1, request=item, action=Action.START)
    applicant = mediation.party_add(actor=world.user_officer_a1, request=item, role="applicant", name="刘某")
    mediation.party_add(actor=world.user_officer_a1, request=item, role="respondent", name="陈某")
    mediator = Mediator.objects.create(kind="volunteer", name="王调解员")
    mediation.mediation_session_record(
        actor=world.user_officer_a1,
        request=item,
        at=timezone.now(),
        place="村委会",
        mediators=[mediator],
        parties_present=[applicant],
        outcome="agreement",
    )
    mediation.agreement_sign(
        actor=world.user_officer_a1,
        request=item,
        facts="院墙边界",
        terms="按原界",
        signed_on=timezone.localdate(),
    )
    return Request.objects.get(pk=item.pk)


def test_judicial_confirmation_from_the_page(world, agreed):
    client = login(world.user_officer_a1)
    url = reverse("casework:agreement-confirm", args=[agreed.pk])
    detail = client.get(reverse("casework:detail", args=[agreed.pk])).content.decode()
    assert url in detail
    assert client.post(url, {"version": agreed.version, "confirmation": "applied"}).status_code == 302
    agreed.agreement.refresh_from_db()
    assert agreed.agreement.confirmation == "applied"
    missing = client.post(url, {"version": agreed.version, "confirmation": "confirmed"})
    assert missing.status_code == 400
    assert missing.context["confirmation_form"].errors["case_number"]
    client.post(
        url, {"version": agreed.version, "confirmation": "confirmed", "case_number": "(2025)豫0225民特1号"}
    )
    agreed.agreement.refresh_from_db()
    assert (agreed.agreement.confirmation, agreed.agreement.confirmation_case_number) == (
        "confirmed",
        "(2025)豫0225民特1号",
    )
    assert agreed.status == Status.RESOLVED
    assert login(world.user_officer_b).post(url, {"version": 1, "confirmation": "applied"}).status_code == 404
