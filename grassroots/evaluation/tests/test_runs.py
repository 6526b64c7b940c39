"""Runs from the record: computed, published, immutable, recomputed exactly; drill-downs equal figures."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from grassroots.common.errors import Conflict, Forbidden, ValidationFailed
from grassroots.common.models import AuditEntry
from grassroots.evaluation.drill import drill
from grassroots.evaluation.models import EvaluationRun, ImmutableWhenPublished, OfficerResult, RunStatus
from grassroots.evaluation.services import (
    run_create,
    run_discard,
    run_publish,
    run_recompute,
    run_start,
    scheme_version_draft,
    scheme_version_update,
    window_for_run,
)

from .helpers import active_scheme, ago, computed_run, history, period_days_ago, write

pytestmark = pytest.mark.django_db


def _record(world) -> None:
    w = world
    records = []
    for n in range(12):
        records.append(
            history(officer=w.officer_a1, unit=w.tribunal_a1, region=w.village_a1, created=ago(40 - n),
                    days=0.5 + n % 3, follow_up_by=w.user_hr, satisfaction="satisfied" if n % 4 else "basically")
        )  # fmt: skip
    for n in range(8):
        records.append(
            history(officer=w.officer_a2, unit=w.tribunal_a2, region=w.village_a2, created=ago(30 - n),
                    days=2 + n, follow_up_by=w.user_hr, kind="dispute", channel="window",
                    status="closed" if n % 2 else "in_progress")
        )  # fmt: skip
    records.append(
        history(officer=w.officer_a1, unit=w.tribunal_a1, region=w.village_a1, created=ago(20), reopened=True,
                follow_up_by=w.user_hr)
    )  # fmt: skip
    write(w.admin, records)


def test_run_computes_publishes_and_recomputes_exactly(world):
    _record(world)
    version = active_scheme(world.user_hr)
    start, end = period_days_ago(60)
    run = computed_run(world.user_hr, version, start, end)
    assert run.status == RunStatus.COMPUTED and run.inputs_sha256 and run.results_sha256
    assert run.officer_count == OfficerResult.objects.filter(run=run).count() >= 2
    run = run_publish(actor=world.user_hr, run=run, expected_version=run.version)
    assert run.status == RunStatus.PUBLISHED
    report = run_recompute(actor=world.user_hr, run=run, read_record=True)
    assert report.inputs_intact and report.results_equal and report.record_unchanged, report.differences
    assert report.results_sha256 == run.results_sha256
    assert AuditEntry.objects.filter(action="evaluation.run_publish", object_id=str(run.pk)).exists()


def test_recompute_notices_a_changed_result_and_a_changed_record(world):
    _record(world)
    version = active_scheme(world.user_hr)
    start, end = period_days_ago(60)
    run = computed_run(world.user_hr, version, start, end)
    OfficerResult.objects.filter(run=run, officer=world.officer_a1).update(score=99.5)
    report = run_recompute(actor=world.user_hr, run=run)
    assert not report.results_equal and any("score" in d for d in report.differences)
    with pytest.raises(Conflict):
        run_publish(actor=world.user_hr, run=run)
    # A request recorded later for the same period: the record no longer matches the stored inputs.
    write(world.admin, [history(officer=world.officer_a1, unit=world.tribunal_a1, region=world.village_a1,
                                created=ago(10), follow_up_by=world.user_hr)])  # fmt: skip
    assert run_recompute(actor=world.user_hr, run=run, read_record=True).record_unchanged is False


def test_published_run_is_immutable(world):
    _record(world)
    version = active_scheme(world.user_hr)
    start, end = period_days_ago(60)
    run = computed_run(world.user_hr, version, start, end, publish=True)
    with pytest.raises(Conflict):
        run_start(actor=world.user_hr, run=run, background=False)
    with pytest.raises(Conflict):
        run_discard(actor=world.user_hr, run=run)
    run.label = "改过"
    with pytest.raises(ImmutableWhenPublished):
        run.save()
    assert EvaluationRun.objects.get(pk=run.pk).label != "改过"


def test_database_refuses_to_change_a_published_result(world, postgres_only):
    _record(world)
    version = active_scheme(world.user_hr)
    start, end = period_days_ago(60)
    run = computed_run(world.user_hr, version, start, end, publish=True)
    for statement in (
        ("UPDATE evaluation_officerresult SET score = 1 WHERE run_id = %s", [run.pk]),
        ("DELETE FROM evaluation_officerresult WHERE run_id = %s", [run.pk]),
        ("UPDATE evaluation_evaluationrun SET label = 'x' WHERE id = %s", [run.pk]),
    ):
        with pytest.raises(DatabaseError, match="published"), transaction.atomic(), connection.cursor() as c:
            c.execute(*statement)


def test_scheme_versions_freeze_once_active(world):
    version = active_scheme(world.user_hr)
    with pytest.raises(Conflict):
        scheme_version_update(actor=world.user_hr, version=version, definition=version.definition)
    draft = scheme_version_draft(actor=world.user_hr, scheme=version.scheme)
    bad = dict(draft.definition, indicators=[{**draft.definition["indicators"][0], "weight": -1}])
    with pytest.raises(ValidationFailed) as caught:
        scheme_version_update(actor=world.user_hr, version=draft, definition=bad)
    assert caught.value.errors[0].field == "indicators[0].weight"
    with pytest.raises(ValidationFailed):  # a run uses frozen versions only
        run_create(actor=world.user_hr, scheme_version=draft, period_start=period_days_ago()[0],
                   period_end=period_days_ago()[1])  # fmt: skip


def test_only_hr_runs_evaluations(world):
    version = active_scheme(world.user_hr)
    start, end = period_days_ago(60)
    for user in (world.user_officer_a1, world.user_leader_a, world.resident_user):
        with pytest.raises(Forbidden):
            run_create(actor=user, scheme_version=version, period_start=start, period_end=end)


def test_every_drill_down_lists_exactly_the_figure(world):
    _record(world)
    version = active_scheme(world.user_hr)
    start, end = period_days_ago(60)
    run = computed_run(world.user_hr, version, start, end)
    window = window_for_run(run)
    checked = 0
    for result in OfficerResult.objects.filter(run=run):
        for entry in result.breakdown:
            code = entry["code"]
            numerator = drill(window=window, officer_id=result.officer_id, code=code, part="numerator")
            denominator = drill(window=window, officer_id=result.officer_id, code=code, part="denominator")
            if code == "average_days":
                assert denominator.total == entry["n"]
                assert numerator.value_sum == pytest.approx(entry["k"], abs=1e-5)
                continue
            assert numerator.total == entry["k"], code
            if entry["n"]:
                assert denominator.total == entry["n"], code
            checked += 1
    assert checked > 20
