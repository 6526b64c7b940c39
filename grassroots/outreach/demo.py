"""Demo step of outreach: the default visit rules; grid officers as liaisons of their grids and of the
care-tagged households in them (联系农户, 法官进网格); legal vice-heads of schools, agencies and village
committees (法制副职); the demo officers' own households; a year of visits; outreach events."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from grassroots.casework.models import Kind, Request
from grassroots.common.demo import DemoContext, DemoManifest, DemoStep, raw_delete
from grassroots.territory.models import Grid, Household, Organization, OrganizationKind, Region, RegionLevel
from grassroots.workforce.models import Assignment

from .coverage import duties_generate
from .defaults import ensure_default_rules
from .models import (
    EventKind,
    EventStatus,
    Liaison,
    LiaisonKind,
    NoticeBoard,
    OutreachEvent,
    Photo,
    RuleTarget,
    Visit,
)
from .models_duty import CoverageCount, VisitDuty

HISTORY_DAYS = 400  # liaisons start this long before the reference date; visits cover the last year
VISIT_KEPT = 0.88  # share of due visits that were made (the rest leave gaps and overdue liaisons)
OWN_HOUSEHOLDS = 40  # the demo officer's directly assigned households
EVENTS_PER_TOWNSHIP = 6  # a year
_SUMMARIES = [
    "了解生产生活情况",
    "宣讲法律政策",
    "询问邻里关系",
    "回访调解协议履行",
    "核实低保待遇",
    "了解子女赡养情况",
]
_NEEDS = ["", "", "", "", "反映灌溉水渠堵塞", "咨询土地承包合同", "邻里宅基地边界争议", "申请临时救助"]
_MET = ["户主", "户主及配偶", "老人本人", "子女", "村干部陪同"]
_ORG_DUTIES = [
    "法治副校长：每学期一堂法治课，每月走访",
    "法律顾问：每月走访，重大决策前提供法律意见",
    "联系村委会：每月走访，参与矛盾纠纷排查",
]
HANDOVER_SHARE = 0.05  # household liaisons handed over to another officer during the year
_TOPICS = ["民法典婚姻家庭编", "土地承包纠纷", "防范电信诈骗", "赡养义务", "农民工工资", "校园安全"]


def _intervals(rules) -> tuple[dict[int, int], int | None, dict[str, int]]:
    tag_days: dict[int, int] = {}
    default = None
    org_days: dict[str, int] = {}
    for rule in rules:
        if rule.applies_to == RuleTarget.HOUSEHOLD:
            if rule.care_tag_id:
                tag_days[rule.care_tag_id] = min(rule.interval_days, tag_days.get(rule.care_tag_id, 999))
            else:
                default = min(rule.interval_days, default or 999)
        else:
            org_days[rule.organization_kind] = min(
                rule.interval_days, org_days.get(rule.organization_kind, 999)
            )
    return tag_days, default, org_days


def _visit_days(rng: random.Random, start: date, last: date, interval: int, kept: float) -> list[date]:
    """Visit days from ``start`` (within the last year) to ``last``, about one interval apart, a share of
    them missed (the gaps that leave liaisons overdue)."""
    first = max(start, last - timedelta(days=365))
    day = first + timedelta(days=rng.randrange(interval))
    days = []
    while day <= last:
        if rng.random() < kept:
            days.append(day)
        day += timedelta(days=max(1, interval - rng.randrange(max(1, interval // 4))))
    return days


def _add_visits(
    rows: list[tuple],
    rng: random.Random,
    now: datetime,
    officer_id: int,
    target: tuple[int | None, int | None, int, int],
    period: tuple[date, date],
    interval: int,
    kept: float,
) -> None:
    """Visit rows of one officer to one household or organisation over ``period``."""
    household_id, org_id, region_id, county_id = target
    for day in _visit_days(rng, period[0], period[1], interval, kept):
        at = timezone.make_aware(datetime.combine(day, time(rng.randrange(8, 18), rng.randrange(60))))
        mode = rng.choices(["in_person", "phone", "video"], weights=[7, 2, 1])[0]
        needs = rng.choice(_NEEDS) if household_id else ""
        met = rng.choice(_MET) if household_id else "单位负责人"
        summary = rng.choice(_SUMMARIES)
        rows.append(
            (officer_id, household_id, org_id, region_id, county_id, day, at, mode, met, summary, needs, now)
        )


def step_outreach(ctx: DemoContext) -> dict[str, int]:
    rules = [r for r in ensure_default_rules() if r.county_id is None]
    tag_days, default_days, org_days = _intervals(rules)
    as_of = ctx.as_of
    start = as_of - timedelta(days=HISTORY_DAYS)
    now = timezone.now()
    counts = {"liaisons": 0, "visits": 0, "events": 0}
    liaison_fields = [
        "id",
        "officer",
        "kind",
        "household",
        "organization",
        "grid",
        "region",
        "county",
        "duties",
        "start",
        "end",
        "end_reason",
        "created_at",
        "version",
    ]
    visit_fields = [
        "officer",
        "household",
        "organization",
        "region",
        "county",
        "visited_on",
        "visited_at",
        "mode",
        "met",
        "summary",
        "needs",
        "created_at",
    ]
    tags_of: dict[int, list[int]] = {}
    through = Household.care_tags.through
    for code in ctx.plan.county_codes:
        county = Region.objects.get(code=code)
        rng = ctx.rng("outreach", code)
        picks = ctx.state.get("workforce_picks", {}).get(code, {})
        tags_of.clear()
        for household_id, tag_id in through.objects.filter(household__county=county).values_list(
            "household_id", "caretag_id"
        ):
            tags_of.setdefault(household_id, []).append(tag_id)
        grids = list(
            Grid.objects.filter(county=county, officer__isnull=False).values_list(
                "id", "officer_id", "region_id"
            )
        )
        officer_of_grid = {g: o for g, o, _ in grids}
        # (officer, kind, household, organization, grid, region, interval)
        planned: list[tuple[int, str, int | None, int | None, int | None, int, int | None]] = []
        for grid_id, officer_id, region_id in grids:
            planned.append((officer_id, LiaisonKind.GRID, None, None, grid_id, region_id, None))
        households = Household.objects.filter(county=county, is_active=True)
        linked: set[tuple[int, int]] = set()

        def household_interval(household_id: int) -> int | None:
            days = [tag_days[t] for t in tags_of.get(household_id, []) if t in tag_days]
            return min(days + ([default_days] if default_days else [])) if days or default_days else None

        for household_id, grid_id, region_id in (
            households.filter(grid_id__in=list(officer_of_grid))
            .values_list("id", "grid_id", "region_id")
            .iterator()
        ):
            if household_id in tags_of:
                officer_id = officer_of_grid[grid_id]
                planned.append(
                    (
                        officer_id,
                        LiaisonKind.HOUSEHOLD,
                        household_id,
                        None,
                        grid_id,
                        region_id,
                        household_interval(household_id),
                    )
                )
                linked.add((officer_id, household_id))
        # The demo officers: their own households (tagged first) in the first village of their jurisdiction.
        for key in ("officer", "grid"):
            officer_id = picks.get(key)
            if officer_id is None:
                continue
            unit = (
                Assignment.objects.current(as_of)
                .filter(officer_id=officer_id)
                .select_related("post__unit__region")
                .first()
            )
            area = unit.post.unit.region if unit and unit.post.unit.region_id else county
            village = (
                Region.objects.filter(path__startswith=area.path, level=RegionLevel.VILLAGE)
                .order_by("code")
                .first()
            )
            if village is None:
                continue
            own = list(
                households.filter(region=village)
                .order_by("number")
                .values_list("id", "grid_id", "region_id")[: OWN_HOUSEHOLDS * 3]
            )
            own.sort(key=lambda row: (row[0] not in tags_of, row[0]))
            for household_id, grid_id, region_id in own[:OWN_HOUSEHOLDS]:
                if (officer_id, household_id) not in linked:
                    planned.append(
                        (
                            officer_id,
                            LiaisonKind.HOUSEHOLD,
                            household_id,
                            None,
                            grid_id,
                            region_id,
                            household_interval(household_id),
                        )
                    )
                    linked.add((officer_id, household_id))
        # 法制副职: schools, agencies and village committees, with an officer serving in the same township.
        township_officers: dict[int, list[int]] = {}
        region_parent = dict(
            Region.objects.filter(path__startswith=county.path, level=RegionLevel.VILLAGE).values_list(
                "id", "parent_id"
            )
        )
        for _grid_id, officer_id, region_id in grids:
            township_officers.setdefault(region_parent.get(region_id, region_id), []).append(officer_id)
        kinds = [OrganizationKind.SCHOOL, OrganizationKind.AGENCY, OrganizationKind.VILLAGE_COMMITTEE]
        organisations = Organization.objects.filter(
            county=county, kind__in=kinds, is_active=True
        ).values_list("id", "kind", "region_id")
        demo_officer = picks.get("officer")
        for index, (org_id, kind, region_id) in enumerate(organisations.order_by("id")):
            candidates = township_officers.get(region_parent.get(region_id, region_id)) or []
            officer_id = (
                demo_officer
                if demo_officer and index < 3
                else (rng.choice(candidates) if candidates else None)
            )
            if officer_id is None or rng.random() > 0.5 and index >= 3:
                continue
            days = [d for k, d in org_days.items() if k in ("", kind)]
            planned.append(
                (
                    officer_id,
                    LiaisonKind.ORGANIZATION,
                    None,
                    org_id,
                    None,
                    region_id,
                    min(days) if days else None,
                )
            )
        # Some household liaisons were handed over during the year (轮岗): the old row ends, the history stays.
        handovers: dict[int, tuple[int, date]] = {}
        for index, (officer_id, kind, _h, _o, _g, region_id, _i) in enumerate(planned):
            if kind != LiaisonKind.HOUSEHOLD or officer_id == demo_officer or rng.random() >= HANDOVER_SHARE:
                continue
            others = [
                o
                for o in township_officers.get(region_parent.get(region_id, region_id), [])
                if o != officer_id
            ]
            if others:
                handovers[index] = (rng.choice(others), as_of - timedelta(days=rng.randrange(20, 300)))
        ids = iter(ctx.reserve_ids(Liaison, len(planned) + len(handovers)))
        liaison_rows, visit_rows = [], []
        bar = ctx.progress(len(planned), f"outreach {county.name}", unit="liaisons")

        for index, (officer_id, kind, household_id, org_id, grid_id, region_id, interval) in enumerate(
            planned
        ):
            successor, switch = handovers.get(index, (None, None))
            duties = rng.choice(_ORG_DUTIES) if kind == LiaisonKind.ORGANIZATION else ""
            liaison_rows.append(
                (next(ids), officer_id, kind, household_id, org_id, grid_id, region_id, county.pk, duties, start,
                 switch, "轮岗交接" if switch else "", now, 1)
            )  # fmt: skip
            if successor is not None:
                liaison_rows.append(
                    (next(ids), successor, kind, household_id, org_id, grid_id, region_id, county.pk, "",
                     switch + timedelta(days=1), None, "", now, 1)
                )  # fmt: skip
            bar.update(1)
            if interval is None:
                continue
            kept = VISIT_KEPT if officer_id != demo_officer else 0.8
            target = (household_id, org_id, region_id, county.pk)
            _add_visits(visit_rows, rng, now, officer_id, target, (start, switch or as_of), interval, kept)
            if successor is not None:
                period = (switch + timedelta(days=1), as_of)
                _add_visits(visit_rows, rng, now, successor, target, period, interval, VISIT_KEPT)
        bar.close()
        counts["liaisons"] += ctx.insert_rows(Liaison, liaison_fields, liaison_rows)
        counts["visits"] += ctx.insert_rows(Visit, visit_fields, visit_rows)
        counts["events"] += _events(ctx, rng, county, township_officers, demo_officer)
        counts["boards"] = counts.get("boards", 0) + _boards(county, picks)
    # The due lists of the generated year, as the nightly job would leave them.
    counties = list(Region.objects.filter(code__in=ctx.plan.county_codes).values_list("id", flat=True))
    counts["duties"] = duties_generate(as_of=as_of, counties=counties).duties
    return counts


def _boards(county: Region, picks: dict) -> int:
    """Published notice boards (公示牌) for the demo officers, with their public phone and duties."""
    made = 0
    for key, duties in (
        ("officer", "联系本村农户，每月入户走访；受理矛盾纠纷，送法上门。"),
        ("grid", "网格员：网格信息管理、矛盾纠纷排查、政策宣传。"),
    ):
        officer_id = picks.get(key)
        if officer_id is None:
            continue
        NoticeBoard.objects.update_or_create(
            officer_id=officer_id,
            defaults={
                "public_phone": f"0371-{2600000 + officer_id % 100000:07d}",
                "duties": duties,
                "is_published": True,
            },
        )
        made += 1
    return made


def _events(
    ctx: DemoContext,
    rng: random.Random,
    county: Region,
    township_officers: dict[int, list[int]],
    demo_officer: int | None,
) -> int:
    as_of = ctx.as_of
    events, officer_sets = [], []
    villages: dict[int, list[int]] = {}
    for village_id, parent_id in Region.objects.filter(
        path__startswith=county.path, level=RegionLevel.VILLAGE
    ).values_list("id", "parent_id"):
        villages.setdefault(parent_id, []).append(village_id)
    for township_id, officers in sorted(township_officers.items()):
        for _ in range(EVENTS_PER_TOWNSHIP):
            events.append(
                _event(
                    rng,
                    as_of,
                    county,
                    rng.choice(villages.get(township_id, [township_id])),
                    rng.randrange(-365, 30),
                )
            )
            officer_sets.append(sorted(set(rng.sample(officers, min(len(officers), rng.randint(1, 3))))))
    if demo_officer is not None and township_officers:
        township_id = sorted(township_officers)[0]
        for offset in (0, 0, 3, -7, -30):
            events.append(
                _event(rng, as_of, county, rng.choice(villages.get(township_id, [township_id])), offset)
            )
            officer_sets.append([demo_officer])
    created = OutreachEvent.objects.bulk_create(events, batch_size=ctx.batch_size)
    if created and created[0].pk is None:
        created = list(OutreachEvent.objects.filter(county=county).order_by("id"))[-len(events) :]
    through = OutreachEvent.officers.through
    through.objects.bulk_create(
        [
            through(outreachevent_id=e.pk, officer_id=o)
            for e, officers in zip(created, officer_sets, strict=True)
            for o in officers
        ],
        batch_size=ctx.batch_size,
    )
    # Disputes heard or mediated on the spot at the held circuit trials and on-site mediations.
    disputes = list(
        Request.objects.filter(county=county, kind=Kind.DISPUTE)
        .order_by("id")
        .values_list("id", flat=True)[:400]
    )
    on_the_spot = [
        e
        for e in created
        if e.status == EventStatus.HELD and e.kind in (EventKind.CIRCUIT_TRIAL, EventKind.ONSITE_MEDIATION)
    ]
    cases = OutreachEvent.requests.through
    links, used = [], set()
    for event in on_the_spot:
        for request_id in rng.sample(disputes, min(len(disputes), rng.randint(1, 3))):
            if request_id not in used:
                used.add(request_id)
                links.append(cases(outreachevent_id=event.pk, request_id=request_id))
    cases.objects.bulk_create(links, batch_size=ctx.batch_size)
    return len(created)


def _event(rng: random.Random, as_of: date, county: Region, region_id: int, offset: int) -> OutreachEvent:
    kind = rng.choice(EventKind.values)
    day = as_of + timedelta(days=offset)
    starts = timezone.make_aware(datetime.combine(day, time(rng.choice([9, 10, 14, 15]), 0)))
    held = offset < 0
    return OutreachEvent(
        kind=kind,
        title=f"{EventKind(kind).label.split('(')[-1].rstrip(')')} · {rng.choice(_TOPICS)}",
        status=EventStatus.HELD if held else EventStatus.PLANNED,
        starts_at=starts,
        ends_at=starts + timedelta(hours=rng.choice([2, 3])),
        region_id=region_id,
        county=county,
        attendance=rng.randint(15, 120) if held else None,
        topics=rng.choice(_TOPICS),
    )


STEPS = [DemoStep("outreach.outreach", "liaisons, visits and outreach events", step_outreach)]


def reset(manifest: DemoManifest) -> dict[str, int]:
    removed = {"visits": 0, "liaisons": 0, "events": 0, "duties": 0, "coverage_counts": 0}
    counties = list(Region.objects.filter(code__in=manifest.county_codes).values_list("id", flat=True))
    visits = Visit.objects.filter(county_id__in=counties)
    events = OutreachEvent.objects.filter(county_id__in=counties)
    liaisons = Liaison.objects.filter(county_id__in=counties)
    Photo.objects.filter(Q(visit__in=visits) | Q(event__in=events)).delete()
    raw_delete(Visit.requests.through.objects.filter(visit__in=visits))
    removed["visits"] = raw_delete(visits)
    # The generated due lists point at their liaisons (and count their officers and places): they go first.
    removed["duties"] = raw_delete(
        VisitDuty.objects.filter(Q(county_id__in=counties) | Q(liaison__in=liaisons))
    )
    removed["coverage_counts"] = raw_delete(CoverageCount.objects.filter(county_id__in=counties))
    removed["liaisons"] = raw_delete(liaisons)
    raw_delete(OutreachEvent.officers.through.objects.filter(outreachevent__in=events))
    raw_delete(OutreachEvent.requests.through.objects.filter(outreachevent__in=events))
    removed["events"] = raw_delete(events)
    NoticeBoard.objects.filter(
        officer__staff_number__regex=r"^(" + "|".join(manifest.county_codes or ["-"]) + ")-"
    ).delete()
    return removed
