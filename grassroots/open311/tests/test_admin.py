"""Issuing and revoking keys and publishing services in the admin."""

from __future__ import annotations

import re

import pytest

from grassroots.common.models import AuditEntry
from grassroots.open311.models import ApiKey, Service
from grassroots.open311.services import api_key_authenticate

pytestmark = pytest.mark.django_db


def test_issue_shows_the_key_once_and_revoke(client, o311):
    w = o311.world
    client.force_login(w.admin)
    response = client.post(
        "/admin/open311/apikey/add/",
        {"name": "市民热线", "owner": w.leader_a.user.pk, "region": w.county_a.pk},
        follow=True,
    )
    assert response.status_code == 200
    shown = re.search(r"o311_[0-9a-f]{8}_[A-Za-z0-9_\-]+", response.content.decode())
    assert shown, "the plain key is shown after issuing"
    key = ApiKey.objects.get(name="市民热线")
    assert api_key_authenticate(shown.group(0)) == key
    page = client.get(f"/admin/open311/apikey/{key.pk}/change/").content.decode()
    assert shown.group(0) not in page and key.prefix in page
    client.post("/admin/open311/apikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True)
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert api_key_authenticate(shown.group(0)) is None
    assert (
        AuditEntry.objects.filter(
            action__in=["open311.key_issue", "open311.key_revoke"], object_id=str(key.pk)
        ).count()
        == 2
    )


def test_key_area_must_be_a_county_or_below(client, o311):
    client.force_login(o311.world.admin)
    response = client.post(
        "/admin/open311/apikey/add/",
        {"name": "省级", "owner": o311.world.admin.pk, "region": o311.world.province.pk},
    )
    assert response.status_code == 200 and not ApiKey.objects.filter(name="省级").exists()


def test_key_owner_must_serve_in_the_area(client, o311):
    client.force_login(o311.world.admin)
    response = client.post(
        "/admin/open311/apikey/add/",
        {"name": "错配", "owner": o311.world.officer_b.user.pk, "region": o311.world.county_a.pk},
    )
    assert response.status_code == 200
    assert "serving in this area" in response.content.decode() or "在该区域任职" in response.content.decode()
    assert not ApiKey.objects.filter(name="错配").exists()


def test_publishing_a_service_with_attributes_sets_metadata(client, o311):
    client.force_login(o311.world.admin)
    prefix = "attributes"
    data = {
        "category": o311.other.pk,
        "service_code": "NEW",
        "name": "",
        "description": "",
        "group": "g",
        "keywords": "",
        "kind": "help",
        "type": "realtime",
        "notice": "",
        "is_active": "on",
        "order": "3",
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-order": "1",
        f"{prefix}-0-code": "SIZE",
        f"{prefix}-0-datatype": "singlevaluelist",
        f"{prefix}-0-required": "on",
        f"{prefix}-0-variable": "on",
        f"{prefix}-0-description": "大小",
        f"{prefix}-0-datatype_description": "",
        f"{prefix}-0-values": '[{"key": "s", "name": "小"}]',
    }
    response = client.post("/admin/open311/service/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    service = Service.objects.get(service_code="NEW")
    assert service.metadata is True and service.attributes.count() == 1
    bad = dict(data, service_code="BAD", **{f"{prefix}-0-values": "[]"})
    assert client.post("/admin/open311/service/add/", bad).status_code == 200
    assert not Service.objects.filter(service_code="BAD").exists()
