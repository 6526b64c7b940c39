"""Unusual rises of request counts above their own seasonal baseline (pure numbers, no database).

Each series is the weekly count of one category in one area, oldest week first; the last week is tested.
The baseline follows the improved Farrington method (Noufaily et al., Statistics in Medicine 2013): a
log-linear Poisson model fitted by statsmodels on the earlier weeks, with one pair of annual harmonics
(sin/cos of the week of the year) once there is a year of history and a linear trend kept only when it is
significant (Wald test at 5 %, as Farrington et al. 1996 do). Weeks that were themselves unusual in the past
(Anscombe residual above 2.58) are down-weighted and the model refitted, so an old outbreak does not raise
the baseline. Over-dispersion is estimated from the weighted Pearson χ² (quasi-Poisson, never below 1), and
the uncertainty of the fitted mean is added by the delta method. The week under test is compared with a
negative binomial with that mean and variance: the one-sided p-value is P(X ≥ observed).

The p-values of all series are adjusted together with Benjamini–Hochberg, so the expected share of false
alarms among the alarms stays at ``alpha`` however many areas and categories are watched; when no series
has a real rise (the global null) this also bounds the chance of any alarm at all by ``alpha``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

WEEKS_PER_YEAR = 365.25 / 7
MIN_HISTORY_WEEKS = 8
SEASONAL_HISTORY_WEEKS = 52
# A week with fewer requests than this is never an alarm: two requests where one was usual is noise a
# leader cannot act on, however small its p-value.
MIN_OBSERVED = 3


@dataclass(frozen=True)
class RiseResult:
    key: Hashable
    observed: int
    expected: float
    upper: float  # the 95th percentile of the baseline distribution for this week
    dispersion: float
    p_value: float
    q_value: float
    flagged: bool
    seasonal: bool


TREND_LEVEL = 0.05
OUTLIER_RESIDUAL = 2.58


def _design(weeks: np.ndarray, seasonal: bool, trend: bool) -> np.ndarray:
    columns = [np.ones_like(weeks, dtype=float)]
    if trend:
        columns.append(weeks / WEEKS_PER_YEAR)
    if seasonal:
        angle = 2 * math.pi * weeks / WEEKS_PER_YEAR
        columns += [np.sin(angle), np.cos(angle)]
    return np.column_stack(columns)


def _fit(history: np.ndarray, X: np.ndarray, weights: np.ndarray | None = None) -> Any:
    model = sm.GLM(history, X, family=sm.families.Poisson(), var_weights=weights)
    return model.fit()


def _anscombe(y: np.ndarray, mu: np.ndarray, dispersion: float) -> np.ndarray:
    """Anscombe residuals of a quasi-Poisson fit."""
    mu = np.maximum(mu, 1e-9)
    return 1.5 * (np.cbrt(y) ** 2 - np.cbrt(mu) ** 2) / (np.cbrt(mu) ** 0.5 * math.sqrt(dispersion))


def _dispersion(fit: Any, history: np.ndarray, weights: np.ndarray, parameters: int) -> float:
    mu = np.maximum(fit.mu, 1e-9)
    chi2 = float(np.sum(weights * (history - mu) ** 2 / mu))
    return max(chi2 / max(len(history) - parameters, 1), 1.0)


def baseline(counts: Sequence[int], *, week_of_year_offset: float = 0.0) -> tuple[float, float, float, bool]:
    """The expected count of the last week of ``counts`` from the weeks before it: ``(mean, variance,
    dispersion, seasonal)``. ``week_of_year_offset`` places week 0 in the year (only the phase matters)."""
    y = np.asarray(counts, dtype=float)
    history = y[:-1]
    weeks = np.arange(len(y), dtype=float) + week_of_year_offset
    seasonal = len(history) >= SEASONAL_HISTORY_WEEKS
    if history.sum() == 0:
        return 0.0, 0.0, 1.0, seasonal
    try:
        X = _design(weeks, seasonal, trend=True)
        fit = _fit(history, X[:-1])
        if fit.pvalues[1] > TREND_LEVEL:  # no significant trend: do not extrapolate one
            X = _design(weeks, seasonal, trend=False)
            fit = _fit(history, X[:-1])
        ones = np.ones_like(history)
        dispersion = _dispersion(fit, history, ones, X.shape[1])
        residuals = _anscombe(history, fit.mu, dispersion)
        if np.any(residuals > OUTLIER_RESIDUAL):
            weights = np.where(residuals > OUTLIER_RESIDUAL, 1.0 / np.maximum(residuals, 1e-9) ** 2, 1.0)
            weights *= len(history) / weights.sum()
            fit = _fit(history, X[:-1], weights)
            dispersion = _dispersion(fit, history, weights, X.shape[1])
    except (ValueError, np.linalg.LinAlgError, IndexError):
        mean = float(history.mean())
        return mean, max(float(history.var()), mean), 1.0, False
    eta = float(X[-1] @ fit.params)
    # The fit's covariance assumes dispersion 1; scale it by the estimated over-dispersion.
    eta_var = float(X[-1] @ fit.cov_params() @ X[-1]) * dispersion
    mean = math.exp(min(eta, 30.0))
    variance = dispersion * mean + mean**2 * eta_var
    return mean, variance, dispersion, seasonal


def exceedance_p(observed: int, mean: float, variance: float) -> float:
    """P(X ≥ observed) for a count with this mean and variance: negative binomial when over-dispersed,
    Poisson otherwise; 1 when nothing is expected and nothing happened."""
    if observed <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if variance <= mean * (1 + 1e-9):
        return float(stats.poisson.sf(observed - 1, mean))
    size = mean**2 / (variance - mean)
    return float(stats.nbinom.sf(observed - 1, size, size / (size + mean)))


def _upper(mean: float, variance: float) -> float:
    if mean <= 0:
        return 0.0
    if variance <= mean * (1 + 1e-9):
        return float(stats.poisson.ppf(0.95, mean))
    size = mean**2 / (variance - mean)
    return float(stats.nbinom.ppf(0.95, size, size / (size + mean)))


def detect_rises(
    series: Mapping[Hashable, Sequence[int]],
    *,
    alpha: float = 0.05,
    min_observed: int = MIN_OBSERVED,
    week_of_year_offset: float = 0.0,
) -> list[RiseResult]:
    """Test the last week of every series against its baseline; flag those whose Benjamini–Hochberg
    adjusted p-value is at most ``alpha`` (and whose count reaches ``min_observed``). Series shorter than
    ``MIN_HISTORY_WEEKS`` + 1 are not tested. Results come flagged first, smallest q-value first."""
    keys, rows = [], []
    for key, counts in series.items():
        if len(counts) < MIN_HISTORY_WEEKS + 1:
            continue
        mean, variance, dispersion, seasonal = baseline(counts, week_of_year_offset=week_of_year_offset)
        observed = int(counts[-1])
        p = exceedance_p(observed, mean, variance)
        keys.append(key)
        rows.append((observed, mean, variance, dispersion, seasonal, p))
    if not rows:
        return []
    p_values = np.array([r[-1] for r in rows])
    _, q_values, _, _ = multipletests(p_values, alpha=alpha, method="fdr_bh")
    results = [
        RiseResult(
            key=key,
            observed=observed,
            expected=mean,
            upper=_upper(mean, variance),
            dispersion=dispersion,
            p_value=p,
            q_value=float(q),
            flagged=bool(q <= alpha and observed >= min_observed),
            seasonal=seasonal,
        )
        for key, (observed, mean, variance, dispersion, seasonal, p), q in zip(
            keys, rows, q_values, strict=True
        )
    ]
    results.sort(key=lambda r: (not r.flagged, r.q_value))
    return results
