"""Mentoring (传帮带): proposing mentor–mentee pairs with an assignment optimiser, and the mentoring record.

Mentees are the new recruits (hired within ``RECRUIT_PERIOD_MONTHS``) without a current mentor. Mentors are
veterans (``veteran_years`` of service in the run's scheme) with front-line experience (an actual front-line
assignment at some time) and a result in the run, each with a capacity (``capacity`` minus their current
mentees). A mentor is never the mentee's supervisor: whoever holds a leadership post in the mentee's unit or
in a unit above it is excluded. Among the allowed pairs ``scipy.optimize.linear_sum_assignment`` (one
column per free place of each mentor) maximises the total benefit: the mentor's mass-work score (0–100), plus
20 for serving in the same area (the same jurisdiction) or 10 for the same county, plus 5 for the same kind
of unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from scipy.optimize import linear_sum_assignment

from grassroots.common.audit import audit_record
from grassroots.common.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from grassroots.common.scoping import Actor, as_actor
from grassroots.workforce.models import Assignment, AssignmentKind, Officer

from .indicators import INDICATORS
from .models import (
    EvaluationRun,
    MentoringGoal,
    MentoringSession,
    Mentorship,
    MentorshipStatus,
    OfficerResult,
    RunStatus,
)
from .services import require_hr

DEFAULT_CAPACITY = 2
SAME_AREA, SAME_COUNTY, SAME_KIND = 20.0, 10.0, 5.0
FORBIDDEN = -1e9


@dataclass
class Person:
    officer_id: int
    name: str
    unit_id: int | None
    unit_path: str
    unit_kind: str
    region_path: str


@dataclass
class Proposal:
    mentor_id: int
    mentee_id: int
    benefit: float
    reasons: list[dict[str, Any]] = field(default_factory=list)


def _current_people(day: date, officer_ids: set[int] | None = None) -> dict[int, Person]:
    qs = Assignment.objects.current(day).select_related("post__unit__region", "officer")
    if officer_ids is not None:
        qs = qs.filter(officer_id__in=officer_ids)
    people: dict[int, Person] = {}
    for a in qs.order_by("officer_id", "-start", "-id"):
        if a.officer_id in people:
            continue
        unit = a.post.unit
        people[a.officer_id] = Person(
            a.officer_id,
            a.officer.name,
            unit.pk,
            unit.path,
            unit.kind,
            unit.region.path if unit.region_id else "",
        )
    return people


def supervisors_of(day: date) -> dict[str, set[int]]:
    """Unit path → the officers holding a leadership post in that unit on ``day``."""
    rows = (
        Assignment.objects.current(day)
        .filter(post__is_leadership=True)
        .values_list("post__unit__path", "officer_id")
    )
    found: dict[str, set[int]] = {}
    for path, officer_id in rows:
        found.setdefault(path, set()).add(officer_id)
    return found


def _is_supervisor(mentor_id: int, mentee: Person, leaders: dict[str, set[int]]) -> bool:
    """Whether the mentor leads the mentee's unit or any unit above it."""
    parts = [p for p in mentee.unit_path.split("/") if p]
    for depth in range(1, len(parts) + 1):
        if mentor_id in leaders.get("/".join(parts[:depth]) + "/", set()):
            return True
    return False


def _county(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    return "/".join(parts[:3])


def propose_pairs(
    *, run: EvaluationRun, day: date | None = None, capacity: int = DEFAULT_CAPACITY
) -> list[Proposal]:
    """The optimal pairs for the recruits without a mentor (nothing is written)."""
    day = day or timezone.localdate()
    definition = run.scheme_version.definition
    veteran_years = definition.get("veteran_years", 5)
    recruited_after = day - relativedelta(months=settings.RECRUIT_PERIOD_MONTHS)
    taken = set(Mentorship.objects.current().values_list("mentee_id", flat=True))
    load: dict[int, int] = {}
    for mentor_id in Mentorship.objects.current().values_list("mentor_id", flat=True):
        load[mentor_id] = load.get(mentor_id, 0) + 1
    mentees = list(
        Officer.objects.filter(is_active=True, hire_date__gt=recruited_after)
        .exclude(id__in=taken)
        .values_list("id", flat=True)
    )
    front_line_ever = set(
        Assignment.objects.filter(kind=AssignmentKind.ACTUAL, post__is_front_line=True, start__lte=day)
        .values_list("officer_id", flat=True)
        .distinct()
    )
    veteran_before = day - relativedelta(years=veteran_years)
    results = {
        r["officer_id"]: r
        for r in OfficerResult.objects.filter(run=run, assessable=True, officer__is_active=True)
        .filter(officer__hire_date__lte=veteran_before)
        .values("officer_id", "mass_work_score", "score", "grade")
    }
    mentors = [
        oid
        for oid, r in results.items()
        if oid in front_line_ever and r["mass_work_score"] is not None and capacity - load.get(oid, 0) > 0
    ]
    if not mentees or not mentors:
        return []
    people = _current_people(day, set(mentees) | set(mentors))
    mentees = [m for m in mentees if m in people]
    mentors = sorted(m for m in mentors if m in people)
    leaders = supervisors_of(day)
    slots = [m for m in mentors for _ in range(capacity - load.get(m, 0))]
    if not mentees or not slots:
        return []
    benefit = np.full((len(mentees), len(slots)), FORBIDDEN)
    reasons: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for i, mentee_id in enumerate(mentees):
        mentee = people[mentee_id]
        for j, mentor_id in enumerate(slots):
            mentor = people[mentor_id]
            if mentor_id == mentee_id or _is_supervisor(mentor_id, mentee, leaders):
                continue
            score = float(results[mentor_id]["mass_work_score"])
            why = [{"kind": "mass_work", "score": round(score, 1)}, {"kind": "front_line_experience"}]
            if mentor.region_path and mentor.region_path == mentee.region_path:
                score += SAME_AREA
                why.append({"kind": "same_area"})
            elif mentor.region_path and _county(mentor.region_path) == _county(mentee.region_path):
                score += SAME_COUNTY
                why.append({"kind": "same_county"})
            if mentor.unit_kind == mentee.unit_kind:
                score += SAME_KIND
                why.append({"kind": "same_unit_kind"})
            benefit[i, j] = score
            reasons[(mentee_id, mentor_id)] = why
    rows, cols = linear_sum_assignment(benefit, maximize=True)
    proposals = []
    for i, j in zip(rows, cols, strict=True):
        if benefit[i, j] <= FORBIDDEN / 2:
            continue
        mentee_id, mentor_id = mentees[i], slots[j]
        proposals.append(
            Proposal(mentor_id, mentee_id, round(float(benefit[i, j]), 3), reasons[(mentee_id, mentor_id)])
        )
    return sorted(proposals, key=lambda p: (p.mentee_id, p.mentor_id))


def mentoring_propose(
    *, actor: Actor | Any, run: EvaluationRun, day: date | None = None, capacity: int = DEFAULT_CAPACITY
) -> list[Mentorship]:
    """Record the optimiser's pairs as proposals for HR to accept or decline."""
    actor = as_actor(actor)
    require_hr(actor)
    if run.status != RunStatus.PUBLISHED:
        raise Conflict("Pairs are proposed from a published run")
    if not 1 <= capacity <= 10:
        raise ValidationFailed("Not proposed", [FieldError("capacity", "must be 1 to 10 mentees per mentor")])
    proposals = propose_pairs(run=run, day=day, capacity=capacity)
    with transaction.atomic():
        made = Mentorship.objects.bulk_create(
            [
                Mentorship(
                    mentor_id=p.mentor_id,
                    mentee_id=p.mentee_id,
                    match_score=p.benefit,
                    reasons=p.reasons,
                    based_on_run=run,
                    proposed_by=actor.user,
                    proposed_at=timezone.now(),
                )
                for p in proposals
            ]
        )
        audit_record(
            actor=actor,
            action="evaluation.mentoring_propose",
            obj=run,
            data={"pairs": [[p.mentor_id, p.mentee_id] for p in proposals], "capacity": capacity},
        )
    return made


def _locked(mentorship: Mentorship, expected_version: int | None) -> Mentorship:
    locked = Mentorship.objects.select_for_update().get(pk=mentorship.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            f"Mentorship {locked.pk} was changed by someone else (now version {locked.version}); reload and try again"
        )
    return locked


def mentorship_decide(
    *, actor: Actor | Any, mentorship: Mentorship, accept: bool, expected_version: int | None = None
) -> Mentorship:
    """Accept a proposed pair (it starts today) or decline it."""
    actor = as_actor(actor)
    require_hr(actor)
    with transaction.atomic():
        locked = _locked(mentorship, expected_version)
        if locked.status != MentorshipStatus.PROPOSED:
            raise Conflict(f"This pair is {locked.status}, not proposed")
        locked.status = MentorshipStatus.ACTIVE if accept else MentorshipStatus.DECLINED
        locked.start = timezone.localdate() if accept else None
        locked.decided_by = actor.user
        locked.decided_at = timezone.now()
        locked.version = F("version") + 1
        locked.save()
        locked.refresh_from_db()
        audit_record(
            actor=actor, action="evaluation.mentorship_decide", obj=locked, data={"status": locked.status}
        )
    return locked


def mentorship_create(
    *, actor: Actor | Any, mentor: Officer, mentee: Officer, start: date | None = None
) -> Mentorship:
    """A pair chosen by hand (the same rules as the optimiser's: never the mentee's supervisor)."""
    actor = as_actor(actor)
    require_hr(actor)
    day = start or timezone.localdate()
    errors = []
    if mentor.pk == mentee.pk:
        errors.append(FieldError("mentor", "an officer does not mentor themselves"))
    people = _current_people(day, {mentor.pk, mentee.pk})
    if mentee.pk in people and _is_supervisor(mentor.pk, people[mentee.pk], supervisors_of(day)):
        errors.append(
            FieldError("mentor", "is the mentee's supervisor (leads their unit or a unit above it)")
        )
    if errors:
        raise ValidationFailed("Pair not created", errors)
    try:
        with transaction.atomic():
            made = Mentorship.objects.create(
                mentor=mentor, mentee=mentee, status=MentorshipStatus.ACTIVE, start=day, proposed_by=actor.user,
                decided_by=actor.user, decided_at=timezone.now(), reasons=[{"kind": "by_hand"}],
            )  # fmt: skip
            audit_record(
                actor=actor,
                action="evaluation.mentorship_create",
                obj=made,
                data={"mentor": mentor.pk, "mentee": mentee.pk},
            )
    except IntegrityError as exc:
        raise Conflict("The mentee already has a current mentor") from exc
    return made


def mentorship_end(
    *, actor: Actor | Any, mentorship: Mentorship, end: date, reason: str, expected_version: int | None = None
) -> Mentorship:
    actor = as_actor(actor)
    require_hr(actor)
    if not reason.strip():
        raise ValidationFailed("Not ended", [FieldError("reason", "is required", code="required")])
    with transaction.atomic():
        locked = _locked(mentorship, expected_version)
        if locked.status != MentorshipStatus.ACTIVE:
            raise Conflict(f"This pair is {locked.status}, not active")
        if end < locked.start or end > timezone.localdate():
            raise ValidationFailed("Not ended", [FieldError("end", "must lie between the start and today")])
        locked.status, locked.end, locked.end_reason = MentorshipStatus.ENDED, end, reason.strip()[:300]
        locked.version = F("version") + 1
        locked.save()
        locked.refresh_from_db()
        audit_record(actor=actor, action="evaluation.mentorship_end", obj=locked, reason=reason.strip()[:500])
    return locked


def _require_party(actor: Actor, mentorship: Mentorship) -> None:
    if not Mentorship.objects.visible_to(actor).filter(pk=mentorship.pk).exists():
        raise NotFound()
    if actor.is_admin or actor.is_hr:
        return
    if actor.officer is None or actor.officer.pk not in (mentorship.mentor_id, mentorship.mentee_id):
        raise Forbidden("Only the mentor, the mentee or HR record mentoring")


def mentoring_goal_add(
    *,
    actor: Actor | Any,
    mentorship: Mentorship,
    title: str,
    indicator: str = "",
    target_value: float | None = None,
    due_on: date | None = None,
) -> MentoringGoal:
    actor = as_actor(actor)
    _require_party(actor, mentorship)
    errors = []
    if not title.strip():
        errors.append(FieldError("title", "is required", code="required"))
    if indicator and indicator not in INDICATORS:
        errors.append(FieldError("indicator", "is not an indicator", code="choice"))
    if target_value is not None and indicator == "":
        errors.append(FieldError("target_value", "a target value needs an indicator"))
    if mentorship.status not in (MentorshipStatus.ACTIVE, MentorshipStatus.PROPOSED):
        errors.append(FieldError("mentorship", "has ended"))
    if errors:
        raise ValidationFailed("Goal not added", errors)
    with transaction.atomic():
        goal = MentoringGoal.objects.create(
            mentorship=mentorship, title=title.strip()[:200], indicator=indicator, target_value=target_value,
            due_on=due_on, created_by=actor.user,
        )  # fmt: skip
        audit_record(actor=actor, action="evaluation.mentoring_goal", obj=mentorship, data={"goal": goal.pk})
    return goal


def mentoring_goal_achieve(
    *, actor: Actor | Any, goal: MentoringGoal, day: date | None = None
) -> MentoringGoal:
    actor = as_actor(actor)
    _require_party(actor, goal.mentorship)
    day = day or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationFailed("Not recorded", [FieldError("achieved_on", "cannot be in the future")])
    with transaction.atomic():
        MentoringGoal.objects.filter(pk=goal.pk).update(achieved_on=day)
        audit_record(
            actor=actor,
            action="evaluation.mentoring_goal_achieved",
            obj=goal.mentorship,
            data={"goal": goal.pk},
        )
    goal.refresh_from_db()
    return goal


def mentoring_session_record(
    *,
    actor: Actor | Any,
    mentorship: Mentorship,
    held_on: date,
    minutes: int,
    topic: str,
    notes: str = "",
) -> MentoringSession:
    actor = as_actor(actor)
    _require_party(actor, mentorship)
    errors = []
    if mentorship.status != MentorshipStatus.ACTIVE:
        errors.append(FieldError("mentorship", "sessions are recorded for active pairs"))
    elif held_on < mentorship.start:
        errors.append(FieldError("held_on", "is before the mentorship started"))
    if held_on > timezone.localdate():
        errors.append(FieldError("held_on", "cannot be in the future"))
    if not isinstance(minutes, int) or not 1 <= minutes <= 1440:
        errors.append(FieldError("minutes", "must be 1 to 1440"))
    if not topic.strip():
        errors.append(FieldError("topic", "is required", code="required"))
    if errors:
        raise ValidationFailed("Session not recorded", errors)
    with transaction.atomic():
        session = MentoringSession.objects.create(
            mentorship=mentorship, held_on=held_on, minutes=minutes, topic=topic.strip()[:200],
            notes=notes.strip(), recorded_by=actor.user,
        )  # fmt: skip
        audit_record(
            actor=actor, action="evaluation.mentoring_session", obj=mentorship, data={"session": session.pk}
        )
    return session


@dataclass
class ProgressRow:
    run: EvaluationRun
    score: float | None
    mass_work_score: float | None
    cohort_median: float | None
    cohort_low: float | None  # first quartile
    cohort_high: float | None  # third quartile
    cohort_size: int


def mentee_progress(*, mentorship: Mentorship) -> list[ProgressRow]:
    """The mentee's score in each published run since (and including the last one before) the pair started,
    next to their cohort's: the officers hired in the same year (quartiles)."""
    mentee = mentorship.mentee
    year = mentee.hire_date.year
    runs = list(EvaluationRun.objects.filter(status=RunStatus.PUBLISHED).order_by("period_end", "id"))
    if mentorship.start:
        before = [r for r in runs if r.period_end < mentorship.start]
        runs = before[-1:] + [r for r in runs if r.period_end >= mentorship.start]
    cohort = OfficerResult.objects.filter(
        run__in=runs, assessable=True, officer__hire_date__year=year
    ).values_list("run_id", "officer_id", "score", "mass_work_score")
    by_run: dict[int, list[float]] = {}
    own: dict[int, tuple[float, float | None]] = {}
    for run_id, officer_id, score, mass in cohort:
        by_run.setdefault(run_id, []).append(score)
        if officer_id == mentee.pk:
            own[run_id] = (score, mass)
    rows = []
    for run in runs:
        scores = by_run.get(run.pk, [])
        quartiles = np.percentile(scores, [25, 50, 75]) if scores else [None, None, None]
        mine = own.get(run.pk)
        rows.append(
            ProgressRow(
                run,
                mine[0] if mine else None,
                mine[1] if mine else None,
                None if quartiles[1] is None else round(float(quartiles[1]), 1),
                None if quartiles[0] is None else round(float(quartiles[0]), 1),
                None if quartiles[2] is None else round(float(quartiles[2]), 1),
                len(scores),
            )
        )
    return rows


__all__ = [
    "Proposal",
    "mentee_progress",
    "mentoring_goal_achieve",
    "mentoring_goal_add",
    "mentoring_propose",
    "mentoring_session_record",
    "mentorship_create",
    "mentorship_decide",
    "mentorship_end",
    "propose_pairs",
    "supervisors_of",
]
