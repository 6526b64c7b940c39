"""Liaison-roster import: .xlsx and .csv (GBK), every bad row named by row, column and reason, nothing
written unless every row is valid, dry run, the command line and the pages."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from grassroots.common.errors import Forbidden
from grassroots.common.models import AuditEntry
from grassroots.outreach.importing import liaison_roster_import
from grassroots.outreach.models import Liaison, LiaisonImportJob, VisitDuty
from grassroots.outreach.services import liaison_create

HEADER = ["工号", "联系类型", "联系对象", "开始日期", "结束日期", "结束原因", "职责"]


def xlsx(rows: list[list], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_rows(w) -> list[list]:
    return [
        ["A001", "联系农户", w.household_a1.number, date(2025, 1, 1), None, None, "每月走访"],
        ["A002", "household", w.household_a2.number, "2025/02/01", "2025-05-31", "轮岗", ""],
        ["A002", "联系农户", w.household_a2.number, "2025年6月1日", None, None, ""],
        ["A001", "法制副职", w.org_a1.name, "2025-01-01", None, None, "法治副校长"],
        ["A001", "网格", w.grid_a1.code, "2025-01-01", None, None, ""],
    ]


def run(w, content: bytes, name: str = "名册.xlsx", dry_run: bool = False, actor=None):
    return liaison_roster_import(
        actor=actor or w.user_leader_a, path_or_file=io.BytesIO(content), file_name=name, dry_run=dry_run
    )


def errors(report) -> set[tuple[int, str, str]]:
    return {(e.row, e.column, e.code) for e in report.errors}


def test_a_valid_roster_is_checked_then_imported_with_history(world, rules):
    w = world
    content = xlsx(good_rows(w))
    dry = run(w, content, dry_run=True)
    assert dry.accepted and dry.rows_read == 5 and dry.liaisons == 5 and not dry.committed
    assert Liaison.objects.count() == 0
    report = run(w, content)
    assert report.committed and report.by_kind == {"household": 3, "organization": 1, "grid": 1}
    ended = Liaison.objects.get(officer=w.officer_a2, end__isnull=False)
    assert (ended.start, ended.end, ended.end_reason) == (date(2025, 2, 1), date(2025, 5, 31), "轮岗")
    current = Liaison.objects.get(officer=w.officer_a2, end__isnull=True)
    assert (current.start, current.region, current.grid) == (date(2025, 6, 1), w.village_a2, w.grid_a2)
    assert Liaison.objects.get(kind="organization").duties == "法治副校长"
    assert AuditEntry.objects.filter(action="liaison.import").count() == 1
    # The duties of the new liaisons are in the generated due lists at once (the grid carries none).
    assert VisitDuty.objects.count() == 3
    # The same file again: every row now overlaps a liaison already recorded.
    again = run(w, content)
    assert not again.committed and {e.code for e in again.errors} == {"duplicate"} and len(again.errors) == 5
    assert Liaison.objects.count() == 5


def test_csv_in_gbk_with_english_headers(world):
    w = world
    text = "staff_number,kind,target,start\nA001,household,H-A1-0001,2025-03-01\nA001,grid,410225100001-01,2025-03-01\n"
    report = run(w, text.encode("gb18030"), name="roster.csv")
    assert report.committed and report.liaisons == 2


def test_every_bad_row_is_named_and_nothing_is_written(world):
    w = world
    liaison_create(
        actor=w.admin,
        officer=w.officer_a1,
        kind="household",
        household=w.household_a1,
        start=date(2024, 1, 1),
    )
    rows = [
        [
            "A001",
            "联系农户",
            w.household_a1.number,
            "2025-01-01",
            None,
            None,
            "",
        ],  # 2: overlaps the existing one
        ["Z999", "联系农户", w.household_a2.number, "2025-01-01", None, None, ""],  # 3: unknown officer
        [
            "B001",
            "联系农户",
            w.household_a2.number,
            "2025-01-01",
            None,
            None,
            "",
        ],  # 4: officer of another county
        ["A002", "亲戚", w.household_a2.number, "2025-01-01", None, None, ""],  # 5: unknown kind
        ["A002", "联系农户", "H-NOPE", "2025-01-01", None, None, ""],  # 6: unknown household
        [
            "A002",
            "联系农户",
            w.household_b1.number,
            "2025-01-01",
            None,
            None,
            "",
        ],  # 7: outside the jurisdiction
        ["A002", "联系农户", w.household_a2.number, "明年", None, None, ""],  # 8: not a date
        [
            "A002",
            "联系农户",
            w.household_a2.number,
            "2025-05-01",
            "2025-04-01",
            "x",
            "",
        ],  # 9: end before start
        [
            "A002",
            "联系农户",
            w.household_a2.number,
            "2025-01-01",
            "2025-02-01",
            None,
            "",
        ],  # 10: end without reason
        [
            "A002",
            "联系农户",
            w.household_a2.number,
            "2025-06-01",
            None,
            None,
            "x" * 301,
        ],  # 11: duties too long
        ["A002", "网格", w.grid_a2.code, "2025-01-01", None, None, ""],  # 12: fine
        ["A002", "网格", w.grid_a2.code, "2025-03-01", None, None, ""],  # 13: repeats row 12
        ["", "", "", "", None, None, ""],  # blank line: skipped
        ["A002", "法制副职", "不存在的单位", "2025-01-01", None, None, ""],  # 15: unknown organisation
    ]
    report = run(w, xlsx(rows))
    assert errors(report) == {
        (2, "联系对象", "duplicate"),
        (3, "工号", "not_found"),
        (4, "工号", "not_found"),
        (5, "联系类型", "choice"),
        (6, "联系对象", "not_found"),
        (7, "联系对象", "scope"),
        (8, "开始日期", "date"),
        (9, "结束日期", "invalid"),
        (10, "结束原因", "required"),
        (11, "职责", "invalid"),
        (13, "联系对象", "duplicate"),
        (15, "联系对象", "not_found"),
    }
    assert report.rows_read == 13 and not report.committed
    assert "12" in next(e.message for e in report.errors if e.row == 13)
    assert "2024-01-01" in next(e.message for e in report.errors if e.row == 2)
    assert Liaison.objects.count() == 1  # only the one made before


@pytest.mark.parametrize(
    ("content", "name", "row", "code"),
    [
        (xlsx([["A001", "联系农户"]], header=["工号", "联系类型"]), "x.xlsx", 1, "missing_column"),
        (xlsx([], header=HEADER), "x.xlsx", 2, "empty"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old.xls", 0, "file"),
        (b"PK\x03\x04 not really a workbook", "broken.xlsx", 0, "file"),
        ("工号,工号,联系类型,联系对象,开始日期\n".encode(), "dup.csv", 1, "header"),
    ],
    ids=["missing-columns", "no-rows", "old-xls", "broken-xlsx", "repeated-header"],
)
def test_bad_files_are_refused_with_the_reason(world, content, name, row, code):
    report = run(world, content, name=name)
    assert not report.committed and (report.errors[0].row, report.errors[0].code) == (row, code)
    assert Liaison.objects.count() == 0


def test_only_leaders_and_administrators_import(world):
    with pytest.raises(Forbidden):
        run(world, xlsx(good_rows(world)), actor=world.user_officer_a1)
    with pytest.raises(Forbidden):
        run(world, xlsx(good_rows(world)), actor=world.user_hr)


def test_command_line_import(world, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx(good_rows(world)))
    call_command("import_liaisons", str(path), "--as", "leader_a", "--dry-run")
    assert "would create: 5" in capsys.readouterr().out and Liaison.objects.count() == 0
    call_command("import_liaisons", str(path), "--as", "leader_a")
    assert Liaison.objects.count() == 5
    with pytest.raises(CommandError, match="5 errors"):
        call_command("import_liaisons", str(path), "--as", "leader_a")


def test_import_pages(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = world
    client.force_login(w.user_leader_a)
    bad = [["A001", "联系农户", "H-NOPE", "2025-01-01", None, None, ""]]
    response = client.post(
        reverse("outreach:roster-import"), {"file": SimpleUploadedFile("bad.xlsx", xlsx(bad))}
    )
    job = LiaisonImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "outreach:roster-job", args=[job.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert "H-NOPE" in page and "联系对象" in page
    job.refresh_from_db()
    assert job.status == "rejected" and job.report["error_count"] == 1
    assert client.post(reverse("outreach:roster-confirm", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == "rejected" and Liaison.objects.count() == 0
    response = client.post(
        reverse("outreach:roster-import"), {"file": SimpleUploadedFile("good.xlsx", xlsx(good_rows(w)))}
    )
    good = LiaisonImportJob.objects.get(file_name="good.xlsx")
    assert good.status == "validated" and good.report["liaisons"] == 5 and Liaison.objects.count() == 0
    status = client.get(reverse("outreach:roster-status", args=[good.pk])).content.decode()
    assert reverse("outreach:roster-confirm", args=[good.pk]) in status
    client.post(reverse("outreach:roster-confirm", args=[good.pk]))
    good.refresh_from_db()
    assert good.status == "done" and Liaison.objects.count() == 5
    # Someone else's job is not found; officers, HR and residents may not import.
    client.force_login(w.admin)
    for name in ("roster-job", "roster-status"):
        assert client.get(reverse(f"outreach:{name}", args=[good.pk])).status_code == 404
    for user in (w.user_officer_a1, w.user_hr, w.resident_user):
        client.force_login(user)
        assert client.get(reverse("outreach:roster-import")).status_code == 403
        assert client.get(reverse("outreach:roster-job", args=[good.pk])).status_code == 403


def _join_import_threads() -> None:
    import threading

    for thread in threading.enumerate():
        if thread.name.startswith("liaison-import-"):
            thread.join(timeout=60)


@pytest.mark.django_db(transaction=True)
def test_large_rosters_run_in_a_background_thread_with_progress(client, settings, tmp_path):
    from grassroots.common.testing import build_world
    from grassroots.outreach.defaults import ensure_default_rules

    w = build_world()
    ensure_default_rules()
    settings.MEDIA_ROOT = tmp_path
    settings.REGISTER_IMPORT_SYNC_MAX_BYTES = 10
    client.force_login(w.user_leader_a)
    client.post(
        reverse("outreach:roster-import"), {"file": SimpleUploadedFile("big.xlsx", xlsx(good_rows(w)))}
    )
    _join_import_threads()
    job = LiaisonImportJob.objects.get()
    assert job.status == "validated", job.message
    assert (job.rows_processed, job.rows_total, job.phase) == (5, 5, "validate")
    client.post(reverse("outreach:roster-confirm", args=[job.pk]))
    _join_import_threads()
    job.refresh_from_db()
    assert job.status == "done" and Liaison.objects.count() == 5 and VisitDuty.objects.count() == 3
