"""Showing a resident's full details: audited, once, only for roles that may, and CSRF-protected."""

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.common.models import AuditEntry

pytestmark = pytest.mark.django_db


def reveals():
    return AuditEntry.objects.filter(action="resident.reveal")


def test_officer_reveal_writes_the_audit_entry_and_shows_the_values_once(world, client_for):
    client = client_for(world.user_officer_a1)
    url = reverse("resident-reveal", args=[world.resident_a1.pk])
    response = client.post(url, {"reason": "走访核实身份"})
    assert response.status_code == 200
    html = response.content.decode()
    assert world.resident_a1.id_number_masked not in html
    assert "13800138000" in html
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    entry = reveals().get()
    assert entry.object_id == str(world.resident_a1.pk)
    assert entry.reason == "走访核实身份"
    assert entry.actor_label == "officer_a1"
    # The household page itself stays masked afterwards.
    page = client.get(reverse("household-detail", args=[world.household_a1.pk])).content.decode()
    assert "13800138000" not in page


def test_htmx_reveal_answers_only_the_table_row(world, client_for):
    client = client_for(world.user_leader_a)
    response = client.post(
        reverse("resident-reveal", args=[world.resident_a2.pk]), {"reason": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith(f'<tr id="resident-{world.resident_a2.pk}"')
    assert "13900139000" in html
    assert "<html" not in html
    assert reveals().count() == 1


def test_reveal_needs_post(world, client_for):
    response = client_for(world.admin).get(reverse("resident-reveal", args=[world.resident_a1.pk]))
    assert response.status_code == 405
    assert not reveals().exists()


@pytest.mark.parametrize(
    ("role", "target", "status"),
    [
        ("user_hr", "resident_a1", 404),  # HR sees no resident at all
        ("resident_user", "resident_a1", 403),  # their own household, but residents may not reveal
        ("resident_user", "resident_a2", 404),
        ("user_officer_b", "resident_a1", 404),  # another county
        ("user_officer_a1", "resident_b1", 404),
    ],
)
def test_who_may_not_reveal(world, client_for, role, target, status):
    response = client_for(getattr(world, role)).post(
        reverse("resident-reveal", args=[getattr(world, target).pk]), {"reason": "x"}
    )
    assert response.status_code == status
    assert not reveals().exists()


def test_reveal_enforces_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user_officer_a1)
    url = reverse("resident-reveal", args=[world.resident_a1.pk])
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert not reveals().exists()
    client.get(reverse("household-detail", args=[world.household_a1.pk]))
    token = client.cookies["csrftoken"].value
    assert client.post(url, {"reason": "x", "csrfmiddlewaretoken": token}).status_code == 200
    assert reveals().count() == 1


def test_logout_enforces_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user_officer_a1)
    assert client.post(reverse("logout")).status_code == 403
    assert client.get(reverse("home")).status_code == 200  # still logged in
    token = client.cookies["csrftoken"].value
    assert client.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_audit_verify_enforces_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    assert client.post(reverse("audit-verify")).status_code == 403
