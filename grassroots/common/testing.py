"""A small, fully-linked world for tests: two counties, every role, cross-scope objects on both sides."""

from __future__ import annotations

import importlib
import re
from datetime import date
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver

from grassroots.casework.models import DisputeType
from grassroots.common.models import Role
from grassroots.common.protected import id_number_check_digit
from grassroots.territory.models import CareTag, Grid, RegionLevel
from grassroots.territory.services import (
    HouseholdInput,
    ResidentInput,
    household_create,
    organization_create,
    region_create,
    resident_create,
)
from grassroots.workforce.services import assignment_create, officer_create, post_create, unit_create

PASSWORD = "correct-horse-battery-9"  # noqa: S105 - test accounts only


def make_id_number(region6: str, birth: str, seq: int) -> str:
    first17 = f"{region6}{birth}{seq:03d}"
    return first17 + id_number_check_digit(first17)


def build_world() -> SimpleNamespace:
    user_model = get_user_model()
    admin = user_model.objects.create_user(
        "admin", password=PASSWORD, role=Role.ADMIN, is_staff=True, is_superuser=True
    )
    w = SimpleNamespace(admin=admin)
    r = lambda code, name, level, parent=None: region_create(  # noqa: E731
        actor=admin, code=code, name=name, level=level, parent=parent
    )
    w.province = r("410000", "河南省", RegionLevel.PROVINCE)
    w.prefecture = r("410200", "开封市", RegionLevel.PREFECTURE, w.province)
    w.county_a = r("410225", "兰考县", RegionLevel.COUNTY, w.prefecture)
    w.county_b = r("410221", "杞县", RegionLevel.COUNTY, w.prefecture)
    w.town_a1 = r("410225100", "城关镇", RegionLevel.TOWNSHIP, w.county_a)
    w.town_a2 = r("410225101", "堌阳镇", RegionLevel.TOWNSHIP, w.county_a)
    w.town_b1 = r("410221100", "城关镇", RegionLevel.TOWNSHIP, w.county_b)
    w.village_a1 = r("410225100001", "东街村", RegionLevel.VILLAGE, w.town_a1)
    w.village_a2 = r("410225101001", "西村", RegionLevel.VILLAGE, w.town_a2)
    w.village_b1 = r("410221100001", "南村", RegionLevel.VILLAGE, w.town_b1)

    w.court_a = unit_create(actor=admin, code="CA", name="兰考县人民法院", kind="court", region=w.county_a)
    w.hr_dept = unit_create(
        actor=admin,
        code="CA-HR",
        name="政治部",
        kind="political_department",
        parent=w.court_a,
        region=w.county_a,
    )
    w.tribunal_a1 = unit_create(
        actor=admin, code="CA-T1", name="城关人民法庭", kind="tribunal", parent=w.court_a, region=w.town_a1
    )
    w.tribunal_a2 = unit_create(
        actor=admin, code="CA-T2", name="堌阳人民法庭", kind="tribunal", parent=w.court_a, region=w.town_a2
    )
    w.court_b = unit_create(actor=admin, code="CB", name="杞县人民法院", kind="court", region=w.county_b)

    w.post_president = post_create(actor=admin, unit=w.court_a, code="CA-P", name="院长", is_leadership=True)
    w.post_hr = post_create(actor=admin, unit=w.hr_dept, code="CA-HR-1", name="干部科", max_staff=3)
    w.post_judge_a1 = post_create(
        actor=admin,
        unit=w.tribunal_a1,
        code="CA-T1-J",
        name="法官",
        is_front_line=True,
        difficulty_weight=1.3,
        max_staff=4,
    )
    w.post_window_a1 = post_create(
        actor=admin, unit=w.tribunal_a1, code="CA-T1-W", name="立案窗口", is_front_line=True, max_staff=2
    )
    w.post_judge_a2 = post_create(
        actor=admin, unit=w.tribunal_a2, code="CA-T2-J", name="法官", is_front_line=True, max_staff=4
    )
    w.post_judge_b = post_create(actor=admin, unit=w.court_b, code="CB-J", name="法官", max_staff=10)

    def officer(key: str, number: str, name: str, role: str, post, hired: date):
        o = officer_create(
            actor=admin,
            staff_number=number,
            name=name,
            hire_date=hired,
            username=key,
            password=PASSWORD,
            role=role,
        )
        assignment_create(actor=admin, officer=o, post=post, start=max(hired, date(2020, 1, 1)))
        return o

    w.officer_a1 = officer("officer_a1", "A001", "张法官", Role.OFFICER, w.post_judge_a1, date(2015, 3, 1))
    w.officer_a2 = officer("officer_a2", "A002", "李法官", Role.OFFICER, w.post_judge_a2, date(2012, 7, 1))
    w.leader_a = officer("leader_a", "A000", "王院长", Role.LEADER, w.post_president, date(2005, 9, 1))
    w.hr = officer("hr", "A100", "赵科长", Role.HR, w.post_hr, date(2010, 1, 1))
    w.officer_b = officer("officer_b", "B001", "孙法官", Role.OFFICER, w.post_judge_b, date(2016, 1, 1))
    w.recruit_a1 = officer("recruit_a1", "A003", "周书记员", Role.OFFICER, w.post_window_a1, date.today())

    w.grid_a1 = Grid.objects.create(
        code="410225100001-01",
        name="东街一网格",
        region=w.village_a1,
        county=w.county_a,
        officer=w.officer_a1,
    )
    w.grid_a2 = Grid.objects.create(
        code="410225101001-01", name="西村一网格", region=w.village_a2, county=w.county_a
    )
    w.grid_b1 = Grid.objects.create(
        code="410221100001-01", name="南村一网格", region=w.village_b1, county=w.county_b
    )
    # Transactional tests flush the rows the data migration seeded: put the default care tags back.
    care_tags = importlib.import_module("grassroots.territory.migrations.0003_default_care_tags").CARE_TAGS
    for order, (code, name, name_en) in enumerate(care_tags):
        CareTag.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sort_order": order}
        )
    dispute_types = importlib.import_module("grassroots.casework.migrations.0007_default_dispute_types")
    for order, (code, name, name_en) in enumerate(dispute_types.DISPUTE_TYPES):
        DisputeType.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sort_order": order}
        )
    dibao = CareTag.objects.get(code="dibao")
    w.household_a1 = household_create(
        actor=admin,
        data=HouseholdInput(
            number="H-A1-0001", region=w.village_a1, grid=w.grid_a1, address="东街12号", care_tags=(dibao,)
        ),
    )
    w.household_a2 = household_create(
        actor=admin,
        data=HouseholdInput(number="H-A2-0001", region=w.village_a2, grid=w.grid_a2, address="西村3组5号"),
    )
    w.household_b1 = household_create(
        actor=admin,
        data=HouseholdInput(number="H-B1-0001", region=w.village_b1, grid=w.grid_b1, address="南村8号"),
    )
    w.resident_a1 = resident_create(
        actor=admin,
        household=w.household_a1,
        data=ResidentInput(
            name="刘大爷",
            id_number=make_id_number("410225", "19500101", 11),
            phone="13800138000",
            relationship="head",
        ),
    )
    w.resident_a2 = resident_create(
        actor=admin,
        household=w.household_a2,
        data=ResidentInput(
            name="陈阿姨",
            id_number=make_id_number("410225", "19620515", 22),
            phone="13900139000",
            relationship="head",
        ),
    )
    w.resident_b1 = resident_create(
        actor=admin,
        household=w.household_b1,
        data=ResidentInput(
            name="吴先生",
            id_number=make_id_number("410221", "19801231", 33),
            phone="13700137000",
            relationship="head",
        ),
    )
    w.org_a1 = organization_create(actor=admin, name="城关镇中心小学", kind="school", region=w.village_a1)
    w.org_b1 = organization_create(
        actor=admin, name="杞县南村村委会", kind="village_committee", region=w.village_b1
    )

    w.resident_user = user_model.objects.create_user("resident", password=PASSWORD, role=Role.RESIDENT)
    w.resident_a1.user = w.resident_user
    w.resident_a1.save(update_fields=["user"])
    for key in ("officer_a1", "officer_a2", "leader_a", "hr", "officer_b", "recruit_a1"):
        setattr(w, f"user_{key}", getattr(w, key).user)
    return w


# Pages whose GET answers a file or starts work rather than showing a page.
NOT_PAGES = re.compile(r"(export|\.xlsx|\.csv|\.pdf|\.ics|download|logout|/print|schema|i18n|open311|/api/)")


def page_paths() -> list[str]:
    """Every page of the site that takes no argument in its path (the admin and the API left aside)."""
    found: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route.startswith(("admin/", "api/")) and route != "api/docs/":
                    continue
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern) and "<" not in route and not route.startswith("^"):
                path = "/" + prefix + route
                if path == "/api/docs/" or not NOT_PAGES.search(path):
                    found.append(path)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))
