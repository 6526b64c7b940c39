"""The public rate limit lives in the database, so every server process counts against the same limit."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.casework import throttle
from grassroots.casework.models import Request, ThrottleCounter

pytestmark = pytest.mark.django_db


def test_count_attempt_counts_atomically_per_key():
    ends = timezone.now() + timedelta(minutes=1)
    assert [throttle.count_attempt("a", ends) for _ in range(3)] == [1, 2, 3]
    assert throttle.count_attempt("b", ends) == 1
    assert ThrottleCounter.objects.get(key="a").count == 3


def test_the_limit_outlives_the_process_cache(world, settings):
    """What a second server process would see: nothing is kept in the (per-process) cache."""
    settings.PUBLIC_TRACK_MISS_LIMIT = (2, 600)
    client = Client(REMOTE_ADDR="203.0.113.7")
    codes = []
    for n in range(3):
        cache.clear()
        codes.append(client.get(reverse("public:track", args=[f"NOPE{n}"])).status_code)
    assert codes == [404, 404, 429]
    assert ThrottleCounter.objects.get().count == 3
    # The address is stored only as a keyed hash.
    assert "203.0.113.7" not in ThrottleCounter.objects.get().key


def test_throttled_page_says_when_to_retry(world, settings):
    settings.PUBLIC_TRACK_MISS_LIMIT = (0, 600)
    response = Client().get(reverse("public:track", args=["NOPE"]))
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 601


def test_anonymous_api_intake_is_limited_per_address(world, settings):
    settings.PUBLIC_API_INTAKE_LIMIT = (2, 60)
    body = {
        "channel": "web",
        "kind": "complaint",
        "title": "夜间施工噪音",
        "description": "工地每晚十二点后还在施工",
        "region": world.village_a1.code,
        "is_anonymous": True,
    }
    client = Client(REMOTE_ADDR="198.51.100.4")
    codes = []
    for n in range(3):
        cache.clear()
        response = client.post(
            "/api/requests/", json.dumps({**body, "client_token": f"t{n}"}), content_type="application/json"
        )
        codes.append(response.status_code)
    assert codes == [201, 201, 429]
    assert response.json()["error"]["code"] == "throttled" and "Retry-After" in response
    assert Request.objects.count() == 2
    other = Client(REMOTE_ADDR="198.51.100.5").post(
        "/api/requests/", json.dumps({**body, "client_token": "t9"}), content_type="application/json"
    )
    assert other.status_code == 201


def test_signed_in_callers_are_not_limited_by_the_public_limit(world, settings, api):
    settings.PUBLIC_API_INTAKE_LIMIT = (0, 60)
    body = {
        "channel": "window",
        "kind": "help",
        "title": "路灯不亮",
        "description": "东街路灯坏了",
        "region": world.village_a1.code,
        "reporter_name": "刘大爷",
    }
    assert api(world.user_officer_a1).post("/api/requests/", body, format="json").status_code == 201


def test_expired_counters_are_purged():
    now = timezone.now()
    throttle.count_attempt("old", now - timedelta(minutes=5))
    throttle.count_attempt("current", now + timedelta(minutes=5))
    assert throttle.throttle_purge(now=now) == 1
    assert list(ThrottleCounter.objects.values_list("key", flat=True)) == ["current"]
