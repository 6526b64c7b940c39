"""From the database to the engines' problems (and back): rotation from the workforce record, duty rosters
from their definitions.

Rotation: the posts are the active, non-leadership posts of the rule set's unit subtree; the officers are
those holding one of them the day before the plan starts (leaders' posts are not rotated). Officer ids are
staff numbers and post ids post codes. An officer's history is the post held in the middle of each of the
``history_periods`` periods before the plan (None before they were hired or without an assignment), so
periods already served enter every window as constants.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import Q

from grassroots.common.errors import FieldError, ValidationFailed
from grassroots.workforce.models import Assignment, AssignmentKind, Officer, Post, UnitKind

from .models import PERIOD_MONTHS, PostProfile, RosterDefinition, RotationPreference, RotationRuleSet
from .roster.model import CoverRequirement, RosterProblem, ShiftRequest, ShiftType, Staff
from .rotation import model as rotation

# Units whose posts recruits may serve at when a post has no profile (人民法庭 and other grassroots units).
GRASSROOTS_UNIT_KINDS = frozenset({UnitKind.TRIBUNAL, UnitKind.STREET_OFFICE, UnitKind.SERVICE_CENTRE})


def period_start(start: date, kind: str, t: int) -> date:
    return start + relativedelta(months=PERIOD_MONTHS[kind] * t)


def period_label(start: date, kind: str, t: int) -> str:
    first = period_start(start, kind, t)
    months = PERIOD_MONTHS[kind]
    if months == 3:
        return (
            f"{first.year}Q{(first.month - 1) // 3 + 1}"
            if first.month in (1, 4, 7, 10)
            else first.isoformat()
        )
    if months == 12:
        return str(first.year)
    if months == 6:
        return f"{first.year}H{1 if first.month <= 6 else 2}"
    return first.strftime("%Y-%m")


def post_type_of(post: Post, profile: PostProfile | None) -> tuple[str, bool]:
    """The post's type for rotation and whether recruits may serve there."""
    if profile is not None and profile.post_type:
        kind = profile.post_type
    else:
        kind = f"{post.unit.kind}-{'front' if post.is_front_line else 'other'}"
    grassroots = profile.grassroots if profile is not None else post.unit.kind in GRASSROOTS_UNIT_KINDS
    return kind, grassroots


def _pool_of(path: str, depth: int | None) -> str:
    if depth is None:
        return ""
    codes = [code for code in path.split("/") if code]
    return codes[min(depth, len(codes) - 1)]


def rotation_problem(rule_set: RotationRuleSet, *, start: date, periods: int) -> rotation.RotationProblem:
    """The rotation problem of ``rule_set`` for ``periods`` periods from ``start``."""
    kind = rule_set.period_kind
    posts = list(
        Post.objects.filter(unit__path__startswith=rule_set.unit.path, is_active=True, is_leadership=False)
        .select_related("unit", "rotation_profile")
        .order_by("unit__path", "code")
    )
    if not posts:
        raise ValidationFailed(
            "Nothing to plan", [FieldError("unit", "the unit has no active posts to rotate", code="empty")]
        )
    by_id = {p.id: p for p in posts}
    engine_posts = []
    pool_of_post = {}
    for post in posts:
        profile = getattr(post, "rotation_profile", None)
        post_type, grassroots = post_type_of(post, profile)
        pool = _pool_of(post.unit.path, rule_set.pool_depth)
        pool_of_post[post.id] = pool
        engine_posts.append(
            rotation.Post(
                id=post.code,
                type=post_type,
                front_line=post.is_front_line,
                grassroots=grassroots,
                min_staff=post.min_staff,
                max_staff=post.max_staff,
                skills=frozenset(profile.required_skills if profile else ()),
                titles=frozenset(profile.allowed_titles if profile else ()),
                pool=pool,
                name=f"{post.unit.name} · {post.name}",
            )
        )
    today = start - timedelta(days=1)
    current = {
        a.officer_id: a
        for a in Assignment.objects.current(today)
        .filter(post_id__in=by_id, officer__is_active=True)
        .order_by("start", "id")
    }
    # Officers holding a leadership post as well are left where they are.
    leaders = set(
        Assignment.objects.current(today)
        .filter(officer_id__in=current, post__is_leadership=True)
        .values_list("officer_id", flat=True)
    )
    officer_ids = [oid for oid in current if oid not in leaders]
    officers = {o.id: o for o in Officer.objects.filter(id__in=officer_ids)}
    history_len = rule_set.history_periods
    first_day = period_start(start, kind, -history_len)
    past: dict[int, list[Assignment]] = defaultdict(list)
    for a in (
        Assignment.objects.filter(officer_id__in=officer_ids, kind=AssignmentKind.ACTUAL, start__lt=start)
        .filter(Q(end__isnull=True) | Q(end__gte=first_day))
        .select_related("post")
        .order_by("start", "id")
    ):
        past[a.officer_id].append(a)
    wishes: dict[int, dict[str, int]] = defaultdict(dict)
    for wish in RotationPreference.objects.filter(
        officer_id__in=officer_ids, post_id__in=by_id
    ).select_related("post"):
        wishes[wish.officer_id][wish.post.code] = wish.score
    recruit = next((r for r in rule_set.rules.all() if r.family == rotation.RECRUIT and r.enabled), None)
    recruit_periods = (
        int(recruit.params.get("periods", rotation.PARAMETERS[rotation.RECRUIT]["periods"])) if recruit else 0
    )
    engine_officers = []
    for oid in sorted(officer_ids, key=lambda i: officers[i].staff_number):
        officer = officers[oid]
        history: list[str | None] = []
        for t in range(-history_len, 0):
            first, last = period_start(start, kind, t), period_start(start, kind, t + 1) - timedelta(days=1)
            middle = first + (last - first) / 2
            held = next(
                (
                    a.post.code
                    for a in reversed(past[oid])
                    if a.start <= middle and (a.end is None or a.end >= middle)
                ),
                None,
            )
            history.append(held if officer.hire_date <= last else None)
        months = (start.year - officer.hire_date.year) * 12 + start.month - officer.hire_date.month
        served = max(0, months // PERIOD_MONTHS[kind])
        engine_officers.append(
            rotation.Officer(
                id=officer.staff_number,
                history=tuple(history),
                recruit_served=served if recruit and served < recruit_periods else None,
                skills=frozenset(officer.skills or ()),
                title=officer.title,
                preferences=wishes.get(oid, {}),
                pool=pool_of_post[current[oid].post_id],
                name=officer.name,
            )
        )
    rules = tuple(
        rotation.Rule(r.family, enabled=r.enabled, hard=r.hard, weight=r.weight, params=dict(r.params))
        for r in rule_set.rules.all()
    )
    problem = rotation.RotationProblem(
        periods=tuple(period_label(start, kind, t) for t in range(periods)),
        officers=tuple(engine_officers),
        posts=tuple(engine_posts),
        rules=rules,
        name=rule_set.name,
    )
    try:
        problem.validate()
    except ValidationFailed as exc:
        # Name posts by their code rather than their row in the engine's list.
        errors = [replace(e, row=None) for e in exc.errors]
        raise ValidationFailed(exc.message, errors) from exc
    return problem


# -- duty roster ----------------------------------------------------------------------------------------------


def _cover_days(definition: RosterDefinition, cover) -> list[int]:
    from grassroots.casework.clock import calendar_overrides, is_workday

    overrides = calendar_overrides()
    days = []
    for d in range(definition.days):
        day = definition.start_date + timedelta(days=d)
        if cover.days == "date":
            if cover.date == day:
                days.append(d)
            continue
        if cover.days == "every_day":
            days.append(d)
            continue
        # The court's working-day calendar (CalendarDay rows, China's calendar, else Monday to Friday).
        working = is_workday(day, overrides)
        if (cover.days == "working_days") == working:
            days.append(d)
    return days


def roster_problem(definition: RosterDefinition) -> RosterProblem:
    """The roster problem of ``definition``: member ids are staff numbers, duty codes the types' codes."""
    duties = list(definition.duty_types.all())
    if not duties:
        raise ValidationFailed(
            "Nothing to plan", [FieldError("duty_types", "define at least one duty", code="empty")]
        )
    members = list(
        definition.members.select_related("officer").prefetch_related("days_off", "requests__duty").all()
    )
    if not members:
        raise ValidationFailed(
            "Nothing to plan", [FieldError("members", "add at least one member", code="empty")]
        )
    index_of = lambda day: (day - definition.start_date).days  # noqa: E731
    shift_types = tuple(
        ShiftType(
            code=d.code,
            minutes=d.minutes,
            forbidden_next=frozenset(d.forbidden_next or ()),
            name=d.name,
            start=d.starts_at,
        )
        for d in duties
    )
    staff = []
    requests = []
    for member in members:
        days_off = frozenset(
            index_of(off.date) for off in member.days_off.all() if 0 <= index_of(off.date) < definition.days
        )
        staff.append(
            Staff(
                id=member.officer.staff_number,
                name=member.officer.name,
                max_total_minutes=member.max_total_minutes,
                min_total_minutes=member.min_total_minutes,
                max_consecutive_shifts=member.max_consecutive_shifts,
                min_consecutive_shifts=member.min_consecutive_shifts,
                min_consecutive_days_off=member.min_consecutive_days_off,
                max_weekends=member.max_weekends,
                max_shifts={code: int(n) for code, n in (member.max_shifts or {}).items()},
                days_off=days_off,
            )
        )
        for request in member.requests.all():
            day = index_of(request.date)
            if 0 <= day < definition.days:
                requests.append(
                    ShiftRequest(
                        member.officer.staff_number, day, request.duty.code, request.weight, request.on
                    )
                )
    covers: dict[tuple[int, str], CoverRequirement] = {}
    for cover in definition.covers.select_related("duty").order_by("id"):
        for day in _cover_days(definition, cover):
            # A later row for the same day and duty (e.g. one date) replaces an earlier one.
            covers[day, cover.duty.code] = CoverRequirement(
                day,
                cover.duty.code,
                cover.preferred,
                cover.under_weight,
                cover.over_weight,
                minimum=cover.minimum,
            )
    return RosterProblem(
        name=definition.name,
        start_date=definition.start_date,
        horizon_days=definition.days,
        shift_types=shift_types,
        staff=tuple(staff),
        cover=tuple(covers[key] for key in sorted(covers)),
        requests=tuple(requests),
    )
