"""zh-Hans by default, English after switching; the switch is on every page."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_render_chinese_by_default(world, client_for):
    client = client_for(world.user_officer_a1)
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="zh-hans">' in html
    for text in ("首页", "户籍", "干警", "退出登录", "我的岗位"):
        assert text in html
    assert "Log out" not in html
    listing = client.get(reverse("household-list")).content.decode()
    assert "低保" in listing and "筛选" in listing


def test_switching_to_english(world, client_for):
    client = client_for(world.user_officer_a1)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("household-list")})
    assert response.status_code == 302
    assert response["Location"] == reverse("household-list")
    html = client.get(reverse("household-list")).content.decode()
    assert '<html lang="en">' in html
    assert "Households" in html and "Log out" in html
    assert "Minimum living allowance" in html  # the care tag's English name
    assert "退出登录" not in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "退出登录" in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("name", ["home", "household-list", "officer-list", "audit-verify"])
def test_language_switch_on_every_page(world, client_for, name):
    response = client_for(world.admin).get(reverse(name))
    assert reverse("set_language") in response.content.decode()


def test_language_switch_on_the_login_page(client):
    assert reverse("set_language") in client.get(reverse("login")).content.decode()


def test_model_labels_are_translated(world, client_for):
    html = client_for(world.user_leader_a).get(reverse("home")).content.decode()
    assert "人民法庭" in html  # UnitKind.TRIBUNAL
    html = (
        client_for(world.user_officer_a1)
        .get(reverse("household-detail", args=[world.household_a1.pk]))
        .content.decode()
    )
    assert "户主" in html  # Relationship.HEAD


@pytest.mark.django_db
def test_an_english_browser_still_gets_the_deployment_language_until_switching(client, settings):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "zh-hans"
    settings.LANGUAGE_FROM_BROWSER = True
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "en"
    settings.LANGUAGE_FROM_BROWSER = False
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert client.get("/login/").headers["Content-Language"] == "en"
