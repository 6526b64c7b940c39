"""The mediation API and the public tracking API: scoped like the request (404 outside), redacted for
confidential matters, rate-limited for guessing codes."""

import pytest
from django.utils import timezone

from grassroots.casework.models import Mediator, Request
from grassroots.casework.services import IntakeInput, request_intake, request_transition
from grassroots.casework.workflow import Action, Status

pytestmark = pytest.mark.django_db


def dispute(world, **overrides):
    values = {
        "channel": "window",
        "kind": "dispute",
        "title": "刘家与陈家宅基地纠纷",
        "description": "刘大爷与陈阿姨因东街12号院墙争执",
        "region": world.village_a1,
        "reporter_resident": world.resident_a1,
        "address": "东街12号",
    }
    values.update(overrides)
    item, _ = request_intake(actor=world.user_officer_a1, data=IntakeInput(**values))
    item = request_transition(actor=world.user_officer_a1, request=item, action=Action.ACCEPT)
    item = request_transition(
        actor=world.user_leader_a, request=item, action=Action.ASSIGN, data={"lead_unit": world.tribunal_a1}
    )
    return request_transition(actor=world.user_officer_a1, request=item, action=Action.START)


def test_parties_sessions_agreement_and_confirmation(world, api):
    item = dispute(world)
    client = api(world.user_officer_a1)
    base = f"/api/requests/{item.pk}"
    applicant = client.post(
        f"{base}/parties/", {"role": "applicant", "name": "刘某", "phone": "13800138000"}, format="json"
    )
    assert applicant.status_code == 201 and applicant.json()["phone"] == "138****8000"
    client.post(f"{base}/parties/", {"role": "respondent", "name": "陈某"}, format="json")
    assert [p["role"] for p in client.get(f"{base}/parties/").json()] == ["applicant", "respondent"]
    mediator = Mediator.objects.create(kind="volunteer", name="王调解员", region=world.county_a)
    elsewhere = Mediator.objects.create(kind="volunteer", name="外县调解员", region=world.county_b)
    assert [m["name"] for m in client.get("/api/mediators/").json()["results"]] == ["王调解员"]
    session = {
        "at": timezone.now().isoformat(),
        "place": "村委会",
        "mediators": [elsewhere.pk],
        "parties_present": [applicant.json()["id"]],
        "outcome": "agreement",
    }
    refused = client.post(f"{base}/mediation-sessions/", session, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["fields"][0]["field"] == "mediators"
    session["mediators"] = [mediator.pk]
    assert client.post(f"{base}/mediation-sessions/", session, format="json").status_code == 201
    assert len(client.get(f"{base}/mediation-sessions/").json()) == 1
    signed = client.post(
        f"{base}/agreement/",
        {"facts": "院墙边界", "terms": "按原界", "signed_on": timezone.localdate().isoformat()},
        format="json",
    )
    assert signed.status_code == 201 and signed.json()["confirmation"] == "none"
    assert Request.objects.get(pk=item.pk).status == Status.RESOLVED
    confirm = f"{base}/agreement/confirmation/"
    assert (
        client.post(confirm, {"confirmation": "applied"}, format="json").json()["confirmation"] == "applied"
    )
    no_number = client.post(confirm, {"confirmation": "confirmed"}, format="json")
    assert no_number.status_code == 400 and no_number.json()["error"]["fields"][0]["field"] == "case_number"
    backwards = client.post(confirm, {"confirmation": "applied"}, format="json")
    assert backwards.status_code == 409
    done = client.post(
        confirm, {"confirmation": "confirmed", "case_number": "(2025)豫0225民特1号"}, format="json"
    )
    assert done.json()["confirmation_case_number"] == "(2025)豫0225民特1号"


def test_dispute_endpoints_are_scoped(world, api):
    item = dispute(world)
    outsider = api(world.user_officer_b)
    for path in ("parties", "mediation-sessions", "agreement"):
        assert outsider.get(f"/api/requests/{item.pk}/{path}/").status_code == 404
    assert (
        outsider.post(f"/api/requests/{item.pk}/parties/", {"role": "applicant", "name": "x"}).status_code
        == 404
    )
    assert api().get(f"/api/requests/{item.pk}/parties/").status_code == 401
    assert api(world.user_hr).get(f"/api/requests/{item.pk}/parties/").status_code == 404
    assert outsider.get("/api/mediators/").json()["results"] == []


def test_litigation_diversion(world, api):
    item = dispute(world)
    client = api(world.user_officer_a1)
    answer = client.post(
        f"/api/requests/{item.pk}/litigation/",
        {"court": world.court_a.code, "case_number": "(2025)豫0225民初9号", "reason": "调解不成"},
        format="json",
    )
    assert answer.status_code == 201 and answer.json()["court"] == world.court_a.code
    item.refresh_from_db()
    assert (item.status, item.outcome) == (Status.RESOLVED, "litigation")


def test_public_tracking_redacts_confidential_matters(world, api):
    secret = dispute(world, is_confidential=True)
    plain = dispute(world, is_confidential=False, title="东街路灯不亮", client_token="p")
    anonymous = api()
    hidden = anonymous.get(f"/api/public/track/{secret.tracking_code.lower()}/")
    assert hidden.status_code == 200
    body = hidden.json()
    assert body["redacted"] and body["summary"] is None and body["place"] is None
    for word in ("刘", "陈", "东街", world.village_a1.name):
        assert word not in hidden.content.decode()
    shown = anonymous.get(f"/api/public/track/{plain.tracking_code}/").json()
    assert shown["summary"] == "东街路灯不亮" and shown["status"] == "in_progress"
    assert shown["expected_by"] is not None


def test_public_tracking_limits_guesses_and_takes_feedback(world, api, settings):
    settings.PUBLIC_TRACK_MISS_LIMIT = (2, 600)
    anonymous = api()
    codes = [anonymous.get(f"/api/public/track/NOPE{n}/").status_code for n in range(3)]
    assert codes == [404, 404, 429]
    item = dispute(world)
    open_feedback = anonymous.post(
        f"/api/public/track/{item.tracking_code}/feedback/", {"satisfaction": "satisfied"}, format="json"
    )
    assert open_feedback.status_code == 409  # not resolved yet
    item = request_transition(
        actor=world.user_officer_a1, request=item, action=Action.RESOLVE, data={"outcome": "explained"}
    )
    given = anonymous.post(
        f"/api/public/track/{item.tracking_code}/feedback/",
        {"satisfaction": "dissatisfied", "comment": "还在吵"},
        format="json",
    )
    assert given.status_code == 201
    assert Request.objects.get(pk=item.pk).status == Status.RESOLVED  # advice only; the follow-up decides
    bad = anonymous.post(
        f"/api/public/track/{item.tracking_code}/feedback/", {"satisfaction": "meh"}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "satisfaction"
