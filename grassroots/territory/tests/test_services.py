import threading

import pytest
from django.db import connections

from grassroots.common.errors import Conflict, Forbidden, ValidationFailed
from grassroots.common.models import AuditEntry
from grassroots.common.protected import blind_index, decrypt
from grassroots.common.testing import make_id_number
from grassroots.territory.models import CareTag, Household, Resident
from grassroots.territory.services import (
    HouseholdInput,
    ResidentInput,
    credit_code_check,
    credit_code_valid,
    household_create,
    household_update,
    organization_create,
    resident_create,
    resident_reveal,
    resident_update,
)

pytestmark = pytest.mark.django_db


def test_household_create_sets_county_and_audits(world):
    household = household_create(
        actor=world.user_officer_a1,
        data=HouseholdInput(number="H-NEW", region=world.village_a1, grid=world.grid_a1, address="东街20号"),
    )
    assert household.county == world.county_a
    entry = AuditEntry.objects.get(action="household.create", object_id=str(household.pk))
    assert entry.actor_label == "officer_a1" and entry.data["number"] == "H-NEW"


def test_household_create_outside_area_is_refused_naming_the_field(world):
    with pytest.raises(ValidationFailed) as info:
        household_create(
            actor=world.user_officer_a1,
            data=HouseholdInput(number="H-X", region=world.village_b1, address="南村1号"),
        )
    assert info.value.errors[0].field == "region"
    assert not Household.objects.filter(number="H-X").exists()


def test_hr_and_residents_cannot_write(world):
    for user in (world.user_hr, world.resident_user):
        with pytest.raises(Forbidden):
            household_create(
                actor=user, data=HouseholdInput(number="H-Y", region=world.village_a1, address="x")
            )


def test_household_validation_lists_every_problem(world):
    with pytest.raises(ValidationFailed) as info:
        household_create(
            actor=world.admin,
            data=HouseholdInput(number="H-A1-0001", region=world.town_a1, grid=world.grid_b1, address=" "),
        )
    fields = sorted(e.field for e in info.value.errors)
    assert fields == ["address", "grid", "number", "region"]


def test_household_update_with_stale_version_conflicts_and_changes_nothing(world):
    household = world.household_a1
    updated = household_update(
        actor=world.user_officer_a1, household=household, version=1, changes={"address": "东街13号"}
    )
    assert updated.version == 2 and updated.address == "东街13号"
    with pytest.raises(Conflict):
        household_update(
            actor=world.user_officer_a1, household=household, version=1, changes={"address": "东街99号"}
        )
    assert Household.objects.get(pk=household.pk).address == "东街13号"


def test_household_update_care_tags_audited_as_diff(world):
    tag = CareTag.objects.get(code="elderly_alone")
    household_update(
        actor=world.user_officer_a1, household=world.household_a1, version=1, changes={"care_tags": [tag]}
    )
    entry = AuditEntry.objects.filter(action="household.update").latest("id")
    assert entry.data == {"before": {"care_tags": ["dibao"]}, "after": {"care_tags": ["elderly_alone"]}}


def test_resident_create_validates_id_and_derives_birth_and_gender(world):
    id_number = make_id_number("410225", "19900315", 13)  # odd sequence digit: male
    resident = resident_create(
        actor=world.user_officer_a1,
        household=world.household_a1,
        data=ResidentInput(name="刘小明", id_number=id_number, phone="138-0013-8111", relationship="child"),
    )
    assert resident.gender == "male" and str(resident.birth_date) == "1990-03-15"
    assert resident.id_number_masked == id_number[:4] + "*" * 10 + id_number[-4:]
    assert resident.phone_masked == "138****8111"
    assert Resident.objects.get(id_number_hash=blind_index(id_number)) == resident


def test_resident_bad_check_digit_and_duplicate_are_named(world):
    bad = make_id_number("410225", "19900315", 13)[:-1] + "0"
    bad = bad if bad != make_id_number("410225", "19900315", 13) else bad[:-1] + "1"
    with pytest.raises(ValidationFailed) as info:
        resident_create(
            actor=world.admin, household=world.household_a1, data=ResidentInput(name="x", id_number=bad)
        )
    assert info.value.errors[0].field == "id_number" and "check digit" in info.value.errors[0].message
    existing = decrypt(world.resident_a2.id_number_encrypted)
    with pytest.raises(ValidationFailed) as info:
        resident_create(
            actor=world.admin, household=world.household_a1, data=ResidentInput(name="y", id_number=existing)
        )
    assert info.value.errors[0].code == "duplicate"


def test_resident_update_keeps_protection_and_conflicts_on_stale_version(world):
    resident = resident_update(
        actor=world.user_officer_a1, resident=world.resident_a1, version=1, changes={"phone": "13611112222"}
    )
    assert resident.phone_masked == "136****2222" and decrypt(resident.phone_encrypted) == "13611112222"
    with pytest.raises(Conflict):
        resident_update(
            actor=world.user_officer_a1, resident=world.resident_a1, version=1, changes={"name": "改名"}
        )
    entry = AuditEntry.objects.filter(action="resident.update").latest("id")
    assert "13611112222" not in str(entry.data) and entry.data["after"]["phone"] == "136****2222"


def test_reveal_is_audited_and_refused_to_hr(world):
    values = resident_reveal(actor=world.user_officer_a1, resident=world.resident_a1, reason="回访核实")
    assert values["phone"] == "13800138000"
    entry = AuditEntry.objects.get(action="resident.reveal")
    assert entry.reason == "回访核实" and entry.object_id == str(world.resident_a1.pk)
    with pytest.raises(Forbidden):
        resident_reveal(actor=world.user_hr, resident=world.resident_a1)


def test_credit_code_check_character():
    code17 = "91410225MA44XXXXX".replace("X", "1")
    code = code17 + credit_code_check(code17)
    assert credit_code_valid(code)
    assert not credit_code_valid(code17 + ("0" if code[-1] != "0" else "1"))


def test_organization_with_bad_credit_code_is_refused(world):
    with pytest.raises(ValidationFailed) as info:
        organization_create(
            actor=world.admin,
            name="某公司",
            kind="enterprise",
            region=world.village_a1,
            credit_code="914102250000000000",
        )
    assert info.value.errors[0].field == "credit_code"


@pytest.mark.django_db(transaction=True)
def test_two_officers_editing_at_once_one_wins_the_other_gets_a_conflict(postgres_only):
    """Real concurrency: both read version 1 and save at the same moment."""
    from grassroots.common.testing import build_world

    world = build_world()
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def edit(name: str, user, address: str) -> None:
        try:
            household = Household.objects.get(pk=world.household_a1.pk)
            barrier.wait()
            household_update(actor=user, household=household, version=1, changes={"address": address})
            outcomes[name] = "saved"
        except Conflict:
            outcomes[name] = "conflict"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=edit, args=("a", world.user_officer_a1, "东街1号")),
        threading.Thread(target=edit, args=("b", world.user_leader_a, "东街2号")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    household = Household.objects.get(pk=world.household_a1.pk)
    winner = "东街1号" if outcomes["a"] == "saved" else "东街2号"
    assert household.address == winner and household.version == 2
    assert AuditEntry.objects.filter(action="household.update").count() == 1
