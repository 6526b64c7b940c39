"""Retention: contact details of matters that ended long ago are erased; the record itself stays."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from grassroots.casework.models import Party, Request
from grassroots.casework.retention import personal_data_erase, retention_cutoff
from grassroots.casework.services import IntakeInput, request_intake, request_transition
from grassroots.casework.workflow import Action, Status
from grassroots.common.audit import audit_verify
from grassroots.common.models import AuditEntry

pytestmark = pytest.mark.django_db


def walk_in(world, title, *, reject_days_ago=None):
    request, _ = request_intake(
        actor=world.user_officer_a1,
        data=IntakeInput(
            channel="window",
            kind="help",
            title=title,
            description="邻里之间因排水沟堵塞发生争执",
            region=world.village_a1,
            reporter_name="王某某",
            reporter_phone="13800138000",
        ),
    )
    Party.objects.create(request=request, role="applicant", name="王某某", address="东街3号")
    if reject_days_ago is not None:
        request = request_transition(
            actor=world.user_officer_a1,
            request=request,
            action=Action.REJECT,
            reason="不属受理范围",
        )
        Request.objects.filter(pk=request.pk).update(
            updated_at=timezone.now() - timedelta(days=reject_days_ago)
        )
    return request


def test_contact_details_of_old_ended_matters_are_erased_once(world):
    old = walk_in(world, "排水沟", reject_days_ago=4 * 365)
    recent = walk_in(world, "排水沟二", reject_days_ago=30)
    still_open = walk_in(world, "排水沟三")
    Request.objects.filter(pk=still_open.pk).update(updated_at=timezone.now() - timedelta(days=5 * 365))

    cutoff = retention_cutoff(years=3)
    assert personal_data_erase(cutoff=cutoff, dry_run=True).requests == 1
    assert Request.objects.get(pk=old.pk).reporter_name == "王某某"  # a dry run changes nothing

    result = personal_data_erase(cutoff=cutoff)
    assert (result.requests, result.parties) == (1, 1)
    old = Request.objects.get(pk=old.pk)
    assert old.reporter_name == "" and old.reporter_phone_encrypted == "" and old.reporter_phone_masked == ""
    assert old.description.startswith("邻里") and old.status == Status.REJECTED  # the record stays
    party = old.parties.get()
    assert party.name == "—" and party.address == "" and party.phone_encrypted == ""
    for kept in (recent, still_open):
        kept = Request.objects.get(pk=kept.pk)
        assert kept.reporter_name == "王某某" and kept.parties.get().name == "王某某"

    entry = AuditEntry.objects.filter(action="retention.erase").get()
    assert entry.data["requests"] == [old.pk]
    assert audit_verify().ok
    assert personal_data_erase(cutoff=cutoff).requests == 0  # nothing more to do


def test_the_command_reports_what_it_erased(world):
    walk_in(world, "排水沟", reject_days_ago=4 * 365)
    out = io.StringIO()
    call_command("retention_apply", "--years", "3", "--dry-run", stdout=out)
    assert "would erase the contact details of 1 requests and 1 parties" in out.getvalue()
    call_command("retention_apply", "--years", "3", "--no-progress", stdout=out)
    assert "erased the contact details of 1 requests" in out.getvalue()
    assert not Request.objects.exclude(reporter_name="").filter(status=Status.REJECTED).exists()
