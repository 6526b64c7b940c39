"""Recomputing a quarter's evaluation at city scale: ``python bench/bench_evaluation.py [--scale city|small]
[--pg]`` (``bench/run.py --only evaluation --pg``).

A child process migrates a throw-away database and writes a synthetic city with COPY (PostgreSQL) or
executemany (SQLite): 5,000 officers in courts, tribunals and governance centres, 2,000,000 households each
with one liaison (a 90-day visit duty), 10,000,000 visits and 1,000,000 requests over a year with their full
event trails (returns, reopenings, follow-ups), mediation sessions, agreements and hand-offs, and outreach
events. It then times, on the same data in the same run:

- the evaluation run of the year's third quarter end to end (``services.run_compute``: every indicator read
  from the record, the case-mix GLMs, the beta-binomial priors, scoring, ranks and grades, the results
  written in one transaction);
- the reference: ONE hand-written PostgreSQL statement computing the same aggregates (the casework cells,
  returns, visits, events and visit coverage per officer) with hash aggregates over the events and visits;

and checks that both give the same figures. The target is within 3× of the reference.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DB = "grassroots_bench_evaluation"
SCALES = {"small": 0.02, "county": 0.04, "city": 1.0}
OFFICERS, HOUSEHOLDS, REQUESTS, VISITS, EVENTS = 5_000, 2_000_000, 1_000_000, 10_000_000, 20_000
YEAR_START, YEAR_END = date(2025, 10, 1), date(2026, 9, 30)
PERIOD = (date(2026, 7, 1), date(2026, 9, 30))
AS_OF = datetime(2026, 10, 16, 0, 0, tzinfo=UTC)
CHUNK = 200_000
REPEATS = 2


# ------------------------------------------------------------------------------------- child process


class _Writer:
    """COPY on PostgreSQL, executemany elsewhere (the demo framework's bulk insert)."""

    @property
    def vendor(self) -> str:
        from django.db import connection

        return connection.vendor

    def insert(self, model: Any, fields: list[str], rows: list[tuple]) -> int:
        from grassroots.common.demo import DemoContext

        total = 0
        for start in range(0, len(rows), CHUNK):
            total += DemoContext.insert_rows(self, model, fields, rows[start : start + CHUNK])
        return total

    def json(self, value: dict[str, Any]) -> Any:
        if self.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            return Jsonb(value)
        return value


def _at(day: date, seconds: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)


def _generate(factor: float) -> dict[str, int]:  # noqa: C901 - one linear script
    from django.db import transaction

    from grassroots.casework.models import (
        Agreement,
        LitigationHandOff,
        MediationSession,
        Request,
        RequestEvent,
    )
    from grassroots.casework.models import FollowUp as FollowUpModel
    from grassroots.common.models import User
    from grassroots.outreach.models import Liaison, OutreachEvent, Visit, VisitRule
    from grassroots.territory.models import Grid, Household, Region
    from grassroots.workforce.models import Assignment, Officer, Post, Unit

    rng = random.Random(20261016)
    w = _Writer()
    now = datetime(2026, 10, 20, tzinfo=UTC)
    officers_n = max(60, int(OFFICERS * factor))
    households_n = max(2000, int(HOUSEHOLDS * factor))
    requests_n = max(2000, int(REQUESTS * factor))
    visits_n = max(10000, int(VISITS * factor))
    events_n = max(100, int(EVENTS * factor))
    counts: dict[str, int] = {}
    with transaction.atomic():
        VisitRule.objects.all().delete()
        VisitRule.objects.create(name="每户每季度", applies_to="household", interval_days=90)
        province = Region.objects.create(code="990000", name="省", level=1, path="990000/")
        city = Region.objects.create(
            code="990100", name="市", level=2, parent=province, path="990000/990100/"
        )
        regions, villages, townships = [], [], []
        next_id = 1000
        for c in range(10):
            county_code = f"9901{c + 1:02d}"
            county_id = next_id
            next_id += 1
            regions.append(
                (county_id, county_code, f"县{c}", 3, city.pk, f"{city.path}{county_code}/", False)
            )
            for t in range(10):
                town_code = f"{county_code}{t + 100:03d}"
                town_id = next_id
                next_id += 1
                town_path = f"{city.path}{county_code}/{town_code}/"
                regions.append((town_id, town_code, f"镇{t}", 4, county_id, town_path, False))
                townships.append((town_id, county_id, c, t))
                for v in range(20):
                    code = f"{town_code}{v + 1:03d}"
                    regions.append((next_id, code, f"村{v}", 5, town_id, f"{town_path}{code}/", False))
                    villages.append((next_id, county_id, town_id, c, t))
                    next_id += 1
        w.insert(Region, ["id", "code", "name", "level", "parent_id", "path", "is_urban"], regions)
        w.insert(Grid, ["id", "code", "name", "region_id", "county_id"],
                 [(i + 1, f"G{v[0]}", "网格", v[0], v[1]) for i, v in enumerate(villages)])  # fmt: skip
        grid_of = {v[0]: i + 1 for i, v in enumerate(villages)}
        # Units: per county a court, ten tribunals and ten governance centres; posts of three kinds.
        units, posts = [], []
        unit_id = post_id = 0
        front_posts, office_posts = [], []
        county_ids = sorted({v[1] for v in villages})
        for c, county_id in enumerate(county_ids):
            unit_id += 1
            court = unit_id
            units.append((court, f"C{c}", f"法院{c}", "court", None, f"C{c}/", county_id, True))
            post_id += 1
            posts.append(
                (post_id, court, f"C{c}-J", "员额法官", False, False, Decimal("1.20"), 0, 9999, True)
            )
            office_posts.append((post_id, court, county_id, None))
            post_id += 1
            posts.append((post_id, court, f"C{c}-P", "院长", False, True, Decimal("1.00"), 0, 9999, True))
            for t in range(10):
                town_id = next(x[0] for x in townships if x[2] == c and x[3] == t)
                for kind, prefix, difficulty in (
                    ("tribunal", "T", Decimal("1.35")),
                    ("service_centre", "G", Decimal("1.20")),
                ):
                    unit_id += 1
                    parent = court if kind == "tribunal" else None
                    path = f"C{c}/{prefix}{c}-{t}/" if parent else f"G{c}-{t}/"
                    units.append(
                        (unit_id, f"{prefix}{c}-{t}", f"{prefix}{c}-{t}", kind, parent, path, town_id, True)
                    )
                    post_id += 1
                    posts.append(
                        (
                            post_id,
                            unit_id,
                            f"{prefix}{c}-{t}-1",
                            "一线",
                            True,
                            False,
                            difficulty,
                            0,
                            9999,
                            True,
                        )
                    )
                    front_posts.append((post_id, unit_id, county_id, town_id))
        w.insert(Unit, ["id", "code", "name", "kind", "parent_id", "path", "region_id", "is_active"], units)
        w.insert(Post, ["id", "unit_id", "code", "name", "is_front_line", "is_leadership", "difficulty_weight",
                        "min_staff", "max_staff", "is_active"], posts)  # fmt: skip
        users = [
            (i + 1, "!", f"u{i + 1}", "", "", "", False, False, True, now, "officer")
            for i in range(officers_n)
        ]
        service_user, leader_user = officers_n + 1, officers_n + 2
        users += [(service_user, "!", "callcentre", "", "", "", False, False, True, now, "officer"),
                  (leader_user, "!", "leader", "", "", "", False, False, True, now, "leader")]  # fmt: skip
        w.insert(User, ["id", "password", "username", "first_name", "last_name", "email", "is_superuser", "is_staff",
                        "is_active", "date_joined", "role"], users)  # fmt: skip
        officer_rows, assignments, officer_post = [], [], {}
        for i in range(officers_n):
            oid = i + 1
            hired = date(2005 + rng.randrange(20), rng.randrange(1, 13), 1)
            officer_rows.append(
                (oid, oid, f"B{oid:06d}", f"干警{oid}", "", hired, "", w.json([]), "", True, 1)
            )
            pool = office_posts if rng.random() < 0.2 else front_posts
            post = rng.choice(pool)
            officer_post[oid] = post
            if rng.random() < 0.05:  # moved mid-quarter from a court post
                other = rng.choice(office_posts)
                assignments.append((oid, other[0], date(2020, 1, 1), date(2026, 8, 15), "actual", ""))
                assignments.append((oid, post[0], date(2026, 8, 16), None, "actual", ""))
            else:
                assignments.append((oid, post[0], max(hired, date(2020, 1, 1)), None, "actual", ""))
        w.insert(Officer, ["id", "user_id", "staff_number", "name", "gender", "hire_date", "title", "skills",
                           "work_phone", "is_active", "version"], officer_rows)  # fmt: skip
        w.insert(Assignment, ["officer_id", "post_id", "start", "end", "kind", "note"], assignments)
        front_officers = [o for o, p in officer_post.items() if p in front_posts]
        # Households, one liaison each (a front-line officer), visits over the year.
        household_rows, liaison_rows = [], []
        liaison_officer = {}
        per_village = max(1, households_n // len(villages))
        for h in range(households_n):
            hid = h + 1
            village = villages[min(h // per_village, len(villages) - 1)]
            household_rows.append((hid, f"H{hid:08d}", village[0], village[1], grid_of[village[0]], "地址", True, "",
                                   now, now, 1))  # fmt: skip
            officer = front_officers[h * len(front_officers) // households_n]
            liaison_officer[hid] = (officer, village)
            liaison_rows.append((hid, officer, "household", hid, None, None, village[0], village[1], "", date(2025, 1, 1),
                                 None, "", now, 1))  # fmt: skip
        counts["households"] = w.insert(Household, ["id", "number", "region_id", "county_id", "grid_id", "address",
                                                    "is_active", "notes", "created_at", "updated_at", "version"],
                                        household_rows)  # fmt: skip
        del household_rows
        counts["liaisons"] = w.insert(Liaison, ["id", "officer_id", "kind", "household_id", "organization_id", "grid_id",
                                                "region_id", "county_id", "duties", "start", "end", "end_reason",
                                                "created_at", "version"], liaison_rows)  # fmt: skip
        del liaison_rows
        days = (YEAR_END - YEAR_START).days + 1
        visit_fields = ["officer_id", "household_id", "organization_id", "region_id", "county_id", "visited_on",
                        "visited_at", "mode", "met", "summary", "needs", "created_at"]  # fmt: skip
        visits = []
        counts["visits"] = 0
        for _ in range(visits_n):
            hid = rng.randrange(1, households_n + 1)
            officer, village = liaison_officer[hid]
            day = YEAR_START + timedelta(days=rng.randrange(days))
            at = _at(day, 36000)
            visits.append(
                (officer, hid, None, village[0], village[1], day, at, "in_person", "", "走访", "", at)
            )
            if len(visits) >= CHUNK:
                counts["visits"] += w.insert(Visit, visit_fields, visits)
                visits = []
        counts["visits"] += w.insert(Visit, visit_fields, visits)
        del visits
        # Requests with their event trails.
        request_fields = ["id", "tracking_code", "kind", "channel", "intake_fingerprint", "title", "description",
                          "public_summary", "reporter_name", "reporter_phone_encrypted", "reporter_phone_hash",
                          "reporter_phone_masked", "is_anonymous", "region_id", "county_id", "address", "dispute_type",
                          "urgency", "risk", "is_confidential", "status", "assignee_id", "is_paused", "deadline_amount",
                          "deadline_unit", "max_extension_days", "extension_days_used", "due_at", "escalation_tier",
                          "matter_id", "extension_pending", "outcome", "return_count", "reopen_count", "created_at",
                          "updated_at", "version"]  # fmt: skip
        event_fields = [
            "request_id",
            "action",
            "from_status",
            "to_status",
            "actor_id",
            "at",
            "reason",
            "data",
        ]
        follow_fields = ["request_id", "by_id", "at", "mode", "reached", "satisfaction", "comment"]
        kinds = (
            ["consultation"] * 28
            + ["help"] * 15
            + ["complaint"] * 20
            + ["suggestion"] * 7
            + ["demand"] * 13
            + ["dispute"] * 17
        )
        channels = ["hotline"] * 5 + ["web", "window", "grid_report", "visit"]
        budget = {"consultation": 3, "help": 5, "complaint": 7, "suggestion": 15, "demand": 15, "dispute": 30}
        empty = w.json({})
        requests, events, follows, sessions, agreements, handoffs = [], [], [], [], [], []
        counts.update(requests=0, events=0, follow_ups=0)
        court_of = {v[1]: next(u[0] for u in units if u[3] == "court" and u[6] == v[1]) for v in villages}

        def flush() -> None:
            counts["requests"] += w.insert(Request, request_fields, requests)
            counts["events"] += w.insert(RequestEvent, event_fields, events)
            counts["follow_ups"] += w.insert(FollowUpModel, follow_fields, follows)
            w.insert(
                MediationSession,
                ["request_id", "at", "place", "notes", "outcome", "recorded_by_id"],
                sessions,
            )
            w.insert(Agreement, ["request_id", "number", "facts", "terms", "performance", "signed_on", "confirmation",
                                 "confirmation_case_number"], agreements)  # fmt: skip
            w.insert(LitigationHandOff, ["request_id", "court_id", "handed_at", "case_number", "materials", "by_id"],
                     handoffs)  # fmt: skip
            for batch in (requests, events, follows, sessions, agreements, handoffs):
                batch.clear()

        all_officers = list(officer_post)
        for r in range(requests_n):
            rid = r + 1
            kind = rng.choice(kinds)
            created = _at(YEAR_START + timedelta(days=rng.randrange(days)), rng.randrange(86400))
            village = rng.choice(villages)
            officer = rng.choice(all_officers)
            due = created + timedelta(days=budget[kind])
            if r > 0 and rng.random() < 0.02:  # a duplicate linked into an earlier matter
                requests.append((rid, f"T{rid:09d}", kind, "web", "", "重复", "重复", "", "某", "", "", "", False,
                                 village[0], village[1], "", "", "normal", "blue", False, "registered", None, False,
                                 budget[kind], "calendar_days", 0, 0, due, 0, rid - 1, False, "", 0, 0, created, created, 1))  # fmt: skip
                events.append((rid, "intake", "", "registered", None, created, "", empty))
                continue
            user = officer
            trail = [("intake", "", "registered", None), ("accept", "registered", "accepted", None)]
            returned = rng.random() < 0.03
            if returned:
                trail += [
                    ("assign", "accepted", "assigned", leader_user),
                    ("return", "assigned", "accepted", user),
                ]
            trail += [
                ("assign", "accepted", "assigned", leader_user),
                ("start", "assigned", "in_progress", user),
            ]
            resolve_after = timedelta(seconds=rng.randrange(3600, 14 * 86400))
            open_now = created + resolve_after > AS_OF - timedelta(days=1) or rng.random() < 0.03
            reopened = not open_now and rng.random() < 0.04
            outcome = "fulfilled"
            if kind == "dispute":
                outcome = rng.choices(["agreement", "explained", "litigation", "unable"], [65, 13, 12, 10])[0]
            span = max(resolve_after, timedelta(hours=2))
            times = [created + span * f for f in (0, 0.02, 0.05, 0.08, 0.1, 0.12)]
            for index, (action, before, after, actor) in enumerate(trail):
                at = times[min(index, len(times) - 1)] + timedelta(seconds=index)
                events.append((rid, action, before, after, actor, at, "", empty))
            status, satisfaction = "in_progress", ""
            if not open_now:
                resolved = created + span
                events.append(
                    (
                        rid,
                        "resolve",
                        "in_progress",
                        "resolved",
                        user,
                        resolved,
                        "",
                        w.json({"outcome": outcome}),
                    )
                )
                call = resolved + timedelta(hours=rng.randrange(4, 48))
                events.append(
                    (rid, "schedule_follow_up", "resolved", "follow_up", service_user, call, "", empty)
                )
                if reopened:
                    follows.append((rid, service_user, call, "phone", True, "dissatisfied", "没解决"))
                    events.append(
                        (
                            rid,
                            "reopen_dissatisfied",
                            "follow_up",
                            "reopened",
                            service_user,
                            call + timedelta(minutes=1),
                            "不满意",
                            empty,
                        )
                    )
                    again = call + timedelta(days=2)
                    events += [(rid, "assign", "reopened", "assigned", leader_user, again, "", empty),
                               (rid, "start", "assigned", "in_progress", user, again + timedelta(hours=1), "", empty),
                               (rid, "resolve", "in_progress", "resolved", user, again + timedelta(days=1), "", w.json({"outcome": outcome})),
                               (rid, "schedule_follow_up", "resolved", "follow_up", service_user, again + timedelta(days=2), "", empty)]  # fmt: skip
                    call = again + timedelta(days=2, minutes=1)
                satisfaction = rng.choices(["satisfied", "basically"], [72, 28])[0]
                follows.append((rid, service_user, call, "phone", True, satisfaction, ""))
                events.append(
                    (
                        rid,
                        "close",
                        "follow_up",
                        "closed",
                        service_user,
                        call + timedelta(minutes=5),
                        "",
                        empty,
                    )
                )
                status = "closed"
                if kind == "dispute" and outcome == "agreement":
                    agreements.append((rid, f"A{rid}", "事实", "条款", "", resolved.date(), "none", ""))
                if kind == "dispute" and outcome == "litigation":
                    handoffs.append((rid, court_of[village[1]], resolved, f"L{rid}", "", user))
            if kind == "dispute" and rng.random() < 0.7:
                sessions.append((rid, created + span * 0.5, "调解室", "", "continued", user))
            requests.append((rid, f"T{rid:09d}", kind, rng.choice(channels), "", "诉求", "诉求", "", "某", "", "", "", False,
                             village[0], village[1], "", "", "normal" if rng.random() < 0.95 else "urgent", "blue", False,
                             status, officer, False, budget[kind], "calendar_days", 0, 0, due, 0, None, False,
                             outcome if status == "closed" else "", int(returned), int(reopened), created, created, 9))  # fmt: skip
            if len(requests) >= CHUNK // 2:
                flush()
        flush()
        event_rows, links = [], []
        kinds_event = ["law_to_door", "circuit_trial", "legal_publicity", "onsite_mediation", "reception_day"]
        for e in range(events_n):
            village = rng.choice(villages)
            start = _at(YEAR_START + timedelta(days=rng.randrange(days)), 32400)
            event_rows.append((e + 1, rng.choice(kinds_event), "活动", "held", start, start + timedelta(hours=3),
                               village[2], village[1], "", "", "", now, 1))  # fmt: skip
            for officer in rng.sample(front_officers, 2):
                links.append((e + 1, officer))
        w.insert(OutreachEvent, ["id", "kind", "title", "status", "starts_at", "ends_at", "region_id", "county_id",
                                 "venue", "topics", "notes", "created_at", "version"], event_rows)  # fmt: skip
        w.insert(OutreachEvent.officers.through, ["outreachevent_id", "officer_id"], links)
        counts.update(officers=officers_n, outreach_events=events_n)
        if w.vendor == "postgresql":
            from django.db import connection

            with connection.cursor() as cursor:
                for model in (
                    Region,
                    Grid,
                    Unit,
                    Post,
                    User,
                    Officer,
                    Household,
                    Liaison,
                    Request,
                    OutreachEvent,
                ):
                    table = model._meta.db_table
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                    )
    return counts


REFERENCE_SQL = """
WITH base AS (
    SELECT r.id, r.assignee_id, r.kind, r.channel, r.category_id, r.urgency, r.is_anonymous, r.due_at, r.created_at,
           o.user_id AS handler
    FROM casework_request r LEFT JOIN workforce_officer o ON o.id = r.assignee_id
    WHERE r.matter_id IS NULL AND r.assignee_id IS NOT NULL AND r.created_at >= %(start)s AND r.created_at < %(end)s
      AND r.created_at <= %(as_of)s
), ev AS (
    SELECT e.request_id,
           (array_agg(e.to_status ORDER BY e.at DESC, e.id DESC))[1] AS state,
           bool_or(e.action IN ('assign', 'reassign')) AS assigned,
           bool_or(e.action = 'resolve') AS ever_resolved,
           bool_or(e.action IN ('reopen', 'reopen_dissatisfied')) AS reopened,
           (array_agg(e.at ORDER BY e.at DESC, e.id DESC) FILTER (WHERE e.action = 'resolve'))[1] AS resolved_at,
           (array_agg(e.data ->> 'outcome' ORDER BY e.at DESC, e.id DESC) FILTER (WHERE e.action = 'resolve'))[1]
               AS outcome
    FROM casework_requestevent e JOIN base b ON b.id = e.request_id
    WHERE e.at <= %(as_of)s
    GROUP BY e.request_id
), resolvers AS (
    SELECT DISTINCT e.request_id, e.actor_id FROM casework_requestevent e JOIN base b ON b.id = e.request_id
    WHERE e.action = 'resolve' AND e.actor_id IS NOT NULL
), fu AS (
    SELECT DISTINCT ON (f.request_id) f.request_id, f.satisfaction
    FROM casework_followup f JOIN base b ON b.id = f.request_id
    LEFT JOIN resolvers x ON x.request_id = f.request_id AND x.actor_id = f.by_id
    WHERE f.reached AND f.at <= %(as_of)s AND f.by_id <> COALESCE(b.handler, 0) AND x.request_id IS NULL
    ORDER BY f.request_id, f.at, f.id
), med AS (
    SELECT DISTINCT s.request_id FROM casework_mediationsession s JOIN base b ON b.id = s.request_id
    WHERE s.at <= %(as_of)s
), agr AS (
    SELECT a.request_id FROM casework_agreement a JOIN base b ON b.id = a.request_id
    WHERE a.signed_on <= %(as_of_date)s AND a.confirmation <> 'refused'
), lit AS (
    SELECT h.request_id FROM casework_litigationhandoff h JOIN base b ON b.id = h.request_id
    WHERE h.handed_at <= %(as_of)s
), f AS (
    SELECT b.*, ev.state, ev.ever_resolved, ev.reopened, ev.resolved_at, ev.outcome,
           ev.state IN ('resolved', 'follow_up', 'closed') AS done, fu.request_id IS NOT NULL AS followed,
           fu.satisfaction IN ('satisfied', 'basically') AS pleased, med.request_id IS NOT NULL AS mediated,
           agr.request_id IS NOT NULL AS agreed, lit.request_id IS NOT NULL AS litigated,
           b.due_at IS NOT NULL AND (ev.ever_resolved OR b.due_at <= %(as_of)s) AS due
    FROM base b JOIN ev ON ev.request_id = b.id
    LEFT JOIN fu ON fu.request_id = b.id LEFT JOIN med ON med.request_id = b.id
    LEFT JOIN agr ON agr.request_id = b.id LEFT JOIN lit ON lit.request_id = b.id
    WHERE ev.assigned AND (ev.state IS NULL OR ev.state NOT IN ('rejected', 'redirected'))
), last_visit AS (
    SELECT officer_id, household_id, MAX(visited_on) AS last FROM outreach_visit
    WHERE visited_on <= %(day)s AND household_id IS NOT NULL GROUP BY officer_id, household_id
)
SELECT 'cell', assignee_id, kind, channel, COALESCE(category_id::text, ''), urgency,
    COUNT(*) FILTER (WHERE due), COUNT(*) FILTER (WHERE due AND done AND NOT reopened AND resolved_at <= due_at),
    COUNT(*), COUNT(*) FILTER (WHERE done),
    COUNT(*) FILTER (WHERE ever_resolved AND followed), COUNT(*) FILTER (WHERE ever_resolved AND followed AND pleased),
    COUNT(*) FILTER (WHERE ever_resolved AND NOT is_anonymous),
    COUNT(*) FILTER (WHERE ever_resolved AND NOT is_anonymous AND followed),
    COUNT(*) FILTER (WHERE ever_resolved), COUNT(*) FILTER (WHERE ever_resolved AND reopened),
    COUNT(*) FILTER (WHERE kind = 'dispute' AND mediated), COUNT(*) FILTER (WHERE kind = 'dispute' AND mediated AND agreed),
    COUNT(*) FILTER (WHERE kind = 'dispute' AND done),
    COUNT(*) FILTER (WHERE kind = 'dispute' AND done AND NOT litigated AND outcome IN ('agreement', 'explained', 'fulfilled')),
    COUNT(*) FILTER (WHERE done),
    COALESCE(SUM(EXTRACT(EPOCH FROM resolved_at - created_at) / 86400.0) FILTER (WHERE done), 0)
FROM f GROUP BY assignee_id, kind, channel, category_id, urgency
UNION ALL
SELECT 'returns', o.id, '', '', '', '', COUNT(*), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM casework_requestevent e JOIN workforce_officer o ON o.user_id = e.actor_id
JOIN casework_request r ON r.id = e.request_id
WHERE e.action = 'return' AND e.at <= %(as_of)s AND r.matter_id IS NULL AND r.created_at >= %(start)s
  AND r.created_at < %(end)s
GROUP BY o.id
UNION ALL
SELECT 'visits', officer_id, '', '', '', '', COUNT(*), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM outreach_visit WHERE visited_on >= %(start_date)s AND visited_on <= %(day)s GROUP BY officer_id
UNION ALL
SELECT 'events', l.officer_id, '', '', '', '', COUNT(DISTINCT e.id), COUNT(DISTINCT e.id) FILTER (WHERE e.kind = 'circuit_trial'),
       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM outreach_outreachevent e JOIN outreach_outreachevent_officers l ON l.outreachevent_id = e.id
WHERE e.status = 'held' AND e.starts_at >= %(start)s AND e.starts_at < %(end)s AND e.starts_at <= %(as_of)s
GROUP BY l.officer_id
UNION ALL
SELECT 'coverage', l.officer_id, '', '', '', '', COUNT(*), COUNT(*) FILTER (WHERE lv.last >= %(day)s - 90),
       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM outreach_liaison l JOIN territory_household h ON h.id = l.household_id AND h.is_active
LEFT JOIN last_visit lv ON lv.officer_id = l.officer_id AND lv.household_id = l.household_id
WHERE l.kind = 'household' AND l.start <= %(day)s AND (l."end" IS NULL OR l."end" >= %(day)s)
GROUP BY l.officer_id
"""
REFERENCE_MEASURES = ["on_time_n", "on_time_k", "completion_n", "completion_k", "satisfaction_n", "satisfaction_k",
                      "follow_up_valid_n", "follow_up_valid_k", "reopen_n", "reopen_k", "mediation_success_n",
                      "mediation_success_k", "pre_suit_n", "pre_suit_k", "average_days_n", "average_days_k"]  # fmt: skip


def _reference(params: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(REFERENCE_SQL, params)
        rows = cursor.fetchall()
    out: dict[str, Any] = {"cells": {}, "returns": {}, "visits": {}, "events": {}, "coverage": {}}
    for source, officer, kind, channel, _category, urgency, *m in rows:
        if source == "cell":
            key = (officer, kind, channel, urgency)
            out["cells"][key] = dict(zip(REFERENCE_MEASURES, m, strict=True))
        elif source == "events":
            out["events"][officer] = (m[0], m[1])
        elif source == "coverage":
            out["coverage"][officer] = (m[0], m[1])
        else:
            out[source][officer] = m[0]
    return out


def _compare(inputs: dict[str, Any], reference: dict[str, Any]) -> list[str]:
    """Differences between the run's stored inputs and the reference's figures (empty: the same)."""
    problems = []
    columns = inputs["cells"]["columns"]
    officers = {row[0] for row in inputs["officers"]["rows"]}
    mine = {}
    for row in inputs["cells"]["rows"]:
        cell = dict(zip(columns, row, strict=True))
        mine[(cell["officer"], cell["kind"], cell["channel"], cell["urgency"])] = cell
    theirs = {k: v for k, v in reference["cells"].items() if k[0] in officers}
    if set(mine) != set(theirs):
        problems.append(f"cells: {len(set(mine) ^ set(theirs))} keys differ")
    for key in set(mine) & set(theirs):
        for name in REFERENCE_MEASURES:
            a, b = float(mine[key][name]), float(theirs[key][name])
            if abs(a - b) > (1e-3 if name == "average_days_k" else 0):
                problems.append(f"{key} {name}: {a} vs {b}")
                break
    count_columns = inputs["counts"]["columns"]
    for row in inputs["counts"]["rows"]:
        c = dict(zip(count_columns, row, strict=True))
        o = c["officer"]
        if c["returns"] != reference["returns"].get(o, 0):
            problems.append(f"returns of {o}")
        if c["visits"] != reference["visits"].get(o, 0):
            problems.append(f"visits of {o}")
        if (c["outreach_events"], c["circuit_trials"]) != tuple(reference["events"].get(o, (0, 0))):
            problems.append(f"events of {o}")
        if (c["coverage_assigned"], c["coverage_covered"]) != tuple(reference["coverage"].get(o, (0, 0))):
            problems.append(f"coverage of {o}")
    return problems[:20]


def _timed(fn) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def _child(factor: float) -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    load_seconds, counts = _timed(lambda: _generate(factor))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    from grassroots.evaluation import compute, services
    from grassroots.evaluation.definition import DEFAULT_DEFINITION

    hr = get_user_model().objects.create(username="bench-hr", role="hr")
    version = services.scheme_version_activate(
        actor=hr,
        version=services.scheme_create(actor=hr, code="bench", name="bench", definition=DEFAULT_DEFINITION),
    )
    start, end = PERIOD
    params = {
        "start": datetime(start.year, start.month, start.day, tzinfo=UTC) - timedelta(hours=8),
        "end": datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1) - timedelta(hours=8),
        "as_of": AS_OF, "as_of_date": AS_OF.date(), "day": end, "start_date": start,
    }  # fmt: skip
    measures: dict[str, list[float]] = {"reference": [], "run": [], "read": [], "score": []}
    run = None
    reference = None
    phases: dict[str, float] = {}
    for _ in range(REPEATS):
        if connection.vendor == "postgresql":
            seconds, reference = _timed(lambda: _reference(params))
            measures["reference"].append(seconds)
        run = services.run_create(
            actor=hr, scheme_version=version, period_start=start, period_end=end, as_of=AS_OF
        )
        last = [time.perf_counter(), ""]

        def progress(phase: str, done: int, total: int, last=last) -> None:
            now = time.perf_counter()
            if last[1]:
                phases[last[1]] = round(now - last[0], 2)
            last[0], last[1] = now, phase

        seconds, run = _timed(
            lambda run=run: services.run_start(actor=hr, run=run, background=False, progress=progress)
        )
        measures["run"].append(seconds)
        inputs = compute.decode_inputs(run.inputs)
        from grassroots.evaluation.scoring import score_run

        measures["score"].append(_timed(lambda inputs=inputs: score_run(inputs))[0])
    problems = _compare(inputs, reference) if reference is not None else ["no reference on SQLite"]
    return {
        "vendor": connection.vendor,
        "counts": counts,
        "load_seconds": load_seconds,
        "measures": measures,
        "phases": phases,
        "officers": run.officer_count,
        "requests_in_quarter": sum(
            row[inputs["cells"]["columns"].index("completion_n")] for row in inputs["cells"]["rows"]
        ),
        "differences": problems,
    }


# ------------------------------------------------------------------------------------------- parent


def _option(options: Any, name: str, default: Any = None) -> Any:
    return options.get(name, default) if isinstance(options, dict) else getattr(options, name, default)


def _pg_admin(sql: str, server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def measure(factor: float, pg: bool, pg_server: str = PG_SERVER) -> dict[str, Any]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    sqlite_path = BENCH_DIR / "bench_evaluation.sqlite3"
    if pg:
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB}", pg_server)
        _pg_admin(f"CREATE DATABASE {PG_DB}", pg_server)
        database_url = f"{pg_server}/{PG_DB}"
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        database_url = f"sqlite:///{sqlite_path}"
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-evaluation-" + "k" * 60,
            "FIELD_ENCRYPTION_KEYS": "sJ4v8Qm0n3p9XyZ1bC2dE5fG7hJ8kL0mN2oP4qR6sT8=",
            "FIELD_HASH_KEY": "bench-evaluation-hash-key",
            "GRASSROOTS_VAR_DIR": str(BENCH_DIR),
            "PYTHONPATH": str(ROOT),
            "PYTHONWARNINGS": "ignore",
        }
    )
    try:
        result = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", str(factor)],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=4 * 3600,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"evaluation benchmark child failed:\n{result.stderr[-4000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        if pg:
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB}", pg_server)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)


def run(options: Any) -> list[dict[str, Any]]:
    pg = bool(_option(options, "pg", False))
    scale = str(_option(options, "scale") or ("city" if pg else "small"))
    factor = SCALES.get(scale, SCALES["small"])
    data = measure(factor, pg, _option(options, "pg_server", None) or PG_SERVER)
    vendor, counts, m = data["vendor"], data["counts"], data["measures"]
    base = (
        f"{data['officers']:,} officers, {counts['requests']:,} requests ({data['requests_in_quarter']:,} handled in "
        f"the quarter), {counts['events']:,} events, {counts['visits']:,} visits, {counts['liaisons']:,} liaisons; "
        f"best of {REPEATS}; phases of the last run (s): {data['phases']}; load {data['load_seconds']:.0f} s; "
        f"figures equal to the reference: {'yes' if not data['differences'] else data['differences']}"
    )
    results = []
    reference = min(m["reference"]) if m["reference"] else None
    value = min(m["run"])
    results.append(
        {
            "name": f"evaluation.quarter_seconds.{scale}.{vendor}",
            "value": round(value, 2),
            "unit": "s",
            "reference_value": round(reference, 2) if reference else None,
            "ratio": round(value / reference, 2) if reference else None,
            "median": round(statistics.median(m["run"]), 2),
            "notes": "a quarter's run end to end (read the record, fit, score, write) against one hand-written "
            f"PostgreSQL statement computing the same aggregates (lower ratio is better; target ≤ 3); {base}",
        }
    )
    results.append(
        {
            "name": f"evaluation.scoring_seconds.{scale}.{vendor}",
            "value": round(min(m["score"]), 2),
            "unit": "s",
            "median": round(statistics.median(m["score"]), 2),
            "notes": "scoring the stored inputs alone (case-mix GLMs, beta-binomial priors, scores, ranks, grades, "
            "shortlist, units): what a recompute of a published run costs",
        }
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--scale", choices=list(SCALES), default=None)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(float(args.child)), default=str))
        return
    for r in run({"pg": args.pg, "scale": args.scale}):
        print(f"{r['name']}: {r['value']} {r['unit']} (reference {r.get('reference_value')}, ratio {r.get('ratio')}, "
              f"median {r.get('median')}) — {r['notes']}")  # fmt: skip


if __name__ == "__main__":
    main()
