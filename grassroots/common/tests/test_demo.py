"""The demo generator at a tiny scale: deterministic, valid, protected, consistent, idempotent."""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections import Counter, defaultdict
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F

from grassroots.common.demo import (
    DEMO_PASSWORDS,
    SCALES,
    DemoContext,
    DemoStep,
    build_plan,
    demo_generate,
    demo_state,
    discover_modules,
    discover_steps,
    split_total,
)
from grassroots.common.models import AuditEntry, Role
from grassroots.common.protected import decrypt, id_number_birth_date, id_number_gender, id_number_problem
from grassroots.common.scoping import actor_for
from grassroots.territory.models import Grid, Household, Organization, Region, RegionLevel, Resident
from grassroots.territory.services import credit_code_valid
from grassroots.workforce.models import Assignment, Officer, Post, Unit

AS_OF = date(2025, 6, 30)


def generate(seed: int = 3, households: int = 800, **options) -> str:
    out = io.StringIO()
    call_command(
        "demo",
        scale="tiny",
        seed=seed,
        households=households,
        as_of=AS_OF,
        no_progress=True,
        stdout=out,
        **options,
    )
    return out.getvalue()


def checksum() -> str:
    """A digest of every generated value that must not change between runs (no ids, no ciphertexts)."""
    digest = hashlib.sha256()

    def feed(rows) -> None:
        for row in sorted(json.dumps(list(r), default=str, ensure_ascii=False) for r in rows):
            digest.update(row.encode())

    feed(Region.objects.values_list("code", "name", "level", "path", "is_urban"))
    feed(Grid.objects.values_list("code", "name", "region__code", "officer__staff_number"))
    tags = defaultdict(list)
    for number, code in Household.care_tags.through.objects.values_list("household__number", "caretag__code"):
        tags[number].append(code)
    feed(
        (*row, sorted(tags[row[0]]))
        for row in Household.objects.values_list("number", "address", "latitude", "longitude", "grid__code")
    )
    feed(
        (
            number,
            name,
            gender,
            birth,
            rel,
            decrypt(id_enc),
            decrypt(phone_enc),
            id_hash,
            id_masked,
            phone_masked,
        )
        for number, name, gender, birth, rel, id_enc, phone_enc, id_hash, id_masked, phone_masked in (
            Resident.objects.values_list(
                "household__number",
                "name",
                "gender",
                "birth_date",
                "relationship",
                "id_number_encrypted",
                "phone_encrypted",
                "id_number_hash",
                "id_number_masked",
                "phone_masked",
            )
        )
    )
    feed(
        Organization.objects.values_list(
            "name", "kind", "region__code", "credit_code", "address", "contact_name"
        )
    )
    feed(Unit.objects.values_list("code", "name", "kind", "path", "region__code"))
    feed(
        Post.objects.values_list(
            "code", "name", "is_front_line", "is_leadership", "difficulty_weight", "min_staff", "max_staff"
        )
    )
    feed(
        Officer.objects.values_list(
            "staff_number", "name", "gender", "birth_date", "hire_date", "title", "skills", "user__username"
        )
    )
    feed(
        Assignment.objects.values_list("officer__staff_number", "post__code", "start", "end", "kind", "note")
    )
    feed(get_user_model().objects.values_list("username", "role", "is_superuser"))
    return digest.hexdigest()


def test_plan_splits_households_and_officers_over_real_counties():
    county = build_plan(scale="county", seed=1)
    assert [c.division.name for c in county.counties] == ["兰考县"]
    assert len(county.counties[0].townships) == 16
    assert [a.name for a in county.ancestors] == ["河南省", "开封市"]
    city = build_plan(scale="city", seed=1)
    assert len(city.counties) == 9
    assert sum(c.households for c in city.counties) == SCALES["city"].households
    assert sum(c.officers for c in city.counties) >= SCALES["city"].officers
    assert build_plan(scale="city", seed=1).counties[3].households == city.counties[3].households
    province = build_plan(scale="province", seed=1, anchor="410225")
    assert province.ancestors[0].name == "河南省" and len(province.counties) > 100
    assert split_total(10, [1, 1, 1]) == [4, 3, 3]


def test_steps_are_discovered_in_installed_apps_order():
    names = [step.name for step in discover_steps()]
    assert (
        names.index("territory.regions")
        < names.index("territory.households")
        < names.index("workforce.units")
    )
    # Casework and outreach give the demo logins work of their own, so they come after the logins.
    assert (
        names.index("workforce.logins") < names.index("casework.requests") < names.index("outreach.outreach")
    )
    assert {m.app_label for m in discover_modules()} >= {"territory", "workforce"}


@pytest.mark.django_db
def test_same_seed_gives_same_data_and_rerun_is_idempotent():
    first_output = generate(seed=3)
    assert "demo-resident" in first_output
    first = checksum()
    audit_count = AuditEntry.objects.count()

    again = generate(seed=3)
    assert "already loaded" in again
    assert AuditEntry.objects.count() == audit_count  # nothing written
    assert checksum() == first

    generate(seed=3, reset=True)
    assert checksum() == first

    generate(seed=4, reset=True)
    assert checksum() != first


@pytest.mark.django_db
def test_a_different_demo_needs_reset():
    generate(seed=3)
    with pytest.raises(CommandError, match="--reset"):
        generate(seed=5)


@pytest.mark.django_db
def test_an_unfinished_demo_is_removed_before_generating_again():
    plan = build_plan(scale="tiny", seed=3, households=200, as_of=AS_OF)

    def fail(ctx: DemoContext) -> dict[str, int]:
        raise RuntimeError("interrupted")

    steps = discover_steps()
    with pytest.raises(RuntimeError):
        demo_generate(DemoContext(plan, progress_enabled=False), [*steps[:2], DemoStep("x", "x", fail)])
    assert demo_state().loaded and demo_state().complete is None
    assert Household.objects.count() == 200
    output = generate(seed=3, households=200)
    assert "unfinished" in output
    assert Household.objects.count() == 200
    assert demo_state().complete is not None


@pytest.mark.django_db
def test_generated_data_is_valid_and_consistent(client):
    generate(seed=11, households=3000)
    county = Region.objects.get(code="410225")
    assert county.level == RegionLevel.COUNTY and county.path == "410000/410200/410225/"
    for region in Region.objects.filter(level__gte=RegionLevel.TOWNSHIP).select_related("parent"):
        assert region.path == f"{region.parent.path}{region.code}/"
    villages = Region.objects.filter(level=RegionLevel.VILLAGE)
    assert all(
        len(v.code) == 12 and v.code.startswith(v.parent.code) for v in villages.select_related("parent")
    )
    assert not villages.annotate(n=Count("grids")).filter(n=0).exists()

    _check_residents(county)
    _check_households()

    # Organisations: valid credit codes, one committee per village / community.
    assert all(credit_code_valid(code) for code in Organization.objects.values_list("credit_code", flat=True))
    committees = Counter(
        Organization.objects.filter(kind="village_committee").values_list("region_id", flat=True)
    )
    assert set(committees) == set(villages.values_list("id", flat=True)) and set(committees.values()) == {1}

    _check_workforce()
    _check_logins(client)


def _check_residents(county: Region) -> None:
    rows = list(
        Resident.objects.values_list(
            "id_number_encrypted",
            "id_number_hash",
            "id_number_masked",
            "phone_encrypted",
            "phone_masked",
            "gender",
            "birth_date",
        )
    )
    assert 2.6 < len(rows) / Household.objects.count() < 3.2
    numbers = []
    for id_enc, id_hash, id_masked, phone_enc, phone_masked, gender, birth in rows:
        number = decrypt(id_enc)
        assert number != id_enc and id_number_problem(number) is None
        assert number.startswith(county.code)
        assert id_number_birth_date(number) == birth and id_number_gender(number) == gender
        assert id_masked == number[:4] + "*" * 10 + number[-4:] and len(id_hash) == 64
        if phone_enc:
            phone = decrypt(phone_enc)
            assert (
                len(phone) == 11 and phone.startswith("1") and phone_masked == phone[:3] + "****" + phone[-4:]
            )
        numbers.append(number)
    assert len(set(numbers)) == len(numbers)
    heads = Resident.objects.filter(relationship="head").values("household_id").annotate(n=Count("id"))
    assert heads.count() == Household.objects.count() and {h["n"] for h in heads} == {1}


def _check_households() -> None:
    total = Household.objects.count()
    members = defaultdict(list)
    for household_id, birth in Resident.objects.values_list("household_id", "birth_date"):
        members[household_id].append((AS_OF - birth).days // 365)
    sizes = Counter(len(m) for m in members.values())
    assert min(sizes) >= 1 and max(sizes) <= 6
    tagged = defaultdict(set)
    for household_id, code in Household.care_tags.through.objects.values_list(
        "household_id", "caretag__code"
    ):
        tagged[code].add(household_id)
    expected = {
        "dibao": 0.04,
        "tekun": 0.005,
        "elderly_alone": 0.05,
        "left_behind_child": 0.03,
        "disabled": 0.02,
        "key_attention": 0.01,
        "veteran": 0.03,
    }
    for code, share in expected.items():
        tolerance = 4 * math.sqrt(share * (1 - share) / total) + 0.005
        assert abs(len(tagged[code]) / total - share) < tolerance, (code, len(tagged[code]) / total)
    assert tagged["empty_nest"]
    for household_id in tagged["elderly_alone"]:
        assert len(members[household_id]) == 1 and members[household_id][0] >= 60
    for household_id in tagged["left_behind_child"]:
        assert min(members[household_id]) < 16
    assert not tagged["dibao"] & tagged["tekun"]
    # Every household sits in a grid of its own village, with coordinates for most of them.
    assert not Household.objects.exclude(grid__region_id=F("region_id")).exists()
    assert Household.objects.filter(latitude__isnull=False).count() > total / 2


def _check_workforce() -> None:
    officers = Officer.objects.count()
    assert officers >= 40
    by_officer = defaultdict(list)
    for officer_id, start, end in Assignment.objects.values_list("officer_id", "start", "end").order_by(
        "start"
    ):
        by_officer[officer_id].append((start, end))
    assert len(by_officer) == officers
    hire = dict(Officer.objects.values_list("id", "hire_date"))
    for officer_id, stints in by_officer.items():
        assert stints[0][0] == hire[officer_id]
        assert stints[-1][1] is None  # currently serving
        for (_, end), (next_start, _) in zip(stints, stints[1:], strict=False):
            assert end is not None and end < next_start  # no overlaps
    assert max(len(s) for s in by_officer.values()) >= 3  # rotations over several years
    assert Officer.objects.filter(title__contains="法官").exists()
    assert Unit.objects.filter(kind="tribunal").exists()
    for name in ("立案庭（诉讼服务中心）", "民事审判庭", "刑事审判庭", "执行局", "信访接待室", "政治部"):
        assert Unit.objects.filter(name=name).exists()
    assert (
        Post.objects.filter(is_front_line=True).exists() and Post.objects.filter(is_front_line=False).exists()
    )
    assert Grid.objects.filter(officer__isnull=False).exists()


def _check_logins(client) -> None:
    user_model = get_user_model()
    for user in user_model.objects.filter(username__startswith="demo-"):
        if (
            not user.has_usable_password()
        ):  # service accounts (the call centre's follow-up clerk) never log in
            continue
        role = Role.ADMIN if user.is_superuser else user.role
        assert client.login(username=user.username, password=DEMO_PASSWORDS[role]), user.username
        client.logout()
    assert set(user_model.objects.values_list("username", flat=True)) >= {
        "demo-admin",
        "demo-hr",
        "demo-leader",
        "demo-officer",
        "demo-grid",
        "demo-resident",
    }
    total = Household.objects.count()
    leader = actor_for(user_model.objects.get(username="demo-leader"))
    assert Household.objects.visible_to(leader).count() == total
    grid_officer = actor_for(user_model.objects.get(username="demo-grid"))
    assert grid_officer.grid_ids
    assert Unit.objects.filter(path__in=grid_officer.unit_paths, kind="tribunal").exists()
    assert 0 < Household.objects.visible_to(grid_officer).count() < total
    resident = actor_for(user_model.objects.get(username="demo-resident"))
    own = Household.objects.visible_to(resident)
    assert own.count() == 1 and own.get().grid.officer.user.username == "demo-grid"
    assert Household.objects.visible_to(actor_for(user_model.objects.get(username="demo-hr"))).count() == 0
