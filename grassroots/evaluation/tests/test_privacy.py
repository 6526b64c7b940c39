"""Residents' personal data never appears in an evaluation page, export or API response, whoever asks."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from grassroots.common.protected import decrypt
from grassroots.evaluation.honours import nomination_decide, nominations_propose
from grassroots.evaluation.indicators import INDICATORS
from grassroots.evaluation.mentoring import mentoring_session_record, mentorship_create
from grassroots.evaluation.models import HonourKind, HonourTitle
from grassroots.territory.models import Household, Resident

from .conftest import SECRET_DESCRIPTION, SECRET_SUMMARY, SECRET_TITLE

pytestmark = pytest.mark.django_db


def _secrets(world) -> set[str]:
    found = {SECRET_TITLE, SECRET_DESCRIPTION, SECRET_SUMMARY, "刘大爷本人"}
    for resident in Resident.objects.all():
        found |= {resident.name, resident.id_number_masked, resident.phone_masked}
        found |= {decrypt(resident.id_number_encrypted), decrypt(resident.phone_encrypted)}
    for household in Household.objects.all():
        found |= {household.address, household.number}
    return {s for s in found if s}


def _pages(evaluated, honour_id: int, pair_id: int) -> list[str]:
    run, result = evaluated.run, evaluated.results[evaluated.world.officer_a1.pk]
    urls = [
        reverse("evaluation:overview"), reverse("evaluation:runs"), reverse("evaluation:run", args=[run.pk]),
        reverse("evaluation:units", args=[run.pk]), reverse("evaluation:shortlist", args=[run.pk]),
        reverse("evaluation:result", args=[result.pk]), reverse("evaluation:result-print", args=[result.pk]),
        reverse("evaluation:honours"), reverse("evaluation:honour", args=[honour_id]),
        reverse("evaluation:mentoring"), reverse("evaluation:mentorship", args=[pair_id]),
        reverse("evaluation:schemes"), reverse("evaluation:reviews"), reverse("evaluation:nominations"),
    ]  # fmt: skip
    for code in INDICATORS:
        for part in ("numerator", "denominator"):
            urls.append(reverse("evaluation:result-drill", args=[result.pk, code, part]))
    return urls


def _api(evaluated, honour_id: int, pair_id: int) -> list[str]:
    run, result = evaluated.run, evaluated.results[evaluated.world.officer_a1.pk]
    urls = [
        "/api/evaluation/runs/", f"/api/evaluation/runs/{run.pk}/", f"/api/evaluation/results/?run={run.pk}",
        f"/api/evaluation/results/{result.pk}/", f"/api/evaluation/unit-results/?run={run.pk}",
        "/api/evaluation/honours/", f"/api/evaluation/honours/{honour_id}/", "/api/evaluation/mentorships/",
        f"/api/evaluation/mentorships/{pair_id}/", "/api/evaluation/nominations/", "/api/evaluation/scheme-versions/",
    ]  # fmt: skip
    for code in INDICATORS:
        for part in ("numerator", "denominator"):
            urls.append(f"/api/evaluation/results/{result.pk}/drill/?indicator={code}&part={part}")
    return urls


def test_no_residents_data_anywhere_in_evaluation(client, api, evaluated):
    w = evaluated.world
    title = HonourTitle.objects.create(code="t", name="调解能手", kind=HonourKind.INDIVIDUAL, indicator="completion",
                                       min_sample=1, threshold=0.0, top_n=3)  # fmt: skip
    nomination = next(n for n in nominations_propose(actor=w.user_hr, title=title, run=evaluated.run)
                      if n.officer_id == w.officer_a1.pk)  # fmt: skip
    nomination_decide(
        actor=w.admin, nomination=nomination, approve=True, reason="通过", citation="群众满意，调解有方。"
    )
    honour = nomination.honour
    assert honour.request_ids and honour.visit_ids  # the exemplar page has cases and visits to show
    pair = mentorship_create(actor=w.user_hr, mentor=w.officer_a1, mentee=w.recruit_a1)
    mentoring_session_record(actor=w.user_officer_a1, mentorship=pair, held_on=pair.start, minutes=60,
                             topic="一起走访联系户")  # fmt: skip
    secrets = _secrets(w)
    assert "刘大爷" in secrets and "13800138000" in secrets
    checked = 0
    for user in (w.user_hr, w.user_leader_a, w.admin, w.user_officer_a1):
        client.force_login(user)
        for url in _pages(evaluated, honour.pk, pair.pk):
            response = client.get(url)
            if response.status_code != 200:
                assert response.status_code in (403, 404), url
                continue
            leaked = [s for s in secrets if s in response.content.decode()]
            assert not leaked, (user.username, url, leaked)
            checked += 1
        export = client.get(reverse("evaluation:run-export", args=[evaluated.run.pk]))
        book = load_workbook(io.BytesIO(export.content))
        cells = " ".join(
            str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row
        )
        assert not [s for s in secrets if s in cells], user.username
        client_api = api(user)
        for url in _api(evaluated, honour.pk, pair.pk):
            response = client_api.get(url)
            if response.status_code != 200:
                assert response.status_code in (403, 404), url
                continue
            leaked = [s for s in secrets if s in response.content.decode()]
            assert not leaked, (user.username, url, leaked)
            checked += 1
    assert checked > 150
