"""The casework pages and the public pages: who may open what, what each form does through the services,
and the guards (client token, version, CSRF, rate limits, redaction)."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.signals import setting_changed
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grassroots.casework import escalation
from grassroots.casework.follow_up import follow_up_record
from grassroots.casework.models import ClockAlert, Mediator, Request
from grassroots.casework.public import FEEDBACK_ACTION
from grassroots.casework.public_views import sign_started
from grassroots.casework.services import IntakeInput, request_intake, request_transition
from grassroots.casework.workflow import Action, Status
from grassroots.common.models import AuditEntry

pytestmark = pytest.mark.django_db

ROLES = ["resident_user", "user_officer_a1", "user_leader_a", "user_hr", "admin"]
STAFF_ONLY = {
    "resident_user": 403,
    "user_officer_a1": 200,
    "user_leader_a": 200,
    "user_hr": 403,
    "admin": 200,
}
EXPECTED = {
    "casework:my-requests": STAFF_ONLY,
    "casework:intake": STAFF_ONLY,
    "casework:detail": STAFF_ONLY,
    "casework:receipt": STAFF_ONLY,
    "casework:queue": {**STAFF_ONLY, "user_officer_a1": 403},
}


@pytest.fixture(scope="module", autouse=True)
def compiled_translations(django_db_blocker):
    call_command("compile_translations", verbosity=0)
    setting_changed.send(sender=None, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=True)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_for():
    def make(user, **kwargs):
        client = Client(**kwargs)
        client.force_login(user)
        return client

    return make


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


def assigned(world, **overrides):
    """A request accepted and assigned to tribunal A1 with officer A1 handling it."""
    item = intake(world, **overrides)
    item = request_transition(actor=world.user_officer_a1, request=item, action=Action.ACCEPT)
    return request_transition(
        actor=world.user_leader_a,
        request=item,
        action=Action.ASSIGN,
        data={"lead_unit": world.tribunal_a1, "assignee": world.officer_a1},
    )


def resolved(world, **overrides):
    item = assigned(world, **overrides)
    item = request_transition(actor=world.user_officer_a1, request=item, action=Action.START)
    return request_transition(
        actor=world.user_officer_a1, request=item, action=Action.RESOLVE, data={"outcome": "explained"}
    )


def intake_post(world, **overrides):
    data = {
        "channel": "window",
        "kind": "help",
        "title": "西街下水道堵塞",
        "description": "西街口下水道堵了三天",
        "region": str(world.village_a1.pk),
        "grid": str(world.grid_a1.pk),
        "address": "西街口",
        "reporter_name": "马大姐",
        "reporter_phone": "13600136000",
        "urgency": "normal",
        "risk": "blue",
        "client_token": "token-0001",
    }
    data.update(overrides)
    return data


# Who may open what ------------------------------------------------------------------------------------


def page_url(world, name):
    if name in ("casework:detail", "casework:receipt"):
        return reverse(name, args=[intake(world).pk])
    return reverse(name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_every_casework_page_for_every_role(world, client_for, name, role):
    response = client_for(getattr(world, role)).get(page_url(world, name))
    assert response.status_code == EXPECTED[name][role]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_anonymous_visitors_are_sent_to_the_login_page(world, client, name):
    response = client.get(page_url(world, name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_public_pages_need_no_login(world, client):
    item = intake(world)
    assert client.get(reverse("public:submit")).status_code == 200
    assert client.get(reverse("public:track-lookup")).status_code == 200
    assert client.get(reverse("public:track", args=[item.tracking_code])).status_code == 200
    lookup = client.get(reverse("public:track-lookup"), {"code": item.tracking_code.lower()})
    assert lookup.status_code == 302 and lookup["Location"].endswith(f"/{item.tracking_code}/")


@pytest.mark.parametrize(
    "name", ["casework:detail", "casework:receipt", "casework:act", "casework:follow-up"]
)
def test_out_of_scope_request_is_404_like_missing(world, client_for, name):
    item = intake(world)
    client = client_for(world.user_officer_b)
    method = client.get if name in ("casework:detail", "casework:receipt") else client.post
    out_of_scope = method(reverse(name, args=[item.pk]), {"action": "accept", "version": 1})
    missing = method(reverse(name, args=[999999]), {"action": "accept", "version": 1})
    assert out_of_scope.status_code == missing.status_code == 404
    item.refresh_from_db()
    assert item.status == Status.REGISTERED


def test_nav_offers_casework_to_staff_only(world, client_for):
    officer_home = client_for(world.user_officer_a1).get(reverse("home")).content.decode()
    assert reverse("casework:intake") in officer_home
    assert reverse("casework:queue") not in officer_home
    assert reverse("casework:queue") in client_for(world.user_leader_a).get(reverse("home")).content.decode()
    assert reverse("casework:intake") not in client_for(world.user_hr).get(reverse("home")).content.decode()


# Intake -----------------------------------------------------------------------------------------------


def test_intake_form_offers_the_county_places_and_a_fresh_token(world, client_for):
    client = client_for(world.user_officer_a1)
    first = client.get(reverse("casework:intake"))
    second = client.get(reverse("casework:intake"))
    page = first.content.decode()
    assert world.village_a1.name in page and world.village_a2.name in page
    assert world.village_b1.name not in page
    assert "autofocus" in page and 'accesskey="s"' in page
    assert first.context["form"]["client_token"].value() != second.context["form"]["client_token"].value()


def test_intake_registers_once_and_prints_a_receipt(world, client_for):
    client = client_for(world.user_officer_a1)
    response = client.post(reverse("casework:intake"), intake_post(world))
    assert response.status_code == 302
    item = Request.objects.get()
    assert response["Location"] == reverse("casework:receipt", args=[item.pk])
    assert item.channel == "window" and item.grid == world.grid_a1 and item.reporter_phone_masked
    # The same form sent again (a double click, a retry): the same request, no second one.
    again = client.post(reverse("casework:intake"), intake_post(world))
    assert again["Location"] == response["Location"]
    assert Request.objects.count() == 1
    receipt = client.get(response["Location"]).content.decode()
    assert item.tracking_code in receipt
    assert reverse("public:track", args=[item.tracking_code]) in receipt
    assert timezone.localtime(item.due_at).strftime("%Y-%m-%d %H:%M") in receipt
    assert "13600136000" not in receipt


def test_reused_token_with_other_content_asks_again(world, client_for):
    client = client_for(world.user_officer_a1)
    client.post(reverse("casework:intake"), intake_post(world))
    response = client.post(reverse("casework:intake"), intake_post(world, title="另一件事"))
    assert response.status_code == 200
    assert Request.objects.count() == 1
    assert response.context["form"]["client_token"].value() != "token-0001"


def test_intake_shows_the_service_field_errors(world, client_for):
    client = client_for(world.user_officer_a1)
    response = client.post(
        reverse("casework:intake"), intake_post(world, reporter_name="", reporter_phone="", kind="dispute")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reporter_name"]
    assert not Request.objects.exists()


def test_intake_outside_the_county_is_refused(world, client_for):
    client = client_for(world.user_officer_a1)
    response = client.post(reverse("casework:intake"), intake_post(world, region=str(world.village_b1.pk)))
    assert response.status_code == 200 and response.context["form"].errors["region"]
    assert not Request.objects.exists()


def test_duplicates_fragment_shows_a_matching_request_with_reasons(world, client_for):
    earlier = intake(world)
    client = client_for(world.user_officer_a1)
    response = client.post(
        reverse("casework:intake-duplicates"),
        {
            "title": "东街路灯不亮",
            "description": "路灯坏了",
            "region": world.village_a1.pk,
            "reporter_resident": world.resident_a1.pk,
        },
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert earlier.tracking_code in page
    assert f'name="link_matter" value="{earlier.pk}"' in page
    assert "same reporter" in page or "同一反映人" in page
    nothing = client.post(
        reverse("casework:intake-duplicates"), {"title": "完全无关的事项", "region": world.village_a2.pk}
    )
    assert earlier.tracking_code not in nothing.content.decode()


def test_linking_at_intake_joins_the_matter(world, client_for):
    earlier = intake(world)
    client = client_for(world.user_officer_a1)
    response = client.post(reverse("casework:intake"), intake_post(world, link_matter=str(earlier.pk)))
    assert response.status_code == 302
    new = Request.objects.exclude(pk=earlier.pk).get()
    assert new.matter_id == earlier.pk
    assert new.events.filter(action="link").exists()


def test_resident_type_ahead_finds_residents_in_scope_only(world, client_for):
    client = client_for(world.user_officer_a1)
    found = client.get(reverse("casework:intake-residents"), {"reporter_search": "刘"}).content.decode()
    assert world.resident_a1.name in found and "13800138000" not in found
    elsewhere = client.get(reverse("casework:intake-residents"), {"reporter_search": "吴"}).content.decode()
    assert world.resident_b1.name not in elsewhere


def test_grid_options_follow_the_place(world, client_for):
    client = client_for(world.user_officer_a1)
    options = client.get(reverse("casework:intake-grids"), {"region": world.village_a1.pk}).content.decode()
    assert world.grid_a1.name in options and world.grid_a2.name not in options


# A request's page and its actions -------------------------------------------------------------------


def test_detail_shows_the_request_with_masked_contacts_and_timeline(world, client_for):
    item = intake(world, reporter_resident=None, reporter_name="马大姐", reporter_phone="13600136000")
    page = client_for(world.user_officer_a1).get(reverse("casework:detail", args=[item.pk])).content.decode()
    assert item.title in page and item.tracking_code in page
    assert "13600136000" not in page and item.reporter_phone_masked in page
    assert 'name="action" value="accept"' in page
    assert f'name="version" value="{item.version}"' in page


def test_action_form_changes_the_status(world, client_for):
    item = intake(world)
    client = client_for(world.user_officer_a1)
    response = client.post(
        reverse("casework:act", args=[item.pk]), {"action": "accept", "version": item.version}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Status.ACCEPTED


def test_stale_version_shows_the_conflict_and_changes_nothing(world, client_for):
    item = intake(world)
    client = client_for(world.user_officer_a1)
    shown = item.version
    request_transition(actor=world.user_recruit_a1, request=item, action=Action.ACCEPT)
    response = client.post(
        reverse("casework:act", args=[item.pk]),
        {"action": "redirect", "version": shown, "reason": "转110"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    item.refresh_from_db()
    assert item.status == Status.ACCEPTED
    messages = [str(m) for m in response.context["messages"]]
    assert any("changed by someone else" in m or "已被他人修改" in m for m in messages)


def test_service_refusal_is_shown(world, client_for):
    item = intake(world)
    client = client_for(world.user_officer_a1)
    response = client.post(
        reverse("casework:act", args=[item.pk]), {"action": "reject", "version": item.version}, follow=True
    )
    item.refresh_from_db()
    assert item.status == Status.REGISTERED
    assert any("reason" in str(m) for m in response.context["messages"])


def test_leader_assigns_from_the_queue(world, client_for):
    item = request_transition(actor=world.user_officer_a1, request=intake(world), action=Action.ACCEPT)
    client = client_for(world.user_leader_a)
    page = client.get(reverse("casework:queue")).content.decode()
    assert item.tracking_code in page
    response = client.post(
        reverse("casework:act", args=[item.pk]),
        {
            "action": "assign",
            "version": item.version,
            "lead_unit": world.tribunal_a1.pk,
            "assignee": world.officer_a1.pk,
            "next": reverse("casework:queue"),
        },
    )
    assert response["Location"] == reverse("casework:queue")
    item.refresh_from_db()
    assert item.status == Status.ASSIGNED and item.assignee == world.officer_a1


def test_leader_acknowledges_an_escalation(world, client_for):
    item = assigned(world)
    Request.objects.filter(pk=item.pk).update(due_at=timezone.now() - timedelta(hours=2))
    escalation.clock_tick()
    alert = ClockAlert.objects.filter(kind="escalation").first()
    client = client_for(world.user_leader_a)
    assert item.tracking_code in client.get(reverse("casework:queue")).content.decode()
    client.post(reverse("casework:alert-acknowledge", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.user_leader_a


def test_follow_up_form_closes_a_satisfied_matter(world, client_for):
    item = resolved(world)
    client = client_for(world.user_recruit_a1)
    page = client.get(reverse("casework:detail", args=[item.pk])).content.decode()
    assert reverse("casework:follow-up", args=[item.pk]) in page
    client.post(
        reverse("casework:follow-up", args=[item.pk]),
        {"version": item.version, "reached": "yes", "satisfaction": "satisfied", "mode": "phone"},
    )
    item.refresh_from_db()
    assert item.status == Status.CLOSED


def test_dispute_party_session_and_agreement_document(world, client_for):
    item = assigned(world, kind="dispute", title="宅基地边界纠纷", description="两户因宅基地边界争执")
    item = request_transition(actor=world.user_officer_a1, request=item, action=Action.START)
    mediator = Mediator.objects.create(kind="officer", name="张法官", officer=world.officer_a1)
    client = client_for(world.user_officer_a1)
    for role, name in (("applicant", "刘大爷"), ("respondent", "赵某")):
        client.post(
            reverse("casework:party-add", args=[item.pk]),
            {"version": item.version, "role": role, "name": name, "phone": "13500135000"},
        )
    assert item.parties.count() == 2
    client.post(
        reverse("casework:session-record", args=[item.pk]),
        {
            "version": item.version,
            "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "place": "城关法庭调解室",
            "mediators": [mediator.pk],
            "parties_present": list(item.parties.values_list("pk", flat=True)),
            "outcome": "agreement",
        },
    )
    assert item.mediation_sessions.count() == 1
    response = client.post(
        reverse("casework:agreement-sign", args=[item.pk]),
        {
            "version": item.version,
            "facts": "边界争议",
            "terms": "以原界石为界",
            "signed_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Status.RESOLVED and item.outcome == "agreement"
    page = client.get(reverse("casework:detail", args=[item.pk])).content.decode()
    assert "13500135000" not in page
    document = client.get(reverse("casework:agreement-document", args=[item.pk]))
    assert document.status_code == 200 and "13500135000" in document.content.decode()
    assert AuditEntry.objects.filter(action="dispute.agreement_document", object_id=str(item.pk)).exists()


def test_invalid_agreement_shows_the_form_again_with_reasons(world, client_for):
    item = assigned(world, kind="dispute", title="宅基地边界纠纷", description="两户因宅基地边界争执")
    item = request_transition(actor=world.user_officer_a1, request=item, action=Action.START)
    client = client_for(world.user_officer_a1)
    response = client.post(
        reverse("casework:agreement-sign", args=[item.pk]),
        {"version": item.version, "facts": "边界争议", "terms": "以原界石为界", "signed_on": "2020-01-01"},
    )
    assert response.status_code == 400
    assert response.context["agreement_form"].non_field_errors()
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS


# Query counts ---------------------------------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_my_requests_query_count_does_not_grow_with_rows(world, client_for, django_assert_num_queries):
    client = client_for(world.user_officer_a1)
    assigned(world)
    one = _queries(client, reverse("casework:my-requests"))
    for n in range(5):
        assigned(world, title=f"第{n}件事", client_token=f"t{n}")
    assert _queries(client, reverse("casework:my-requests")) == one
    with django_assert_num_queries(one):
        client.get(reverse("casework:my-requests") + "?kind=help")
    page = client.get(reverse("casework:my-requests")).content.decode()
    assert "deadline--on_time" in page or "deadline--due_soon" in page


def test_queue_query_count_does_not_grow_with_rows(world, client_for):
    client = client_for(world.user_leader_a)
    request_transition(actor=world.user_officer_a1, request=intake(world), action=Action.ACCEPT)
    one = _queries(client, reverse("casework:queue"))
    for n in range(5):
        item = intake(world, title=f"第{n}件事", client_token=f"q{n}")
        request_transition(actor=world.user_officer_a1, request=item, action=Action.ACCEPT)
    assert _queries(client, reverse("casework:queue")) == one


def test_deadline_colours(world, client_for):
    overdue = assigned(world)
    Request.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(hours=1))
    page = client_for(world.user_officer_a1).get(reverse("casework:my-requests")).content.decode()
    assert "deadline--overdue" in page


# Public pages ---------------------------------------------------------------------------------------


def public_post(world, **overrides):
    data = {
        "kind": "help",
        "title": "小区门口积水",
        "description": "下雨后小区门口积水很深",
        "region": str(world.village_a2.pk),
        "reporter_name": "路人甲",
        "reporter_phone": "13300133000",
        "website": "",
        "started": sign_started(time.time() - 30),
        "client_token": "public-0001",
    }
    data.update(overrides)
    return data


def test_public_submit_registers_a_web_request(world, client):
    response = client.post(reverse("public:submit"), public_post(world))
    item = Request.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("public:track", args=[item.tracking_code]))
    assert item.channel == "web" and item.created_by is None
    client.post(reverse("public:submit"), public_post(world))
    assert Request.objects.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert item.tracking_code in page


def test_public_submit_may_be_anonymous(world, client):
    client.post(
        reverse("public:submit"), public_post(world, reporter_name="", reporter_phone="", is_anonymous="on")
    )
    assert Request.objects.get().is_anonymous


def test_public_submit_rejects_bots(world, client):
    honeypot = client.post(reverse("public:submit"), public_post(world, website="http://spam.example"))
    too_fast = client.post(
        reverse("public:submit"), public_post(world, started=sign_started(), client_token="public-0002")
    )
    forged = client.post(
        reverse("public:submit"), public_post(world, started="123", client_token="public-0003")
    )
    assert honeypot.status_code == too_fast.status_code == forged.status_code == 400
    assert not Request.objects.exists()


def test_public_submit_is_rate_limited_per_address(world, client, settings):
    settings.PUBLIC_SUBMIT_LIMIT = (2, 3600)
    codes = [
        client.post(
            reverse("public:submit"), public_post(world, client_token=f"p{n}", title=f"事项{n}")
        ).status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 429]
    assert Request.objects.count() == 2
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post(reverse("public:submit"), public_post(world, client_token="p9")).status_code == 302


def test_track_misses_are_rate_limited(world, client, settings):
    settings.PUBLIC_TRACK_MISS_LIMIT = (2, 600)
    codes = [client.get(reverse("public:track", args=[f"NOPE{n}"])).status_code for n in range(3)]
    assert codes == [404, 404, 429]


def test_track_page_redacts_confidential_matters(world, client):
    item = intake(
        world,
        kind="dispute",
        title="刘家与陈家宅基地纠纷",
        description="刘大爷与陈阿姨因东街12号院墙争执",
        address="东街12号",
        is_confidential=True,
    )
    page = client.get(reverse("public:track", args=[item.tracking_code])).content.decode()
    for secret in ("刘家", "刘大爷", "陈阿姨", "东街12号", world.village_a1.name):
        assert secret not in page
    assert item.tracking_code in page


def test_track_page_of_an_open_matter_shows_its_summary(world, client):
    item = intake(world)
    page = client.get(reverse("public:track", args=[item.tracking_code])).content.decode()
    assert item.title in page and item.description not in page and world.resident_a1.name not in page


def test_public_feedback_is_passed_to_the_follow_up(world, client, client_for):
    item = resolved(world)
    page = client.get(reverse("public:track", args=[item.tracking_code])).content.decode()
    assert reverse("public:feedback", args=[item.tracking_code]) in page
    client.post(
        reverse("public:feedback", args=[item.tracking_code]),
        {"satisfaction": "dissatisfied", "comment": "路灯还是不亮"},
    )
    item.refresh_from_db()
    assert item.status == Status.RESOLVED  # advice only: the follow-up call decides
    assert AuditEntry.objects.filter(action=FEEDBACK_ACTION, object_id=str(item.pk)).count() == 1
    # Once per visitor.
    client.post(reverse("public:feedback", args=[item.tracking_code]), {"satisfaction": "satisfied"})
    assert AuditEntry.objects.filter(action=FEEDBACK_ACTION).count() == 1
    detail = (
        client_for(world.user_recruit_a1).get(reverse("casework:detail", args=[item.pk])).content.decode()
    )
    assert "路灯还是不亮" in detail
    follow_up_record(actor=world.user_recruit_a1, request=item, reached=True, satisfaction="satisfied")
    item.refresh_from_db()
    assert item.status == Status.CLOSED


def test_feedback_is_refused_while_the_matter_is_open(world, client):
    item = intake(world)
    client.post(reverse("public:feedback", args=[item.tracking_code]), {"satisfaction": "satisfied"})
    assert not AuditEntry.objects.filter(action=FEEDBACK_ACTION).exists()


def test_csrf_is_enforced(world, client_for):
    public = Client(enforce_csrf_checks=True)
    assert public.post(reverse("public:submit"), public_post(world)).status_code == 403
    item = intake(world)
    staff = client_for(world.user_officer_a1, enforce_csrf_checks=True)
    assert (
        staff.post(reverse("casework:act", args=[item.pk]), {"action": "accept", "version": 1}).status_code
        == 403
    )
    assert staff.post(reverse("casework:intake"), intake_post(world)).status_code == 403
    item.refresh_from_db()
    assert item.status == Status.REGISTERED and Request.objects.count() == 1


# Language ---------------------------------------------------------------------------------------------


def test_pages_speak_chinese_by_default_and_english_on_request(world, client_for):
    client = client_for(world.user_officer_a1)
    chinese = client.get(reverse("casework:intake")).content.decode()
    assert "登记诉求" in chinese and "Possibly the same matter" not in chinese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("casework:intake")).content.decode()
    assert "Possibly the same matter" in english
