"""Demo step of evaluation: the default scheme (考评方案), last quarter's results computed from the demo's
record and published, mentoring pairs proposed by the optimiser (a few accepted, with a first session and a
goal), and exemplar nominations from the run with two approved into the honours register. Everything is
done through the services, by the demo HR account (the committee's approvals by the demo administrator,
who is not the proposer), so the demo HR login opens real content."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from grassroots.common.demo import DEMO_USERNAME_PREFIX, DemoContext, DemoManifest, DemoStep, raw_delete
from grassroots.workforce.models import Officer

from . import honours, mentoring, services
from .models import (
    Adjustment,
    Appeal,
    EvaluationRun,
    Honour,
    MentoringGoal,
    MentoringSession,
    Mentorship,
    Nomination,
    NominationStatus,
    OfficerResult,
    Scheme,
    SchemeVersion,
    UnitResult,
    VersionStatus,
)

ACCEPTED_PAIRS = 4
APPROVED_HONOURS = 2


def _user(name: str):
    return get_user_model().objects.filter(username=f"{DEMO_USERNAME_PREFIX}{name}").first()


def step_evaluation(ctx: DemoContext) -> dict[str, int]:
    hr, admin = _user("hr"), _user("admin")
    counts = {"schemes": 0, "results": 0, "mentorships": 0, "nominations": 0, "honours": 0}
    if hr is None or admin is None:
        return counts
    version = SchemeVersion.objects.filter(scheme__code="default", status=VersionStatus.ACTIVE).first()
    if version is None:
        draft = services.scheme_create(
            actor=hr,
            code="default",
            name="干警群众工作能力考评方案",
            description="按时办结、满意度、调解、走访覆盖、一线服务与传帮带，按岗位难度与案件构成校正。",
        )
        version = services.scheme_version_activate(actor=hr, version=draft)
        counts["schemes"] = 1
    start, end, label = services.previous_quarter(ctx.as_of)
    # Read as of the scheme's grace days after the quarter (or now, when that is still ahead).
    run = services.run_create(
        actor=hr, scheme_version=version, period_start=start, period_end=end, label=label
    )
    run = services.run_start(actor=hr, run=run, background=False)
    run = services.run_publish(actor=hr, run=run, expected_version=run.version)
    counts["results"] = run.officer_count
    proposed = mentoring.mentoring_propose(actor=hr, run=run, day=min(ctx.as_of, timezone.localdate()))
    counts["mentorships"] = len(proposed)
    for pair in sorted(proposed, key=lambda p: -(p.match_score or 0))[:ACCEPTED_PAIRS]:
        pair = mentoring.mentorship_decide(
            actor=hr, mentorship=pair, accept=True, expected_version=pair.version
        )
        mentoring.mentoring_goal_add(
            actor=hr, mentorship=pair, title="独立主持调解并达成协议", indicator="mediation_success",
            target_value=0.6, due_on=pair.start + timedelta(days=180),
        )  # fmt: skip
        mentoring.mentoring_session_record(
            actor=hr, mentorship=pair, held_on=pair.start, minutes=90, topic="随师傅走访联系户，学习群众语言",
        )  # fmt: skip
    for title in honours.ensure_default_titles():
        made = honours.nominations_propose(actor=hr, title=title, run=run)
        counts["nominations"] += len(made)
    first = Nomination.objects.filter(run=run, status=NominationStatus.PROPOSED).order_by(
        "title__code", "rank"
    )
    approved = 0
    for nomination in first:
        if approved >= APPROVED_HONOURS:
            break
        if approved and nomination.title_id == first[0].title_id and nomination.officer_id:
            continue  # one per title in the demo
        name = nomination.officer.name if nomination.officer_id else nomination.unit.name
        honours.nomination_decide(
            actor=admin, nomination=nomination, approve=True, reason="评审委员会审议通过",
            citation=f"{name}在{label}考评中{nomination.title.name}，数据详实、群众满意。",
        )  # fmt: skip
        approved += 1
    counts["honours"] = approved
    return counts


STEPS = [DemoStep("evaluation.results", "evaluation, mentoring and honours", step_evaluation)]


def reset(manifest: DemoManifest) -> dict[str, int]:
    """Remove the evaluation data about the manifest's officers and what the demo accounts created."""
    in_counties = Q(pk__in=[])
    for code in manifest.county_codes:
        in_counties |= Q(staff_number__startswith=f"{code}-")
    officers = Officer.objects.filter(in_counties)
    demo_users = get_user_model().objects.filter(username__startswith=DEMO_USERNAME_PREFIX)
    runs = EvaluationRun.objects.filter(
        Q(created_by__in=demo_users)
        | Q(id__in=OfficerResult.objects.filter(officer__in=officers).values("run_id"))
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the published-run trigger lets a demo reset through
            cursor.execute("SET LOCAL evaluation.allow_purge = 'on'")
    removed = {"evaluation_runs": 0}
    honours_qs = Honour.objects.filter(nomination__run__in=runs)
    raw_delete(honours_qs)
    raw_delete(Nomination.objects.filter(run__in=runs))
    pairs = Mentorship.objects.filter(
        Q(mentor__in=officers) | Q(mentee__in=officers) | Q(based_on_run__in=runs)
    )
    raw_delete(MentoringSession.objects.filter(mentorship__in=pairs))
    raw_delete(MentoringGoal.objects.filter(mentorship__in=pairs))
    removed["mentorships"] = raw_delete(pairs)
    results = OfficerResult.objects.filter(run__in=runs)
    raw_delete(Adjustment.objects.filter(result__in=results))
    raw_delete(Appeal.objects.filter(result__in=results))
    raw_delete(UnitResult.objects.filter(run__in=runs))
    raw_delete(results)
    removed["evaluation_runs"] = raw_delete(runs)
    schemes = Scheme.objects.filter(created_by__in=demo_users)
    used = EvaluationRun.objects.filter(scheme_version__scheme__in=schemes).values(
        "scheme_version__scheme_id"
    )
    raw_delete(SchemeVersion.objects.filter(scheme__in=schemes.exclude(id__in=used)))
    raw_delete(schemes.exclude(id__in=used))
    return removed
