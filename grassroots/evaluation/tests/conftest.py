from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from grassroots.outreach.defaults import ensure_default_rules
from grassroots.outreach.events import EventInput, event_create, event_record_outcome
from grassroots.outreach.services import VisitInput, liaison_create, visit_record

from .helpers import active_scheme, ago, computed_run, history, period_days_ago, write

# What residents' personal data looks like in the world; none of it may appear on an evaluation page.
SECRET_TITLE = "刘大爷家屋顶漏水"
SECRET_DESCRIPTION = "东街12号刘大爷反映邻居刘二家排水"
SECRET_SUMMARY = "与刘大爷谈家庭纠纷，电话13800138000"


@pytest.fixture
def evaluated(world):
    """A published run over the last 60 days: casework for four officers (in two counties), visits and a
    liaison with a visit duty, an outreach event, and the record's residents with their personal data."""
    w = world
    ensure_default_rules()
    records = []
    for n in range(10):
        records.append(history(officer=w.officer_a1, unit=w.tribunal_a1, region=w.village_a1, created=ago(40 - n),
                               days=1 + n % 4, follow_up_by=w.user_hr, kind="dispute" if n % 3 == 0 else "complaint",
                               channel="window", reporter_resident_id=w.resident_a1.id))  # fmt: skip
        records.append(history(officer=w.officer_a2, unit=w.tribunal_a2, region=w.village_a2, created=ago(35 - n),
                               days=2 + n % 5, follow_up_by=w.user_hr, satisfaction="basically"))  # fmt: skip
        records.append(history(officer=w.officer_b, unit=w.court_b, region=w.village_b1, created=ago(30 - n),
                               days=1, follow_up_by=w.user_hr, reporter_phone="13700137000"))  # fmt: skip
    for n in range(6):
        records.append(history(officer=w.recruit_a1, unit=w.tribunal_a1, region=w.village_a1, created=ago(20 - n),
                               days=3, follow_up_by=w.user_hr))  # fmt: skip
    for record in records:
        record.title, record.description = SECRET_TITLE, SECRET_DESCRIPTION
        record.reporter_name = "刘大爷"
    write(w.admin, records)
    start = timezone.localdate() - timedelta(days=120)
    liaison_create(
        actor=w.admin, officer=w.officer_a1, kind="household", household=w.household_a1, start=start
    )
    liaison_create(
        actor=w.admin, officer=w.officer_a1, kind="household", household=w.household_a2, start=start
    )
    for days in (50, 20, 5):
        visit_record(
            actor=w.user_officer_a1,
            data=VisitInput(household=w.household_a1, visited_at=ago(days), met_resident=w.resident_a1,
                            met="刘大爷本人", summary=SECRET_SUMMARY),
        )  # fmt: skip
    event = event_create(
        actor=w.user_leader_a,
        data=EventInput(kind="circuit_trial", title="巡回审判进村", starts_at=ago(15), ends_at=ago(15) + timedelta(hours=3),
                        region=w.village_a1, unit=w.tribunal_a1, officers=[w.officer_a1]),
    )  # fmt: skip
    event_record_outcome(actor=w.user_leader_a, event=event, status="held", attendance=80,
                         expected_version=event.version)  # fmt: skip
    version = active_scheme(w.user_hr)
    start, end = period_days_ago(60)
    run = computed_run(w.user_hr, version, start, end, publish=True)
    results = {r.officer_id: r for r in run.results.all()}
    return SimpleNamespace(world=w, run=run, version=version, results=results)
