"""Demo step of casework: the category catalogue and a year of requests and disputes for every county.

Volumes follow the population (``REQUESTS_PER_HOUSEHOLD``: about 50,000 a year for a county of 170,000
households), with the seasons (wage arrears before the Spring Festival, water and power in summer) and the
week (fewer calls at weekends). Texts are real messages read at run time from the shared routing data
(government message board for requests, legal consultations for disputes); where that data is not there
(a fresh clone), the built-in catalogue and texts composed from templates stand in (``casework.builtin``,
the count ``builtin_texts`` says so). Everything is written through
``casework.history`` (one bulk writer; COPY on PostgreSQL), then mediation records, and the clock tick
writes the reminders and escalations of what is overdue today. The demo logins get work of their own:
requests assigned to the demo officer and the demo grid officer (some overdue), and the leader's court.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from grassroots.common.demo import DEMO_USERNAME_PREFIX, DemoContext, DemoManifest, DemoStep, raw_delete
from grassroots.common.models import Role
from grassroots.common.protected import protect_phone
from grassroots.routing.data import (
    GOV_MESSAGES_FILE,
    LAWBENCH_FILE,
    load_gov_messages,
    load_lawbench_disputes,
    shared_data_dir,
)
from grassroots.territory.demo import mobile_number, person_name
from grassroots.territory.models import Grid, Region, Relationship, Resident
from grassroots.workforce.models import Assignment, Officer, Unit, UnitKind

from .builtin import builtin_dispute_texts, builtin_request_texts
from .categories import category_catalogue_load
from .escalation import clock_tick
from .follow_up import follow_up_tick
from .history import HistoricalFollowUp, HistoricalRequest, plan_events, requests_write_history
from .models import (
    Agreement,
    Category,
    ClockAlert,
    DisputeType,
    FollowUp,
    LitigationHandOff,
    MediationSession,
    Mediator,
    MediatorKind,
    Party,
    Request,
    RequestEvent,
    RequestUnit,
)
from .workflow import Status

REQUESTS_PER_HOUSEHOLD = 0.3
SERVICE_ACCOUNT = f"{DEMO_USERNAME_PREFIX}callcentre"  # 回访 and records clerk: never a resolver
MONTHS = [1.25, 0.8, 1.0, 1.0, 1.05, 1.15, 1.3, 1.3, 1.05, 0.95, 0.95, 1.1]
WEEKDAYS = [1.15, 1.1, 1.05, 1.05, 1.0, 0.6, 0.5]
HOURS = [0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.6, 2.0, 2.0, 1.6, 0.9, 1.2, 1.7, 1.8, 1.6, 1.2, 0.9, 0.8,
         0.7, 0.5, 0.3, 0.2]  # fmt: skip
KINDS = {"consultation": 28, "help": 15, "complaint": 20, "suggestion": 7, "demand": 13, "dispute": 17}
CHANNELS = {"hotline": 50, "web": 13, "messaging": 12, "window": 8, "grid_report": 8, "visit": 5, "petition": 2,
            "open311": 2}  # fmt: skip
DISPUTE_CHANNELS = {
    "window": 30,
    "grid_report": 25,
    "visit": 15,
    "court_referral": 15,
    "hotline": 10,
    "petition": 5,
}
DAYS_TO_RESOLVE = {"consultation": (0.2, 3), "help": (1, 6), "complaint": (2, 10), "suggestion": (3, 18),
                   "demand": (3, 18), "dispute": (4, 40)}  # fmt: skip
DISPUTE_OUTCOMES = {"agreement": 65, "explained": 13, "litigation": 12, "unable": 10}
S = Status


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class Texts:
    requests: list[tuple[str, str, str]]  # title, body, level-1 category name
    disputes: list[tuple[str, str]]  # body, dispute type name
    builtin: int = 0  # how many of the two lists were composed from the built-in templates


def _texts(rng: random.Random) -> Texts:
    """The shared messages and consultations when they are there, else texts from the built-in templates."""
    folder = shared_data_dir()
    texts = Texts([], [])
    if (folder / GOV_MESSAGES_FILE).is_file():
        texts.requests = [(m.title, m.body, m.label) for m in load_gov_messages()]
    else:
        texts.requests, texts.builtin = builtin_request_texts(rng), texts.builtin + 1
    if (folder / LAWBENCH_FILE).is_file():
        texts.disputes = [(d.body, d.label) for d in load_lawbench_disputes()]
    else:
        texts.disputes, texts.builtin = builtin_dispute_texts(rng), texts.builtin + 1
    return texts


class _Calendar:
    """Moments of the year before ``as_of``, weighted by month, weekday and hour."""

    def __init__(self, as_of) -> None:
        self.days = [as_of - timedelta(days=n) for n in range(1, 366)]
        self.weights = [MONTHS[d.month - 1] * WEEKDAYS[d.weekday()] for d in self.days]
        self.tz = timezone.get_current_timezone()

    def moments(self, rng: random.Random, count: int) -> list[datetime]:
        days = rng.choices(self.days, weights=self.weights, k=count)
        hours = rng.choices(range(24), weights=HOURS, k=count)
        return sorted(
            datetime.combine(d, time(h, rng.randrange(60), rng.randrange(60)), tzinfo=self.tz)
            for d, h in zip(days, hours, strict=True)
        )


def _final_status(rng: random.Random, age_days: float) -> str:
    if age_days > 45:
        table = {
            S.CLOSED: 88,
            S.FOLLOW_UP: 3,
            S.RESOLVED: 2,
            S.REJECTED: 3,
            S.REDIRECTED: 3,
            S.IN_PROGRESS: 1,
        }
    elif age_days > 12:
        table = {S.CLOSED: 55, S.FOLLOW_UP: 10, S.RESOLVED: 10, S.IN_PROGRESS: 14, S.ASSIGNED: 4, S.REJECTED: 3,
                 S.REDIRECTED: 2, S.REOPENED: 2}  # fmt: skip
    else:
        table = {S.REGISTERED: 10, S.ACCEPTED: 12, S.ASSIGNED: 18, S.IN_PROGRESS: 30, S.RESOLVED: 12,
                 S.FOLLOW_UP: 6, S.CLOSED: 10, S.REJECTED: 2}  # fmt: skip
    return _pick(rng, table)


class _County:
    """What one county's requests refer to, loaded in a few queries."""

    def __init__(self, ctx: DemoContext, territory, users: dict[str, int | None]) -> None:
        code = territory.code
        self.territory = territory
        self.villages = [(t, v) for t in territory.townships for v in t.villages if v.households]
        self.village_weights = [v.households for _, v in self.villages]
        heads: dict[int, list[tuple[int, str, int | None]]] = {}
        for pk, name, region_id, grid_id in Resident.objects.filter(
            county_id=territory.id, relationship=Relationship.HEAD
        ).values_list("id", "name", "household__region_id", "household__grid_id"):
            heads.setdefault(region_id, []).append((pk, name, grid_id))
        self.heads = heads
        units = ctx.state["workforce"][code]["units"]
        self.tribunal = {t: u.unit.pk for u in units if u.kind == UnitKind.TRIBUNAL for t in u.township_ids}
        self.unit_id = {u.code: u.unit.pk for u in units}
        self.filing = self.unit_id.get(f"C{code}-LA")
        self.petition = self.unit_id.get(f"C{code}-XF")
        self.officers: dict[int, list[int]] = {}
        for officer_id, unit_id in (
            Assignment.objects.current(ctx.as_of)
            .filter(post__unit_id__in=list(self.unit_id.values()))
            .values_list("officer_id", "post__unit_id")
        ):
            self.officers.setdefault(unit_id, []).append(officer_id)
        picks = ctx.state["workforce_picks"][code]
        officer_users = dict(
            Officer.objects.filter(pk__in=[p for p in picks.values() if p]).values_list("pk", "user_id")
        )
        self.demo = {
            role: (picks.get(role), officer_users.get(picks.get(role)))
            for role in ("officer", "grid", "leader")
        }
        grid_officer = picks.get("grid")
        self.demo_grids = set(Grid.objects.filter(officer_id=grid_officer).values_list("id", flat=True))
        self.court_ids = set(Unit.objects.filter(path__startswith=f"C{code}/").values_list("id", flat=True))
        self.grid_unit = next(
            (
                u
                for u, officers in self.officers.items()
                if grid_officer in officers and u in self.tribunal.values()
            ),
            None,
        )
        self.leader_user = self.demo["leader"][1]
        self.service_user = users["service"]


def _record(
    rng, when, county: _County, texts: Texts, categories, dispute_codes, as_of_dt
) -> HistoricalRequest:
    kind = _pick(rng, KINDS)
    channel = _pick(rng, DISPUTE_CHANNELS if kind == "dispute" else CHANNELS)
    township, village = rng.choices(county.villages, weights=county.village_weights)[0]
    residents = county.heads.get(village.id) or [(None, person_name(rng, "m"), None)]
    resident_id, name, grid_id = rng.choice(residents)
    grid_id = grid_id or (village.grids[0][0] if village.grids else None)
    category_id, dispute_type = None, ""
    if kind == "dispute":
        body, type_name = rng.choice(texts.disputes)
        title = body[:24] + ("…" if len(body) > 24 else "")
        dispute_type = dispute_codes.get(type_name, "other")
        lead = county.filing if channel == "court_referral" else county.tribunal.get(township.id)
        if rng.random() < 0.3 and channel != "court_referral":
            lead = county.unit_id.get(f"G{township.code}")
    else:
        title, body, label = rng.choice(texts.requests)
        leaves = categories.get(label) or categories.get("", [])
        category_id = rng.choice(leaves) if leaves else None
        lead = county.petition if channel == "petition" else county.unit_id.get(f"G{township.code}")
    record = HistoricalRequest(
        kind=kind, channel=channel, title=title or body[:24], description=body, region_id=village.id,
        created_at=when, status=S.REGISTERED, grid_id=grid_id, category_id=category_id, dispute_type=dispute_type,
        lead_unit_id=lead, address=f"{township.name}{village.name}", is_confidential=kind == "dispute" and rng.random() < 0.3,
        urgency=_pick(rng, {"normal": 94, "urgent": 5, "emergency": 1}),
        risk=_pick(rng, {"blue": 82, "yellow": 15, "red": 3}) if kind == "dispute" else "blue",
    )  # fmt: skip
    public = channel in ("hotline", "web", "messaging", "open311")
    if public and kind != "dispute" and rng.random() < 0.08:
        record.is_anonymous = True
    elif resident_id and rng.random() < 0.7:
        record.reporter_resident_id, record.reporter_name = resident_id, name
    else:
        record.reporter_name, record.reporter_phone = person_name(rng, rng.choice("mf")), mobile_number(rng)
    officers = county.officers.get(lead or 0, [])
    record.assignee_id = rng.choice(officers) if officers else None
    if grid_id in county.demo_grids and county.grid_unit and rng.random() < 0.8:
        record.lead_unit_id, (record.assignee_id, record.handler_user_id) = (
            county.grid_unit,
            county.demo["grid"],
        )
    elif record.lead_unit_id == county.filing and county.demo["officer"][0] and rng.random() < 0.5:
        record.assignee_id, record.handler_user_id = county.demo["officer"]
    elif kind != "dispute" and county.filing and county.demo["officer"][0] and rng.random() < 0.004:
        record.lead_unit_id = county.filing
        record.assignee_id, record.handler_user_id = county.demo["officer"]
    if record.lead_unit_id in county.court_ids:
        record.leader_user_id = county.leader_user
    _finish(rng, record, as_of_dt, county)
    return record


def _finish(rng: random.Random, record: HistoricalRequest, now: datetime, county: _County) -> None:
    """The final state, resolution time, outcome and follow-ups of one request."""
    age = (now - record.created_at).total_seconds() / 86400
    status = _final_status(rng, age)
    if record.handler_user_id and age > 10 and rng.random() < 0.3:
        status = _pick(rng, {S.IN_PROGRESS: 3, S.ASSIGNED: 1})  # the demo logins' open and overdue work
    if record.lead_unit_id is None and status not in (S.REGISTERED, S.ACCEPTED, S.REJECTED, S.REDIRECTED):
        status = S.ACCEPTED
    record.status = status
    if status in (S.REJECTED, S.REDIRECTED):
        record.reason = "不属于本机关受理范围" if status == S.REJECTED else "已转公安机关（110）处理"
        return
    low, high = DAYS_TO_RESOLVE[record.kind]
    days = rng.uniform(low, high) * (2.5 if rng.random() < 0.08 else 1.0)
    resolved = record.created_at + timedelta(days=days)
    if status in (S.RESOLVED, S.FOLLOW_UP, S.CLOSED, S.REOPENED):
        resolved = min(resolved, now - timedelta(hours=rng.uniform(2, 72)))
        resolved = max(resolved, record.created_at + timedelta(hours=1))
        record.resolved_at = resolved
        record.outcome = (
            _pick(rng, DISPUTE_OUTCOMES)
            if record.kind == "dispute"
            else _pick(rng, {"fulfilled": 55, "explained": 35, "transferred": 5, "unable": 5})
        )
    if status not in (S.FOLLOW_UP, S.CLOSED, S.REOPENED):
        return
    caller = county.service_user
    first_call = min(resolved + timedelta(hours=rng.uniform(4, 60)), now - timedelta(minutes=30))
    if status == S.REOPENED or (status == S.CLOSED and rng.random() < 0.06):
        unhappy = HistoricalFollowUp(
            at=first_call, satisfaction="dissatisfied", comment="问题没有真正解决", by_id=caller
        )
        record.follow_ups.append(unhappy)
        if status == S.CLOSED:
            again = first_call + timedelta(days=rng.uniform(3, 12))
            if again > now - timedelta(hours=6):
                record.status = S.REOPENED
                return
            record.resolved_at = again
            record.follow_ups.append(
                HistoricalFollowUp(at=again + timedelta(days=1), satisfaction="basically", by_id=caller)
            )
            record.closed_at = again + timedelta(days=1, minutes=5)
        return
    if status == S.FOLLOW_UP:
        if rng.random() < 0.5:
            record.follow_ups.append(HistoricalFollowUp(at=first_call, reached=False, by_id=caller))
        return
    if record.is_anonymous:
        record.closed_at = first_call
        return
    if rng.random() < 0.03:
        calls = [first_call + timedelta(days=n) for n in range(3)]
        record.follow_ups += [HistoricalFollowUp(at=at, reached=False, by_id=caller) for at in calls]
        record.closed_at = calls[-1] + timedelta(minutes=5)
        return
    answer = _pick(rng, {"satisfied": 72, "basically": 28})
    record.follow_ups.append(HistoricalFollowUp(at=first_call, satisfaction=answer, by_id=caller))
    record.closed_at = first_call + timedelta(minutes=5)


DEMO_OPEN_WORK = 8


def _demo_work(rng: random.Random, records: list[HistoricalRequest], county: _County, now: datetime) -> None:
    """However small the demo, the demo officer (filing centre) has open work of their own, some of it
    overdue: recent requests led by the filing centre and assigned to them, assigned or in progress."""
    officer, user = county.demo["officer"]
    if not (officer and county.filing):
        return
    mine = [r for r in records if r.assignee_id == officer and r.status in (S.ASSIGNED, S.IN_PROGRESS)]
    recent = [
        r
        for r in records
        if r.assignee_id != officer
        and not r.is_anonymous
        and r.lead_unit_id is not None
        and timedelta(days=1) < now - r.created_at < timedelta(days=25)
    ]
    for record in rng.sample(recent, k=min(max(DEMO_OPEN_WORK - len(mine), 0), len(recent))):
        record.lead_unit_id, record.assignee_id, record.handler_user_id = county.filing, officer, user
        record.leader_user_id = county.leader_user
        record.status = _pick(rng, {S.IN_PROGRESS: 3, S.ASSIGNED: 1})
        record.resolved_at = record.closed_at = None
        record.outcome, record.reason, record.follow_ups = "", "", []


def _duplicates(rng: random.Random, records: list[HistoricalRequest], share: float) -> None:
    """并单: the same matter raised again through another channel within days, linked into the first."""
    candidates = [i for i, r in enumerate(records) if r.status not in (S.REJECTED, S.REDIRECTED)]
    for index in rng.sample(candidates, k=int(len(candidates) * share)):
        root = records[index]
        when = root.created_at + timedelta(hours=rng.uniform(2, 240))
        if when > timezone.now() - timedelta(hours=1):
            continue
        records.append(HistoricalRequest(
            kind=root.kind, channel=rng.choice([c for c in ("hotline", "web", "window", "grid_report") if c != root.channel]),
            title=root.title, description=root.description, region_id=root.region_id, grid_id=root.grid_id,
            created_at=when, status=rng.choice([S.REGISTERED, S.ACCEPTED]), category_id=root.category_id,
            dispute_type=root.dispute_type, reporter_resident_id=root.reporter_resident_id,
            reporter_name=root.reporter_name or person_name(rng, "m"), reporter_phone=root.reporter_phone,
            matter_index=index,
        ))  # fmt: skip


def _mediators(ctx: DemoContext, rng: random.Random, territory) -> dict[int, list[int]]:
    """Two people's mediators (人民调解员) for every township of the county."""
    made = ctx.bulk_create(Mediator, [
        Mediator(kind=MediatorKind.PEOPLES_MEDIATOR, name=person_name(rng, rng.choice("mf")), region_id=t.id,
                 specialties=["邻里纠纷", "婚姻家庭"] if n == 0 else ["土地纠纷", "劳动纠纷"])
        for t in territory.townships for n in range(2)
    ])  # fmt: skip
    by_township: dict[int, list[int]] = {}
    for mediator in made:
        by_township.setdefault(mediator.region_id, []).append(mediator.pk)
    return by_township


def write_mediation(ctx: DemoContext, rng: random.Random, records, result, territory, county: _County) -> int:
    """Parties, sessions, agreements (some judicially confirmed) and hand-offs to litigation for the disputes
    that reached mediation, written in bulk beside the requests."""
    mediators = _mediators(ctx, rng, territory)
    township_of = {v.id: t.id for t, v in county.villages}
    work = []
    for record, pk in zip(records, result.ids, strict=True):
        if record.kind != "dispute" or pk not in result.tracking_codes or record.matter_index is not None:
            continue
        trail = plan_events(record, None)
        started = next((e[3] for e in trail if e[0] == "start"), None)
        if started is not None:
            resolved = next((e[3] for e in reversed(trail) if e[0] == "resolve"), None)
            work.append((record, pk, started, resolved))
    party_ids = ctx.reserve_ids(Party, 2 * len(work))
    parties, sessions, links, present, agreements, handoffs = [], [], [], [], [], []
    session_ids = iter(ctx.reserve_ids(MediationSession, 3 * len(work)))
    serial = 0
    for n, (record, pk, started, resolved) in enumerate(work):
        applicant, respondent = party_ids[2 * n], party_ids[2 * n + 1]
        own = protect_phone(record.reporter_phone) if record.reporter_phone else None
        other = protect_phone(mobile_number(rng))
        parties.append(
            (applicant, pk, "applicant", record.reporter_resident_id, record.reporter_name, record.address,
             *((own.encrypted, own.hash, own.masked) if own else ("", "", "")))
        )  # fmt: skip
        parties.append(
            (respondent, pk, "respondent", None, person_name(rng, rng.choice("mf")), record.address,
             other.encrypted, other.hash, other.masked)
        )  # fmt: skip
        end = resolved or timezone.now() - timedelta(hours=2)
        count = rng.choice((1, 1, 2, 3))
        by = record.handler_user_id or county.service_user
        for k in range(count):
            sid = next(session_ids)
            last = k == count - 1 and resolved is not None
            outcome = ("agreement" if record.outcome == "agreement" else "failed") if last else "continued"
            at = started + (end - started) * ((k + 1) / (count + 0.5))
            sessions.append(
                (sid, pk, at, f"{record.address}调解室", "双方陈述事实，调解员释法说理。", outcome, by)
            )
            for mediator in mediators.get(township_of.get(record.region_id), [])[: 1 + (k % 2)]:
                links.append((sid, mediator))
            present += [(sid, applicant), (sid, respondent)]
        year = (resolved or end).year
        if resolved and record.outcome == "agreement":
            confirmation = _pick(rng, {"none": 67, "confirmed": 25, "applied": 5, "refused": 3})
            serial += 1
            case = (
                f"({year})豫{territory.code[2:6]}民特{serial}号"
                if confirmation in ("confirmed", "refused")
                else ""
            )
            agreements.append((pk, f"调协-{year}-{result.tracking_codes[pk]}", record.description[:500],
                               "双方自愿达成如下协议：一方于三十日内履行，另一方不再追究。", "三十日内履行完毕",
                               resolved.date(), confirmation, case, resolved + timedelta(days=7) if case else None))  # fmt: skip
        elif resolved and record.outcome == "litigation":
            serial += 1
            court = county.tribunal.get(township_of.get(record.region_id)) or county.filing
            if court:
                handoffs.append((pk, court, resolved, f"({year})豫{territory.code[2:6]}民初{serial}号",
                                 "调解笔录、双方身份信息、证据材料", by))  # fmt: skip
    party_fields = (
        "id",
        "request",
        "role",
        "resident",
        "name",
        "address",
        "phone_encrypted",
        "phone_hash",
        "phone_masked",
    )
    ctx.insert_rows(Party, party_fields, parties)
    ctx.insert_rows(
        MediationSession, ("id", "request", "at", "place", "notes", "outcome", "recorded_by"), sessions
    )
    ctx.insert_rows(MediationSession.mediators.through, ("mediationsession", "mediator"), links)
    ctx.insert_rows(MediationSession.parties_present.through, ("mediationsession", "party"), present)
    ctx.insert_rows(Agreement, ("request", "number", "facts", "terms", "performance", "signed_on", "confirmation",
                                "confirmation_case_number", "confirmation_updated_at"), agreements)  # fmt: skip
    ctx.insert_rows(
        LitigationHandOff, ("request", "court", "handed_at", "case_number", "materials", "by"), handoffs
    )
    return len(work)


def step_casework(ctx: DemoContext) -> dict[str, int]:
    counts = {
        "categories": 0,
        "requests": 0,
        "linked": 0,
        "follow_ups": 0,
        "disputes_mediated": 0,
        "alerts": 0,
    }
    counts["categories"] = category_catalogue_load(actor=None).created
    texts = _texts(ctx.rng("casework.texts"))
    counts["builtin_texts"] = texts.builtin
    categories: dict[str, list[int]] = {"": []}
    paths = dict(Category.objects.filter(parent__isnull=True).values_list("code", "name"))
    for pk, path in Category.objects.filter(children__isnull=True).values_list("id", "path"):
        categories.setdefault(paths.get(path.split("/")[0], ""), []).append(pk)
        categories[""].append(pk)
    dispute_codes = dict(DisputeType.objects.values_list("name", "code"))
    service = get_user_model().objects.create(
        username=SERVICE_ACCOUNT, role=Role.OFFICER, first_name="回访中心"
    )
    service.set_unusable_password()
    service.save(update_fields=["password"])
    now = timezone.now()
    for territory in ctx.state["territory"]:
        county = _County(ctx, territory, {"service": service.pk})
        rng = ctx.rng("casework.requests", territory.code)
        total = round(sum(v.households for _, v in county.villages) * REQUESTS_PER_HOUSEHOLD)
        bar = ctx.progress(total, f"requests of {territory.name}")
        records = [
            _record(rng, when, county, texts, categories, dispute_codes, now)
            for when in _Calendar(ctx.as_of).moments(rng, total)
        ]
        _demo_work(rng, records, county, now)
        _duplicates(rng, records, 0.03)
        result = requests_write_history(
            actor=None, records=records, source="demo", rng=ctx.rng("casework.codes", territory.code),
            progress=lambda done, bar=bar: bar.update(done - bar.n), audit_data={"county": territory.code},
        )  # fmt: skip
        bar.close()
        counts["requests"] += result.created
        counts["linked"] += sum(1 for r in records if r.matter_index is not None)
        counts["follow_ups"] += sum(len(r.follow_ups) for r in records)
        counts["disputes_mediated"] += write_mediation(ctx, rng, records, result, territory, county)
    tick = clock_tick(now=now)
    counts["alerts"] = tick.reminders + tick.escalations + follow_up_tick(now=now).reminders
    return counts


STEPS = [DemoStep("casework.requests", "a year of requests and disputes", step_casework)]


def reset(manifest: DemoManifest) -> dict[str, int]:
    """Remove the requests of the manifest's counties with everything that hangs on them."""
    counties = list(Region.objects.filter(code__in=manifest.county_codes).values_list("id", flat=True))
    requests = Request.objects.filter(county_id__in=counties)
    removed = {"requests": 0}
    from grassroots.routing.models import RoutingDecision, RoutingSuggestion

    # Requests registered on the demo's pages afterwards carry routing suggestions and decisions too.
    for model in (RoutingDecision, RoutingSuggestion):
        raw_delete(model.objects.filter(request__in=requests))
    for model in (ClockAlert, FollowUp, RequestEvent, RequestUnit, Agreement, LitigationHandOff):
        raw_delete(model.objects.filter(request__in=requests))
    sessions = MediationSession.objects.filter(request__in=requests)
    raw_delete(MediationSession.mediators.through.objects.filter(mediationsession__in=sessions))
    raw_delete(MediationSession.parties_present.through.objects.filter(mediationsession__in=sessions))
    raw_delete(sessions)
    raw_delete(Party.objects.filter(request__in=requests))
    removed["requests"] = raw_delete(requests)
    raw_delete(Mediator.objects.filter(Q(region_id__in=counties) | Q(region__parent_id__in=counties)))
    get_user_model().objects.filter(username=SERVICE_ACCOUNT).delete()
    return removed
