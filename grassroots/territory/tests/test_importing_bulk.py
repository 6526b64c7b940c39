"""The importer's bulk write (COPY on PostgreSQL, executemany elsewhere) stores what the services would."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from grassroots.common.models import AuditEntry
from grassroots.common.protected import blind_index, decrypt, normalise_id_number, normalise_phone
from grassroots.common.testing import make_id_number
from grassroots.territory.importing import validation, writing
from grassroots.territory.importing.validation import PlannedResident, resident_certainly_valid
from grassroots.territory.importing.writing import RESIDENT_COLUMNS, resident_columns, resident_columns_differ
from grassroots.territory.models import Household, Relationship, Resident
from grassroots.territory.services import ResidentInput, resident_fields, resident_validate

from .test_importing import GRID_A1, ID_1, VILLAGE_A1, good_rows, run, snapshot, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def planned(name="王一", id_number="", phone="", relationship=Relationship.HEAD):
    id_number, phone = normalise_id_number(id_number), normalise_phone(phone)
    return PlannedResident("H-1", 2, name, relationship, id_number, blind_index(id_number), phone)


@pytest.mark.parametrize(
    "resident",
    [
        planned(id_number=ID_1, phone="13811110001"),
        planned(id_number=make_id_number("110105", "19491231", 2)),  # may end in X
        planned(phone="0371-5551234", relationship=Relationship.CHILD),
        planned(name="李二"),
    ],
    ids=["id-and-mobile", "id-only", "landline-only", "neither"],
)
def test_bulk_columns_are_what_resident_fields_returns(resident):
    assert resident_columns_differ(resident) == []
    expected = resident_fields(
        ResidentInput(
            name=resident.name,
            id_number=resident.id_number,
            phone=resident.phone,
            relationship=resident.relationship,
        )
    )
    assert set(RESIDENT_COLUMNS) == set(expected)
    built = dict(zip(RESIDENT_COLUMNS, resident_columns(resident), strict=True))
    assert decrypt(built["id_number_encrypted"]) == resident.id_number
    assert decrypt(built["phone_encrypted"]) == resident.phone


@given(
    name=st.text(max_size=120),
    phone=st.one_of(st.text(max_size=25), st.from_regex(r"\+?[0-9][0-9 \-]{3,22}", fullmatch=True)),
    relationship=st.sampled_from(Relationship.values),
)
def test_the_quick_resident_check_never_hides_a_problem(name, phone, relationship):
    phone = normalise_phone(phone)
    if resident_certainly_valid(name, phone):
        assert resident_validate(ResidentInput(name=name, phone=phone, relationship=relationship)) == []


def test_imported_rows_carry_the_model_defaults(world, tmp_path):
    before = timezone.now()
    report = run(world, write_csv(tmp_path, good_rows()))
    assert report.committed
    household = Household.objects.get(number="H-IMP-001")
    assert household.is_active and household.version == 1 and household.notes == ""
    assert household.latitude is None and household.longitude is None
    assert before - timedelta(seconds=1) <= household.created_at <= timezone.now()
    assert household.updated_at == household.created_at
    for resident in Resident.objects.filter(household__number__startswith="H-IMP"):
        assert resident.is_active and resident.version == 1 and resident.user_id is None
        assert resident.county_id == resident.household.county_id
        assert before - timedelta(seconds=1) <= resident.created_at <= timezone.now()
        expected = resident_fields(
            ResidentInput(
                name=resident.name,
                id_number=decrypt(resident.id_number_encrypted),
                phone=decrypt(resident.phone_encrypted),
                relationship=resident.relationship,
            )
        )
        for key, value in expected.items():
            stored = getattr(resident, key)
            if key.endswith("_encrypted"):
                assert decrypt(stored) == decrypt(value), key
            else:
                assert stored == value, key


def test_many_chunks_keep_every_resident_in_its_household(world, tmp_path, monkeypatch):
    monkeypatch.setattr(writing, "INSERT_CHUNK", 2)
    monkeypatch.setattr(writing, "PROGRESS_EVERY", 3)
    rows = []
    for n in range(7):
        for member in range(n % 3 + 1):
            birth = f"1960{n + 1:02d}{member + 1:02d}"
            rows.append(
                [
                    f"H-CH-{n}",
                    VILLAGE_A1,
                    GRID_A1,
                    f"东街{n}号",
                    "低保" if n % 2 else "",
                    f"村民{n}{member}",
                    "",
                    make_id_number("410225", birth, 30 + member),
                    "",
                ]
            )
    calls = []
    report = run(world, write_csv(tmp_path, rows), progress=lambda *args: calls.append(args))
    assert report.committed and (report.households, report.residents) == (7, len(rows))
    total = 7 + len(rows)
    write_calls = [c for c in calls if c[0] == "write"]
    assert write_calls[0] == ("write", 3, total) and write_calls[-1] == ("write", total, total)
    for n in range(7):
        household = Household.objects.get(number=f"H-CH-{n}")
        assert sorted(household.residents.values_list("name", flat=True)) == [
            f"村民{n}{m}" for m in range(n % 3 + 1)
        ]
        assert list(household.care_tags.values_list("code", flat=True)) == (["dibao"] if n % 2 else [])


def test_a_disagreement_with_resident_fields_stops_the_import_before_writing(world, tmp_path, monkeypatch):
    def masks_nothing(resident):
        columns = list(resident_columns(resident))
        columns[RESIDENT_COLUMNS.index("id_number_masked")] = resident.id_number
        return tuple(columns)

    monkeypatch.setattr(writing, "resident_columns", masks_nothing)
    before = snapshot()
    with pytest.raises(RuntimeError, match="id_number_masked"):
        run(world, write_csv(tmp_path, good_rows()))
    assert snapshot() == before


def test_a_failing_insert_rolls_back_households_and_care_tags(world, tmp_path):
    # The second resident's ID is registered meanwhile: the database refuses the resident rows after the
    # households and care tags went in, and the whole import is rolled back and reported as a conflict.
    original = validation.stored

    def registered_after_validation(model, field, values):
        return set() if field == "id_number_hash" else original(model, field, values)

    existing = Resident.objects.exclude(id_number_hash="").first()
    rows = good_rows()
    rows[3][7] = decrypt(existing.id_number_encrypted)
    path = write_csv(tmp_path, rows)
    before, audits = snapshot(), AuditEntry.objects.count()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validation, "stored", registered_after_validation)
        report = run(world, path)
    assert [e.code for e in report.errors] == ["conflict"] and not report.committed
    assert snapshot() == before and AuditEntry.objects.count() == audits
    assert not Household.objects.filter(number__startswith="H-IMP").exists()
    assert Resident.objects.filter(id_number_hash=existing.id_number_hash).count() == 1


def test_dying_in_the_middle_of_a_table_leaves_nothing_and_the_connection_usable(
    world, tmp_path, monkeypatch
):
    monkeypatch.setattr(writing, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(writing, "INSERT_CHUNK", 2)

    def die_among_the_residents(phase, done, total):
        if phase == "write" and done == 4:  # 2 households, then the second resident
            raise RuntimeError("worker killed")

    before = snapshot()
    with pytest.raises(RuntimeError, match="worker killed"):
        run(world, write_csv(tmp_path, good_rows()), progress=die_among_the_residents)
    assert snapshot() == before
    assert run(world, write_csv(tmp_path, good_rows())).committed
