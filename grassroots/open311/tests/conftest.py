"""Fixtures for the Open311 tests: a published category with services of every attribute datatype, an
API key acting as a unit leader, and the independent checks (the published JSON Schemas, the Swagger
description and the spec's XML structure) read from ../shared/data/open311 at run time."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from grassroots.casework.models import Category


def shared_open311_dir() -> Path:
    configured = os.environ.get("GRASSROOTS_SHARED_DATA")
    base = Path(configured) if configured else Path(settings.BASE_DIR).parent / "shared" / "data"
    return base / "open311"


@functools.cache
def _loaded_contract():
    from .contract import Contract

    folder = shared_open311_dir()
    return Contract(folder) if (folder / "request.json").is_file() else None


@pytest.fixture
def contract():
    loaded = _loaded_contract()
    if loaded is None:
        pytest.skip(f"Open311 schemas not found at {shared_open311_dir()} (../shared/data is absent)")
    return loaded


class ContractClient(Client):
    """The test client, with every answer under /open311/ checked against the contract as it arrives:
    the published JSON Schemas, the Swagger description, the spec's XML structure and error list."""

    def __init__(self, contract, **defaults):
        super().__init__(**defaults)
        self.contract = contract
        self.checked = 0

    def request(self, **request):
        response = super().request(**request)
        path = request.get("PATH_INFO", "")
        if self.contract is not None and path.startswith("/open311/"):
            self.contract.check_response(
                request.get("REQUEST_METHOD", "GET"),
                path,
                response.status_code,
                response.get("Content-Type", ""),
                response.content,
            )
            self.checked += 1
        return response


@pytest.fixture
def client():
    """Replaces pytest-django's ``client`` in these tests (without ../shared/data nothing is checked, and
    the tests that need the contract themselves skip, saying so)."""
    return ContractClient(_loaded_contract())


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def o311(world):
    from grassroots.open311.models import Attribute, Service
    from grassroots.open311.services import api_key_issue

    streets = Category.objects.create(code="O311", name="市容环境", path="O311/", default_unit=world.court_a)
    lights = Category.objects.create(
        code="O311-L", name="路灯损坏", parent=streets, path="O311/O311-L/", default_unit=world.court_a
    )
    other = Category.objects.create(code="O311-X", name="未发布", path="O311-X/")
    lamp = Service.objects.create(
        category=lights, service_code="LAMP", group="市容", keywords="路灯,照明", kind="help", order=1
    )
    specs = [
        ("POLE", "string", True, []),
        ("COUNT", "number", False, []),
        ("SEEN", "datetime", False, []),
        ("NOTE", "text", False, []),
        (
            "KIND",
            "singlevaluelist",
            True,
            [{"key": "dark", "name": "不亮"}, {"key": "flicker", "name": "闪烁"}],
        ),
        ("WHEN", "multivaluelist", False, [{"key": "night", "name": "夜间"}, {"key": "day", "name": "白天"}]),
    ]
    for order, (code, datatype, required, values) in enumerate(specs, start=1):
        Attribute.objects.create(
            service=lamp, code=code, datatype=datatype, required=required, order=order, values=values
        )
    Service.objects.filter(pk=lamp.pk).update(metadata=True)
    batch = Service.objects.create(
        category=streets, service_code="LITTER", name="乱扔垃圾", type="batch", kind="complaint", order=2
    )
    key, plain = api_key_issue(
        actor=world.admin, name="城管热线", owner=world.leader_a.user, region=world.county_a
    )
    return SimpleNamespace(
        world=world, lamp=lamp, batch=batch, streets=streets, lights=lights, other=other, key=key, plain=plain
    )


def lamp_post(o311, **extra):
    data = {
        "api_key": o311.plain,
        "service_code": "LAMP",
        "lat": "34.822",
        "long": "114.821",
        "address_string": "兰考县城关镇东街村东街12号",
        "description": "路灯不亮已经三天\n晚上很危险",
        "first_name": "三",
        "last_name": "张",
        "phone": "13800138000",
        "email": "zhang@example.cn",
        "media_url": "https://example.cn/photo/1.jpg",
        "attribute[POLE]": "LK-0042",
        "attribute[KIND]": "dark",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def as_json(response):
    return json.loads(response.content.decode("utf-8"))
