"""The dashboard's kept request outcomes: figures are the same with none, all or some of them current, and
the refresh is incremental (it rewrites only what changed) and idempotent."""

import pytest

from grassroots.casework.models import Request
from grassroots.casework.services import request_transition
from grassroots.casework.workflow import Action
from grassroots.insights import selectors
from grassroots.insights.figures import MEASURES
from grassroots.insights.models import RequestOutcome
from grassroots.insights.services import outcomes_refresh

from .conftest import intake, resolve

pytestmark = pytest.mark.django_db


def _figures(actor):
    filters = selectors.parse_filters(actor, {})
    data = selectors.dashboard(actor=actor, filters=filters, with_coverage=False)
    lists = {
        code: selectors.drill_list(actor=actor, filters=filters, measure=code).count() for code in MEASURES
    }
    tables = {
        code: [(r["key"], *[r[m] for m in MEASURES]) for r in rows]
        for code, rows in data["breakdowns"].items()
    }
    return data["counts"], lists, tables


def test_figures_are_exact_whatever_the_state_of_the_kept_outcomes(world, categories):
    leader = world.user_leader_a
    a = intake(world, category=categories["lights"], grid=world.grid_a1)
    b = intake(world, category=categories["labour"])
    c = intake(world, category=categories["roads"])
    resolve(world, a, satisfied=True)
    resolve(world, b, satisfied=False)
    live = _figures(leader)  # no outcome kept yet: everything read from the history
    assert live[0]["satisfied"] == 1 and live[0]["followed"] == 2 and live[0]["on_time"] == 1
    assert outcomes_refresh() == 3
    assert _figures(leader) == live  # every request read from its kept outcome
    assert outcomes_refresh() == 0  # idempotent: nothing moved
    # Change two requests without refreshing: one outcome is now stale, the other request is new.
    d = intake(world, category=categories["roads"])
    resolve(world, Request.objects.get(pk=c.pk), satisfied=True)
    stale = _figures(leader)
    assert stale[0]["satisfied"] == 2 and stale[0]["total"] == 4
    RequestOutcome.objects.all().delete()
    assert _figures(leader) == stale  # the same as reading everything from the history
    outcomes_refresh()
    request_transition(
        actor=world.user_officer_a1, request=Request.objects.get(pk=d.pk), action=Action.ACCEPT
    )
    assert outcomes_refresh() == 1  # incremental: only the request that moved
    assert _figures(leader) == _figures(leader)
    fresh = RequestOutcome.objects.get(request=a)
    assert (fresh.version, fresh.satisfaction) == (Request.objects.get(pk=a.pk).version, "satisfied")
    assert fresh.lead_unit_id == world.tribunal_a1.pk and fresh.first_resolved_at is not None


def test_a_forged_outcome_of_an_old_version_is_ignored(world, categories):
    a = intake(world, category=categories["lights"])
    resolve(world, a, satisfied=True)
    outcomes_refresh()
    before = _figures(world.user_leader_a)
    # A kept row that no longer matches its request's version is never read.
    RequestOutcome.objects.filter(request=a).update(satisfaction="dissatisfied", version=1)
    assert _figures(world.user_leader_a) == before
