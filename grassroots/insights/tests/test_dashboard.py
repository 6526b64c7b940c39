"""Dashboard figures against the lists behind them, intervals, scope, and the pages, exports and API."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from statsmodels.stats.proportion import proportion_confint

from grassroots.casework.models import Request
from grassroots.casework.services import request_transition
from grassroots.casework.workflow import Action
from grassroots.common.api.testing import assert_documented
from grassroots.common.errors import ValidationFailed
from grassroots.insights import figures, selectors
from grassroots.insights.figures import BREAKDOWNS, MEASURES, TABLE_MEASURES

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
        actor=world.user_leader_a,
        request=Request.objects.get(pk=c.pk),
        action=Action.REJECT,
        reason="不属受理范围",
    )
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def _dashboard(actor, **params):
    return selectors.dashboard(actor=actor, filters=selectors.parse_filters(actor, params))


def test_counts_rates_intervals_and_scope(world, cases):
    data = _dashboard(world.user_leader_a)
    counts = data["counts"]
    assert counts["total"] == 4  # county B's request is out of the leader's scope
    assert counts["responded"] == 4  # accepted, rejected and the two resolved
    assert counts["eligible"] == 3  # accepted for handling: not the registered one, not the rejected one
    assert counts["resolved"] == 1 and counts["reopened"] == 1
    assert counts["followed"] == 2 and counts["satisfied"] == 1
    rates = {r["code"]: r for r in data["rates"]}
    assert (rates["response"]["numerator"], rates["response"]["denominator"]) == (4, 4)
    assert (rates["resolution"]["numerator"], rates["resolution"]["denominator"]) == (1, 3)
    assert rates["satisfaction"]["value"] == 0.5
    for rate in rates.values():
        if rate["denominator"]:
            low, high = proportion_confint(rate["numerator"], rate["denominator"], method="wilson")
            assert rate["low"] == pytest.approx(low) and rate["high"] == pytest.approx(high)
            assert rate["low"] <= rate["value"] <= rate["high"]
    assert _dashboard(world.user_officer_b)["counts"]["total"] == 1


def test_wilson_interval_edges():
    assert figures.wilson(0, 0) is None
    low, high = figures.wilson(0, 10)
    assert low == 0.0 and 0.2 < high < 0.35  # no success is not a certain zero
    low, high = figures.wilson(10, 10)
    assert high == pytest.approx(1.0) and 0.65 < low < 0.8


def test_every_figure_matches_its_drill_down_list(world, cases):
    actor = world.user_leader_a
    filters = selectors.parse_filters(actor, {})
    data = selectors.dashboard(actor=actor, filters=filters)
    for code in MEASURES:
        listed = selectors.drill_list(actor=actor, filters=filters, measure=code).count()
        assert listed == data["counts"][code], code
    tables = {**data["breakdowns"], "region": data["villages"], "day": data["daily"]}
    for dimension, rows in tables.items():
        assert rows, dimension
        for row in rows:
            key = "None" if row["key"] is None else str(row["key"])
            for measure in TABLE_MEASURES:
                listed = selectors.drill_list(
                    actor=actor, filters=filters, measure=measure, dimension=dimension, key=key
                ).count()
                assert listed == row[measure], (dimension, row["key"], measure)
    for row in data["heat"]:  # each cell of the heat table: the requests of that village and grid
        for measure in ("total", "open", "overdue", "resolved"):
            listed = selectors.drill_list(
                actor=actor, filters=filters, measure=measure, dimension="place", key=row["key"]
            ).count()
            assert listed == row[measure], (row["key"], measure)
    assert sum(r["total"] for r in data["heat"]) == data["counts"]["total"]
    assert sum(r["total"] for r in data["daily"]) == data["counts"]["total"]
    assert sum(sum(s["data"]) for s in data["trend"]["series"]) == data["counts"]["total"]
    assert sum(data["trend"]["days"]) == filters.days and data["trend"]["days"][-1] == 7  # last week whole
    assert set(data["breakdowns"]) == set(BREAKDOWNS)
    township = {r["name"]: r["total"] for r in data["breakdowns"]["township"]}
    assert township == {"城关镇": 3, "堌阳镇": 1}
    groups = {r["name"]: r["total"] for r in data["breakdowns"]["category_group"]}
    assert groups == {"城乡建设": 3, "劳动保障": 1}  # the two light requests roll up into their parent


def test_previous_period_beside_each_row(world, cases):
    old = intake(world, category=cases["a"].category)
    Request.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    data = _dashboard(world.user_leader_a)
    assert data["previous_total"] == 1 and data["counts"]["total"] == 4
    roads = next(r for r in data["breakdowns"]["category_group"] if r["name"] == "城乡建设")
    assert roads["previous"] == 1 and roads["change"] == pytest.approx(2.0)
    previous = selectors.parse_filters(world.user_leader_a, {}).previous()
    assert selectors.drill_list(actor=world.user_leader_a, filters=previous, measure="total").count() == 1


def test_linked_duplicates_count_once(world, cases):
    from grassroots.casework.matters import request_link

    dup = intake(world, category=cases["a"].category, title="路灯坏了", description="同一盏路灯")
    before = _dashboard(world.user_leader_a)
    request_link(
        actor=world.user_officer_a1,
        request=dup,
        matter=Request.objects.get(pk=cases["b"].pk),
        reason="同一事项",
    )
    assert _dashboard(world.user_leader_a)["counts"]["total"] == before["counts"]["total"] - 1


def test_filters_narrow_and_bad_filters_name_the_field(world, cases, categories):
    from django.http import Http404

    actor = world.user_leader_a
    assert _dashboard(actor, category=categories["roads"].pk)["counts"]["total"] == 3
    assert _dashboard(actor, channel="hotline")["counts"]["total"] == 1
    assert _dashboard(actor, region=world.town_a2.pk)["counts"]["total"] == 1
    assert _dashboard(actor, unit=world.tribunal_a1.pk)["counts"]["total"] == 2  # the two resolved
    with pytest.raises(ValidationFailed) as exc:
        selectors.parse_filters(actor, {"start": "2024-13-01", "channel": "fax", "category": "999999"})
    assert {e.field for e in exc.value.errors} == {"start", "channel", "category"}
    with pytest.raises(ValidationFailed) as exc:
        selectors.parse_filters(actor, {"start": "2020-01-01", "end": "2024-01-01"})
    assert exc.value.errors[0].field == "start"
    for params in ({"region": world.village_b1.pk}, {"region": 987654}, {"unit": world.court_b.pk}):
        with pytest.raises(Http404):
            selectors.parse_filters(actor, params)  # out of scope answers exactly like missing


def test_coverage_is_the_outreach_figure_with_its_interval(world, client):
    from grassroots.outreach import coverage as cov
    from grassroots.outreach.defaults import ensure_default_rules
    from grassroots.outreach.selectors import coverage_report
    from grassroots.outreach.services import VisitInput, liaison_create, visit_record

    ensure_default_rules()
    start = timezone.localdate() - timedelta(days=400)
    for household in (world.household_a1, world.household_a2):
        liaison_create(
            actor=world.user_leader_a,
            officer=world.officer_a1,
            kind="household",
            household=household,
            start=start,
        )
    visit_record(
        actor=world.user_officer_a1,
        data=VisitInput(household=world.household_a1, summary="走访了解情况", visited_at=timezone.now()),
    )
    cover = _dashboard(world.user_leader_a)["coverage"]
    reference = cov.coverage_total(coverage_report(actor=world.user_leader_a, group="county"))
    assert (cover["covered"], cover["assigned"]) == (reference.covered, reference.assigned) == (1, 2)
    low, high = proportion_confint(1, 2, method="wilson")
    assert cover["low"] == pytest.approx(low) and cover["high"] == pytest.approx(high)
    town = _dashboard(world.user_leader_a, region=world.town_a2.pk)["coverage"]
    assert (town["covered"], town["assigned"]) == (0, 1)  # only 西村's household lies in 堌阳镇
    assert _dashboard(world.user_officer_b)["coverage"] is None  # county B has no duties
    client.force_login(world.user_leader_a)
    page = client.get(reverse("insights:dashboard")).content.decode()
    assert reverse("insights:coverage-tile") in page  # loaded after the other figures
    tile = client.get(reverse("insights:coverage-tile")).content.decode()
    assert reverse("outreach:coverage") in tile  # the figure opens the outreach list behind it
    assert ">1</a> / 2" in tile
    client.force_login(world.user_hr)
    assert client.get(reverse("insights:coverage-tile")).status_code == 404


def test_pages_exports_and_print(world, cases, client):
    from openpyxl import load_workbook

    client.force_login(world.user_leader_a)
    page = client.get(reverse("insights:dashboard"))
    html = page.content.decode()
    assert page.status_code == 200 and 'data-figure="resolution"' in html and 'id="insights-charts"' in html
    drill = client.get(reverse("insights:drill"), {"measure": "resolved"})
    assert drill.status_code == 200 and cases["a"].tracking_code in drill.content.decode()
    assert cases["e"].tracking_code not in client.get(reverse("insights:drill")).content.decode()
    bad = client.get(reverse("insights:drill"), {"measure": "nope", "dimension": "grid", "key": "x"})
    assert bad.status_code == 200 and "measure" in bad.content.decode()
    book = load_workbook(io.BytesIO(client.get(reverse("insights:export-xlsx")).content))
    rates = {row[0]: row for row in book.worksheets[0].iter_rows(min_row=3, values_only=True)}
    response = rates.get("Response rate") or rates["响应率"]
    assert response[2:4] == (4, 4)
    pdf = client.get(reverse("insights:export-pdf"))
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    # Chinese text is set in the Adobe-GB1 font every PDF reader carries, encoded as UCS-2.
    assert b"STSong-Light" in pdf.content and b"UniGB-UCS2-H" in pdf.content
    printed = client.get(reverse("insights:print"))
    assert printed.status_code == 200 and "data-print" in printed.content.decode()
    assert client.get(reverse("insights:digest"), {"period": "weekly"}).status_code == 200
    assert client.get(reverse("insights:hotspots")).status_code == 200


def test_page_query_counts_are_pinned(world, cases, client, django_assert_max_num_queries):
    client.force_login(world.user_leader_a)
    client.get(reverse("insights:dashboard"))  # warm the actor and the catalogues
    with django_assert_max_num_queries(40):
        assert client.get(reverse("insights:dashboard")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("insights:drill"), {"measure": "total"}).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("insights:warnings")).status_code == 200


@pytest.mark.parametrize("who", ["hr", "resident_user"])
def test_hr_and_residents_get_404(world, client, api, who):
    user = world.user_hr if who == "hr" else world.resident_user
    client.force_login(user)
    for name in (
        "dashboard",
        "drill",
        "warnings",
        "hotspots",
        "digest",
        "print",
        "export-pdf",
        "coverage-tile",
    ):
        assert client.get(reverse(f"insights:{name}")).status_code == 404, name
    for path in ("dashboard", "requests", "hotspots"):
        assert api(user).get(f"/api/insights/{path}/").status_code == 404, path
    assert api(user).get("/api/warnings/").status_code == 404


def test_out_of_scope_filters_answer_404_like_missing(world, cases, client, api):
    client.force_login(world.user_leader_a)
    for params in ({"region": world.village_b1.pk}, {"region": 987654}, {"unit": world.court_b.pk}):
        for name in ("dashboard", "drill", "print", "export-xlsx", "hotspots", "coverage-tile"):
            assert client.get(reverse(f"insights:{name}"), params).status_code == 404, (name, params)
        for path in ("dashboard", "requests", "hotspots"):
            assert api(world.user_leader_a).get(f"/api/insights/{path}/", params).status_code == 404, path


def test_api_dashboard_and_drill_agree(world, cases, api, django_assert_max_num_queries):
    client = api(world.user_leader_a)
    response = client.get("/api/insights/dashboard/")
    assert_documented(response, "/api/insights/dashboard/")
    data = response.json()
    hotspots = client.get("/api/insights/hotspots/")
    assert_documented(hotspots, "/api/insights/hotspots/")  # at most 30 topics, one list
    assert isinstance(hotspots.json(), list)
    assert data["counts"]["total"] == 4
    rate = next(r for r in data["rates"] if r["code"] == "response")
    assert (rate["numerator"], rate["denominator"]) == (4, 4) and rate["low"] < 0.75 < rate["high"]
    for dimension in ("channel", "township", "category_group", "unit"):
        for row in data["breakdowns"][dimension]:
            listed = client.get(
                "/api/insights/requests/",
                {"measure": "total", "dimension": dimension, "key": row["key"] or "None"},
            ).json()
            assert listed["count"] == row["total"], (dimension, row)
    bad = client.get("/api/insights/requests/", {"measure": "nope"})
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "measure"
    bad = client.get("/api/insights/dashboard/", {"channel": "fax"})
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "channel"
    with django_assert_max_num_queries(12):
        assert client.get("/api/insights/requests/", {"measure": "total"}).status_code == 200
