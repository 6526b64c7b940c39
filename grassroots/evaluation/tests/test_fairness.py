"""Fairness: two officers who perform equally well, one in an easy post and one in a hard post, get raw
scores that differ and adjusted scores that do not.

The record is simulated from a known model: an officer's chance of resolving on time is
logit p = 1.9 − 2.2 × (difficulty − 1) + u, with u ~ N(0, 0.25²) across 60 officers and u = 0 for the two
officers compared; each of the two handles 800 requests, so the statements below are far outside what noise
could produce (the thresholds are in standard errors of the difference).
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest
from django.utils import timezone

from grassroots.evaluation.definition import DEFAULT_DEFINITION
from grassroots.evaluation.models import OfficerResult
from grassroots.workforce.services import assignment_create, officer_create, post_create

from .helpers import active_scheme, computed_run, history, write

pytestmark = pytest.mark.django_db

EASY, HARD = 1.0, 1.6


def _p(difficulty: float, u: float) -> float:
    return 1 / (1 + math.exp(-(1.9 - 2.2 * (difficulty - 1) + u)))


def _scheme(adjust: bool) -> dict:
    on_time = {"code": "on_time", "weight": 10, "target": {"type": "higher", "floor": 0.5, "goal": 0.95},
               "adjust": adjust, "shrink": adjust, "min_sample": 5}  # fmt: skip
    return {**DEFAULT_DEFINITION, "indicators": [on_time], "front_line_credit": 0, "case_mix": ["difficulty"]}


def _world(world):
    rng = random.Random(20260701)
    easy = post_create(actor=world.admin, unit=world.tribunal_a1, code="F-EASY", name="导诉", is_front_line=True,
                       difficulty_weight=EASY, max_staff=100)  # fmt: skip
    hard = post_create(actor=world.admin, unit=world.tribunal_a2, code="F-HARD", name="信访", is_front_line=True,
                       difficulty_weight=HARD, max_staff=100)  # fmt: skip
    people = []
    for n in range(62):
        post = easy if n % 2 == 0 else hard
        officer = officer_create(
            actor=world.admin, staff_number=f"F{n:03d}", name=f"干警{n}", hire_date=date(2015, 1, 1)
        )
        assignment_create(actor=world.admin, officer=officer, post=post, start=date(2020, 1, 1))
        focal = n < 2
        people.append((officer, post, 0.0 if focal else rng.gauss(0, 0.25), 800 if focal else 60))
    records = []
    now = timezone.now()
    for officer, post, u, count in people:
        chance = _p(float(post.difficulty_weight), u)
        unit = post.unit
        for _ in range(count):
            created = now - timedelta(days=rng.uniform(22, 50))
            days = (
                1.0 if rng.random() < chance else 20.0
            )  # 20 calendar days is past any 7-working-day deadline
            records.append(
                history(officer=officer, unit=unit, region=world.village_a1, created=created, days=days,
                        status="resolved")
            )  # fmt: skip
    write(world.admin, records)
    return people[0][0], people[1][0]


def _entry(result: OfficerResult) -> dict:
    return next(e for e in result.breakdown if e["code"] == "on_time")


def _se(entry: dict, low: str, high: str) -> float:
    return (entry[high] - entry[low]) / (2 * 1.959964)


def test_equal_performers_in_easy_and_hard_posts_get_comparable_adjusted_scores(world):
    easy_officer, hard_officer = _world(world)
    start, end = timezone.localdate() - timedelta(days=60), timezone.localdate()
    adjusted_run = computed_run(
        world.user_hr, active_scheme(world.user_hr, _scheme(True), "fair"), start, end
    )
    raw_run = computed_run(world.user_hr, active_scheme(world.user_hr, _scheme(False), "raw"), start, end)

    raw_easy = OfficerResult.objects.get(run=raw_run, officer=easy_officer)
    raw_hard = OfficerResult.objects.get(run=raw_run, officer=hard_officer)
    fair_easy = OfficerResult.objects.get(run=adjusted_run, officer=easy_officer)
    fair_hard = OfficerResult.objects.get(run=adjusted_run, officer=hard_officer)
    e_raw, h_raw = _entry(raw_easy), _entry(raw_hard)
    e_fair, h_fair = _entry(fair_easy), _entry(fair_hard)

    # Raw: the easy post's officer looks much better (more than 5 standard errors of the difference).
    se_raw = math.hypot(_se(e_raw, "raw_low", "raw_high"), _se(h_raw, "raw_low", "raw_high"))
    assert e_raw["raw"] - h_raw["raw"] > 5 * se_raw
    assert raw_easy.score - raw_hard.score > 30

    # Adjusted: observed ÷ expected is about 1 for both, and the adjusted rates differ by less than two
    # standard errors of their difference.
    assert e_fair["oe"] == pytest.approx(1.0, abs=0.05) and h_fair["oe"] == pytest.approx(1.0, abs=0.08)
    se_fair = math.hypot(_se(e_fair, "low", "high"), _se(h_fair, "low", "high"))
    assert abs(e_fair["value"] - h_fair["value"]) < 2 * se_fair
    score_se = 100 / 0.45 * se_fair  # the target maps the rate linearly onto points
    assert abs(fair_easy.score - fair_hard.score) < 2 * score_se
    assert abs(fair_easy.score - fair_hard.score) < (raw_easy.score - raw_hard.score) / 4
    # The model found the post difficulty's effect (true value −2.2 on the logit scale).
    coefficient = adjusted_run.fitted_models["case_mix"]["on_time"]["params"]["difficulty"]
    assert -2.8 < coefficient < -1.6
