"""Adjustments and appeals: a published result never changes; a change to it is asked for with a reason
(by HR or the officer's unit leader, or as the officer's own appeal) and decided by HR or an administrator who
is not the person who asked. Each request and decision is one transaction with its audit entry."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from grassroots.common.audit import audit_record
from grassroots.common.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from grassroots.common.models import Role
from grassroots.common.scoping import Actor, as_actor

from .models import (
    Adjustment,
    AdjustmentKind,
    Appeal,
    AppealStatus,
    DecisionStatus,
    Grade,
    OfficerResult,
)
from .services import _check_version, require_hr


def _published_result(result: OfficerResult) -> OfficerResult:
    result = OfficerResult.objects.select_related("run", "officer").get(pk=result.pk)
    if not result.run.is_published:
        raise Conflict("Adjustments and appeals concern published results")
    return result


def _adjustment_errors(kind: str, score_delta: float | None, grade: str, reason: str) -> list[FieldError]:
    errors = []
    if kind not in AdjustmentKind.values:
        errors.append(FieldError("kind", f"must be one of {', '.join(AdjustmentKind.values)}"))
    if kind == AdjustmentKind.SCORE:
        if score_delta is None or not isinstance(score_delta, int | float):
            errors.append(FieldError("score_delta", "is required for a score correction", code="required"))
        elif not -100 <= score_delta <= 100 or score_delta == 0:
            errors.append(FieldError("score_delta", "must be a non-zero change between -100 and 100"))
        if grade:
            errors.append(FieldError("grade", "a score correction does not name a grade"))
    if kind == AdjustmentKind.GRADE:
        if grade not in Grade.values:
            errors.append(FieldError("grade", f"must be one of {', '.join(Grade.values)}", code="choice"))
        if score_delta is not None:
            errors.append(FieldError("score_delta", "a grade change does not change the score"))
    if len(reason.strip()) < 2:
        errors.append(FieldError("reason", "say why", code="required"))
    return errors


def _may_request_adjustment(actor: Actor, result: OfficerResult) -> bool:
    if actor.is_admin or actor.is_hr:
        return True
    return actor.role == Role.LEADER and OfficerResult.objects.visible_to(actor).filter(pk=result.pk).exists()


def adjustment_request(
    *,
    actor: Actor | Any,
    result: OfficerResult,
    kind: str,
    reason: str,
    score_delta: float | None = None,
    grade: str = "",
) -> Adjustment:
    """Ask for a change to a published result (HR, or the leader of the officer's unit), with the reason."""
    actor = as_actor(actor)
    if not OfficerResult.objects.visible_to(actor).filter(pk=result.pk).exists():
        raise NotFound()
    if not _may_request_adjustment(actor, result):
        raise Forbidden("Only HR or the officer's unit leader asks for adjustments")
    result = _published_result(result)
    if result.officer.user_id is not None and result.officer.user_id == actor.pk:
        raise Forbidden("You cannot ask to adjust your own result: file an appeal")
    errors = _adjustment_errors(kind, score_delta, grade, reason)
    if errors:
        raise ValidationFailed("Adjustment not requested", errors)
    with transaction.atomic():
        adjustment = Adjustment.objects.create(
            result=result,
            kind=kind,
            score_delta=float(score_delta) if kind == AdjustmentKind.SCORE else None,
            grade=grade if kind == AdjustmentKind.GRADE else "",
            reason=reason.strip(),
            requested_by=actor.user,
            requested_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="evaluation.adjustment_request",
            obj=adjustment,
            reason=reason.strip()[:500],
            data={"result": result.pk, "kind": kind, "score_delta": score_delta, "grade": grade},
        )
    return adjustment


def adjustment_decide(
    *,
    actor: Actor | Any,
    adjustment: Adjustment,
    approve: bool,
    reason: str,
    expected_version: int | None = None,
) -> Adjustment:
    """Approve or reject an adjustment: HR or an administrator, never the person who asked for it."""
    actor = as_actor(actor)
    require_hr(actor)
    if len(reason.strip()) < 2:
        raise ValidationFailed("Not decided", [FieldError("reason", "is required", code="required")])
    with transaction.atomic():
        locked = Adjustment.objects.select_for_update().get(pk=adjustment.pk)
        if locked.status != DecisionStatus.PENDING:
            raise Conflict(f"This adjustment was already {locked.status}")
        _check_version(locked, expected_version)
        if locked.requested_by_id == actor.pk:
            raise Forbidden("An adjustment is decided by someone other than who asked for it")
        locked.status = DecisionStatus.APPROVED if approve else DecisionStatus.REJECTED
        locked.decided_by = actor.user
        locked.decided_at = timezone.now()
        locked.decision_reason = reason.strip()
        locked.version = F("version") + 1
        locked.save()
        locked.refresh_from_db()
        audit_record(
            actor=actor,
            action="evaluation.adjustment_decide",
            obj=locked,
            reason=reason.strip()[:500],
            data={"result": locked.result_id, "status": locked.status},
        )
    return locked


def appeal_file(*, actor: Actor | Any, result: OfficerResult, reason: str) -> Appeal:
    """An officer appeals their own published result (one open appeal at a time)."""
    actor = as_actor(actor)
    if not OfficerResult.objects.visible_to(actor).filter(pk=result.pk).exists():
        raise NotFound()
    result = _published_result(result)
    if result.officer.user_id is None or result.officer.user_id != actor.pk:
        raise Forbidden("Only the officer appeals their own result")
    if len(reason.strip()) < 5:
        raise ValidationFailed(
            "Appeal not filed", [FieldError("reason", "say what is wrong and why", code="required")]
        )
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                result=result, reason=reason.strip(), filed_by=actor.user, filed_at=timezone.now()
            )
            audit_record(
                actor=actor, action="evaluation.appeal_file", obj=appeal, reason=reason.strip()[:500],
                data={"result": result.pk},
            )  # fmt: skip
    except IntegrityError as exc:
        raise Conflict("An appeal against this result is already open") from exc
    return appeal


def appeal_decide(
    *,
    actor: Actor | Any,
    appeal: Appeal,
    upheld: bool,
    reason: str,
    score_delta: float | None = None,
    grade: str = "",
    expected_version: int | None = None,
) -> Appeal:
    """Decide an appeal (HR or an administrator, never the appellant). An upheld appeal carries its remedy
    (a score correction or a new grade) as an approved adjustment requested by the appellant."""
    actor = as_actor(actor)
    require_hr(actor)
    errors = []
    if len(reason.strip()) < 2:
        errors.append(FieldError("reason", "say why", code="required"))
    kind = AdjustmentKind.GRADE if grade else AdjustmentKind.SCORE
    if upheld:
        if score_delta is None and not grade:
            errors.append(
                FieldError("score_delta", "an upheld appeal names its remedy: a score change or a grade")
            )
        else:
            errors += _adjustment_errors(kind, score_delta, grade, reason)
    if errors:
        raise ValidationFailed("Appeal not decided", errors)
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if locked.status != AppealStatus.OPEN:
            raise Conflict(f"This appeal was already {locked.status}")
        _check_version(locked, expected_version)
        if locked.filed_by_id == actor.pk:
            raise Forbidden("An appeal is decided by someone other than the appellant")
        now = timezone.now()
        locked.status = AppealStatus.UPHELD if upheld else AppealStatus.DISMISSED
        locked.decided_by = actor.user
        locked.decided_at = now
        locked.decision_reason = reason.strip()
        locked.version = F("version") + 1
        locked.save()
        locked.refresh_from_db()
        if upheld:
            Adjustment.objects.create(
                result_id=locked.result_id,
                kind=kind,
                score_delta=float(score_delta) if kind == AdjustmentKind.SCORE else None,
                grade=grade if kind == AdjustmentKind.GRADE else "",
                reason=locked.reason,
                appeal=locked,
                status=DecisionStatus.APPROVED,
                requested_by_id=locked.filed_by_id,
                requested_at=locked.filed_at,
                decided_by=actor.user,
                decided_at=now,
                decision_reason=reason.strip(),
            )
        audit_record(
            actor=actor,
            action="evaluation.appeal_decide",
            obj=locked,
            reason=reason.strip()[:500],
            data={
                "result": locked.result_id,
                "status": locked.status,
                "score_delta": score_delta,
                "grade": grade,
            },
        )
    return locked
