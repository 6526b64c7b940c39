"""Every page for every role: the designed status codes, scope, and what each role's home shows."""

import pytest
from django.urls import reverse

from grassroots.common.testing import PASSWORD

pytestmark = pytest.mark.django_db

ROLES = ["resident_user", "user_officer_a1", "user_leader_a", "user_hr", "admin"]

# (page, {role: status}) — 403: a page the role never uses; 404: an object outside the role's scope.
EXPECTED = {
    "home": dict.fromkeys(ROLES, 200),
    "household-list": {
        "resident_user": 403,
        "user_officer_a1": 200,
        "user_leader_a": 200,
        "user_hr": 403,
        "admin": 200,
    },
    "household-detail": {
        "resident_user": 200,  # their own household
        "user_officer_a1": 200,
        "user_leader_a": 200,
        "user_hr": 404,
        "admin": 200,
    },
    "officer-list": {
        "resident_user": 403,
        "user_officer_a1": 200,
        "user_leader_a": 200,
        "user_hr": 200,
        "admin": 200,
    },
    "officer-detail": {
        "resident_user": 404,
        "user_officer_a1": 200,
        "user_leader_a": 200,
        "user_hr": 200,
        "admin": 200,
    },
    "audit-verify": {
        "resident_user": 403,
        "user_officer_a1": 403,
        "user_leader_a": 403,
        "user_hr": 403,
        "admin": 200,
    },
}


def page_url(world, name):
    if name == "household-detail":
        return reverse(name, args=[world.household_a1.pk])
    if name == "officer-detail":
        return reverse(name, args=[world.officer_a1.pk])
    return reverse(name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role(world, client_for, name, role):
    response = client_for(getattr(world, role)).get(page_url(world, name))
    assert response.status_code == EXPECTED[name][role]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_anonymous_visitors_are_sent_to_the_login_page(world, client, name):
    response = client.get(page_url(world, name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_with_password_lands_on_home(world, client):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    response = client.post(reverse("login"), {"username": "officer_a1", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_wrong_password_stays_on_the_login_page(world, client):
    response = client.post(reverse("login"), {"username": "officer_a1", "password": "wrong-password"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_logout_is_a_post(world, client_for):
    client = client_for(world.user_officer_a1)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


# Cross-scope: out of scope answers exactly like missing -----------------------------------------------


@pytest.mark.parametrize(
    ("role", "page", "target"),
    [
        ("user_officer_b", "household-detail", "household_a1"),
        ("user_officer_b", "officer-detail", "officer_a1"),
        ("user_officer_a1", "household-detail", "household_b1"),
        ("user_officer_a1", "household-detail", "household_a2"),
        ("user_officer_a1", "officer-detail", "officer_b"),
        ("user_leader_a", "household-detail", "household_b1"),
        ("user_leader_a", "officer-detail", "officer_b"),
        ("user_hr", "household-detail", "household_a1"),
        ("resident_user", "household-detail", "household_a2"),
        ("resident_user", "officer-detail", "officer_a1"),
    ],
)
def test_out_of_scope_detail_is_404_like_missing(world, client_for, role, page, target):
    client = client_for(getattr(world, role))
    out_of_scope = client.get(reverse(page, args=[getattr(world, target).pk]))
    missing = client.get(reverse(page, args=[999999]))
    assert out_of_scope.status_code == missing.status_code == 404


# What each role sees at home -------------------------------------------------------------------------


def test_resident_home_shows_own_household_masked(world, client_for):
    html = client_for(world.resident_user).get(reverse("home")).content.decode()
    assert "东街12号" in html and "刘大爷" in html
    assert world.resident_a1.id_number_masked in html
    assert world.resident_a1.phone_masked in html
    assert "13800138000" not in html
    assert "陈阿姨" not in html  # another household
    assert reverse("household-list") not in html  # no link to a page the role may not use


def test_officer_home_shows_posts_grids_counts_and_care_tags(world, client_for):
    response = client_for(world.user_officer_a1).get(reverse("home"))
    context = response.context
    assert context["territory_totals"]["households"] == 1
    assert context["territory_totals"]["residents"] == 1
    assert {tag.code: n for tag, n in context["care_tag_counts"]}["dibao"] == 1
    html = response.content.decode()
    assert "东街一网格" in html and "城关人民法庭" in html


def test_leader_home_shows_subtree_staffing_and_townships(world, client_for):
    response = client_for(world.user_leader_a).get(reverse("home"))
    context = response.context
    assert {u.code for u in context["units"]} == {"CA", "CA-HR", "CA-T1", "CA-T2"}
    posts = {p.code: p.staffed for p in context["posts"]}
    assert posts["CA-T1-J"] == 1 and posts["CA-T1-W"] == 1
    assert "CB-J" not in posts
    assert context["workforce_totals"]["recruits"] == 1
    assert {t.code: t.households for t in context["townships"]} == {"410225100": 1, "410225101": 1}


def test_hr_home_is_workforce_only(world, client_for):
    response = client_for(world.user_hr).get(reverse("home"))
    html = response.content.decode()
    assert response.context["workforce_totals"]["officers"] == 6
    assert "周书记员" in html  # the recruit
    for personal in ("刘大爷", "H-A1-0001", "东街12号", world.resident_a1.id_number_masked):
        assert personal not in html


def test_admin_home_shows_totals_and_audit_head(world, client_for):
    from grassroots.common.models import AuditHead

    response = client_for(world.admin).get(reverse("home"))
    html = response.content.decode()
    head = AuditHead.objects.get(id=1)
    assert head.last_hash in html
    assert response.context["territory_totals"]["households"] == 3
    assert reverse("admin:index") in html and reverse("api-docs") in html


def test_admin_verifies_the_audit_chain(world, client_for):
    response = client_for(world.admin).post(reverse("audit-verify"))
    assert response.status_code == 200
    assert response.context["result"].ok
    assert response.context["result"].checked > 0


# Detail pages ---------------------------------------------------------------------------------------


def test_household_detail_shows_path_grid_officer_and_masked_residents(world, client_for):
    html = client_for(world.user_officer_a1).get(reverse("household-detail", args=[world.household_a1.pk]))
    html = html.content.decode()
    for text in ("东街12号", "兰考县", "城关镇", "东街村", "东街一网格", "张法官", "刘大爷"):
        assert text in html
    assert world.resident_a1.id_number_masked in html
    assert "13800138000" not in html
    assert reverse("resident-reveal", args=[world.resident_a1.pk]) in html


def test_resident_sees_no_reveal_button(world, client_for):
    html = client_for(world.resident_user).get(reverse("household-detail", args=[world.household_a1.pk]))
    assert reverse("resident-reveal", args=[world.resident_a1.pk]) not in html.content.decode()


def test_officer_detail_shows_posts_history_and_grids(world, client_for):
    response = client_for(world.user_leader_a).get(reverse("officer-detail", args=[world.officer_a1.pk]))
    html = response.content.decode()
    for text in ("张法官", "A001", "城关人民法庭", "法官", "东街一网格", "2020-01-01"):
        assert text in html
    assert len(response.context["officer"].history) == 1


def test_recruit_is_marked(world, client_for):
    response = client_for(world.user_hr).get(reverse("officer-detail", args=[world.recruit_a1.pk]))
    assert response.context["officer"].is_recruit
