import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from grassroots.common.audit import audit_verify
from grassroots.common.errors import Forbidden
from grassroots.common.models import AuditEntry
from grassroots.common.protected import decrypt
from grassroots.common.testing import PASSWORD, make_id_number
from grassroots.territory.exporting import register_export
from grassroots.territory.importing import register_import
from grassroots.territory.models import CareTag, Household, Resident
from grassroots.territory.services import ResidentInput, resident_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


ID_A1 = make_id_number("410225", "19500101", 11)
ID_B1 = make_id_number("410221", "19801231", 33)


def export_rows(actor, **kwargs):
    out = io.BytesIO()
    summary = register_export(actor=actor, out=out, **kwargs)
    out.seek(0)
    sheet = load_workbook(out, read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return summary, rows[0], rows[1:]


def test_masked_export_by_default(world):
    before = AuditEntry.objects.count()
    summary, header, rows = export_rows(world.admin)
    assert header == [
        "户编号",
        "村社区代码",
        "网格编码",
        "地址",
        "关爱标签",
        "姓名",
        "与户主关系",
        "身份证号",
        "联系电话",
    ]
    assert (summary.households, summary.residents, summary.unmasked) == (3, 3, False)
    by_number = {r[0]: r for r in rows}
    assert by_number["H-A1-0001"] == [
        "H-A1-0001",
        "410225100001",
        "410225100001-01",
        "东街12号",
        "低保",
        "刘大爷",
        "户主",
        ID_A1[:4] + "*" * 10 + ID_A1[-4:],
        "138****8000",
    ]
    assert all(ID_A1 not in str(cell) and "13800138000" not in str(cell) for r in rows for cell in r)
    entry = AuditEntry.objects.order_by("-id").first()
    assert AuditEntry.objects.count() == before + 1
    assert entry.action == "register.export" and entry.data["residents"] == 3


def test_unmasked_export_is_audited_as_a_view_of_personal_data(world):
    summary, _, rows = export_rows(world.user_leader_a, unmasked=True)
    assert summary.unmasked and sorted(r[0] for r in rows) == ["H-A1-0001", "H-A2-0001"]
    assert {r[7] for r in rows} == {ID_A1, make_id_number("410225", "19620515", 22)}
    assert "13800138000" in {r[8] for r in rows}
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.action == "register.export_unmasked" and entry.actor_id == world.user_leader_a.pk
    assert entry.data == {"filters": {}, "households": 2, "residents": 2}
    assert audit_verify().ok


def test_export_is_scoped_and_filtered(world):
    _, _, rows = export_rows(world.user_officer_b)
    assert [r[0] for r in rows] == ["H-B1-0001"]
    _, _, rows = export_rows(world.admin, region_code="410225101")
    assert [r[0] for r in rows] == ["H-A2-0001"]
    _, _, rows = export_rows(world.user_officer_b, region_code="410225")
    assert rows == []
    _, _, rows = export_rows(world.admin, households=Household.objects.filter(number="H-B1-0001"))
    assert [r[0] for r in rows] == ["H-B1-0001"]
    _, _, rows = export_rows(world.admin, care_tag="dibao")
    assert [r[0] for r in rows] == ["H-A1-0001"]


@pytest.mark.parametrize("user", ["user_hr", "resident_user"])
def test_hr_and_residents_never_export_residents(world, user):
    with pytest.raises(Forbidden):
        export_rows(getattr(world, user))
    with pytest.raises(Forbidden):
        export_rows(getattr(world, user), unmasked=True)


def test_round_trip_into_an_empty_database(world, tmp_path):
    veteran = CareTag.objects.get(code="veteran")
    world.household_a2.care_tags.add(veteran, CareTag.objects.get(code="dibao"))
    resident_create(
        actor=world.admin,
        household=world.household_a1,
        data=ResidentInput(
            name="刘小妹", id_number=make_id_number("410225", "20100707", 44), relationship="child"
        ),
    )
    empty = Household.objects.create(
        number="H-A1-0002", region=world.village_a1, county=world.county_a, address="东街14号"
    )

    def register():
        households = {
            h.number: (
                h.region.code,
                h.grid.code if h.grid else "",
                h.address,
                sorted(t.code for t in h.care_tags.all()),
            )
            for h in Household.objects.select_related("region", "grid")
        }
        residents = sorted(
            (
                r.household.number,
                r.name,
                r.relationship,
                decrypt(r.id_number_encrypted),
                decrypt(r.phone_encrypted),
                r.gender,
                r.birth_date,
                r.county_id,
            )
            for r in Resident.objects.select_related("household")
        )
        return households, residents

    original = register()
    assert original[0]["H-A1-0002"] == ("410225100001", "", "东街14号", [])
    path = tmp_path / "export.xlsx"
    register_export(actor=world.admin, out=path, unmasked=True)

    Resident.objects.all().delete()
    Household.objects.all().delete()
    assert empty.pk and not Household.objects.exists()
    report = register_import(actor=world.admin, path_or_file=path, file_name=path.name)
    assert report.errors == [] and report.committed
    assert (report.households, report.residents) == (4, 4)
    assert register() == original

    # The English variant re-imports as well (checked without writing).
    english = tmp_path / "export-en.xlsx"
    register_export(actor=world.admin, out=english, unmasked=True, english_headers=True)
    Resident.objects.all().delete()
    Household.objects.all().delete()
    report = register_import(actor=world.admin, path_or_file=english, file_name=english.name, dry_run=True)
    assert report.errors == [] and (report.households, report.residents) == (4, 4)


def test_masked_export_does_not_re_import_ids(world, tmp_path):
    path = tmp_path / "masked.xlsx"
    register_export(actor=world.admin, out=path)
    Resident.objects.all().delete()
    Household.objects.all().delete()
    report = register_import(actor=world.admin, path_or_file=path, file_name=path.name, dry_run=True)
    assert {e.column for e in report.errors} == {"身份证号", "联系电话"}
    assert all("masked" in e.message for e in report.errors)


def test_export_command(world, tmp_path):
    path = tmp_path / "out.xlsx"
    out = io.StringIO()
    call_command("export_register", "--as", "officer_b", "--out", str(path), stdout=out)
    assert "1 households, 1 residents (masked)" in out.getvalue()
    rows = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[1][7] != ID_B1
    call_command(
        "export_register", "--as", "admin", "--out", str(path), "--region", "410221", "--unmasked", stdout=out
    )
    rows = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[1][7] == ID_B1
    assert AuditEntry.objects.order_by("-id").first().action == "register.export_unmasked"
    with pytest.raises(CommandError):
        call_command("export_register", "--as", "hr", "--out", str(path), stdout=out)


def login(user, **kwargs):
    client = Client(**kwargs)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_export_page_downloads_scoped_xlsx(world):
    client = login(world.user_officer_a1)
    page = client.get(reverse("territory:export"))
    assert page.status_code == 200 and b'name="unmasked"' in page.content
    response = client.post(reverse("territory:export"), {"region": ""})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["H-A1-0001"] and rows[1][7] != ID_A1

    response = client.post(reverse("territory:export"), {"unmasked": "on"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert list(workbook.worksheets[0].iter_rows(values_only=True))[1][7] == ID_A1
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.action == "register.export_unmasked" and entry.actor_id == world.user_officer_a1.pk


def test_export_page_rejects_unknown_region(world):
    response = login(world.admin).post(reverse("territory:export"), {"region": "999"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("user", ["user_hr", "resident_user"])
def test_export_page_forbidden_for_hr_and_residents(world, user):
    client = login(getattr(world, user))
    assert client.get(reverse("territory:export")).status_code == 403
    assert client.post(reverse("territory:export"), {"unmasked": "on"}).status_code == 403


def test_export_page_needs_the_csrf_token(world):
    client = login(world.admin, enforce_csrf_checks=True)
    assert client.post(reverse("territory:export"), {}).status_code == 403
