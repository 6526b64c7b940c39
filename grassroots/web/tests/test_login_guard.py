"""Sign-in throttling: failures counted per account and per address on the shared counters."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from grassroots.casework.models import ThrottleCounter
from grassroots.common.testing import PASSWORD

pytestmark = pytest.mark.django_db


def attempt(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@override_settings(LOGIN_FAILURE_LIMITS=(3, 100, 900))
def test_an_account_is_locked_after_its_failures_even_with_the_right_password(world):
    client = Client()
    assert [attempt(client, "officer_a1", "wrong-password").status_code for _ in range(3)] == [200] * 3
    locked = attempt(client, "OFFICER_A1 ", PASSWORD)  # the same account, however it is typed
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert locked.context["locked_message"] in locked.content.decode()
    assert not locked.wsgi_request.user.is_authenticated
    # another account from the same address is not locked by them
    assert attempt(client, "leader_a", PASSWORD).status_code == 302


@override_settings(LOGIN_FAILURE_LIMITS=(100, 4, 900))
def test_an_address_is_locked_after_failures_on_many_accounts(world):
    client = Client(REMOTE_ADDR="198.51.100.9")
    for name in ("a", "b", "c", "d"):
        assert attempt(client, f"nobody-{name}", "x").status_code == 200
    assert attempt(client, "officer_a1", PASSWORD).status_code == 429
    other = Client(REMOTE_ADDR="198.51.100.10")
    assert attempt(other, "officer_a1", PASSWORD).status_code == 302


@override_settings(LOGIN_FAILURE_LIMITS=(3, 100, 900))
def test_successful_sign_ins_are_not_counted_and_nothing_personal_is_stored(world):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(5):
        assert attempt(client, "officer_a1", PASSWORD).status_code == 302
        client.logout()
    attempt(client, "officer_a1", "wrong-password")
    keys = list(ThrottleCounter.objects.values_list("key", flat=True))
    assert len(keys) == 2
    assert not any("officer_a1" in key or "203.0.113.7" in key for key in keys)
