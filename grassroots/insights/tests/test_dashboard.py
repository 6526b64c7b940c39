"""Dashboard figures against the lists behind them, scope, and the pages and API that show them."""

import pytest
from django.urls import reverse

from grassroots.casework.models import Request
from grassroots.casework.services import request_transition
from grassroots.casework.workflow import Action
from grassroots.common.errors import ValidationFailed
from grassroots.insights import selectors
from grassroots.insights.figures import DIMENSIONS, MEASURES, TABLE_MEASURES

from .conftest import intake, resolve

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(world, categories):
    a = intake(world, category=categories["lights"], grid=world.grid_a1)
    b = intake(world, category=categories["lights"], channel="hotline")
    c = intake(
        world,
        category=categories["labour"],
        region=world.village_a2,
        title="讨要工钱",
        description="老板拖欠三个月",
    )
    d = intake(world, category=categories["roads"])
    e = intake(
        world, actor=world.user_officer_b, region=world.village_b1, reporter_resident=world.resident_b1
    )
    resolve(world, a, satisfied=True)
    resolve(world, d, satisfied=False)  # dissatisfied: reopened
    request_transition(
        actor=world.user_officer_a1, request=Request.objects.get(pk=b.pk), action=Action.ACCEPT
    )
    request_transition(
        actor=world.user_officer_a1,
        request=Request.objects.get(pk=c.pk),
        action=Action.REJECT,
        data={"reason": "不属受理范围"},
    ) if False else None
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_counts_rates_and_scope(world, cases):
    filters = selectors.parse_filters(world.user_leader_a, {})
    data = selectors.dashboard(actor=world.user_leader_a, filters=filters)
    counts = data["counts"]
    assert counts["total"] == 4  # county B's request is out of the leader's scope
    assert counts["responded"] == 3 and counts["resolved"] == 1 and counts["reopened"] == 1
    assert counts["followed"] == 2 and counts["satisfied"] == 1
    rates = {r["code"]: r for r in data["rates"]}
    assert (rates["response"]["numerator"], rates["response"]["denominator"]) == (3, 4)
    assert rates["satisfaction"]["value"] == 0.5
    other = selectors.dashboard(
        actor=world.user_officer_b, filters=selectors.parse_filters(world.user_officer_b, {})
    )
    assert other["counts"]["total"] == 1


def test_every_figure_matches_its_drill_down_list(world, cases):
    actor = world.user_leader_a
    filters = selectors.parse_filters(actor, {})
    data = selectors.dashboard(actor=actor, filters=filters)
    for code in MEASURES:
        assert (
            selectors.drill_list(actor=actor, filters=filters, measure=code).count() == data["counts"][code]
        ), code
    for dimension, rows in data["breakdowns"].items():
        assert rows, dimension
        for row in rows:
            for measure in TABLE_MEASURES:
                listed = selectors.drill_list(
                    actor=actor, filters=filters, measure=measure, dimension=dimension, key=str(row["key"])
                )
                assert listed.count() == row[measure], (dimension, row["key"], measure)
    assert sum(r["total"] for r in data["heat"]) == data["counts"]["total"]
    assert set(DIMENSIONS) >= set(data["breakdowns"])


def test_linked_duplicates_count_once(world, cases):
    from grassroots.casework.matters import request_link

    dup = intake(world, category=cases["a"].category, title="路灯坏了", description="同一盏路灯")
    before = selectors.dashboard(
        actor=world.user_leader_a, filters=selectors.parse_filters(world.user_leader_a, {})
    )
    request_link(
        actor=world.user_officer_a1,
        request=dup,
        matter=Request.objects.get(pk=cases["b"].pk),
        reason="同一事项",
    )
    after = selectors.dashboard(
        actor=world.user_leader_a, filters=selectors.parse_filters(world.user_leader_a, {})
    )
    assert after["counts"]["total"] == before["counts"]["total"] - 1


def test_filters_narrow_and_bad_filters_name_the_field(world, cases, categories):
    actor = world.user_leader_a
    by_category = selectors.dashboard(
        actor=actor, filters=selectors.parse_filters(actor, {"category": categories["roads"].pk})
    )
    assert by_category["counts"]["total"] == 3  # the roads subtree: two lights + one road
    by_channel = selectors.dashboard(
        actor=actor, filters=selectors.parse_filters(actor, {"channel": "hotline"})
    )
    assert by_channel["counts"]["total"] == 1
    with pytest.raises(ValidationFailed) as exc:
        selectors.parse_filters(
            actor, {"start": "2024-13-01", "channel": "fax", "region": world.village_b1.pk}
        )
    assert {e.field for e in exc.value.errors} == {"start", "channel", "region"}


def test_pages_and_exports(world, cases, client):
    client.force_login(world.user_leader_a)
    page = client.get(reverse("insights:dashboard"))
    assert page.status_code == 200 and "data-figure" in page.content.decode()
    drill = client.get(reverse("insights:drill"), {"measure": "resolved"})
    assert drill.status_code == 200 and cases["a"].tracking_code in drill.content.decode()
    assert cases["e"].tracking_code not in client.get(reverse("insights:drill")).content.decode()
    xlsx = client.get(reverse("insights:export-xlsx"))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = client.get(reverse("insights:export-pdf"))
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    assert client.get(reverse("insights:print")).status_code == 200
    assert client.get(reverse("insights:digest"), {"period": "weekly"}).status_code == 200
    assert client.get(reverse("insights:hotspots")).status_code == 200


@pytest.mark.parametrize("who", ["hr", "resident_user"])
def test_hr_and_residents_get_404(world, client, api, who):
    user = getattr(world, who) if who == "resident_user" else world.user_hr
    client.force_login(user)
    assert client.get(reverse("insights:dashboard")).status_code == 404
    assert api(user).get("/api/insights/dashboard/").status_code == 404
    assert api(user).get("/api/warnings/").status_code == 404


def test_api_dashboard_and_drill_agree(world, cases, api):
    client = api(world.user_leader_a)
    data = client.get("/api/insights/dashboard/").json()
    assert data["counts"]["total"] == 4
    row = data["breakdowns"]["channel"][0]
    listed = client.get(
        "/api/insights/requests/", {"measure": "total", "dimension": "channel", "key": row["key"]}
    ).json()
    assert listed["count"] == row["total"]
    bad = client.get("/api/insights/requests/", {"measure": "nope"})
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "measure"
