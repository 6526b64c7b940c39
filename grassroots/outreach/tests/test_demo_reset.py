"""Removing the demo removes every outreach and insights row it generated, dependants first."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection

from grassroots.common.demo import demo_reset, demo_state
from grassroots.insights.models import EarlyWarning, PlacePoint, RequestOutcome
from grassroots.outreach.models import Liaison, OutreachEvent, Visit
from grassroots.outreach.models_duty import CoverageCount, VisitDuty


@pytest.mark.django_db
def test_demo_reset_removes_due_lists_before_their_liaisons():
    call_command(
        "demo",
        scale="tiny",
        seed=3,
        households=300,
        as_of=date(2025, 6, 30),
        no_progress=True,
        stdout=io.StringIO(),
    )
    assert VisitDuty.objects.exists() and CoverageCount.objects.exists()
    assert Liaison.objects.exists() and Visit.objects.exists() and OutreachEvent.objects.exists()
    assert RequestOutcome.objects.exists() and PlacePoint.objects.exists()

    removed = demo_reset(demo_state())

    assert removed["duties"] > 0 and removed["coverage_counts"] > 0
    for model in (
        VisitDuty,
        CoverageCount,
        Liaison,
        Visit,
        OutreachEvent,
        EarlyWarning,
        RequestOutcome,
        PlacePoint,
    ):
        assert not model.objects.exists(), model.__name__
    # Every constraint holds now, not only at the end of the test's transaction.
    connection.check_constraints()
