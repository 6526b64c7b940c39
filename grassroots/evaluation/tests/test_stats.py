"""The statistics against values known in advance."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from grassroots.evaluation.scoring import _rank_intervals, attainment, attainment_range
from grassroots.evaluation.stats import BetaPrior, case_mix_expected, fit_beta_binomial, posterior, wilson


def test_wilson_interval_of_8_out_of_10():
    low, high = wilson([8], [10])
    # The textbook value (Newcombe 1998 / any table): 95 % Wilson interval of 8/10 is 0.490–0.943.
    assert low[0] == pytest.approx(0.4902, abs=1e-4)
    assert high[0] == pytest.approx(0.9433, abs=1e-4)
    # and from the closed form, as a second check
    z = sps.norm.ppf(0.975)
    centre = (8 + z * z / 2) / (10 + z * z)
    half = z / (10 + z * z) * math.sqrt(8 * 2 / 10 + z * z / 4)
    assert (low[0], high[0]) == pytest.approx((centre - half, centre + half), abs=1e-12)
    none_low, none_high = wilson([0], [0])
    assert math.isnan(none_low[0]) and math.isnan(none_high[0])


def test_case_mix_glm_on_a_tiny_dataset_reproduces_the_derivable_answer():
    # One categorical covariate with two levels: the maximum-likelihood fit is saturated, so each level's
    # probability is its observed share: a = 8/40 = 0.2, b = 24/40 = 0.6.
    cells = pd.DataFrame(
        [
            {"officer": 1, "kind": "a", "n": 30, "k": 7},
            {"officer": 1, "kind": "b", "n": 10, "k": 7},
            {"officer": 2, "kind": "a", "n": 10, "k": 1},
            {"officer": 2, "kind": "b", "n": 30, "k": 17},
        ]
    )
    fit = case_mix_expected(cells, ["kind"])
    assert fit.covariates == ["kind"] and fit.converged
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    assert fit.params["const"] == pytest.approx(logit(0.2), abs=1e-8)
    assert fit.params["kind_b"] == pytest.approx(logit(0.6) - logit(0.2), abs=1e-8)
    # Expected = Σ trials × level probability: officer 1: 30×0.2 + 10×0.6 = 12; officer 2: 10×0.2 + 30×0.6 = 20.
    assert fit.expected[1] == pytest.approx(12.0, abs=1e-8)
    assert fit.expected[2] == pytest.approx(20.0, abs=1e-8)
    # Observed 14 vs expected 12, and 18 vs 20: officer 1 did better than their case mix predicts.
    assert 14 / fit.expected[1] > 1 > 18 / fit.expected[2]


def test_case_mix_with_a_continuous_difficulty_matches_the_logistic_formula():
    # Difficulty 1 and 2 only, with the same counts: the fit interpolates exactly through both shares.
    cells = pd.DataFrame(
        [
            {"officer": 1, "difficulty": 1.0, "n": 50, "k": 40},
            {"officer": 2, "difficulty": 2.0, "n": 50, "k": 25},
        ]
    )
    fit = case_mix_expected(cells, ["difficulty"])
    assert fit.expected[1] == pytest.approx(40.0, abs=1e-6) and fit.expected[2] == pytest.approx(
        25.0, abs=1e-6
    )
    assert fit.params["difficulty"] == pytest.approx(math.log(0.5 / 0.5) - math.log(0.8 / 0.2), abs=1e-6)


def test_beta_binomial_prior_recovers_a_known_prior():
    rng = np.random.default_rng(20260701)
    rates = rng.beta(16, 4, size=400)  # mean 0.8, strength 20
    trials = rng.integers(10, 80, size=400)
    successes = rng.binomial(trials, rates)
    prior = fit_beta_binomial(successes, trials)
    assert prior is not None and prior.converged
    assert prior.mean == pytest.approx(0.8, abs=0.015)
    assert 10 < prior.strength < 40


def test_shrinkage_pulls_one_out_of_one_towards_the_prior():
    prior = BetaPrior(alpha=8.0, beta=2.0, officers=100, converged=True)
    value, low, high = posterior(1, 1, prior)
    assert value == pytest.approx(9 / 11)  # (1 + 8) / (1 + 8 + 2)
    assert prior.mean < value < 1.0
    assert value - prior.mean < 1.0 - value  # closer to the prior than to the raw 100 %
    assert low < value < high
    # Much evidence barely moves: 900/1000 stays near 0.9.
    assert posterior(900, 1000, prior)[0] == pytest.approx((908) / (1010))
    # A fitted prior does the same for a real population with one 1/1 newcomer.
    rng = np.random.default_rng(7)
    trials = np.append(rng.integers(20, 60, size=200), 1)
    successes = np.append(rng.binomial(trials[:-1], 0.75), 1)
    fitted = fit_beta_binomial(successes, trials)
    shrunk = posterior(1, 1, fitted)[0]
    assert fitted.mean - 0.02 < shrunk < 0.9


def test_no_prior_without_variation_or_data():
    assert fit_beta_binomial([5, 5], [5, 5]) is None
    assert fit_beta_binomial([1], [3]) is None
    value, low, high = posterior(8, 10, None)
    assert value == 0.8 and (low, high) == pytest.approx(tuple(x[0] for x in wilson([8], [10])))


def test_targets_score_a_reasonable_range_and_both_directions():
    higher = {"type": "higher", "floor": 0.6, "goal": 0.9}
    assert attainment(0.5, higher) == 0 and attainment(0.75, higher) == pytest.approx(0.5)
    assert attainment(0.95, higher) == 1
    lower = {"type": "lower", "goal": 0.05, "ceiling": 0.25}
    assert attainment(0.04, lower) == 1 and attainment(0.15, lower) == pytest.approx(0.5)
    band = {"type": "range", "low": 0.6, "high": 0.9, "min": 0.3, "max": 1.0}
    assert attainment(0.75, band) == 1
    assert attainment(0.45, band) == pytest.approx(0.5)
    assert attainment(0.95, band) == pytest.approx(0.5)  # too high is penalised too
    assert attainment_range(0.5, 0.95, band) == (pytest.approx(0.5), 1.0)
    assert attainment(30, {"type": "higher", "floor": 0, "goal": 60}, scale=0.5) == 1  # a half period


def test_rank_intervals_never_give_bare_ranks():
    score = np.array([90.0, 85.0, 60.0])
    low = np.array([80.0, 70.0, 55.0])
    high = np.array([95.0, 92.0, 65.0])
    out = _rank_intervals(score, low, high, np.array([1, 2, 3]))
    assert list(out["rank"]) == [1, 2, 3]
    assert list(out["best"]) == [1, 1, 3]  # the first two overlap: either could be first
    assert list(out["worst"]) == [2, 2, 3]
