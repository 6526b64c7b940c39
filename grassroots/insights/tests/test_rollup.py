"""The figure roll-up: the city-wide figures read through it equal the figures read live from every request,
before and after a refresh, whatever happened in between (transitions, follow-ups, links, new requests,
edits that bypass the services, deletions), and a refresh takes in only what changed."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from grassroots.casework.matters import request_link
from grassroots.casework.models import Request
from grassroots.casework.services import request_transition
from grassroots.casework.workflow import Action
from grassroots.common.scoping import as_actor
from grassroots.insights import figures, rollup, selectors
from grassroots.insights.models import ChangedRequest, FigureRollup, RolledRequest, RollupState
from grassroots.insights.services import outcomes_refresh, rollup_refresh

from .conftest import intake, resolve

pytestmark = pytest.mark.django_db


def _canonical(sets):
    return {
        name: sorted(
            (tuple(str(row[c]) for c in figures.GROUPING_SETS[name]), tuple(row[m] for m in figures.MEASURES))
            for row in rows
        )
        for name, rows in sets.items()
    }


def _both(admin, filters, now):
    """The sets read through the roll-up and the same sets read live, for the period and the previous one."""
    out = []
    for f in (filters, filters.previous()):
        for sets in (figures.sets_for(f), ("all", "category", "place", "channel", "unit")):
            live = figures.aggregate(selectors.scoped_requests(admin, f), now, sets=sets)
            out.append((_canonical(rollup.aggregate(f, now, sets)), _canonical(live)))
    return out


def _assert_exact(admin, now, days=(1, 30, 92, 365), read_at=None):
    """Through the roll-up equals live, for periods ending today, read at ``now`` (or later: ``read_at``)."""
    today = timezone.localdate(now)
    for n in days:
        filters = selectors.parse_filters(admin, {"start": (today - timedelta(days=n - 1)).isoformat()})
        for through, live in _both(admin, filters, read_at or now):
            assert through == live, n


@pytest.fixture
def admin(world, django_user_model):
    return as_actor(
        django_user_model.objects.create_superuser("rollup-admin", "a@example.org", "x-Admin-2025")
    )


def test_triggers_record_every_change(world, categories):
    assert rollup.triggers_present()
    ChangedRequest.objects.all().delete()
    a = intake(world, category=categories["lights"])
    assert set(ChangedRequest.objects.values_list("request_id", flat=True)) == {a.pk}
    ChangedRequest.objects.all().delete()
    Request.objects.filter(pk=a.pk).update(title="only the title")  # no figure reads it
    assert not ChangedRequest.objects.exists()
    Request.objects.filter(pk=a.pk).update(channel="web")  # a bulk update past every service
    assert list(ChangedRequest.objects.values_list("request_id", flat=True)) == [a.pk]
    ChangedRequest.objects.all().delete()
    request_transition(
        actor=world.user_officer_a1, request=Request.objects.get(pk=a.pk), action=Action.ACCEPT
    )
    assert ChangedRequest.objects.filter(request_id=a.pk).exists()


def test_rollup_figures_equal_live_figures_through_every_kind_of_change(world, categories, admin):
    now = timezone.now()
    a = intake(world, category=categories["lights"], grid=world.grid_a1)
    b = intake(world, category=categories["labour"])
    c = intake(world, category=categories["roads"])
    d = intake(world, category=categories["roads"], channel="web")
    f = intake(world, category=categories["labour"])
    resolve(world, a, satisfied=True)
    resolve(world, b, satisfied=False)  # dissatisfied: reopened, open again
    resolve(world, c, satisfied=True)
    resolve(world, f, satisfied=None)  # resolved, not followed up
    _assert_exact(admin, now)  # nothing rolled up yet: everything read live
    outcomes_refresh()
    assert rollup_refresh(now=now) == Request.objects.count()  # the first run starts from every request
    roots = Request.objects.filter(matter__isnull=True)
    assert set(RolledRequest.objects.values_list("request_id", flat=True)) == set(
        roots.values_list("pk", flat=True)
    )
    assert not ChangedRequest.objects.exists()
    _assert_exact(admin, now)
    assert rollup_refresh(now=now) == 0  # nothing changed
    # Time passes with no write at all: the open requests fall overdue (read live) and nothing else moves.
    later = now + timedelta(days=60)
    data = selectors.dashboard(actor=admin, filters=selectors.parse_filters(admin, {}), now=later)
    assert data["counts"]["overdue"] == data["counts"]["open"] > 0
    _assert_exact(admin, now, read_at=later)

    # Changes of every kind, read before the next refresh: the changed requests are read live and what they
    # contributed before is taken out.
    e = intake(world, category=categories["lights"])  # new, then settled
    resolve(world, e, satisfied=True)
    resolve(world, Request.objects.get(pk=d.pk), satisfied=False)
    Request.objects.filter(pk=a.pk).update(category=categories["roads"], created_at=now - timedelta(days=40))
    Request.objects.filter(pk=c.pk).update(reopen_count=3)  # past every service
    request_link(
        actor=world.user_leader_a, request=Request.objects.get(pk=f.pk), matter=Request.objects.get(pk=c.pk)
    )
    _assert_exact(admin, now)
    assert rollup_refresh(now=now) == 5
    assert not ChangedRequest.objects.exists()
    _assert_exact(admin, now)
    assert not RolledRequest.objects.filter(request_id=f.pk).exists()  # linked: no longer a matter root

    # A deletion takes the request's part back out.
    Request.objects.filter(pk=a.pk).delete()
    _assert_exact(admin, now)
    rollup_refresh(now=now)
    _assert_exact(admin, now)
    assert not RolledRequest.objects.filter(request_id=a.pk).exists()
    by_channel = FigureRollup.objects.filter(grain="d", dimension="channel").values_list("total", flat=True)
    assert sum(by_channel) == RolledRequest.objects.count()


def _stored():
    """Every roll-up row and every request's recorded contribution, as plain values."""
    return (
        sorted(FigureRollup.objects.values_list(*[f.attname for f in FigureRollup._meta.fields][1:])),
        sorted(RolledRequest.objects.values_list(*[f.attname for f in RolledRequest._meta.fields])),
    )


def test_the_set_based_build_writes_what_the_per_request_path_writes(world, categories, admin):
    now = timezone.now()
    a = intake(world, category=categories["lights"], grid=world.grid_a1)
    b = intake(world, category=categories["labour"], channel="hotline")
    c = intake(world, category=categories["roads"], channel="web")
    d = intake(world, category=categories["roads"])
    intake(world, category=categories["lights"])  # open
    resolve(world, a, satisfied=True)
    resolve(world, b, satisfied=False)  # reopened: open again
    resolve(world, c, satisfied=None)
    request_transition(
        actor=world.user_officer_a1, request=Request.objects.get(pk=d.pk), action=Action.REJECT, reason="重复"
    )
    Request.objects.filter(pk=c.pk).update(created_at=now - timedelta(days=45), due_at=None)
    # No outcomes kept yet: the flags come from the history; then from the kept outcomes.
    for keep_outcomes in (False, True):
        if keep_outcomes:
            outcomes_refresh()
        assert rollup_refresh(now=now, rebuild=True) == Request.objects.count()
        built = _stored()
        assert {row[0] for row in built[1]} == set(Request.objects.values_list("pk", flat=True))
        FigureRollup.objects.all().delete()
        RolledRequest.objects.all().delete()
        ChangedRequest.objects.bulk_create(
            [ChangedRequest(request_id=pk) for pk in Request.objects.values_list("pk", flat=True)]
        )
        assert rollup_refresh(now=now) == Request.objects.count()  # the incremental path, summed in Python
        assert _stored() == built
        _assert_exact(admin, now)


def test_rollup_serves_only_the_unfiltered_city_wide_view(world, categories, admin):
    filters = selectors.parse_filters(admin, {})
    assert not rollup.usable(admin, filters)  # never refreshed
    rollup_refresh()
    assert rollup.usable(admin, filters)
    assert not rollup.usable(as_actor(world.user_leader_a), filters)
    assert not rollup.usable(admin, selectors.parse_filters(admin, {"channel": "web"}))
    assert not rollup.usable(admin, selectors.parse_filters(admin, {"region": world.county_a.pk}))
    RollupState.objects.update(time_zone="Europe/Paris")  # days cut in another zone: read live
    assert not rollup.usable(admin, filters)


def test_a_time_zone_change_rebuilds(world, categories, admin):
    a = intake(world, category=categories["lights"])
    resolve(world, a, satisfied=True)
    rollup_refresh()
    RollupState.objects.update(time_zone="Europe/Paris")
    assert rollup_refresh() == Request.objects.count()
    assert RollupState.objects.get().time_zone == timezone.get_current_timezone_name()
    _assert_exact(admin, timezone.now())


def test_dashboard_through_the_rollup_matches_its_drill_downs(world, categories, admin):
    for category in ("lights", "labour", "roads"):
        r = intake(world, category=categories[category])
        resolve(world, r, satisfied=category != "labour")
    rollup_refresh()
    filters = selectors.parse_filters(admin, {})
    data = selectors.dashboard(actor=admin, filters=filters, with_coverage=False)
    for code in figures.MEASURES:
        assert (
            data["counts"][code] == selectors.drill_list(actor=admin, filters=filters, measure=code).count()
        )
    for row in data["breakdowns"]["category"]:
        listed = selectors.drill_list(
            actor=admin, filters=filters, measure="total", dimension="category", key=str(row["key"])
        )
        assert listed.count() == row["total"]


def test_refresh_refuses_without_the_triggers(world):
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER insights_request_updated ON casework_request"
            if connection.vendor == "postgresql"
            else "DROP TRIGGER insights_request_updated"
        )
    assert not rollup.triggers_present()
    with pytest.raises(RuntimeError, match="triggers"):
        rollup_refresh()


def test_an_out_of_step_rollup_is_refused_and_rebuilt(world, categories, admin):
    from django.core.management import call_command

    a = intake(world, category=categories["lights"])
    resolve(world, a, satisfied=True)
    rollup_refresh()
    FigureRollup.objects.all().delete()  # rows lost by hand
    Request.objects.filter(pk=a.pk).update(channel="web")
    with pytest.raises(RuntimeError, match="out of step"):
        rollup_refresh()
    assert ChangedRequest.objects.filter(request_id=a.pk).exists()  # nothing half-written
    call_command("insights_refresh", "--rebuild", verbosity=0)
    assert not ChangedRequest.objects.exists()
    _assert_exact(admin, timezone.now())
