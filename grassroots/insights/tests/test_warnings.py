"""Warnings: danger text at intake, the scheduled scans on a real database, acknowledge and close."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from grassroots.casework.models import Party, Request
from grassroots.common.api.testing import assert_documented, assert_error
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
    # Words that only look like signals (seen in the real message-board texts).
    for text in (
        "电梯安全问题时有发生，严重威胁到全体业主的生命财产安全",
        "防洪工程出现质量问题，威胁广大人民群众生命",
        "过山车、跳楼机等游乐设施是否属于特种设备",
    ):
        assert danger.detect(text) == [], text
    assert danger.group_phrases("举报有人聚众赌博") == []
    assert [s.code for s in danger.detect("他当面威胁我，说要弄死我")] == ["threat"]


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
    assert actions == ["warning.raise", "warning.escalate", "warning.acknowledge", "warning.close"]
    history = selectors.warning_history(actor=leader, warning=closed)
    assert [e.action for e in history] == actions


def test_warnings_are_scoped(world, django_capture_on_commit_callbacks, api):
    with django_capture_on_commit_callbacks(execute=True):
        intake(world, title="威胁", description="他说要弄死我")
    warning = EarlyWarning.objects.get()
    assert selectors.warning_list(actor=world.user_leader_a).count() == 1
    assert selectors.warning_list(actor=world.user_officer_b).count() == 0
    assert api(world.user_officer_b).get(f"/api/warnings/{warning.pk}/").status_code == 404
    listed = api(world.user_leader_a).get("/api/warnings/", {"status": "open", "kind": "danger"})
    assert_documented(listed, "/api/warnings/")
    assert [w["id"] for w in listed.json()["results"]] == [warning.pk]
    for name in ("status", "kind"):  # an unknown filter value is named, not answered with an empty list
        bad = api(world.user_leader_a).get("/api/warnings/", {name: "nope"})
        assert_error(bad, 400, "validation_failed", name)
        assert_documented(bad, "/api/warnings/")
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
    # The next day the same rise is still in the rolling week: the open warning gains evidence instead.
    Request.objects.bulk_create(
        [
            Request(
                tracking_code=f"U{i:08d}",
                kind="help",
                channel="hotline",
                title="路灯",
                description="路灯坏了",
                region=world.village_a1,
                county=world.county_a,
                category=categories["lights"],
                reporter_name="某",
                created_at=now + timedelta(hours=20 + i),
            )
            for i in range(3)
        ]
    )
    scan.scan_rises(now=now + timedelta(days=1))
    assert EarlyWarning.objects.filter(kind=WarningKind.RISE).count() == 1
    assert warning.evidence.count() == 11
    assert AuditEntry.objects.filter(action="warning.evidence", object_id=str(warning.pk)).count() == 1


def test_repeat_group_and_deadline_scans(world, categories):
    first = intake(world)
    for _ in range(2):
        intake(world, title="又是路灯", description="还是没修")
    assert scan.scan_repeats() >= 1
    household = EarlyWarning.objects.get(kind=WarningKind.REPEAT_REPORTER, subject__contains=":household:")
    assert household.evidence.count() == 3 and household.facts["count"] == 3
    assert scan.scan_repeats() == 0  # the same episode: nothing new
    intake(world, title="第四次", description="路灯还是不亮")
    scan.scan_repeats()
    household.refresh_from_db()
    assert household.evidence.count() == 4
    for i in range(5):
        Party.objects.create(request=first, role="applicant", name=f"村民{i}")
    assert scan.scan_groups() == 1
    group = EarlyWarning.objects.get(kind=WarningKind.GROUP)
    assert group.escalated_at is not None and world.user_leader_a in group.escalated_to.all()
    Request.objects.filter(pk=first.pk).update(risk="red", due_at=timezone.now() + timedelta(hours=10))
    assert scan.scan_deadlines() == 1
    assert scan.scan_deadlines() == 0


def test_closed_episode_is_raised_again_only_on_new_evidence(world, categories):
    for _ in range(3):
        intake(world)
    scan.scan_repeats()
    warning = EarlyWarning.objects.get(kind=WarningKind.REPEAT_REPORTER, subject__contains=":household:")
    closed = warning_close(actor=world.user_leader_a, warning=warning, version=warning.version, note="已上门")
    assert scan.scan_repeats() == 0  # the same three requests do not raise it again after closing
    for _ in range(2):
        intake(world, title="又来了", description="还是没修")
    assert scan.scan_repeats() == 0  # two new requests since the closing: below the threshold
    intake(world, title="第三次", description="还是没修")
    assert scan.scan_repeats() == 1
    again = EarlyWarning.objects.filter(subject=closed.subject).exclude(pk=closed.pk).get()
    assert again.status == WarningStatus.OPEN and again.key.endswith("#2")


def test_one_place_needs_a_precise_address(world, categories):
    # Three requests that only name the village are not "about one place"; three at one address are.
    for resident in (world.resident_a1, world.resident_a2, None):
        intake(world, reporter_resident=resident, address="城关镇东街村", reporter_name="某")
    scan.scan_repeats()
    assert not EarlyWarning.objects.filter(kind=WarningKind.REPEAT_PLACE).exists()
    for resident in (world.resident_a1, world.resident_a2, None):
        intake(world, reporter_resident=resident, address="东街村 幸福路 8 号", reporter_name="某")
    scan.scan_repeats()
    place = EarlyWarning.objects.get(kind=WarningKind.REPEAT_PLACE)
    assert place.facts["by"] == "address" and place.evidence.count() == 3


def test_group_words_at_intake_raise_a_group_warning(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = intake(world, title="讨薪", description="工地多名工人准备集体上访，要求结清工钱")
    kinds = set(EarlyWarning.objects.filter(request=request).values_list("kind", flat=True))
    assert kinds == {WarningKind.GROUP, WarningKind.DANGER}
    group = EarlyWarning.objects.get(request=request, kind=WarningKind.GROUP)
    assert set(group.facts["phrases"]) == {"多名工人", "集体上访"}
    assert danger.group_phrases("弱势群体的帮扶政策咨询") == []


def test_escalation_tells_the_leaders_of_the_place_once(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    world.user_leader_a.email = "leader@example.org"
    world.user_leader_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        request = intake(world, title="求助", description="他说要弄死我")
    warning = EarlyWarning.objects.get(request=request)
    assert list(warning.escalated_to.all()) == [world.user_leader_a]
    assert [m.to for m in mailoutbox] == [["leader@example.org"]]
    from grassroots.insights.services import warning_escalate

    warning_escalate(warning=warning)
    assert len(mailoutbox) == 1  # once
    with django_capture_on_commit_callbacks(execute=True):
        intake(
            world, actor=world.user_officer_b, region=world.village_b1, title="威胁", description="要报复他"
        )
    other = EarlyWarning.objects.exclude(pk=warning.pk).get()
    assert world.user_leader_a not in other.escalated_to.all()  # county B is not leader A's


def test_command_is_idempotent_and_mails_each_digest_once(world, categories, tmp_path, mailoutbox):
    from grassroots.insights.models import Digest

    world.user_leader_a.email = "leader@example.org"
    world.user_leader_a.save()
    intake(world)
    for _ in range(2):
        call_command("insights_run", "--out", str(tmp_path), "--period", "weekly", "--mail", verbosity=0)
    files = list(tmp_path.glob("*-weekly-leader_a.html"))
    assert len(files) == 1 and "<html" in files[0].read_text()
    digest = Digest.objects.get(user=world.user_leader_a, period="weekly")
    assert digest.mailed_at is not None and len(mailoutbox) == 1
    assert mailoutbox[0].alternatives[0][0] == digest.html


def test_stored_digest_is_its_readers_only(world, categories, client):
    call_command("insights_run", "--no-scan", "--period", "daily", verbosity=0)
    from grassroots.insights.models import Digest

    digest = Digest.objects.get(user=world.user_leader_a)
    client.force_login(world.user_leader_a)
    assert client.get(reverse("insights:digest-stored", args=[digest.pk])).status_code == 200
    client.force_login(world.user_officer_a1)
    assert client.get(reverse("insights:digest-stored", args=[digest.pk])).status_code == 404


def test_warning_pages_are_scoped(world, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        intake(world, title="威胁", description="他说要弄死我")
    warning = EarlyWarning.objects.get()
    client.force_login(world.user_leader_a)
    page = client.get(reverse("insights:warning", args=[warning.pk])).content.decode()
    assert "弄死" in page and warning.request.tracking_code in page
    answer = client.post(
        reverse("insights:warning-step", args=[warning.pk, "acknowledge"]), {"version": warning.version}
    )
    assert answer.status_code == 302
    warning.refresh_from_db()
    assert warning.status == WarningStatus.ACKNOWLEDGED
    client.force_login(world.user_officer_b)
    assert client.get(reverse("insights:warning", args=[warning.pk])).status_code == 404
    step = client.post(
        reverse("insights:warning-step", args=[warning.pk, "close"]), {"version": 2, "note": "x"}
    )
    assert step.status_code == 404
