from datetime import timedelta

import pytest
from django.utils import timezone

from grassroots.casework.mediation import (
    agreement_confirmation_update,
    agreement_document,
    agreement_sign,
    litigation_divert,
    mediation_session_record,
    party_add,
)
from grassroots.casework.models import Mediator, Request
from grassroots.casework.services import IntakeInput, InvalidTransition, request_intake, request_transition
from grassroots.casework.workflow import Action, Status
from grassroots.common.errors import ValidationFailed
from grassroots.common.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispute(world):
    request, _ = request_intake(
        actor=world.user_officer_a1,
        data=IntakeInput(
            channel="window",
            kind="dispute",
            title="宅基地边界纠纷",
            description="两户因院墙位置发生争执",
            region=world.village_a1,
            reporter_resident=world.resident_a1,
            dispute_type="房产纠纷",
        ),
    )
    for actor, action, data in [
        (world.user_officer_a1, Action.ACCEPT, {}),
        (world.user_leader_a, Action.ASSIGN, {"lead_unit": world.tribunal_a1}),
        (world.user_officer_a1, Action.START, {}),
    ]:
        request = request_transition(actor=actor, request=request, action=action, data=data)
    return request


@pytest.fixture
def mediators(world):
    return [
        Mediator.objects.create(kind="officer", name="张法官", officer=world.officer_a1),
        Mediator.objects.create(kind="social_court", name="城关社会法庭 李大姐", region=world.town_a1),
    ]


def test_mediation_to_signed_agreement_and_confirmation(world, dispute, mediators):
    applicant = party_add(
        actor=world.user_officer_a1,
        request=dispute,
        role="applicant",
        resident=world.resident_a1,
        phone="13800138000",
        address="东街12号",
    )
    respondent = party_add(
        actor=world.user_officer_a1,
        request=dispute,
        role="respondent",
        name="赵某",
        phone="13900001111",
        address="东街14号",
    )
    assert respondent.phone_masked == "139****1111"
    with pytest.raises(ValidationFailed) as info:  # no session yet
        agreement_sign(
            actor=world.user_officer_a1, request=dispute, facts="f", terms="t", signed_on=timezone.localdate()
        )
    assert info.value.errors[0].field == "sessions"
    mediation_session_record(
        actor=world.user_officer_a1,
        request=dispute,
        at=timezone.now() - timedelta(hours=2),
        place="城关法庭调解室",
        mediators=mediators,
        parties_present=[applicant, respondent],
        outcome="agreement",
        notes="双方同意按原址重砌院墙",
    )
    agreement = agreement_sign(
        actor=world.user_officer_a1,
        request=dispute,
        facts="院墙越界约30厘米",
        terms="赵某于十日内拆除越界部分并按原址重砌",
        signed_on=timezone.localdate(),
        performance="2026年12月10日前履行",
    )
    dispute.refresh_from_db()
    assert dispute.status == Status.RESOLVED and dispute.outcome == "agreement"
    html = agreement_document(actor=world.user_officer_a1, agreement=agreement)
    assert "赵某于十日内拆除越界部分" in html and "13900001111" in html and "城关社会法庭 李大姐" in html
    assert AuditEntry.objects.filter(action="dispute.agreement_document").count() == 1
    with pytest.raises(InvalidTransition):  # confirmation is applied for first
        agreement_confirmation_update(
            actor=world.user_officer_a1, agreement=agreement, confirmation="confirmed", case_number="x"
        )
    agreement_confirmation_update(actor=world.user_officer_a1, agreement=agreement, confirmation="applied")
    with pytest.raises(ValidationFailed):
        agreement_confirmation_update(
            actor=world.user_officer_a1, agreement=agreement, confirmation="confirmed"
        )
    agreement_confirmation_update(
        actor=world.user_officer_a1,
        agreement=agreement,
        confirmation="confirmed",
        case_number="(2026)豫0225民特12号",
    )
    agreement.refresh_from_db()
    assert agreement.confirmation == "confirmed"


def test_diversion_to_litigation(world, dispute, mediators):
    with pytest.raises(ValidationFailed):
        litigation_divert(actor=world.user_officer_a1, request=dispute, court=world.hr_dept)
    handoff = litigation_divert(
        actor=world.user_officer_a1,
        request=dispute,
        court=world.court_a,
        case_number="(2026)豫0225民初88号",
        materials="调解记录两份",
        reason="调解不成",
    )
    dispute.refresh_from_db()
    assert dispute.status == Status.RESOLVED and dispute.outcome == "litigation"
    assert handoff.court == world.court_a


def test_only_disputes_in_progress_are_mediated(world, mediators):
    request, _ = request_intake(
        actor=world.user_officer_a1,
        data=IntakeInput(
            channel="hotline",
            kind="consultation",
            title="咨询",
            description="如何申请法律援助",
            region=world.village_a1,
            reporter_name="某人",
        ),
    )
    with pytest.raises(InvalidTransition, match="Only disputes"):
        party_add(actor=world.admin, request=request, role="applicant", name="x")
    assert Request.objects.get(pk=request.pk).parties.count() == 0
