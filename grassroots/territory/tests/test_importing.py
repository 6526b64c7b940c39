import csv
import io
import json
import threading
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook

from grassroots.common.audit import audit_verify
from grassroots.common.errors import Forbidden
from grassroots.common.models import AuditEntry
from grassroots.common.protected import blind_index, decrypt
from grassroots.common.testing import PASSWORD, make_id_number
from grassroots.territory import importing
from grassroots.territory.importing import import_job_run, register_import
from grassroots.territory.models import Household, ImportJob, ImportJobStatus, Resident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    # Uploaded files and progress files of jobs go under MEDIA_ROOT: one directory per test.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in English whether or not the zh-Hans catalogue is compiled.
    with translation.override("en"):
        yield


HEADERS_ZH = [
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
HEADERS_EN = [
    "household_number",
    "village_code",
    "grid_code",
    "address",
    "care_tags",
    "name",
    "relationship",
    "id_number",
    "phone",
]
VILLAGE_A1, GRID_A1 = "410225100001", "410225100001-01"
VILLAGE_A2, GRID_A2 = "410225101001", "410225101001-01"
ID_1 = make_id_number("410225", "19700101", 101)
ID_2 = make_id_number("410225", "19720202", 102)
ID_3 = make_id_number("410225", "20050303", 103)
ID_4 = make_id_number("410225", "19800404", 104)


def good_rows():
    return [
        ["H-IMP-001", VILLAGE_A1, GRID_A1, "东街20号", "低保、独居老人", "王一", "户主", ID_1, "13811110001"],
        ["H-IMP-001", VILLAGE_A1, GRID_A1, "东街20号", "低保、独居老人", "李二", "配偶", ID_2, ""],
        ["H-IMP-001", VILLAGE_A1, GRID_A1, "东街20号", "低保、独居老人", "王小三", "子女", ID_3, ""],
        ["H-IMP-002", VILLAGE_A2, GRID_A2, "西村5组1号", "", "赵四", "head", ID_4, "0371-5551234"],
    ]


def write_csv(tmp_path, rows, headers=HEADERS_ZH, encoding="utf-8-sig", name="register.csv"):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(tmp_path, rows, headers=HEADERS_ZH, name="register.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


def snapshot():
    return (Household.objects.count(), Resident.objects.count(), AuditEntry.objects.count())


def run(world, path, actor=None, **kwargs):
    return register_import(actor=actor or world.admin, path_or_file=path, file_name=path.name, **kwargs)


def errors_of(report):
    return [(e.row, e.column, e.code) for e in report.errors]


def test_utf8_bom_csv_creates_households_residents_and_one_audit_entry(world, tmp_path):
    households, residents, audits = snapshot()
    report = run(world, write_csv(tmp_path, good_rows()))
    assert report.errors == []
    assert report.committed
    assert (report.rows_read, report.households, report.residents) == (4, 2, 4)
    assert (report.first_number, report.last_number) == ("H-IMP-001", "H-IMP-002")
    assert snapshot() == (households + 2, residents + 4, audits + 1)

    household = Household.objects.get(number="H-IMP-001")
    assert household.region == world.village_a1 and household.grid == world.grid_a1
    assert household.county == world.county_a
    assert sorted(t.code for t in household.care_tags.all()) == ["dibao", "elderly_alone"]
    head = household.residents.get(relationship="head")
    # Stored exactly as the services store it: encrypted, blind index, masked, birth date and gender derived.
    assert head.id_number_hash == blind_index(ID_1)
    assert decrypt(head.id_number_encrypted) == ID_1
    assert head.id_number_masked == ID_1[:4] + "*" * 10 + ID_1[-4:]
    assert decrypt(head.phone_encrypted) == "13811110001" and head.phone_masked == "138****0001"
    assert head.birth_date == date(1970, 1, 1) and head.county == world.county_a
    assert Resident.objects.get(id_number_hash=blind_index(ID_4)).phone_masked == "037****1234"
    assert sorted(household.residents.values_list("relationship", flat=True)) == ["child", "head", "spouse"]

    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.action == "register.import" and entry.actor_id == world.admin.pk
    assert entry.data["households"] == 2 and entry.data["residents"] == 4
    assert entry.data["file_name"] == "register.csv" and entry.data["sha256"] == report.sha256
    assert entry.data["first_number"] == "H-IMP-001" and entry.data["last_number"] == "H-IMP-002"
    assert audit_verify().ok


def test_gbk_csv_with_english_headers_and_plain_utf8(world, tmp_path):
    report = run(world, write_csv(tmp_path, good_rows()[:3], encoding="gbk", name="gbk.csv"))
    assert report.errors == [] and report.residents == 3
    assert Resident.objects.filter(name="王小三").exists()
    rows = [["H-IMP-002", VILLAGE_A2, GRID_A2, "西村5组1号", "tekun", "赵四", "head", ID_4, ""]]
    report = run(world, write_csv(tmp_path, rows, headers=HEADERS_EN, encoding="utf-8", name="en.csv"))
    assert report.errors == []
    assert list(Household.objects.get(number="H-IMP-002").care_tags.values_list("code", flat=True)) == [
        "tekun"
    ]


def test_xlsx_works_with_numeric_cells(world, tmp_path):
    rows = good_rows()
    rows[0][8] = 13811110001  # phone typed as a number
    report = run(world, write_xlsx(tmp_path, rows))
    assert report.errors == [] and report.residents == 4
    head = Resident.objects.get(id_number_hash=blind_index(ID_1))
    assert decrypt(head.phone_encrypted) == "13811110001"


def test_xlsx_id_number_saved_as_a_number_is_reported(world, tmp_path):
    rows = good_rows()[:1]
    rows[0][7] = float(ID_1[:17] + "1") if ID_1[17] == "X" else float(ID_1)
    report = run(world, write_xlsx(tmp_path, rows))
    assert errors_of(report) == [(2, "身份证号", "invalid_id_number")]
    assert "number" in report.errors[0].message


def test_one_bad_id_number_rejects_the_file_and_changes_nothing(world, tmp_path):
    rows = good_rows()
    bad = ID_3[:17] + ("0" if ID_3[17] != "0" else "1")
    rows[2][7] = bad
    before = snapshot()
    report = run(world, write_csv(tmp_path, rows))
    assert not report.accepted and not report.committed
    assert [e.as_tuple() for e in report.errors] == [(4, "身份证号", "check digit is wrong")]
    assert snapshot() == before
    assert not Household.objects.filter(number__startswith="H-IMP").exists()


def with_row(change, index=0):
    rows = good_rows()
    change(rows[index])
    return rows


def set_cell(row, column, value):
    row[HEADERS_ZH.index(column)] = value


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            with_row(lambda r: set_cell(r, "身份证号", make_id_number("410225", "19700231", 5))),
            [(2, "身份证号", "invalid_id_number")],
        ),
        (with_row(lambda r: set_cell(r, "身份证号", "12345")), [(2, "身份证号", "invalid_id_number")]),
        (
            with_row(lambda r: set_cell(r, "村社区代码", "410225999999"), 3),
            [(5, "村社区代码", "unknown_village")],
        ),
        (
            with_row(lambda r: set_cell(r, "村社区代码", "410225100"), 3),
            [(5, "村社区代码", "unknown_village")],
        ),
        (with_row(lambda r: set_cell(r, "网格编码", GRID_A1), 3), [(5, "网格编码", "grid_not_in_village")]),
        (with_row(lambda r: set_cell(r, "网格编码", "NO-SUCH-GRID"), 3), [(5, "网格编码", "unknown_grid")]),
        (
            with_row(lambda r: set_cell(r, "关爱标签", "低保、不存在"), 3),
            [(5, "关爱标签", "unknown_care_tag")],
        ),
        (
            with_row(lambda r: set_cell(r, "身份证号", make_id_number("410225", "19500101", 11))),
            [(2, "身份证号", "duplicate_id_registered")],
        ),
        (with_row(lambda r: set_cell(r, "户编号", "H-A1-0001"), 3), [(5, "户编号", "duplicate_household")]),
        (with_row(lambda r: set_cell(r, "姓名", "")), [(2, "姓名", "required")]),
        (with_row(lambda r: set_cell(r, "户编号", "")), [(2, "户编号", "required")]),
        (with_row(lambda r: set_cell(r, "地址", ""), 3), [(5, "地址", "required")]),
        (with_row(lambda r: set_cell(r, "村社区代码", ""), 3), [(5, "村社区代码", "required")]),
        (with_row(lambda r: set_cell(r, "地址", "东街21号"), 1), [(3, "地址", "household_conflict")]),
        (with_row(lambda r: set_cell(r, "关爱标签", "低保"), 2), [(4, "关爱标签", "household_conflict")]),
        (with_row(lambda r: set_cell(r, "网格编码", GRID_A2), 1), [(3, "网格编码", "household_conflict")]),
        (with_row(lambda r: set_cell(r, "与户主关系", "邻居"), 1), [(3, "与户主关系", "invalid")]),
        (with_row(lambda r: set_cell(r, "联系电话", "call me"), 1), [(3, "联系电话", "invalid")]),
        (
            with_row(lambda r: set_cell(r, "身份证号", "4102**********0011")),
            [(2, "身份证号", "invalid_id_number")],
        ),
    ],
    ids=[
        "impossible-birth-date",
        "malformed-id",
        "unknown-village",
        "not-a-village",
        "grid-in-other-village",
        "unknown-grid",
        "unknown-care-tag",
        "id-already-registered",
        "household-already-registered",
        "missing-name",
        "missing-household-number",
        "missing-address",
        "missing-village",
        "conflicting-address",
        "conflicting-care-tags",
        "conflicting-grid",
        "unknown-relationship",
        "bad-phone",
        "masked-id",
    ],
)
def test_every_error_kind_names_row_and_column_and_writes_nothing(world, tmp_path, rows, expected):
    before = snapshot()
    report = run(world, write_csv(tmp_path, rows))
    assert errors_of(report) == expected
    assert all(e.message for e in report.errors)
    assert snapshot() == before


def test_duplicate_id_in_file_names_both_rows(world, tmp_path):
    rows = good_rows()
    rows[3][7] = ID_2
    report = run(world, write_csv(tmp_path, rows))
    assert errors_of(report) == [(5, "身份证号", "duplicate_id_in_file")]
    assert "3" in report.errors[0].message and "5" in report.errors[0].message


def test_all_errors_are_reported_not_only_the_first(world, tmp_path):
    rows = good_rows()
    rows[0][5] = ""
    rows[1][7] = "110"
    rows[3][1] = "999999999999"
    report = run(world, write_csv(tmp_path, rows))
    assert [(e.row, e.column) for e in report.errors] == [(2, "姓名"), (3, "身份证号"), (5, "村社区代码")]


def test_missing_required_column_is_reported_on_the_header_row(world, tmp_path):
    headers = [h for h in HEADERS_ZH if h != "地址"]
    rows = [r[:3] + r[4:] for r in good_rows()]
    report = run(world, write_csv(tmp_path, rows, headers=headers))
    assert errors_of(report) == [(1, "地址", "missing_column")]


def test_blank_household_cells_repeat_the_first_row(world, tmp_path):
    rows = good_rows()
    for row in rows[1:3]:
        row[1:5] = ["", "", "", ""]
    report = run(world, write_csv(tmp_path, rows))
    assert report.errors == [] and Household.objects.get(number="H-IMP-001").residents.count() == 3


def test_dry_run_reports_and_writes_nothing(world, tmp_path):
    before = snapshot()
    report = run(world, write_csv(tmp_path, good_rows()), dry_run=True)
    assert report.accepted and not report.committed
    assert (report.households, report.residents) == (2, 4)
    assert snapshot() == before


def test_scope_officer_of_county_b_cannot_import_into_county_a(world, tmp_path):
    before = snapshot()
    report = run(world, write_csv(tmp_path, good_rows()), actor=world.user_officer_b)
    assert errors_of(report) == [(2, "村社区代码", "scope"), (5, "村社区代码", "scope")]
    assert snapshot() == before
    # officer_a1's tribunal covers town A1 only: the household in town A2 is outside their area.
    report = run(world, write_csv(tmp_path, good_rows()), actor=world.user_officer_a1)
    assert errors_of(report) == [(5, "村社区代码", "scope")]
    report = run(world, write_csv(tmp_path, good_rows()[:3]), actor=world.user_officer_a1)
    assert report.committed
    assert AuditEntry.objects.order_by("-id").first().actor_id == world.user_officer_a1.pk


@pytest.mark.parametrize("user", ["user_hr", "resident_user"])
def test_hr_and_residents_may_not_import(world, tmp_path, user):
    with pytest.raises(Forbidden):
        run(world, write_csv(tmp_path, good_rows()), actor=getattr(world, user))


def test_unreadable_and_empty_files(world, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    assert errors_of(run(world, path)) == [(0, "", "file")]
    empty = write_csv(tmp_path, [])
    assert errors_of(run(world, empty)) == [(2, "", "empty")]


def test_progress_is_reported_for_validation_and_writing(world, tmp_path):
    calls = []
    run(world, write_csv(tmp_path, good_rows()), progress=lambda *args: calls.append(args))
    assert ("validate", 4, 4) in calls
    assert calls[-1] == ("write", 6, 6)


def test_many_rows_use_batched_queries(world, tmp_path, django_assert_max_num_queries):
    rows = []
    for n in range(3 * importing.BATCH_ROWS // 2):
        birth = (date(1950, 1, 1) + timedelta(days=n)).strftime("%Y%m%d")
        id_number = make_id_number("410225", birth, 7)
        rows.append(
            [
                f"H-BULK-{n // 3:05d}",
                VILLAGE_A1,
                GRID_A1,
                f"东街{n // 3}号",
                "",
                f"村民{n}",
                "",
                id_number,
                "",
            ]
        )
    path = write_csv(tmp_path, rows)
    # Two batches: a handful of lookups each, independent of the number of rows.
    with django_assert_max_num_queries(20):
        report = run(world, path, dry_run=True)
    assert report.accepted and report.residents == len(rows)


def test_command_imports_and_prints_an_error_table(world, tmp_path):
    out = io.StringIO()
    call_command(
        "import_register", str(write_csv(tmp_path, good_rows())), "--as", "admin", "--dry-run", stdout=out
    )
    assert "would create: 2 households, 4 residents" in out.getvalue()
    assert not Household.objects.filter(number="H-IMP-001").exists()

    rows = good_rows()
    rows[1][7] = "123"
    out = io.StringIO()
    with pytest.raises(CommandError, match="rejected"):
        call_command(
            "import_register",
            str(write_csv(tmp_path, rows)),
            "--as",
            "admin",
            stdout=out,
            stderr=io.StringIO(),
        )
    assert "3    身份证号" in out.getvalue()

    out = io.StringIO()
    call_command(
        "import_register",
        str(write_csv(tmp_path, good_rows())),
        "--as",
        "admin",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "created: 2 households, 4 residents" in out.getvalue()


# ------------------------------------------------------------------------------------------------ pages


def login(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def upload(client, path):
    with open(path, "rb") as handle:
        return client.post(reverse("territory:import"), {"file": handle})


def test_page_upload_report_confirm(world, tmp_path):
    client = login(world.user_leader_a)
    assert client.get(reverse("territory:import")).status_code == 200
    before = snapshot()
    response = upload(client, write_csv(tmp_path, good_rows()))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("territory:import-job", args=[job.pk])
    assert job.status == ImportJobStatus.VALIDATED and job.report["households"] == 2
    assert snapshot() == before  # the upload only checks

    page = client.get(response.url).content.decode()
    assert "Confirm the import" in page or "确认导入" in page
    response = client.post(reverse("territory:import-confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE and job.report["committed"]
    assert snapshot() == (before[0] + 2, before[1] + 4, before[2] + 1)
    # A second confirm does not import twice.
    client.post(reverse("territory:import-confirm", args=[job.pk]))
    assert snapshot() == (before[0] + 2, before[1] + 4, before[2] + 1)


def test_page_shows_the_error_table_and_offers_no_confirm(world, tmp_path):
    client = login(world.admin)
    rows = good_rows()
    rows[2][7] = "410225200503031030"
    response = upload(client, write_csv(tmp_path, rows))
    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.REJECTED
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<td>4</td><td>身份证号</td>" in page
    assert reverse("territory:import-confirm", args=[job.pk]) not in page
    assert client.post(reverse("territory:import-confirm", args=[job.pk])).status_code == 302
    assert not Household.objects.filter(number="H-IMP-001").exists()


def test_page_rejects_other_file_types(world, tmp_path):
    client = login(world.admin)
    path = tmp_path / "register.txt"
    path.write_text("x")
    response = upload(client, path)
    assert response.status_code == 200 and not ImportJob.objects.exists()


@pytest.mark.parametrize("user", ["user_hr", "resident_user"])
def test_pages_forbidden_for_hr_and_residents(world, user, tmp_path):
    client = login(getattr(world, user))
    assert client.get(reverse("territory:import")).status_code == 403
    assert upload(client, write_csv(tmp_path, good_rows())).status_code == 403
    job = ImportJob.objects.create(
        created_by=getattr(world, user), file_name="x.csv", stored_path="/nonexistent"
    )
    assert client.get(reverse("territory:import-status", args=[job.pk])).status_code == 403
    assert client.post(reverse("territory:import-confirm", args=[job.pk])).status_code == 403


def test_anonymous_is_sent_to_login(world):
    response = Client().get(reverse("territory:import"))
    assert response.status_code == 302 and "login" in response.url


def test_someone_elses_job_is_not_found(world, tmp_path):
    upload(login(world.admin), write_csv(tmp_path, good_rows()))
    job = ImportJob.objects.get()
    client = login(world.user_officer_a1)
    assert client.get(reverse("territory:import-job", args=[job.pk])).status_code == 404
    assert client.post(reverse("territory:import-confirm", args=[job.pk])).status_code == 404


def test_upload_and_confirm_need_the_csrf_token(world, tmp_path):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="admin", password=PASSWORD)
    assert upload(client, write_csv(tmp_path, good_rows())).status_code == 403
    job = ImportJob.objects.create(
        created_by=world.admin,
        file_name="x.csv",
        stored_path="/nonexistent",
        status=ImportJobStatus.VALIDATED,
    )
    assert client.post(reverse("territory:import-confirm", args=[job.pk])).status_code == 403
    page = client.get(reverse("territory:import")).content.decode()
    assert "csrfmiddlewaretoken" in page


def test_progress_fragment_polls_while_running_and_stops_when_done(world, tmp_path):
    client = login(world.admin)
    job = ImportJob.objects.create(
        created_by=world.admin,
        file_name="big.csv",
        stored_path=str(tmp_path / "big.csv"),
        status=ImportJobStatus.IMPORTING,
        heartbeat_at=timezone.now(),
    )
    importing._progress_file(job).write_text(json.dumps({"phase": "write", "done": 500, "total": 2000}))
    url = reverse("territory:import-status", args=[job.pk])
    fragment = client.get(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'hx-get="{url}"' in fragment and 'hx-trigger="every 1s"' in fragment
    assert "500" in fragment and "2000" in fragment and 'value="25"' in fragment
    assert "<html" not in fragment

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.DONE, report={"rows_read": 2000})
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-get" not in fragment


def test_a_dead_job_is_shown_as_stopped_and_can_be_run_again(world, tmp_path):
    client = login(world.admin)
    path = write_csv(tmp_path, good_rows())
    old = timezone.now() - timedelta(minutes=10)
    job = ImportJob.objects.create(
        created_by=world.admin,
        file_name="register.csv",
        stored_path=str(path),
        status=ImportJobStatus.IMPORTING,
        heartbeat_at=old,
    )
    ImportJob.objects.filter(pk=job.pk).update(created_at=old)
    page = client.get(
        reverse("territory:import-status", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "hx-get" not in page and reverse("territory:import-confirm", args=[job.pk]) in page
    client.post(reverse("territory:import-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE
    assert Household.objects.filter(number__startswith="H-IMP").count() == 2


def test_an_import_that_dies_while_writing_leaves_nothing_and_can_be_run_again(world, tmp_path):
    path = write_csv(tmp_path, good_rows())

    def die_while_writing(phase, done, total):
        if phase == "write" and done > 0:
            raise RuntimeError("worker killed")

    before = snapshot()
    with pytest.raises(RuntimeError):
        run(world, path, progress=die_while_writing)
    assert snapshot() == before
    job = ImportJob.objects.create(
        created_by=world.admin,
        file_name="register.csv",
        stored_path=str(path),
        status=ImportJobStatus.IMPORTING,
    )
    assert import_job_run(job_id=job.pk, confirm=True).status == ImportJobStatus.DONE
    assert snapshot() == (before[0] + 2, before[1] + 4, before[2] + 1)
    assert not path.exists()  # the uploaded copy is removed once imported
    again = import_job_run(job_id=job.pk, confirm=True)
    assert again.status == ImportJobStatus.FAILED and snapshot() == (
        before[0] + 2,
        before[1] + 4,
        before[2] + 1,
    )


@pytest.mark.django_db(transaction=True)
def test_large_files_run_in_a_background_thread(tmp_path, settings):
    from grassroots.common.testing import build_world

    world = build_world()
    settings.REGISTER_IMPORT_SYNC_MAX_BYTES = 10
    client = login(world.admin)
    before = {t.ident for t in threading.enumerate()}
    response = upload(client, write_csv(tmp_path, good_rows()))
    for thread in threading.enumerate():
        if thread.ident not in before and thread.name.startswith("register-import-"):
            thread.join(timeout=60)
    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.VALIDATED, job.message
    client.post(reverse("territory:import-confirm", args=[job.pk]))
    for thread in threading.enumerate():
        if thread.name.startswith("register-import-"):
            thread.join(timeout=60)
    job.refresh_from_db()
    assert job.status == ImportJobStatus.DONE and response.status_code == 302
    assert Household.objects.filter(number__startswith="H-IMP").count() == 2


def test_the_example_in_the_user_documentation_imports(world, tmp_path):
    from django.conf import settings

    text = (settings.BASE_DIR / "docs" / "registers.md").read_text(encoding="utf-8")
    example = text.split("```\n户编号", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.csv"
    path.write_text("户编号" + example, encoding="utf-8")
    report = run(world, path)
    assert report.errors == [] and (report.households, report.residents) == (2, 3)
    assert Household.objects.get(number="H-0001").residents.count() == 2
