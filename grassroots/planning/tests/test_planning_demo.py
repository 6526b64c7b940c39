"""The demo's planning step: a rule set with a solved plan and a solved duty roster per court, the demo
officer's own duties among them; a reset removes them."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command

from grassroots.planning.models import JobStatus, PlanRun, RosterAssignment, RosterRun, RotationRuleSet

pytestmark = pytest.mark.django_db


def test_the_demo_plans_a_rotation_and_a_duty_roster_and_reset_removes_them():
    options = {"scale": "tiny", "seed": 3, "households": 600, "as_of": date(2025, 6, 30), "no_progress": True}
    call_command("demo", stdout=io.StringIO(), **options)
    rule_set = RotationRuleSet.objects.get()
    plan = PlanRun.objects.get(rule_set=rule_set)
    assert plan.status == JobStatus.DONE and plan.start == date(2025, 7, 1) and plan.periods == 4
    assert plan.result in ("OPTIMAL", "FEASIBLE"), (plan.result, plan.explanation)
    assert plan.report["ok"] and plan.approved_at is None and plan.moves_count > 0
    roster = RosterRun.objects.get()
    assert roster.status == JobStatus.DONE and roster.report["ok"], roster.report
    assert roster.definition.start_date == date(2025, 7, 7)
    assert RosterAssignment.objects.filter(run=roster, officer__user__username="demo-officer").exists()
    call_command("demo", stdout=io.StringIO(), reset=True, **{**options, "seed": 4})
    assert RotationRuleSet.objects.count() == 1 and PlanRun.objects.count() == 1  # the old ones are gone
    assert RosterRun.objects.count() == 1
