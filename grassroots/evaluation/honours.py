"""Exemplars (先进典型): nominating candidates from a published run, the committee's decision, the register.

A title names an indicator, a minimum sample, a threshold and a number of candidates. An individual title
nominates officers whose figure has at least ``min_sample`` in its denominator and whose interval's lower end
(for a shrunk rate: of the posterior; otherwise Wilson) reaches ``threshold``, best first by the shrunk value
and then by the lower end; a collective title does the same over the units' summed figures (Wilson). The
committee (HR or an administrator other than the proposer) approves or rejects each nomination; an approved
one enters the honours register with the records that earned it, frozen at that moment.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from grassroots.common.audit import audit_record
from grassroots.common.errors import Conflict, FieldError, Forbidden, ValidationFailed
from grassroots.common.scoping import Actor, as_actor
from grassroots.workforce.models import Officer

from .drill import casework_request_ids
from .indicators import INDICATORS, IndicatorKind, visit_rows
from .models import (
    EvaluationRun,
    Honour,
    HonourKind,
    HonourTitle,
    Nomination,
    NominationStatus,
    OfficerResult,
    RunStatus,
    UnitResult,
)
from .services import require_hr, window_for_run

EVIDENCE_LIMIT = 500  # records kept with an honour (the figure says how many there were in all)
DEFAULT_TITLES = [
    {
        "code": "top-mediators",
        "name": "十大调解能手",
        "name_en": "Top ten mediators",
        "kind": HonourKind.INDIVIDUAL,
        "indicator": "mediation_success",
        "min_sample": 5,
        "threshold": 0.5,
        "top_n": 10,
        "description": "调解成功率高、样本充足、区间下限达标的干警。",
    },
    {
        "code": "people-satisfied",
        "name": "群众满意干警",
        "name_en": "Officers the people are satisfied with",
        "kind": HonourKind.INDIVIDUAL,
        "indicator": "satisfaction",
        "min_sample": 10,
        "threshold": 0.85,
        "top_n": 10,
        "description": "独立回访满意率高（区间下限达标）的干警。",
    },
    {
        "code": "model-collective",
        "name": "模范集体",
        "name_en": "Model collective",
        "kind": HonourKind.COLLECTIVE,
        "indicator": "satisfaction",
        "min_sample": 30,
        "threshold": 0.85,
        "top_n": 3,
        "description": "回访满意率整体高的部门、法庭。",
    },
]


def ensure_default_titles() -> list[HonourTitle]:
    made = []
    for spec in DEFAULT_TITLES:
        title, _created = HonourTitle.objects.get_or_create(code=spec["code"], defaults=spec)
        made.append(title)
    return made


def _entry(breakdown: list[dict[str, Any]], code: str) -> dict[str, Any] | None:
    return next((e for e in breakdown if e["code"] == code), None)


def candidates(*, title: HonourTitle, run: EvaluationRun) -> list[dict[str, Any]]:
    """The nominees a title's rule finds in a run, best first (nothing is written)."""
    spec = INDICATORS[title.indicator]
    lower_better = spec.better == "lower"
    found = []
    if title.kind == HonourKind.INDIVIDUAL:
        rows = OfficerResult.objects.filter(run=run, assessable=True).values(
            "officer_id", "breakdown", "score", "grade", "peer_group"
        )
        for row in rows:
            entry = _entry(row["breakdown"], title.indicator)
            if entry is None or (entry.get("n") or 0) < title.min_sample or entry.get("value") is None:
                continue
            if spec.kind == IndicatorKind.RATE:
                # Higher is better: the interval's lower end reaches the threshold; lower is better: its upper
                # end stays at or below it.
                bound = entry.get("high") if lower_better else entry.get("low")
                if bound is None or (bound > title.threshold if lower_better else bound < title.threshold):
                    continue
            found.append(
                {
                    "officer": row["officer_id"],
                    "indicator": title.indicator,
                    **{
                        k: entry.get(k)
                        for k in (
                            "k",
                            "n",
                            "raw",
                            "raw_low",
                            "raw_high",
                            "value",
                            "low",
                            "high",
                            "percentile",
                        )
                    },
                    "score": row["score"],
                    "grade": row["grade"],
                    "peer_group": row["peer_group"],
                }
            )
    else:
        for row in UnitResult.objects.filter(run=run).values(
            "unit_id", "breakdown", "officer_count", "mean_score"
        ):
            entry = _entry(row["breakdown"], title.indicator)
            if entry is None or (entry.get("n") or 0) < title.min_sample or entry.get("value") is None:
                continue
            if spec.kind == IndicatorKind.RATE and (
                entry.get("low") is None or entry["low"] < title.threshold
            ):
                continue
            found.append(
                {
                    "unit": row["unit_id"],
                    "indicator": title.indicator,
                    **{k: entry.get(k) for k in ("k", "n", "value", "low", "high", "adjusted")},
                    "officer_count": row["officer_count"],
                    "mean_score": row["mean_score"],
                }
            )
    sign = 1 if lower_better else -1
    found.sort(
        key=lambda c: (sign * c["value"], sign * (c.get("low") or 0), c.get("officer") or c.get("unit"))
    )
    return found[: title.top_n]


def nominations_propose(*, actor: Actor | Any, title: HonourTitle, run: EvaluationRun) -> list[Nomination]:
    actor = as_actor(actor)
    require_hr(actor)
    if run.status != RunStatus.PUBLISHED:
        raise Conflict("Candidates are nominated from a published run")
    if not title.is_active:
        raise ValidationFailed("Not nominated", [FieldError("title", "is not active")])
    found = candidates(title=title, run=run)
    now = timezone.now()
    try:
        with transaction.atomic():
            made = Nomination.objects.bulk_create(
                [
                    Nomination(
                        title=title,
                        run=run,
                        officer_id=c.get("officer"),
                        unit_id=c.get("unit"),
                        rank=position,
                        evidence=c,
                        proposed_by=actor.user,
                        proposed_at=now,
                    )
                    for position, c in enumerate(found, start=1)
                ]
            )
            audit_record(
                actor=actor,
                action="evaluation.nominate",
                obj=title,
                data={"run": run.pk, "nominees": [c.get("officer") or c.get("unit") for c in found]},
            )
    except IntegrityError as exc:
        raise Conflict("This title was already nominated from this run") from exc
    return made


def _evidence_records(nomination: Nomination) -> tuple[list[int], list[int], int, int]:
    """The requests (the indicator's numerator) and visits behind a nomination, capped, with their totals:
    one statement each, for one officer or for every officer of the unit."""
    window = window_for_run(nomination.run)
    if nomination.officer_id:
        officers = Officer.objects.filter(pk=nomination.officer_id).values("id")
    else:
        officers = OfficerResult.objects.filter(run=nomination.run, unit_id=nomination.unit_id).values(
            "officer_id"
        )
    spec = INDICATORS[nomination.title.indicator]
    request_ids = casework_request_ids(window, officers, spec.code) if spec.source == "casework" else []
    visits = visit_rows(window).filter(officer_id__in=officers).order_by("id").values_list("id", flat=True)
    visit_ids = list(visits[:EVIDENCE_LIMIT])
    return sorted(request_ids)[:EVIDENCE_LIMIT], visit_ids, len(request_ids), visits.count()


def nomination_decide(
    *,
    actor: Actor | Any,
    nomination: Nomination,
    approve: bool,
    reason: str,
    citation: str = "",
    expected_version: int | None = None,
) -> Nomination:
    """The committee's decision: HR or an administrator other than the proposer. An approval enters the
    honours register with its citation and the records that earned it."""
    actor = as_actor(actor)
    require_hr(actor)
    errors = []
    if len(reason.strip()) < 2:
        errors.append(FieldError("reason", "is required", code="required"))
    if approve and len(citation.strip()) < 5:
        errors.append(FieldError("citation", "an honour carries a citation", code="required"))
    if errors:
        raise ValidationFailed("Not decided", errors)
    with transaction.atomic():
        locked = Nomination.objects.select_for_update().select_related("title", "run").get(pk=nomination.pk)
        if locked.status != NominationStatus.PROPOSED:
            raise Conflict(f"This nomination was already {locked.status}")
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(f"Nomination {locked.pk} was changed by someone else; reload and try again")
        if locked.proposed_by_id == actor.pk:
            raise Forbidden("The committee's decision is taken by someone other than the proposer")
        locked.status = NominationStatus.APPROVED if approve else NominationStatus.REJECTED
        locked.decided_by = actor.user
        locked.decided_at = timezone.now()
        locked.decision_reason = reason.strip()
        locked.version = F("version") + 1
        locked.save()
        locked.refresh_from_db()
        honour = None
        if approve:
            requests, visits, request_total, visit_total = _evidence_records(locked)
            honour = Honour.objects.create(
                title=locked.title,
                nomination=locked,
                officer_id=locked.officer_id,
                unit_id=locked.unit_id,
                period_label=locked.run.label,
                awarded_on=timezone.localdate(),
                citation=citation.strip(),
                evidence={**locked.evidence, "requests_total": request_total, "visits_total": visit_total},
                request_ids=requests,
                visit_ids=visits,
                awarded_by=actor.user,
            )
        audit_record(
            actor=actor,
            action="evaluation.nomination_decide",
            obj=locked,
            reason=reason.strip()[:500],
            data={"status": locked.status, "honour": honour.pk if honour else None},
        )
    return locked
