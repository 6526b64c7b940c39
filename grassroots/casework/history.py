"""The one bulk writer of historical requests: imports from other systems and the demo's year of casework.

Historical requests keep their past dates and final state. They do not go through ``request_transition``
one step at a time (which stamps every event with the current time); instead this module writes, in bulk and
inside the caller's transaction, exactly the rows the workflow would have left behind:

- the request, with ``status`` the last event's target, its county, the reporter's phone protected by the
  same helper intake uses (``protect_phone``), the deadline policy snapshot intake would have taken
  (``services.policy_for``) and the deadline computed from the registration time by ``clock.deadline_from``;
- an event trail that walks the transition table from ``intake`` to the final status (each step's source is
  the previous step's target, so the trail replays to ``status``); every event's data says ``imported`` and
  names the source system;
- handling units, follow-ups (never by the resolver), and a link event for a request linked into a matter;
- one audit summary entry for the batch.

Rows go through the demo framework's bulk helpers (COPY on PostgreSQL, executemany elsewhere).
Re-writing the same records never duplicates them: a record whose ``(channel, client_token)`` already exists
is skipped, and ``client_token`` is derived from the source system and its record id (``history_token``).
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django.db import transaction

from grassroots.common.audit import audit_record
from grassroots.common.demo import DemoContext
from grassroots.common.protected import protect_phone
from grassroots.common.scoping import Actor, as_actor
from grassroots.territory.models import Region, RegionLevel

from . import clock
from .models import FollowUp, Request, RequestEvent, RequestUnit, Satisfaction, UnitRole
from .services import (
    _CODE_ALPHABET,
    MAX_UNREACHED_ATTEMPTS,
    OUTCOMES,
    IntakeInput,
    follow_up_rule_for,
    policy_for,
)
from .workflow import Action, Status, transition_for

S = Status
# The happy path of one handling round, and the status each prefix of it ends in.
_ROUND_END = {S.ASSIGNED: 1, S.IN_PROGRESS: 2, S.RESOLVED: 3, S.FOLLOW_UP: 4, S.CLOSED: 4, S.REOPENED: 4}
_SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)


def history_token(source: str, record_id: str) -> str:
    """The client token of a historical record: stable for one source system and record id (≤ 64 chars)."""
    digest = hashlib.sha256(f"{source}\n{record_id}".encode()).hexdigest()[:40]
    return f"h:{digest}"


@dataclass
class HistoricalFollowUp:
    at: datetime
    reached: bool = True
    satisfaction: str = ""
    comment: str = ""
    by_id: int | None = None  # a user; default: the writing actor
    mode: str = "phone"


@dataclass
class HistoricalRequest:
    """A request as it ended up. Times default from ``created_at`` and ``resolved_at``; intake and follow-ups
    default to the writing actor, assignment and handling to no one (unknown in the source system)."""

    kind: str
    channel: str
    title: str
    description: str
    region_id: int
    created_at: datetime
    status: str
    record_id: str = ""
    client_token: str | None = None  # default: history_token(source, record_id)
    grid_id: int | None = None
    address: str = ""
    reporter_resident_id: int | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    is_anonymous: bool = False
    category_id: int | None = None
    dispute_type: str = ""
    urgency: str = "normal"
    risk: str = "blue"
    is_confidential: bool = False
    lead_unit_id: int | None = None
    assist_unit_ids: tuple[int, ...] = ()
    assignee_id: int | None = None
    intake_user_id: int | None = None
    leader_user_id: int | None = None
    handler_user_id: int | None = None
    resolved_at: datetime | None = None
    outcome: str = ""
    closed_at: datetime | None = None
    reason: str = ""  # of a rejection, redirection or the last reopening
    follow_ups: list[HistoricalFollowUp] = field(default_factory=list)
    matter_index: int | None = None  # link into the matter of this earlier record of the same batch
    data: dict[str, Any] = field(default_factory=dict)  # extra event data (e.g. the source's status label)


class HistoryError(ValueError):
    """A record that would break the workflow's invariants; ``index`` is its position in the batch."""

    def __init__(self, index: int, message: str):
        self.index = index
        super().__init__(f"record {index + 1}: {message}")


@dataclass
class HistoryResult:
    ids: list[int | None]  # per record: its request's id (the earlier one when it was already there)
    created: int = 0
    skipped: int = 0
    tracking_codes: dict[int, str] = field(default_factory=dict)  # of the requests written


def check_record(record: HistoricalRequest) -> str | None:
    """Why a record cannot be written (None when it can)."""
    if record.status not in S.values:
        return f"unknown status {record.status}"
    if record.outcome and record.outcome not in OUTCOMES:
        return f"unknown outcome {record.outcome}"
    if record.status in (S.REJECTED, S.REDIRECTED) and not record.reason.strip():
        return "a rejected or redirected request needs a reason"
    if record.matter_index is not None and record.status not in (S.REGISTERED, S.ACCEPTED):
        return "a request linked into a matter stays registered or accepted"
    if record.resolved_at and record.resolved_at < record.created_at:
        return "resolved before it was registered"
    if record.closed_at and record.resolved_at and record.closed_at < record.resolved_at:
        return "closed before it was resolved"
    for follow_up in record.follow_ups:
        if follow_up.reached and follow_up.satisfaction not in Satisfaction.values:
            return f"unknown satisfaction {follow_up.satisfaction}"
        if follow_up.by_id is not None and follow_up.by_id == record.handler_user_id:
            return "a follow-up must be by someone other than the resolver"
    dissatisfied = [f for f in record.follow_ups if f.satisfaction == Satisfaction.DISSATISFIED]
    if dissatisfied and record.status not in (S.REOPENED, *_REOPENABLE):
        return "a dissatisfied follow-up reopens the request"
    if record.follow_ups and record.status not in (S.REOPENED, *_REOPENABLE):
        return f"a request that is {record.status} has no follow-ups"
    if record.status in (S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED) and _rounds(record)[-1]:
        return f"a request that is {record.status} has no follow-up since its last resolution"
    return None


_REOPENABLE = (S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.FOLLOW_UP, S.CLOSED)


def _rounds(record: HistoricalRequest) -> list[list[HistoricalFollowUp]]:
    """Split the follow-ups into handling rounds: each dissatisfied answer ends a round."""
    rounds: list[list[HistoricalFollowUp]] = [[]]
    for follow_up in sorted(record.follow_ups, key=lambda f: f.at):
        rounds[-1].append(follow_up)
        if follow_up.satisfaction == Satisfaction.DISSATISFIED:
            rounds.append([])
    if record.status == S.REOPENED and not rounds[-1] and len(rounds) > 1:
        rounds.pop()  # ends on the reopening itself
    return rounds


Trail = list[tuple[str, str, str, datetime, "int | None", str]]


def plan_events(record: HistoricalRequest, actor_id: int | None) -> Trail:
    """The trail ``(action, from, to, at, actor user id, reason)`` from intake to the record's final status;
    times never go backwards."""
    created = record.created_at
    end = record.closed_at or record.resolved_at or created + timedelta(days=3)
    intake_by = record.intake_user_id or actor_id
    # Who assigned and handled a historical request is often unknown: those events then carry no actor.
    leader, handler = record.leader_user_id, record.handler_user_id
    events: Trail = [("intake", "", S.REGISTERED, created, intake_by, "")]

    def step(action: str, at: datetime, by: int | None, reason: str = "") -> None:
        transition = transition_for(action)
        before = events[-1][2]
        if transition is None or before not in transition.sources:
            raise ValueError(f"{action} cannot follow {before}")
        at = max(at, events[-1][3] + timedelta(minutes=1))
        events.append((str(action), before, transition.target or before, at, by, reason[:1000]))

    status = record.status
    if status == S.REGISTERED:
        return events
    first = min(created + timedelta(hours=2), created + (end - created) / 10)
    if status in (S.REJECTED, S.REDIRECTED):
        step(Action.REJECT if status == S.REJECTED else Action.REDIRECT, first, intake_by, record.reason)
        return events
    step(Action.ACCEPT, first, intake_by)
    if status == S.ACCEPTED:
        return events
    rounds = _rounds(record)
    start = first
    for number, follow_ups in enumerate(rounds):
        last = number == len(rounds) - 1
        dissatisfied = (
            follow_ups[-1]
            if follow_ups and follow_ups[-1].satisfaction == Satisfaction.DISSATISFIED
            else None
        )
        round_end = dissatisfied.at - timedelta(hours=1) if dissatisfied else (record.resolved_at or end)
        span = max(round_end - start, timedelta(minutes=10))
        caller = (follow_ups[0].by_id if follow_ups else None) or actor_id
        plan = [
            (Action.ASSIGN, start + span * 0.1, leader),
            (Action.START, start + span * 0.3, handler),
            (Action.RESOLVE, round_end, handler),
            (Action.SCHEDULE_FOLLOW_UP, (follow_ups[0].at if follow_ups else round_end + timedelta(hours=1))
             - timedelta(minutes=1), caller),
        ]  # fmt: skip
        for action, at, by in plan[: _ROUND_END[status]] if last else plan:
            step(action, at, by)
        if dissatisfied is not None:
            step(Action.REOPEN_DISSATISFIED, dissatisfied.at, dissatisfied.by_id or actor_id,
                 dissatisfied.comment or "不满意")  # fmt: skip
            start = dissatisfied.at + timedelta(hours=2)
            continue
        if last and status == S.CLOSED:
            closer = (follow_ups[-1].by_id if follow_ups else None) or actor_id
            step(Action.CLOSE, record.closed_at or (follow_ups[-1].at if follow_ups else end), closer)
        if last and status == S.REOPENED:
            step(Action.REOPEN, max(end, events[-1][3]), leader, record.reason or "重办")
    return events


class _Bulk(DemoContext):
    """The demo framework's bulk helpers (``reserve_ids``, ``insert_rows``) without a demo plan."""

    def __init__(self) -> None:
        super().__init__(plan=None)  # type: ignore[arg-type]

    def json(self, value: dict[str, Any]) -> Any:
        if self.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            return Jsonb(value)
        return value


_REQUEST_FIELDS = (
    "id", "tracking_code", "kind", "channel", "client_token", "intake_fingerprint", "title", "description",
    "public_summary", "reporter_resident", "reporter_name", "reporter_phone_encrypted", "reporter_phone_hash",
    "reporter_phone_masked", "is_anonymous", "region", "county", "grid", "address", "category", "dispute_type",
    "urgency", "risk", "is_confidential", "status", "assignee", "is_paused", "deadline_amount", "deadline_unit",
    "max_extension_days", "extension_days_used", "due_at", "escalation_tier", "matter", "extension_pending",
    "resolved_by", "outcome", "return_count", "reopen_count", "created_by", "created_at", "updated_at",
    "version", "resolved_at", "follow_up_due_at",
)  # fmt: skip
_EVENT_FIELDS = ("request", "action", "from_status", "to_status", "actor", "at", "reason", "data")
_FOLLOW_UP_FIELDS = ("request", "by", "at", "mode", "reached", "satisfaction", "comment")


class _Places:
    """Regions and their counties, loaded once per batch."""

    def __init__(self, region_ids: set[int]) -> None:
        regions = {r.pk: r for r in Region.objects.filter(pk__in=region_ids)}
        codes = {c for r in regions.values() for c in r.ancestor_codes()} | {r.code for r in regions.values()}
        counties = dict(
            Region.objects.filter(code__in=codes, level=RegionLevel.COUNTY).values_list("code", "id")
        )
        self.regions = regions
        self.county = {}
        for pk, region in regions.items():
            chain = [*region.ancestor_codes(), region.code]
            self.county[pk] = next((counties[c] for c in chain if c in counties), region.pk)


def requests_write_history(
    *,
    actor: Actor | Any,
    records: Sequence[HistoricalRequest],
    source: str,
    rng: random.Random | None = None,
    progress: Callable[[int], None] | None = None,
    audit_data: dict[str, Any] | None = None,
) -> HistoryResult:
    """Write historical requests in bulk, in one transaction (see the module doc). Raises ``HistoryError``
    before writing anything when a record would break an invariant."""
    actor = as_actor(actor)
    actor_id = getattr(actor.user, "pk", None)
    for index, record in enumerate(records):
        problem = check_record(record)
        if problem is None and record.matter_index is not None and not 0 <= record.matter_index < index:
            problem = "links into a matter that is not an earlier record"
        if problem:
            raise HistoryError(index, problem)
        if record.client_token is None:
            record.client_token = history_token(source, record.record_id or str(index))
    bulk = _Bulk()
    make_code = (lambda: "".join(rng.choice(_CODE_ALPHABET) for _ in range(10))) if rng else _secret_code
    with transaction.atomic():
        places = _Places({r.region_id for r in records})
        existing = _existing_tokens(records)
        fresh = [(i, r) for i, r in enumerate(records) if (r.channel, r.client_token) not in existing]
        ids = bulk.reserve_ids(Request, len(fresh))
        codes = _tracking_codes(len(fresh), make_code)
        overrides = clock.calendar_overrides()
        policies: dict[tuple, Any] = {}
        result = HistoryResult(ids=[existing.get((r.channel, r.client_token)) for r in records])
        result.skipped = len(records) - len(fresh)
        rows: list[list[Any]] = []
        events: list[tuple] = []
        units: list[tuple] = []
        follow_rows: list[tuple] = []
        now = datetime.now(tz=records[0].created_at.tzinfo) if records else None
        for (index, record), pk, code in zip(fresh, ids, codes, strict=True):
            result.ids[index] = pk
            trail = plan_events(record, actor_id)
            row = _request_row(record, pk, code, trail, places, policies, overrides, actor_id, now)
            meta = {"imported": True, "source": source, "record": record.record_id}
            for action, before, after, at, by, reason in trail:
                data = dict(meta, **record.data) if action == "intake" else dict(meta)
                if action == Action.RESOLVE:
                    data["outcome"] = record.outcome or "fulfilled"
                if action == Action.ASSIGN and record.lead_unit_id:
                    data["lead_unit_id"] = record.lead_unit_id
                events.append((pk, action, before, after, by, at, reason, bulk.json(data)))
            if record.matter_index is not None:
                root = result.ids[record.matter_index]
                row[_REQUEST_FIELDS.index("matter")] = root
                link = bulk.json({**meta, "matter_id": root})
                at = trail[-1][3] + timedelta(minutes=5)
                events.append((pk, "link", record.status, record.status, actor_id, at, "", link))
            rows.append(row)
            assigned = next((e[3] for e in trail if e[0] == Action.ASSIGN), None)
            if assigned and record.lead_unit_id:
                units.append((pk, record.lead_unit_id, UnitRole.LEAD, True, assigned))
                assist = [u for u in record.assist_unit_ids if u != record.lead_unit_id]
                units += [(pk, u, UnitRole.ASSIST, True, assigned) for u in assist]
            follow_rows += [
                (
                    pk,
                    f.by_id or actor_id,
                    f.at,
                    f.mode,
                    f.reached,
                    f.satisfaction if f.reached else "",
                    f.comment,
                )
                for f in record.follow_ups
            ]
            result.tracking_codes[pk] = code
            if progress and len(rows) % 1000 == 0:
                progress(len(rows))
        bulk.insert_rows(Request, _REQUEST_FIELDS, rows)
        bulk.insert_rows(RequestEvent, _EVENT_FIELDS, events)
        bulk.insert_rows(RequestUnit, ("request", "unit", "role", "is_active", "assigned_at"), units)
        bulk.insert_rows(FollowUp, _FOLLOW_UP_FIELDS, follow_rows)
        result.created = len(rows)
        if progress:
            progress(len(rows))
        summary = {"source": source, "created": result.created, "skipped": result.skipped}
        summary.update(events=len(events), follow_ups=len(follow_rows), first=codes[0] if codes else "")
        audit_record(actor=actor, action="request.import_history", data={**summary, **(audit_data or {})})
    return result


def _secret_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def _tracking_codes(count: int, make: Callable[[], str]) -> list[str]:
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < count:
        wanted = [make() for _ in range(count - len(codes))]
        taken: set[str] = set()
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            taken |= set(
                Request.objects.filter(tracking_code__in=chunk).values_list("tracking_code", flat=True)
            )
        for code in wanted:
            if code not in taken and code not in seen:
                seen.add(code)
                codes.append(code)
    return codes


def _existing_tokens(records: Sequence[HistoricalRequest]) -> dict[tuple[str, str | None], int]:
    found: dict[tuple[str, str | None], int] = {}
    by_channel: dict[str, list[str]] = {}
    for record in records:
        by_channel.setdefault(record.channel, []).append(record.client_token or "")
    for channel, tokens in by_channel.items():
        for start in range(0, len(tokens), 900):
            chunk = tokens[start : start + 900]
            rows = Request.objects.filter(channel=channel, client_token__in=chunk).values_list(
                "client_token", "id"
            )
            found.update(((channel, token), pk) for token, pk in rows)
    return found


def _request_row(
    record: HistoricalRequest,
    pk: int,
    code: str,
    trail: Trail,
    places: _Places,
    policies: dict[tuple, Any],
    overrides: dict,
    actor_id: int | None,
    now: datetime | None,
) -> list[Any]:
    region = places.regions[record.region_id]
    key = (record.kind, record.urgency, record.channel, record.category_id)
    if key not in policies:
        from .models import Category

        category = Category.objects.filter(pk=record.category_id).first() if record.category_id else None
        policies[key] = policy_for(
            kind=record.kind, urgency=record.urgency, channel=record.channel, category=category
        )
    policy = policies[key]
    reopened = [e for e in trail if e[0] in (Action.REOPEN, Action.REOPEN_DISSATISFIED)]
    clock_start = reopened[-1][3] if reopened else record.created_at
    due = clock.deadline_from(clock_start, policy.amount, policy.unit, overrides) if policy else None
    phone = protect_phone(record.reporter_phone)
    fingerprint = IntakeInput(
        channel=record.channel,
        kind=record.kind,
        title=record.title,
        description=record.description,
        region=region,
        reporter_phone=record.reporter_phone,
        reporter_resident=SimpleNamespace(pk=record.reporter_resident_id)
        if record.reporter_resident_id
        else None,
    ).fingerprint()
    status = trail[-1][2]
    resolved = record.status in (S.RESOLVED, S.FOLLOW_UP, S.CLOSED)
    resolver = next((e[4] for e in reversed(trail) if e[0] == Action.RESOLVE), None) if resolved else None
    resolved_at = next((e[3] for e in reversed(trail) if e[0] == Action.RESOLVE), None) if resolved else None
    follow_up_due = None
    if resolved_at is not None and status in (S.RESOLVED, S.FOLLOW_UP) and not record.is_anonymous:
        rule_key = ("follow-up", record.kind, record.channel)
        if rule_key not in policies:
            policies[rule_key] = follow_up_rule_for(kind=record.kind, channel=record.channel)
        rule = policies[rule_key]
        follow_up_due = clock.deadline_from(resolved_at, rule.amount, rule.unit, overrides) if rule else None
    return [
        pk, code, record.kind, record.channel, record.client_token,
        fingerprint, record.title.strip()[:200], record.description.strip(), "",
        record.reporter_resident_id, record.reporter_name.strip()[:100], phone.encrypted, phone.hash, phone.masked,
        record.is_anonymous, record.region_id, places.county[record.region_id], record.grid_id,
        record.address[:255], record.category_id, record.dispute_type, record.urgency, record.risk,
        record.is_confidential, status, record.assignee_id if status not in (S.REGISTERED, S.ACCEPTED) else None,
        False, policy.amount if policy else None, policy.unit if policy else "",
        policy.max_extension_days if policy else 0, 0, due, 0, None, False,
        resolver, (record.outcome or "fulfilled") if resolved else "", 0, len(reopened),
        record.intake_user_id or actor_id, record.created_at, now or record.created_at, len(trail),
        resolved_at, follow_up_due,
    ]  # fmt: skip


def replay_status(events: Sequence[tuple[str, str, str]]) -> str | None:
    """The status a trail ``(action, from, to)`` ends in, or None when a step does not follow the table."""
    status = ""
    for action, before, after in events:
        if action == "link":
            if before != status or after != status:
                return None
            continue
        if action == "intake":
            if status or after != S.REGISTERED:
                return None
        else:
            transition = transition_for(action)
            if transition is None or before != status or before not in transition.sources:
                return None
            if after != (transition.target or before):
                return None
        status = after
    return status


def closable(follow_ups: Sequence[tuple[bool, str]], is_anonymous: bool) -> bool:
    """Whether a closed request meets the closing rule: a satisfied answer, enough unreached attempts, or
    an anonymous reporter."""
    if any(reached and satisfaction in _SATISFIED for reached, satisfaction in follow_ups):
        return True
    return is_anonymous or sum(1 for reached, _ in follow_ups if not reached) >= MAX_UNREACHED_ATTEMPTS
