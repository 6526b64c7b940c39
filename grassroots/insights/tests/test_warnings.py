"""Warnings: danger text at intake, the scheduled scans on a real database, acknowledge and close."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from grassroots.casework.models import Party, Request
from grassroots.common.errors import Conflict, ValidationFailed
from grassroots.common.models import AuditEntry
from grassroots.insights import danger, scan, selectors
from grassroots.insights.models import EarlyWarning, WarningKind, WarningStatus
from grassroots.insights.services import warning_acknowledge, warning_close

from .conftest import intake

pytestmark = pytest.mark.django_db


def test_danger_detector_reads_phrases_and_negation():
    assert {s.code for s in danger.detect("再不解决我就跳楼，和他同归于尽")} == {"self_harm", "threat"}
    assert danger.detect("孩子说没有轻生的想法，邻里之间只是吵架") == []
    assert [s.code for s in danger.detect("包工头拖欠工资半年")] == ["wage_arrears"]


def test_danger_text_at_intake_raises_a_warning_at_once(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = intake(world, title="家暴求助", description="丈夫长期殴打我，我不想活了")
    warning = EarlyWarning.objects.get(request=request)
    assert warning.kind == WarningKind.DANGER and warning.severity == "high"
    assert set(warning.facts["signals"]) == {"violence", "self_harm"}
    assert list(warning.evidence.all()) == [request]
    assert AuditEntry.objects.filter(action="warning.raise", object_id=str(warning.pk)).exists()
    with django_capture_on_commit_callbacks(execute=True):
        calm = intake(world, title="路灯不亮", description="村口路灯坏了")
    assert not EarlyWarning.objects.filter(request=calm).exists()


def test_acknowledge_and_close_are_recorded_and_versioned(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        intake(world, title="讨薪", description="扬言要报复老板")
    warning = EarlyWarning.objects.get()
    leader = world.user_leader_a
    with pytest.raises(ValidationFailed):
        warning_close(actor=leader, warning=warning, version=warning.version, note=" ")
    acked = warning_acknowledge(actor=leader, warning=warning, version=warning.version, note="已电话联系")
    assert acked.status == WarningStatus.ACKNOWLEDGED and acked.acknowledged_by == leader
    with pytest.raises(Conflict):
        warning_close(actor=leader, warning=acked, version=warning.version, note="stale")
    closed = warning_close(actor=leader, warning=acked, version=acked.version, note="已化解")
    assert closed.status == WarningStatus.CLOSED and "已化解" in closed.note
    audit = AuditEntry.objects.filter(object_id=str(warning.pk), action__startswith="warning.")
    actions = list(audit.order_by("id").values_list("action", flat=True))
    assert actions == ["warning.raise", "warning.acknowledge", "warning.close"]


def test_warnings_are_scoped(world, django_capture_on_commit_callbacks, api):
    with django_capture_on_commit_callbacks(execute=True):
        intake(world, title="威胁", description="他说要弄死我")
    warning = EarlyWarning.objects.get()
    assert selectors.warning_list(actor=world.user_leader_a).count() == 1
    assert selectors.warning_list(actor=world.user_officer_b).count() == 0
    assert api(world.user_officer_b).get(f"/api/warnings/{warning.pk}/").status_code == 404
    answer = api(world.user_leader_a).post(
        f"/api/warnings/{warning.pk}/acknowledge/", {"version": warning.version}
    )
    assert answer.status_code == 200 and answer.json()["status"] == "acknowledged"
    stale = api(world.user_leader_a).post(
        f"/api/warnings/{warning.pk}/close/", {"version": warning.version, "note": "x"}
    )
    assert stale.status_code == 409


def test_scan_rises_finds_a_planted_spike_in_the_database(world, categories):
    now = timezone.now()
    rows = []
    # Two years of one request a week about street lights in the township, then eight in the last week.
    for week in range(1, 105):
        rows.append(Request(created_at=now - timedelta(weeks=week, hours=3)))
    rows += [Request(created_at=now - timedelta(hours=5 + i)) for i in range(8)]
    for i, row in enumerate(rows):
        row.tracking_code = f"T{i:08d}"
        row.kind, row.channel, row.title, row.description = "help", "hotline", "路灯", "路灯坏了"
        row.region, row.county, row.category, row.reporter_name = (
            world.village_a1,
            world.county_a,
            categories["lights"],
            "某",
        )
    Request.objects.bulk_create(rows)
    results = scan.scan_rises(now=now)
    assert [r.flagged for r in results] == [True]
    warning = EarlyWarning.objects.get(kind=WarningKind.RISE)
    assert warning.region == world.town_a1 and warning.category == categories["roads"]
    assert warning.evidence.count() == 8 and warning.facts["observed"] == 8
    scan.scan_rises(now=now)
    assert EarlyWarning.objects.filter(kind=WarningKind.RISE).count() == 1  # a re-run raises nothing twice


def test_repeat_group_and_deadline_scans(world, categories):
    first = intake(world)
    for _ in range(2):
        intake(world, title="又是路灯", description="还是没修")
    assert scan.scan_repeats() >= 1
    assert EarlyWarning.objects.filter(kind=WarningKind.REPEAT_REPORTER, facts__by="household").count() == 1
    for i in range(5):
        Party.objects.create(request=first, role="applicant", name=f"村民{i}")
    assert scan.scan_groups() == 1
    Request.objects.filter(pk=first.pk).update(risk="red", due_at=timezone.now() + timedelta(hours=10))
    assert scan.scan_deadlines() == 1
    assert scan.scan_deadlines() == 0


def test_command_runs_and_writes_digests(world, categories, tmp_path):
    intake(world)
    call_command("insights_run", "--out", str(tmp_path), "--period", "weekly", verbosity=0)
    files = list(tmp_path.glob("*-weekly-leader_a.html"))
    assert len(files) == 1 and "<html" in files[0].read_text()
