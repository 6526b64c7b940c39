"""Writes to planning: rotation rule sets, post profiles and wishes, plan runs and their approval; duty
roster definitions and their runs. Each is one transaction, validated before saving, and audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from grassroots.common.audit import audit_record
from grassroots.common.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from grassroots.common.models import Role
from grassroots.common.scoping import Actor, as_actor
from grassroots.workforce.models import AssignmentKind, Officer, Post, Unit
from grassroots.workforce.services import assignment_create

from . import jobs
from .models import (
    CoverDays,
    DutyKind,
    DutyType,
    JobStatus,
    PeriodKind,
    PlanResult,
    PlanRun,
    PostProfile,
    RosterCover,
    RosterDayOff,
    RosterDefinition,
    RosterMember,
    RosterRequest,
    RosterRun,
    RotationPreference,
    RotationRule,
    RotationRuleSet,
)
from .rotation import model as rotation

# The rules a new rule set starts with: every family, on, with the engine's default parameters; the
# soft-only ones soft. Fairness starts soft: a hard spread is rarely what HR means.
DEFAULT_RULES: tuple[tuple[str, bool, bool, int], ...] = (
    (rotation.RECRUIT, True, True, 10),
    (rotation.FRONT_LINE, True, True, 10),
    (rotation.MIN_STAY, True, True, 10),
    (rotation.MAX_TENURE, True, True, 10),
    (rotation.STAFFING, True, True, 10),
    (rotation.MOVE_CAP, True, True, 10),
    (rotation.ELIGIBILITY, True, True, 10),
    (rotation.NO_RETURN, True, True, 10),
    (rotation.PREFERENCES, True, False, 1),
    (rotation.FAIRNESS, True, False, 5),
    (rotation.MOVE_COST, True, False, 2),
)


def _require_hr(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_hr):
        raise Forbidden("Only the political/HR department and administrators plan rotations")


def _bump(obj: Any, expected_version: int | None = None) -> None:
    """Lock the row, check the version the caller read, and move it on."""
    model = type(obj)
    current = model.objects.select_for_update().get(pk=obj.pk)
    if expected_version is not None and current.version != expected_version:
        raise Conflict()
    model.objects.filter(pk=obj.pk).update(
        version=F("version") + 1, **({"updated_at": timezone.now()} if hasattr(obj, "updated_at") else {})
    )
    obj.version = current.version + 1


# -- rotation rule sets ------------------------------------------------------------------------------------


# Upper bounds for what the solver multiplies: a weight beyond these says nothing a smaller one cannot, and
# keeps every objective term far inside CP-SAT's 64-bit integers.
MAX_WEIGHT = 10_000
MAX_COVER = 1_000


@dataclass
class RuleInput:
    family: str
    enabled: bool = True
    hard: bool = True
    weight: int = 10
    params: dict[str, int] = field(default_factory=dict)


def _validate_rules(rules: list[RuleInput]) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for row, rule in enumerate(rules):
        where = f"rules.{rule.family}"
        if rule.family not in rotation.FAMILIES:
            errors.append(FieldError("rules", f"unknown rule {rule.family}", row=row, code="unknown"))
            continue
        if rule.family in seen:
            errors.append(FieldError(where, "given twice", row=row, code="duplicate"))
        seen.add(rule.family)
        if rule.hard and rule.family in rotation.SOFT_ONLY:
            errors.append(FieldError(f"{where}.hard", "this rule can only be soft", row=row))
        if not isinstance(rule.weight, int) or not 0 <= rule.weight <= MAX_WEIGHT:
            errors.append(
                FieldError(f"{where}.weight", f"must be a whole number from 0 to {MAX_WEIGHT}", row=row)
            )
        for name, value in rule.params.items():
            if name not in rotation.PARAMETERS[rule.family]:
                errors.append(FieldError(f"{where}.{name}", "unknown parameter", row=row, code="unknown"))
            elif not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_WEIGHT:
                errors.append(
                    FieldError(f"{where}.{name}", f"must be a whole number from 0 to {MAX_WEIGHT}", row=row)
                )
        if rule.family == rotation.FRONT_LINE:
            window = rule.params.get("window", rotation.PARAMETERS[rotation.FRONT_LINE]["window"])
            k = rule.params.get("k", rotation.PARAMETERS[rotation.FRONT_LINE]["k"])
            if isinstance(window, int) and window < 1:
                errors.append(FieldError(f"{where}.window", "must be at least 1", row=row))
            if isinstance(window, int) and isinstance(k, int) and k > window:
                errors.append(FieldError(f"{where}.k", "cannot exceed the window", row=row))
    return errors


def _validate_rule_set_fields(
    name: str, period_kind: str, pool_depth: int | None, history_periods: int, unit: Unit | None
) -> list[FieldError]:
    errors = []
    if not name or not name.strip():
        errors.append(FieldError("name", "required", code="required"))
    if period_kind not in PeriodKind.values:
        errors.append(FieldError("period_kind", f"must be one of {', '.join(PeriodKind.values)}"))
    if pool_depth is not None and (pool_depth < 0 or (unit is not None and pool_depth < unit.depth)):
        errors.append(FieldError("pool_depth", "must not be above the unit planned"))
    if not 1 <= history_periods <= 60:
        errors.append(FieldError("history_periods", "must be between 1 and 60"))
    return errors


def rule_set_create(
    *,
    actor: Actor | Any,
    name: str,
    unit: Unit,
    period_kind: str = PeriodKind.QUARTER,
    pool_depth: int | None = None,
    history_periods: int = 12,
    rules: list[RuleInput] | None = None,
) -> RotationRuleSet:
    actor = as_actor(actor)
    _require_hr(actor)
    rules = rules if rules is not None else [RuleInput(f, e, h, w) for f, e, h, w in DEFAULT_RULES]
    errors = _validate_rule_set_fields(
        name, period_kind, pool_depth, history_periods, unit
    ) + _validate_rules(rules)
    if errors:
        raise ValidationFailed("Rule set not created", errors)
    with transaction.atomic():
        rule_set = RotationRuleSet.objects.create(
            name=name.strip(),
            unit=unit,
            period_kind=period_kind,
            pool_depth=pool_depth,
            history_periods=history_periods,
            created_by=actor.user,
        )
        RotationRule.objects.bulk_create(
            RotationRule(
                rule_set=rule_set,
                family=r.family,
                enabled=r.enabled,
                hard=r.hard,
                weight=r.weight,
                params=r.params,
            )
            for r in rules
        )
        audit_record(
            actor=actor,
            action="planning.rule_set.create",
            obj=rule_set,
            data={"name": rule_set.name, "unit": unit.code, "rules": [r.__dict__ for r in rules]},
        )
    return rule_set


def rule_set_update(
    *,
    actor: Actor | Any,
    rule_set: RotationRuleSet,
    expected_version: int,
    name: str,
    period_kind: str,
    pool_depth: int | None,
    history_periods: int,
    rules: list[RuleInput],
) -> RotationRuleSet:
    actor = as_actor(actor)
    _require_hr(actor)
    errors = _validate_rule_set_fields(
        name, period_kind, pool_depth, history_periods, rule_set.unit
    ) + _validate_rules(rules)
    if errors:
        raise ValidationFailed("Rule set not saved", errors)
    with transaction.atomic():
        _bump(rule_set, expected_version)
        before = {
            "name": rule_set.name,
            "period_kind": rule_set.period_kind,
            "pool_depth": rule_set.pool_depth,
            "history_periods": rule_set.history_periods,
            "rules": [
                {
                    "family": r.family,
                    "enabled": r.enabled,
                    "hard": r.hard,
                    "weight": r.weight,
                    "params": r.params,
                }
                for r in rule_set.rules.all()
            ],
        }
        RotationRuleSet.objects.filter(pk=rule_set.pk).update(
            name=name.strip(), period_kind=period_kind, pool_depth=pool_depth, history_periods=history_periods
        )
        rule_set.rules.all().delete()
        RotationRule.objects.bulk_create(
            RotationRule(
                rule_set=rule_set,
                family=r.family,
                enabled=r.enabled,
                hard=r.hard,
                weight=r.weight,
                params=r.params,
            )
            for r in rules
        )
        audit_record(
            actor=actor,
            action="planning.rule_set.update",
            obj=rule_set,
            data={"before": before, "after": {"name": name, "rules": [r.__dict__ for r in rules]}},
        )
    rule_set.refresh_from_db()
    return rule_set


def post_profile_set(
    *,
    actor: Actor | Any,
    post: Post,
    post_type: str = "",
    grassroots: bool = False,
    required_skills: list[str] | None = None,
    allowed_titles: list[str] | None = None,
) -> PostProfile:
    actor = as_actor(actor)
    _require_hr(actor)
    skills = sorted({s.strip() for s in required_skills or [] if s.strip()})
    titles = sorted({t.strip() for t in allowed_titles or [] if t.strip()})
    if len(post_type) > 40:
        raise ValidationFailed("Profile not saved", [FieldError("post_type", "at most 40 characters")])
    with transaction.atomic():
        profile, created = PostProfile.objects.select_for_update().get_or_create(post=post)
        before = {
            "post_type": profile.post_type,
            "grassroots": profile.grassroots,
            "required_skills": profile.required_skills,
            "allowed_titles": profile.allowed_titles,
        }
        profile.post_type = post_type.strip()
        profile.grassroots = grassroots
        profile.required_skills = skills
        profile.allowed_titles = titles
        profile.version = profile.version + (0 if created else 1)
        profile.save()
        audit_record(
            actor=actor,
            action="planning.post_profile.set",
            obj=profile,
            data={
                "post": post.code,
                "before": None if created else before,
                "after": {
                    "post_type": profile.post_type,
                    "grassroots": grassroots,
                    "required_skills": skills,
                    "allowed_titles": titles,
                },
            },
        )
    return profile


def preference_set(
    *, actor: Actor | Any, officer: Officer, post: Post, score: int, note: str = ""
) -> RotationPreference:
    actor = as_actor(actor)
    _require_hr(actor)
    if not 1 <= score <= 5:
        raise ValidationFailed("Wish not saved", [FieldError("score", "must be between 1 and 5")])
    with transaction.atomic():
        wish, _created = RotationPreference.objects.update_or_create(
            officer=officer, post=post, defaults={"score": score, "note": note[:200]}
        )
        audit_record(
            actor=actor,
            action="planning.preference.set",
            obj=wish,
            data={"officer": officer.staff_number, "post": post.code, "score": score},
        )
    return wish


def preference_delete(*, actor: Actor | Any, preference: RotationPreference) -> None:
    actor = as_actor(actor)
    _require_hr(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="planning.preference.delete",
            obj=preference,
            data={"officer": preference.officer_id, "post": preference.post_id},
        )
        preference.delete()


# -- plan runs -------------------------------------------------------------------------------------------------


def plan_run_create(
    *,
    actor: Actor | Any,
    rule_set: RotationRuleSet,
    start: date,
    periods: int,
    time_limit: int = 60,
    background: bool = True,
) -> PlanRun:
    """Queue a plan run. The problem is built and checked now (bad data is reported at once, naming the
    post or officer) and stored with the run, so a run taken up again solves the same problem.
    ``background``: start it in a thread of this process after commit (unless a worker runs jobs)."""
    from .build import rotation_problem

    actor = as_actor(actor)
    _require_hr(actor)
    errors = []
    if not 1 <= periods <= 36:
        errors.append(FieldError("periods", "must be between 1 and 36"))
    if not 1 <= time_limit <= 3600:
        errors.append(FieldError("time_limit", "must be between 1 and 3600 seconds"))
    if start.day != 1:
        errors.append(FieldError("start", "a period starts on the first day of a month"))
    if errors:
        raise ValidationFailed("Plan not started", errors)
    problem = rotation_problem(rule_set, start=start, periods=periods)
    if not problem.officers:
        raise ValidationFailed(
            "Plan not started", [FieldError("unit", "nobody holds a post of this unit", code="empty")]
        )
    with transaction.atomic():
        if PlanRun.objects.filter(rule_set=rule_set, status__in=PlanRun.ACTIVE).exists():
            raise Conflict("A plan of this rule set is already being solved; wait for it or cancel it")
        run = PlanRun.objects.create(
            rule_set=rule_set,
            start=start,
            periods=periods,
            period_kind=rule_set.period_kind,
            time_limit=time_limit,
            problem=rotation.problem_to_json(problem),
            created_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="planning.plan_run.create",
            obj=run,
            data={
                "rule_set": rule_set.pk,
                "start": start,
                "periods": periods,
                "officers": len(problem.officers),
                "posts": len(problem.posts),
            },
        )
        if background:
            jobs.job_start("plan", run.pk)
    return run


def _cancel(actor: Actor, run: PlanRun | RosterRun, action: str) -> PlanRun | RosterRun:
    model = type(run)
    with transaction.atomic():
        current = model.objects.select_for_update().get(pk=run.pk)
        if current.status not in model.ACTIVE:
            raise Conflict("This run has already finished")
        if current.status == JobStatus.QUEUED:
            model.objects.filter(pk=run.pk).update(
                status=JobStatus.CANCELLED, cancel_requested=True, finished_at=timezone.now()
            )
        else:
            model.objects.filter(pk=run.pk).update(cancel_requested=True)
        audit_record(actor=actor, action=action, obj=current, data={"status": current.status})
    run.refresh_from_db()
    return run


def plan_run_cancel(*, actor: Actor | Any, run: PlanRun) -> PlanRun:
    actor = as_actor(actor)
    _require_hr(actor)
    return _cancel(actor, run, "planning.plan_run.cancel")


def plan_run_approve(*, actor: Actor | Any, run: PlanRun, expected_version: int) -> PlanRun:
    """Write the plan's moves as future (planned) assignments through the workforce services, after the
    independent checker confirms the stored plan against the stored problem."""
    from .rotation.checker import check

    actor = as_actor(actor)
    _require_hr(actor)
    with transaction.atomic():
        current = PlanRun.objects.select_for_update().get(pk=run.pk)
        if current.version != expected_version:
            raise Conflict()
        if current.approved_at is not None:
            raise Conflict("This plan has already been approved")
        if current.status != JobStatus.DONE or current.result not in (
            PlanResult.OPTIMAL,
            PlanResult.FEASIBLE,
        ):
            raise ValidationFailed(
                "Plan not approved", [FieldError("result", "only a finished plan that keeps every hard rule")]
            )
        report = check(
            rotation.problem_from_json(current.problem), rotation.RotationPlan.from_json(current.plan)
        )
        if not report.ok:
            raise ValidationFailed(
                "Plan not approved",
                [
                    FieldError(
                        "plan", f"the checker finds {len(report.hard_violations)} hard-rule violation(s)"
                    )
                ],
            )
        written = 0
        for move in current.moves.select_related("officer", "to_post").order_by("officer_id", "period"):
            assignment_create(
                actor=actor,
                officer=move.officer,
                post=move.to_post,
                start=move.starts,
                end=move.ends,
                kind=AssignmentKind.PLANNED,
                note=f"rotation plan #{current.pk}",
                close_current=False,
            )
            written += 1
        PlanRun.objects.filter(pk=run.pk).update(
            approved_at=timezone.now(), approved_by=actor.user, version=F("version") + 1
        )
        audit_record(
            actor=actor,
            action="planning.plan_run.approve",
            obj=current,
            data={"moves": written, "penalty": current.objective},
        )
    run.refresh_from_db()
    return run


# -- duty rosters -------------------------------------------------------------------------------------------


def may_edit_roster(actor: Actor, unit: Unit) -> bool:
    if actor.is_admin or actor.is_hr:
        return True
    return actor.role == Role.LEADER and any(unit.path.startswith(p) for p in actor.unit_paths)


def _require_roster_writer(actor: Actor, unit: Unit) -> None:
    if not may_edit_roster(actor, unit):
        raise Forbidden("Only HR, administrators and the unit's leaders plan its duty rosters")


def roster_create(
    *, actor: Actor | Any, name: str, unit: Unit, start_date: date, days: int
) -> RosterDefinition:
    actor = as_actor(actor)
    _require_roster_writer(actor, unit)
    errors = []
    if not name or not name.strip():
        errors.append(FieldError("name", "required", code="required"))
    if not 1 <= days <= 366:
        errors.append(FieldError("days", "must be between 1 and 366"))
    if errors:
        raise ValidationFailed("Roster not created", errors)
    with transaction.atomic():
        roster = RosterDefinition.objects.create(
            name=name.strip(), unit=unit, start_date=start_date, days=days, created_by=actor.user
        )
        audit_record(
            actor=actor,
            action="planning.roster.create",
            obj=roster,
            data={"name": roster.name, "unit": unit.code, "start": start_date, "days": days},
        )
    return roster


def roster_update(
    *,
    actor: Actor | Any,
    roster: RosterDefinition,
    expected_version: int,
    name: str,
    start_date: date,
    days: int,
) -> RosterDefinition:
    actor = as_actor(actor)
    _require_roster_writer(actor, roster.unit)
    errors = []
    if not name or not name.strip():
        errors.append(FieldError("name", "required", code="required"))
    if not 1 <= days <= 366:
        errors.append(FieldError("days", "must be between 1 and 366"))
    if errors:
        raise ValidationFailed("Roster not saved", errors)
    with transaction.atomic():
        _bump(roster, expected_version)
        before = {"name": roster.name, "start": roster.start_date, "days": roster.days}
        RosterDefinition.objects.filter(pk=roster.pk).update(
            name=name.strip(), start_date=start_date, days=days
        )
        audit_record(
            actor=actor,
            action="planning.roster.update",
            obj=roster,
            data={"before": before, "after": {"name": name, "start": start_date, "days": days}},
        )
    roster.refresh_from_db()
    return roster


@dataclass
class DutyInput:
    code: str
    name: str
    minutes: int
    kind: str = DutyKind.OTHER
    starts_at: time | None = None
    forbidden_next: list[str] = field(default_factory=list)


def duty_type_save(
    *, actor: Actor | Any, roster: RosterDefinition, data: DutyInput, duty: DutyType | None = None
) -> DutyType:
    actor = as_actor(actor)
    _require_roster_writer(actor, roster.unit)
    errors = []
    code = data.code.strip()
    if not code or len(code) > 16 or "," in code or "|" in code or "=" in code:
        errors.append(FieldError("code", "1–16 characters, without , | ="))
    elif roster.duty_types.filter(code=code).exclude(pk=getattr(duty, "pk", None)).exists():
        errors.append(FieldError("code", f"duty {code} already exists", code="duplicate"))
    if not data.name.strip():
        errors.append(FieldError("name", "required", code="required"))
    if not 1 <= data.minutes <= 24 * 60:
        errors.append(FieldError("minutes", "must be between 1 and 1440"))
    if data.kind not in DutyKind.values:
        errors.append(FieldError("kind", f"must be one of {', '.join(DutyKind.values)}"))
    known = set(roster.duty_types.values_list("code", flat=True)) | {code}
    unknown = [c for c in data.forbidden_next if c not in known]
    if unknown:
        errors.append(
            FieldError("forbidden_next", f"unknown duty {', '.join(unknown)}", code="does_not_exist")
        )
    if errors:
        raise ValidationFailed("Duty not saved", errors)
    with transaction.atomic():
        _bump(roster)
        values = {
            "code": code,
            "name": data.name.strip(),
            "kind": data.kind,
            "minutes": data.minutes,
            "starts_at": data.starts_at,
            "forbidden_next": sorted(set(data.forbidden_next)),
        }
        if duty is None:
            duty = DutyType.objects.create(definition=roster, **values)
        else:
            DutyType.objects.filter(pk=duty.pk).update(**values)
            duty.refresh_from_db()
        audit_record(actor=actor, action="planning.duty.save", obj=duty, data={"roster": roster.pk, **values})
    return duty


@dataclass
class MemberInput:
    max_total_minutes: int
    min_total_minutes: int = 0
    max_consecutive_shifts: int = 5
    min_consecutive_shifts: int = 1
    min_consecutive_days_off: int = 1
    max_weekends: int = 4
    max_shifts: dict[str, int] = field(default_factory=dict)


def member_save(
    *,
    actor: Actor | Any,
    roster: RosterDefinition,
    officer: Officer,
    data: MemberInput,
    member: RosterMember | None = None,
) -> RosterMember:
    actor = as_actor(actor)
    _require_roster_writer(actor, roster.unit)
    errors = []
    if data.min_total_minutes > data.max_total_minutes:
        errors.append(FieldError("min_total_minutes", "must not exceed the most minutes"))
    if data.max_consecutive_shifts < 1:
        errors.append(FieldError("max_consecutive_shifts", "must be at least 1"))
    if data.min_consecutive_shifts < 1 or data.min_consecutive_shifts > data.max_consecutive_shifts:
        errors.append(FieldError("min_consecutive_shifts", "between 1 and the most duties in a row"))
    if data.min_consecutive_days_off < 1:
        errors.append(FieldError("min_consecutive_days_off", "must be at least 1"))
    codes = set(roster.duty_types.values_list("code", flat=True))
    for code, most in data.max_shifts.items():
        if code not in codes:
            errors.append(FieldError(f"max_shifts.{code}", "unknown duty", code="does_not_exist"))
        elif not isinstance(most, int) or most < 0:
            errors.append(FieldError(f"max_shifts.{code}", "must be a whole number ≥ 0"))
    if member is None and roster.members.filter(officer=officer).exists():
        errors.append(FieldError("officer", f"{officer.name} is already a member", code="duplicate"))
    if errors:
        raise ValidationFailed("Member not saved", errors)
    with transaction.atomic():
        _bump(roster)
        values = dict(data.__dict__)
        if member is None:
            member = RosterMember.objects.create(definition=roster, officer=officer, **values)
        else:
            RosterMember.objects.filter(pk=member.pk).update(**values)
            member.refresh_from_db()
        audit_record(
            actor=actor,
            action="planning.roster_member.save",
            obj=member,
            data={"roster": roster.pk, "officer": officer.staff_number, **values},
        )
    return member


def member_delete(*, actor: Actor | Any, member: RosterMember) -> None:
    actor = as_actor(actor)
    roster = member.definition
    _require_roster_writer(actor, roster.unit)
    with transaction.atomic():
        _bump(roster)
        audit_record(
            actor=actor,
            action="planning.roster_member.delete",
            obj=member,
            data={"officer": member.officer_id},
        )
        member.delete()


def duty_type_delete(*, actor: Actor | Any, duty: DutyType) -> None:
    actor = as_actor(actor)
    roster = duty.definition
    _require_roster_writer(actor, roster.unit)
    with transaction.atomic():
        if RosterRun.objects.filter(definition=roster, assignments__duty=duty).exists():
            raise Conflict("Stored rosters use this duty; it cannot be deleted")
        _bump(roster)
        audit_record(actor=actor, action="planning.duty.delete", obj=duty, data={"code": duty.code})
        duty.delete()


def cover_save(
    *,
    actor: Actor | Any,
    roster: RosterDefinition,
    duty: DutyType,
    days: str,
    minimum: int,
    preferred: int,
    under_weight: int = 100,
    over_weight: int = 1,
    on_date: date | None = None,
    cover: RosterCover | None = None,
) -> RosterCover:
    actor = as_actor(actor)
    _require_roster_writer(actor, roster.unit)
    errors = []
    if duty.definition_id != roster.pk:
        errors.append(FieldError("duty", "not a duty of this roster", code="does_not_exist"))
    if days not in CoverDays.values:
        errors.append(FieldError("days", f"must be one of {', '.join(CoverDays.values)}"))
    if days == CoverDays.DATE and on_date is None:
        errors.append(FieldError("date", "required for one date", code="required"))
    if days == CoverDays.DATE and on_date is not None and not roster.start_date <= on_date <= roster.end_date:
        errors.append(FieldError("date", "outside the roster's days"))
    for name, value, top in (
        ("minimum", minimum, MAX_COVER),
        ("preferred", preferred, MAX_COVER),
        ("under_weight", under_weight, MAX_WEIGHT),
        ("over_weight", over_weight, MAX_WEIGHT),
    ):
        if not 0 <= value <= top:
            errors.append(FieldError(name, f"must be from 0 to {top}"))
    if minimum > preferred:
        errors.append(FieldError("minimum", "must not exceed the preferred number"))
    if errors:
        raise ValidationFailed("Cover not saved", errors)
    with transaction.atomic():
        _bump(roster)
        values = {
            "duty": duty,
            "days": days,
            "date": on_date if days == CoverDays.DATE else None,
            "minimum": minimum,
            "preferred": preferred,
            "under_weight": under_weight,
            "over_weight": over_weight,
        }
        if cover is None:
            cover = RosterCover.objects.create(definition=roster, **values)
        else:
            RosterCover.objects.filter(pk=cover.pk).update(**values)
            cover.refresh_from_db()
        audit_record(
            actor=actor,
            action="planning.cover.save",
            obj=cover,
            data={**values, "duty": duty.code, "roster": roster.pk},
        )
    return cover


def cover_delete(*, actor: Actor | Any, cover: RosterCover) -> None:
    actor = as_actor(actor)
    roster = cover.definition
    _require_roster_writer(actor, roster.unit)
    with transaction.atomic():
        _bump(roster)
        audit_record(actor=actor, action="planning.cover.delete", obj=cover, data={"duty": cover.duty_id})
        cover.delete()


def _in_roster(roster: RosterDefinition, day: date) -> bool:
    return roster.start_date <= day <= roster.end_date


def request_save(
    *, actor: Actor | Any, member: RosterMember, on_date: date, duty: DutyType, on: bool, weight: int = 1
) -> RosterRequest:
    actor = as_actor(actor)
    roster = member.definition
    _require_roster_writer(actor, roster.unit)
    errors = []
    if not _in_roster(roster, on_date):
        errors.append(FieldError("date", "outside the roster's days"))
    if duty.definition_id != roster.pk:
        errors.append(FieldError("duty", "not a duty of this roster", code="does_not_exist"))
    if not 1 <= weight <= 100:
        errors.append(FieldError("weight", "must be between 1 and 100"))
    if errors:
        raise ValidationFailed("Request not saved", errors)
    with transaction.atomic():
        _bump(roster)
        request = RosterRequest.objects.create(member=member, date=on_date, duty=duty, on=on, weight=weight)
        audit_record(
            actor=actor,
            action="planning.roster_request.save",
            obj=request,
            data={"member": member.pk, "date": on_date, "duty": duty.code, "on": on, "weight": weight},
        )
    return request


def request_delete(*, actor: Actor | Any, request: RosterRequest) -> None:
    actor = as_actor(actor)
    roster = request.member.definition
    _require_roster_writer(actor, roster.unit)
    with transaction.atomic():
        _bump(roster)
        audit_record(
            actor=actor, action="planning.roster_request.delete", obj=request, data={"date": request.date}
        )
        request.delete()


def day_off_save(
    *, actor: Actor | Any, member: RosterMember, on_date: date, reason: str = ""
) -> RosterDayOff:
    actor = as_actor(actor)
    roster = member.definition
    _require_roster_writer(actor, roster.unit)
    if not _in_roster(roster, on_date):
        raise ValidationFailed("Day off not saved", [FieldError("date", "outside the roster's days")])
    if member.days_off.filter(date=on_date).exists():
        raise ValidationFailed(
            "Day off not saved", [FieldError("date", "already a day off", code="duplicate")]
        )
    with transaction.atomic():
        _bump(roster)
        off = RosterDayOff.objects.create(member=member, date=on_date, reason=reason[:120])
        audit_record(
            actor=actor, action="planning.day_off.save", obj=off, data={"member": member.pk, "date": on_date}
        )
    return off


def day_off_delete(*, actor: Actor | Any, day_off: RosterDayOff) -> None:
    actor = as_actor(actor)
    roster = day_off.member.definition
    _require_roster_writer(actor, roster.unit)
    with transaction.atomic():
        _bump(roster)
        audit_record(actor=actor, action="planning.day_off.delete", obj=day_off, data={"date": day_off.date})
        day_off.delete()


def roster_run_create(
    *, actor: Actor | Any, roster: RosterDefinition, time_limit: int = 60, background: bool = True
) -> RosterRun:
    """Queue a solve of the roster as defined now (stored in the benchmark text format with the minimums,
    so a run taken up again solves the same problem)."""
    from .build import roster_problem
    from .roster.curtois import write_curtois

    actor = as_actor(actor)
    _require_roster_writer(actor, roster.unit)
    if not 1 <= time_limit <= 3600:
        raise ValidationFailed(
            "Roster not solved", [FieldError("time_limit", "must be between 1 and 3600 seconds")]
        )
    problem = roster_problem(roster)
    minimums = {f"{c.day}:{c.shift}": c.minimum for c in problem.cover if c.minimum}
    with transaction.atomic():
        if RosterRun.objects.filter(definition=roster, status__in=RosterRun.ACTIVE).exists():
            raise Conflict("This roster is already being solved; wait for it or cancel it")
        run = RosterRun.objects.create(
            definition=roster,
            time_limit=time_limit,
            problem_text=write_curtois(problem),
            minimums=minimums,
            created_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="planning.roster_run.create",
            obj=run,
            data={"roster": roster.pk, "members": len(problem.staff), "days": problem.horizon_days},
        )
        if background:
            jobs.job_start("roster", run.pk)
    return run


def roster_run_cancel(*, actor: Actor | Any, run: RosterRun) -> RosterRun:
    actor = as_actor(actor)
    _require_roster_writer(actor, run.definition.unit)
    return _cancel(actor, run, "planning.roster_run.cancel")


def get_member_or_404(roster: RosterDefinition, pk: Any) -> RosterMember:
    try:
        return roster.members.select_related("officer").get(pk=pk)
    except (RosterMember.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
