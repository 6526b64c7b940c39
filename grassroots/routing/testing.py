"""Test helpers for routing: a small category tree with responsible units, requests, a quick model."""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command

from grassroots.casework.models import Category, Request
from grassroots.casework.services import IntakeInput, request_intake

# Three first-level categories, two with a second level; texts phrased from each one's own vocabulary.
TEXTS = {
    "0101": [
        ("小区物业不管事", "电梯坏了一个月物业不修"),
        ("物业费乱收", "小区物业乱收停车费"),
        ("物业不清理垃圾", "楼道垃圾堆积物业不管"),
        ("小区电梯故障", "物业公司拖着不修电梯"),
        ("物业服务差", "小区保安和保洁都不到位"),
        ("property management", "the estate management ignores the broken lift"),
    ],
    "0201": [
        ("老板拖欠工资", "工地老板拖欠工资三个月"),
        ("欠薪不还", "公司欠薪半年不给"),
        ("讨要工资", "包工头拖欠农民工工资"),
        ("工资被克扣", "工厂克扣加班工资"),
        ("年底欠薪", "老板跑路拖欠工资"),
        ("unpaid wages", "my employer owes three months of wages"),
    ],
    "03": [
        ("公交车改线", "公交线路调整不方便"),
        ("出租车拒载", "出租车司机拒载乘客"),
        ("公交站太远", "希望增设公交站点"),
        ("货车超载", "大货车超载压坏路面"),
        ("客运班车少", "乡镇客运班车太少"),
        ("bus route", "the bus route no longer stops at our village"),
    ],
}


def make_categories(world: Any) -> dict[str, Category]:
    def node(code: str, name: str, parent: Category | None = None, unit: Any = None) -> Category:
        return Category.objects.create(
            code=code,
            name=name,
            parent=parent,
            path=f"{parent.path if parent else ''}{code}/",
            default_unit=unit,
        )

    c = {}
    c["01"] = node("01", "城乡建设", unit=world.tribunal_a1)
    c["0101"] = node("0101", "物业管理", c["01"])
    c["02"] = node("02", "劳动和社会保障", unit=world.tribunal_a2)
    c["0201"] = node("0201", "欠薪", c["02"])
    c["03"] = node("03", "交通运输")
    return c


def register(world: Any, title: str, body: str, *, category: Category | None = None, **extra: Any) -> Request:
    values: dict[str, Any] = {
        "channel": "window",
        "kind": "complaint",
        "title": title,
        "description": body,
        "region": world.village_a1,
        "reporter_name": "刘大爷",
        "category": category,
    }
    values.update(extra)
    request, _ = request_intake(actor=world.user_officer_a1, data=IntakeInput(**values))
    return request


def register_history(
    world: Any, categories: dict[str, Category], texts: dict[str, list] = TEXTS
) -> list[Request]:
    return [
        register(world, title, body, category=categories[code])
        for code, pairs in texts.items()
        for title, body in pairs
    ]


def train_from_casework(out: Any, *args: str) -> str:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(
        "train_routing",
        "--source",
        "casework",
        "--no-embeddings",
        "--no-cv",
        "--out",
        str(out),
        *args,
        stdout=stdout,
        stderr=stderr,
    )
    return stdout.getvalue() + stderr.getvalue()
