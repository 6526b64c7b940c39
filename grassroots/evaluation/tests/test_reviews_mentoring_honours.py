"""Adjustments and appeals (decided by someone else, audited), mentoring (the optimiser's rules, the record,
progress against the cohort) and exemplars (nomination rules, committee, register)."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from grassroots.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from grassroots.common.models import AuditEntry
from grassroots.evaluation import mentoring
from grassroots.evaluation.drill import drill
from grassroots.evaluation.honours import candidates, nomination_decide, nominations_propose
from grassroots.evaluation.indicators import Window
from grassroots.evaluation.models import HonourKind, HonourTitle, MentorshipStatus, OfficerResult
from grassroots.evaluation.reviews import adjustment_decide, adjustment_request, appeal_decide, appeal_file
from grassroots.evaluation.services import run_create, run_start, window_for_run
from grassroots.workforce.services import assignment_create, officer_create

pytestmark = pytest.mark.django_db


def test_adjustments_are_decided_by_someone_else_and_audited(evaluated):
    w = evaluated.world
    result = evaluated.results[w.officer_a2.pk]
    adjustment = adjustment_request(
        actor=w.user_hr, result=result, kind="grade", grade="basic", reason="重办未报"
    )
    with pytest.raises(Forbidden):
        adjustment_decide(actor=w.user_hr, adjustment=adjustment, approve=True, reason="同意")
    with pytest.raises(ValidationFailed) as caught:
        adjustment_request(actor=w.user_hr, result=result, kind="score", reason="理由")
    assert caught.value.errors[0].field == "score_delta"
    decided = adjustment_decide(actor=w.admin, adjustment=adjustment, approve=True, reason="同意",
                                expected_version=adjustment.version)  # fmt: skip
    assert decided.decided_by_id == w.admin.pk != decided.requested_by_id
    with pytest.raises(Conflict):
        adjustment_decide(actor=w.admin, adjustment=adjustment, approve=False, reason="改主意")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"evaluation.adjustment_request", "evaluation.adjustment_decide"} <= actions
    with pytest.raises(Forbidden):  # an officer does not adjust results
        adjustment_request(actor=w.user_officer_a1, result=evaluated.results[w.officer_a1.pk], kind="score",
                           score_delta=3, reason="自评")  # fmt: skip


def test_appeals_are_filed_by_the_officer_and_decided_by_another(evaluated):
    w = evaluated.world
    own = evaluated.results[w.hr.pk]
    with pytest.raises(Forbidden):
        appeal_file(actor=w.user_leader_a, result=evaluated.results[w.officer_a1.pk], reason="替他申诉一下")
    with pytest.raises(NotFound):
        appeal_file(actor=w.user_officer_b, result=evaluated.results[w.officer_a1.pk], reason="看不到的结果")
    appeal = appeal_file(actor=w.user_hr, result=own, reason="一线服务时间少算了一个月")
    with pytest.raises(Forbidden):
        appeal_decide(actor=w.user_hr, appeal=appeal, upheld=True, reason="自己同意", score_delta=5)
    with pytest.raises(ValidationFailed):
        appeal_decide(actor=w.admin, appeal=appeal, upheld=True, reason="属实")  # no remedy named
    appeal = appeal_decide(actor=w.admin, appeal=appeal, upheld=True, reason="属实", score_delta=4.0)
    adjustment = appeal.adjustments.get()
    assert adjustment.status == "approved" and adjustment.requested_by_id == w.user_hr.pk
    assert adjustment.decided_by_id == w.admin.pk


def _recruit(world, code: str, post, hired: date):
    officer = officer_create(actor=world.admin, staff_number=code, name=f"新警{code}", hire_date=hired)
    assignment_create(actor=world.admin, officer=officer, post=post, start=hired)
    return officer


def test_the_optimiser_pairs_recruits_with_veterans_in_their_area_and_never_their_supervisor(evaluated):
    w = evaluated.world
    second = _recruit(w, "A900", w.post_judge_a2, date.today())
    draft = run_start(actor=w.user_hr, background=False, run=run_create(
        actor=w.user_hr, scheme_version=evaluated.version, period_start=evaluated.run.period_start,
        period_end=evaluated.run.period_end))  # fmt: skip
    # Make the court president look like the best mentor of all: he leads both tribunals, so he is excluded.
    OfficerResult.objects.filter(run=draft).update(assessable=True, mass_work_score=60.0)
    OfficerResult.objects.filter(run=draft, officer=w.leader_a).update(mass_work_score=99.0)
    pairs = mentoring.propose_pairs(run=draft, capacity=1)
    chosen = {p.mentee_id: p.mentor_id for p in pairs}
    assert chosen[w.recruit_a1.pk] == w.officer_a1.pk  # same tribunal, same area
    assert chosen[second.pk] == w.officer_a2.pk
    assert w.leader_a.pk not in chosen.values()
    assert all(p.mentor_id != p.mentee_id for p in pairs)
    reasons = next(p.reasons for p in pairs if p.mentee_id == w.recruit_a1.pk)
    assert {"kind": "same_area"} in reasons
    with pytest.raises(ValidationFailed):
        mentoring.mentorship_create(actor=w.user_hr, mentor=w.leader_a, mentee=w.recruit_a1)


def test_mentoring_record_and_progress(evaluated):
    w = evaluated.world
    made = mentoring.mentoring_propose(actor=w.user_hr, run=evaluated.run)
    pair = next(m for m in made if m.mentee_id == w.recruit_a1.pk)
    assert pair.mentor_id != w.leader_a.pk
    with pytest.raises(ValidationFailed):  # a proposed pair has no sessions yet
        mentoring.mentoring_session_record(
            actor=w.user_hr, mentorship=pair, held_on=date.today(), minutes=30, topic="x"
        )
    pair = mentoring.mentorship_decide(
        actor=w.user_hr, mentorship=pair, accept=True, expected_version=pair.version
    )
    assert pair.status == MentorshipStatus.ACTIVE
    mentor_user = pair.mentor.user
    session = mentoring.mentoring_session_record(actor=mentor_user, mentorship=pair, held_on=date.today(), minutes=45,
                                                 topic="调解笔录怎么写")  # fmt: skip
    assert session.pk
    with pytest.raises(NotFound):
        mentoring.mentoring_session_record(actor=w.user_officer_b, mentorship=pair, held_on=date.today(), minutes=45,
                                           topic="不是我的")  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        mentoring.mentoring_session_record(
            actor=mentor_user, mentorship=pair, held_on=date(2099, 1, 1), minutes=0, topic=""
        )
    assert {e.field for e in caught.value.errors} >= {"held_on", "minutes", "topic"}
    goal = mentoring.mentoring_goal_add(actor=w.user_hr, mentorship=pair, title="独立调解", indicator="mediation_success",
                                        target_value=0.6)  # fmt: skip
    assert mentoring.mentoring_goal_achieve(actor=mentor_user, goal=goal).achieved_on == date.today()
    rows = mentoring.mentee_progress(mentorship=pair)
    assert rows and rows[-1].run.pk == evaluated.run.pk and rows[-1].cohort_size >= 1
    # The session counts as mentoring given in a later run's window.
    today = Window(date.today(), date.today(), timezone.now())
    given = drill(window=today, officer_id=pair.mentor_id, code="mentoring_given", part="numerator")
    assert given.total == 1


def test_nominations_follow_the_title_rule_and_the_committee_decides(evaluated):
    w = evaluated.world
    title = HonourTitle.objects.create(code="fast", name="办结能手", kind=HonourKind.INDIVIDUAL, indicator="completion",
                                       min_sample=8, threshold=0.5, top_n=2)  # fmt: skip
    found = candidates(title=title, run=evaluated.run)
    assert found and all(c["n"] >= 8 and c["low"] >= 0.5 for c in found)
    assert w.recruit_a1.pk not in {c["officer"] for c in found}  # 6 requests: below the minimum sample
    strict = HonourTitle.objects.create(code="strict", name="x", kind=HonourKind.INDIVIDUAL, indicator="completion",
                                        min_sample=1, threshold=0.999, top_n=5)  # fmt: skip
    assert candidates(title=strict, run=evaluated.run) == []
    made = nominations_propose(actor=w.user_hr, title=title, run=evaluated.run)
    with pytest.raises(Conflict):
        nominations_propose(actor=w.user_hr, title=title, run=evaluated.run)
    first = made[0]
    with pytest.raises(Forbidden):
        nomination_decide(
            actor=w.user_hr, nomination=first, approve=True, reason="同意", citation="办结及时，群众满意"
        )
    with pytest.raises(ValidationFailed):
        nomination_decide(actor=w.admin, nomination=first, approve=True, reason="同意")  # no citation
    nomination_decide(
        actor=w.admin, nomination=first, approve=True, reason="同意", citation="办结及时，群众满意"
    )
    honour = first.honour
    numerator = drill(
        window=window_for_run(evaluated.run), officer_id=first.officer_id, code="completion", part="numerator"
    )
    assert sorted(honour.request_ids) == sorted(r.request_id for r in numerator.rows)
    assert honour.evidence["requests_total"] == numerator.total
    collective = HonourTitle.objects.create(code="unit", name="模范集体", kind=HonourKind.COLLECTIVE,
                                            indicator="satisfaction", min_sample=5, threshold=0.3, top_n=3)  # fmt: skip
    units = candidates(title=collective, run=evaluated.run)
    assert units and all("unit" in c for c in units)
