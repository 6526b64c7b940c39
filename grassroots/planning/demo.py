"""Demo step of planning: for each county's court, a rotation rule set (定期交流, by quarter, every rule
family on, front-line service once in any eight quarters) with one plan of the next four quarters solved but not approved, and a duty roster of four
weeks from the next Monday (立案窗口 on working days, 院长接待日 on Wednesdays, 值守备勤 on rest days)
for the case-filing division, the demo officer among them, solved. Everything goes through the services
as the demo HR account; the solves are short (a few seconds each), so the pages open with real results
and HR can solve again with a longer time limit."""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db.models import Q

from grassroots.common.demo import DEMO_USERNAME_PREFIX, DemoContext, DemoManifest, DemoStep, raw_delete
from grassroots.workforce.models import Assignment, Unit

from . import jobs, services
from .models import (
    DutyType,
    PlannedMove,
    PlanRun,
    PostProfile,
    RosterAssignment,
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

PLAN_QUARTERS = 4
ROSTER_DAYS = 28
ROSTER_MEMBERS = 10  # of the case-filing division, besides the president for reception days
SECONDS = {"tiny": (3, 3)}  # scale → (plan, roster) time limits; others get the default
DEFAULT_SECONDS = (30, 10)


def _user(name: str):
    return get_user_model().objects.filter(username=f"{DEMO_USERNAME_PREFIX}{name}").first()


def _next_quarter(day: date) -> date:
    first = date(day.year, ((day.month - 1) // 3) * 3 + 1, 1)
    return first + relativedelta(months=3)


def _next_monday(day: date) -> date:
    return day + timedelta(days=7 - day.weekday())


def _demo_rules(court: Unit, start: date) -> list[services.RuleInput]:
    """The default rules, with front-line service once in any two years (eight quarters) and room for a
    quarter of the court to move each quarter: the demo's history (officers long in the same office) makes
    the tighter defaults conflict, which HR sees explained when they tighten them."""
    holders = (
        Assignment.objects.current(start - timedelta(days=1))
        .filter(post__unit__path__startswith=court.path)
        .count()
    )
    rules = []
    for family, enabled, hard, weight in services.DEFAULT_RULES:
        params: dict[str, int] = {}
        if family == "front_line_window":
            params = {"k": 1, "window": 8}
        elif family == "move_cap":
            params = {"per_period": max(20, holders // 4)}
        rules.append(services.RuleInput(family, enabled, hard, weight, params))
    return rules


def step_planning(ctx: DemoContext) -> dict[str, int]:
    counts = {"rule_sets": 0, "plan_moves": 0, "rosters": 0, "roster_duties": 0}
    hr = _user("hr")
    if hr is None:
        return counts
    plan_seconds, roster_seconds = SECONDS.get(ctx.plan.scale.name, DEFAULT_SECONDS)
    for county_code in ctx.plan.county_codes:
        court = Unit.objects.filter(code=f"C{county_code}").first()
        if court is None:
            continue
        start = _next_quarter(ctx.as_of)
        rule_set = services.rule_set_create(
            actor=hr, name=f"{court.name}干警定期交流", unit=court, rules=_demo_rules(court, start)
        )
        counts["rule_sets"] += 1
        run = services.plan_run_create(
            actor=hr,
            rule_set=rule_set,
            start=start,
            periods=PLAN_QUARTERS,
            time_limit=plan_seconds,
            background=False,
        )
        if jobs.job_claim("plan", run.pk):
            run = jobs.plan_run_execute(run.pk, inline=True)
            counts["plan_moves"] += run.moves_count
        counts["roster_duties"] += _roster(ctx, hr, court, roster_seconds)
        counts["rosters"] += 1
    return counts


def _roster(ctx: DemoContext, hr, court: Unit, seconds: int) -> int:
    start = _next_monday(ctx.as_of)
    roster = services.roster_create(
        actor=hr, name=f"{court.name}{start:%Y年%m月}值班表", unit=court, start_date=start, days=ROSTER_DAYS
    )
    window = services.duty_type_save(
        actor=hr,
        roster=roster,
        data=services.DutyInput("W", "立案窗口", 480, kind="filing_window", forbidden_next=[]),
    )
    reception = services.duty_type_save(
        actor=hr, roster=roster, data=services.DutyInput("R", "院长接待日", 240, kind="reception")
    )
    on_call = services.duty_type_save(
        actor=hr,
        roster=roster,
        data=services.DutyInput("O", "节假日值守", 720, kind="on_call", forbidden_next=["W"]),
    )
    day = start - timedelta(days=1)
    holders = list(
        Assignment.objects.current(day)
        .filter(post__unit__code=f"{court.code}-LA", officer__is_active=True, post__is_leadership=False)
        .select_related("officer")
        .order_by("officer__staff_number")
    )
    members = []
    for a in holders:
        if a.officer not in members:
            members.append(a.officer)
    members = members[:ROSTER_MEMBERS]
    for officer in members:
        services.member_save(
            actor=hr,
            roster=roster,
            officer=officer,
            data=services.MemberInput(
                max_total_minutes=480 * 14,
                max_consecutive_shifts=5,
                min_consecutive_days_off=1,
                max_weekends=2,
                max_shifts={"R": 0},
            ),
        )
    president = (
        Assignment.objects.current(day).filter(post__code=f"{court.code}-P").select_related("officer").first()
    )
    if president is not None:
        services.member_save(
            actor=hr,
            roster=roster,
            officer=president.officer,
            data=services.MemberInput(max_total_minutes=240 * 5, max_shifts={"W": 0, "O": 0}),
        )
    services.cover_save(
        actor=hr, roster=roster, duty=window, days="working_days", minimum=1, preferred=2, under_weight=100
    )
    services.cover_save(actor=hr, roster=roster, duty=on_call, days="rest_days", minimum=1, preferred=1)
    if president is not None:
        for offset in range(ROSTER_DAYS):
            when = start + timedelta(days=offset)
            if when.weekday() == 2:  # Wednesdays
                services.cover_save(
                    actor=hr, roster=roster, duty=reception, days="date", on_date=when, minimum=0, preferred=1
                )
    rng = ctx.rng("planning.roster", court.code)
    for member in list(roster.members.select_related("officer"))[:4]:
        if member.officer_id == getattr(president, "officer_id", None):
            continue
        services.day_off_save(
            actor=hr,
            member=member,
            on_date=start + timedelta(days=rng.randrange(ROSTER_DAYS)),
            reason="年休假",
        )
    if not roster.members.exists():
        return 0  # left ready: HR adds members and solves it
    run = services.roster_run_create(actor=hr, roster=roster, time_limit=seconds, background=False)
    if jobs.job_claim("roster", run.pk):
        run = jobs.roster_run_execute(run.pk, inline=True)
    return RosterAssignment.objects.filter(run=run).count()


STEPS = [DemoStep("planning.plans", "rotation plan and duty roster", step_planning)]


def reset(manifest: DemoManifest) -> dict[str, int]:
    """Remove the planning records of the manifest's courts (and anything the demo accounts started)."""
    in_courts = Q(pk__in=[])
    for code in manifest.county_codes:
        in_courts |= Q(unit__path__startswith=f"C{code}/") | Q(unit__path__contains=f"/C{code}/")
    demo_users = get_user_model().objects.filter(username__startswith=DEMO_USERNAME_PREFIX)
    rule_sets = RotationRuleSet.objects.filter(in_courts | Q(created_by__in=demo_users))
    rosters = RosterDefinition.objects.filter(in_courts | Q(created_by__in=demo_users))
    plan_runs = PlanRun.objects.filter(Q(rule_set__in=rule_sets) | Q(created_by__in=demo_users))
    roster_runs = RosterRun.objects.filter(Q(definition__in=rosters) | Q(created_by__in=demo_users))
    removed = {
        "planned_moves": raw_delete(PlannedMove.objects.filter(run__in=plan_runs)),
        "plan_runs": raw_delete(plan_runs),
        "rules": raw_delete(RotationRule.objects.filter(rule_set__in=rule_sets)),
        "rule_sets": raw_delete(rule_sets),
        "roster_duties": raw_delete(RosterAssignment.objects.filter(run__in=roster_runs)),
        "roster_runs": raw_delete(roster_runs),
        "roster_requests": raw_delete(RosterRequest.objects.filter(member__definition__in=rosters)),
        "roster_days_off": raw_delete(RosterDayOff.objects.filter(member__definition__in=rosters)),
        "roster_members": raw_delete(RosterMember.objects.filter(definition__in=rosters)),
        "roster_cover": raw_delete(RosterCover.objects.filter(definition__in=rosters)),
        "duty_types": raw_delete(DutyType.objects.filter(definition__in=rosters)),
        "rosters": raw_delete(rosters),
    }
    # Profiles and wishes of the manifest's posts and officers (none are generated; HR may have added some).
    posts_q = Q(pk__in=[])
    officers_q = Q(pk__in=[])
    for code in manifest.county_codes:
        posts_q |= Q(post__code__startswith=f"C{code}-") | Q(post__code=f"C{code}")
        officers_q |= Q(officer__staff_number__startswith=f"{code}-")
    removed["post_profiles"] = raw_delete(PostProfile.objects.filter(posts_q))
    removed["wishes"] = raw_delete(RotationPreference.objects.filter(officers_q | posts_q))
    return removed
