"""The evaluation pages: who sees what, the records behind figures, the report card, the export, progress."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from grassroots.common.testing import PASSWORD
from grassroots.evaluation.indicators import INDICATORS
from grassroots.evaluation.models import Appeal, RunStatus

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def test_an_officer_sees_only_their_own_result(client, evaluated):
    w = evaluated.world
    own, other = evaluated.results[w.officer_a1.pk], evaluated.results[w.officer_a2.pk]
    _login(client, w.user_officer_a1)
    page = client.get(reverse("evaluation:run", args=[evaluated.run.pk]))
    assert page.status_code == 200
    assert w.officer_a1.name in page.text and w.officer_a2.name not in page.text
    assert client.get(reverse("evaluation:result", args=[own.pk])).status_code == 200
    assert client.get(reverse("evaluation:result", args=[other.pk])).status_code == 404
    assert (
        client.get(reverse("evaluation:result-drill", args=[other.pk, "on_time", "numerator"])).status_code
        == 404
    )
    assert client.get(reverse("evaluation:result-print", args=[other.pk])).status_code == 404


def test_a_leader_sees_their_units_and_not_another_county(client, evaluated):
    w = evaluated.world
    _login(client, w.user_leader_a)
    page = client.get(reverse("evaluation:run", args=[evaluated.run.pk]))
    assert w.officer_a1.name in page.text and w.officer_a2.name in page.text
    assert w.officer_b.name not in page.text
    assert (
        client.get(reverse("evaluation:result", args=[evaluated.results[w.officer_b.pk].pk])).status_code
        == 404
    )
    units = client.get(reverse("evaluation:units", args=[evaluated.run.pk]))
    assert w.tribunal_a1.name in units.text and w.court_b.name not in units.text


def test_hr_sees_everyone_and_residents_nothing(client, evaluated):
    w = evaluated.world
    _login(client, w.user_hr)
    page = client.get(reverse("evaluation:run", args=[evaluated.run.pk]))
    assert all(o.name in page.text for o in (w.officer_a1, w.officer_a2, w.officer_b))
    _login(client, w.resident_user)
    assert client.get(reverse("evaluation:overview")).status_code == 403
    assert client.get(reverse("evaluation:run", args=[evaluated.run.pk])).status_code == 403


def test_drafts_are_for_hr_only(client, evaluated):
    from grassroots.evaluation.services import run_create, run_start

    w = evaluated.world
    draft = run_start(
        actor=w.user_hr,
        run=run_create(actor=w.user_hr, scheme_version=evaluated.version, period_start=evaluated.run.period_start,
                       period_end=evaluated.run.period_end),
        background=False,
    )  # fmt: skip
    assert draft.status == RunStatus.COMPUTED
    _login(client, w.user_officer_a1)
    assert client.get(reverse("evaluation:run", args=[draft.pk])).status_code == 404
    _login(client, w.user_hr)
    assert client.get(reverse("evaluation:run", args=[draft.pk])).status_code == 200


def test_every_figure_links_to_exactly_its_records(client, evaluated):
    w = evaluated.world
    result = evaluated.results[w.officer_a1.pk]
    _login(client, w.user_hr)
    checked = 0
    for entry in result.breakdown:
        parts = ("numerator",) if INDICATORS[entry["code"]].kind == "count" else ("numerator", "denominator")
        for part in parts:
            page = client.get(reverse("evaluation:result-drill", args=[result.pk, entry["code"], part]))
            assert page.status_code == 200
            count = int(page.text.split("data-count>")[1].split("<")[0])
            expected = entry["n"] if part == "denominator" or entry["code"] == "average_days" else entry["k"]
            assert count == expected, (entry["code"], part)
            checked += 1
    assert checked >= 25
    visits = next(e for e in result.breakdown if e["code"] == "visits")
    assert visits["k"] == 3
    trials = next(e for e in result.breakdown if e["code"] == "circuit_trials")
    assert trials["k"] == 1
    coverage = next(e for e in result.breakdown if e["code"] == "visit_coverage")
    assert (coverage["k"], coverage["n"]) == (1, 2)  # one of the two households visited within its interval


def test_report_card_and_export(client, evaluated):
    w = evaluated.world
    result = evaluated.results[w.officer_a1.pk]
    _login(client, w.user_officer_a1)
    card = client.get(reverse("evaluation:result-print", args=[result.pk]))
    assert card.status_code == 200 and "data-print" in card.text and w.officer_a1.staff_number in card.text
    export = client.get(reverse("evaluation:run-export", args=[evaluated.run.pk]))
    book = load_workbook(io.BytesIO(export.content))
    officers = book.worksheets[0]
    numbers = [row[0] for row in officers.iter_rows(min_row=2, values_only=True)]
    assert numbers == [w.officer_a1.staff_number]  # an officer's export holds only their own row
    _login(client, w.user_hr)
    book = load_workbook(
        io.BytesIO(client.get(reverse("evaluation:run-export", args=[evaluated.run.pk])).content)
    )
    assert {row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)} >= {
        w.officer_a1.staff_number, w.officer_b.staff_number,
    }  # fmt: skip


def test_run_list_pins_its_queries(client, evaluated, django_assert_max_num_queries):
    w = evaluated.world
    _login(client, w.user_hr)
    client.get(reverse("evaluation:run", args=[evaluated.run.pk]))  # warm the session and caches
    with django_assert_max_num_queries(14):
        assert client.get(reverse("evaluation:run", args=[evaluated.run.pk])).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("evaluation:runs")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("evaluation:overview")).status_code == 200


def test_appeal_and_adjustment_from_the_pages(client, evaluated):
    w = evaluated.world
    result = evaluated.results[w.officer_a1.pk]
    _login(client, w.user_officer_a1)
    client.post(
        reverse("evaluation:result-appeal", args=[result.pk]), {"reason": "走访记录漏算了三次，请核实"}
    )
    appeal = Appeal.objects.get(result=result)
    _login(client, w.user_hr)
    client.post(reverse("evaluation:appeal-decide", args=[appeal.pk]),
                {"reason": "核实属实", "score_delta": "2.5", "version": appeal.version, "decision": "uphold"})  # fmt: skip
    appeal.refresh_from_db()
    assert appeal.status == "upheld"
    page = client.get(reverse("evaluation:result", args=[result.pk]))
    assert "2.5" in page.text


def test_computing_shows_progress(client, evaluated):
    from grassroots.evaluation.services import run_create

    w = evaluated.world
    run = run_create(actor=w.user_hr, scheme_version=evaluated.version, period_start=evaluated.run.period_start,
                     period_end=evaluated.run.period_end)  # fmt: skip
    type(run).objects.filter(pk=run.pk).update(status=RunStatus.COMPUTING, phase="casework", done=1, total=9)
    _login(client, w.user_hr)
    fragment = client.get(reverse("evaluation:run-status", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in fragment.text and "casework" in fragment.text
    assert 'aria-valuenow="1"' in fragment.text
    type(run).objects.filter(pk=run.pk).update(status=RunStatus.COMPUTED)
    done = client.get(reverse("evaluation:run-status", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true" and "every 1s" not in done.text


def test_compute_from_the_page(client, world):
    from .helpers import active_scheme

    version = active_scheme(world.user_hr)
    client.login(username="hr", password=PASSWORD)
    response = client.post(reverse("evaluation:runs"), {"scheme_version": version.pk, "quarter": "", "period_start": "2026-01-01",
                                                        "period_end": "2026-03-31", "label": "一季度"})  # fmt: skip
    assert response.status_code == 302
    run = version.runs.get()
    assert run.status == RunStatus.COMPUTED and run.label == "一季度"


def test_mentoring_honours_and_reviews_are_scoped(client, api, evaluated):
    from grassroots.evaluation.honours import nomination_decide, nominations_propose
    from grassroots.evaluation.mentoring import mentorship_create
    from grassroots.evaluation.models import HonourKind, HonourTitle

    w = evaluated.world
    pair = mentorship_create(actor=w.user_hr, mentor=w.officer_a1, mentee=w.recruit_a1)
    title = HonourTitle.objects.create(code="t", name="办结能手", kind=HonourKind.INDIVIDUAL, indicator="completion",
                                       min_sample=1, threshold=0.0, top_n=5)  # fmt: skip
    nomination = nominations_propose(actor=w.user_hr, title=title, run=evaluated.run)[0]
    nomination_decide(
        actor=w.admin, nomination=nomination, approve=True, reason="通过", citation="办结及时，群众满意。"
    )
    unit_result = evaluated.run.unit_results.get(unit=w.court_b)
    _login(client, w.user_officer_b)  # another county
    assert client.get(reverse("evaluation:mentorship", args=[pair.pk])).status_code == 404
    assert api(w.user_officer_b).get(f"/api/evaluation/mentorships/{pair.pk}/").status_code == 404
    assert client.get(reverse("evaluation:nominations")).status_code == 403
    assert api(w.user_officer_b).get(f"/api/evaluation/nominations/{nomination.pk}/").status_code == 404
    assert client.get(reverse("evaluation:reviews")).status_code == 403
    assert (
        client.get(reverse("evaluation:honour", args=[nomination.honour.pk])).status_code == 200
    )  # the register
    _login(client, w.user_leader_a)
    assert client.get(reverse("evaluation:unit", args=[unit_result.pk])).status_code == 404
    assert api(w.user_leader_a).get(f"/api/evaluation/unit-results/{unit_result.pk}/").status_code == 404
    assert client.get(reverse("evaluation:mentorship", args=[pair.pk])).status_code == 200
    _login(client, w.resident_user)
    assert client.get(reverse("evaluation:honour", args=[nomination.honour.pk])).status_code == 403
    assert api(w.resident_user).get("/api/evaluation/honours/").status_code == 403
