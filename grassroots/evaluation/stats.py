"""The statistics, all from statsmodels and scipy (no estimator is written by hand here):

- ``wilson``: Wilson score intervals (``statsmodels.stats.proportion.proportion_confint``);
- ``case_mix_expected``: a binomial GLM (``statsmodels`` GLM, IRLS) of an outcome on the case mix, fitted on
  grouped cells (successes and failures per cell, which gives the same estimates as one row per request),
  and each officer's expected count Σ trials × fitted probability, for observed ÷ expected;
- ``fit_beta_binomial``: the empirical-Bayes prior of a rate, the beta-binomial maximum-likelihood fit of all
  officers' (successes, trials) (``GenericLikelihoodModel`` over ``scipy.stats.betabinom``);
- ``posterior``: the shrunken rate and its interval (the Beta posterior, ``scipy.stats.beta``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.base.model import GenericLikelihoodModel
from statsmodels.stats.proportion import proportion_confint
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

# A category level with fewer trials than this joins "other" in the case-mix model (stable estimates).
MIN_LEVEL_TRIALS = 30


def wilson(successes: Any, trials: Any, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson intervals, vectorised; (nan, nan) where there are no trials."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    low = np.full(k.shape, np.nan)
    high = np.full(k.shape, np.nan)
    has = n > 0
    if np.any(has):
        lo, hi = proportion_confint(k[has], n[has], alpha=1 - confidence, method="wilson")
        low[has], high[has] = lo, hi
    return low, high


@dataclass
class CaseMixFit:
    covariates: list[str]  # the covariates the model kept
    params: dict[str, float]
    expected: dict[int, float]  # officer → expected successes
    converged: bool
    note: str = ""


def _design(cells: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    parts = [pd.DataFrame({"const": np.ones(len(cells))}, index=cells.index)]
    for name in covariates:
        if name == "difficulty":
            parts.append(cells[["difficulty"]].astype(float))
            continue
        column = cells[name].fillna("").astype(str)
        trials = cells.groupby(column)["n"].transform("sum")
        column = column.where(trials >= MIN_LEVEL_TRIALS, "~other")
        levels = sorted(column.unique())
        if len(levels) < 2:
            continue
        dummies = pd.get_dummies(pd.Categorical(column, categories=levels), prefix=name, drop_first=True)
        dummies.index = cells.index
        parts.append(dummies.astype(float))
    design = pd.concat(parts, axis=1)
    keep = [c for c in design.columns if c == "const" or design[c].std() > 0]
    return _independent(design[keep])


def _independent(design: pd.DataFrame) -> pd.DataFrame:
    """Drop columns that are linear combinations of others (e.g. a category level that only occurs with one
    kind), so that the model is identified: a QR decomposition with column pivoting keeps a basis, the
    constant first."""
    if design.shape[1] <= 1:
        return design
    matrix = design.to_numpy(float)
    _q, r, pivot = scipy.linalg.qr(matrix, mode="economic", pivoting=True)
    diagonal = np.abs(np.diag(r))
    tolerance = diagonal.max() * max(matrix.shape) * np.finfo(float).eps if diagonal.size else 0.0
    rank = int((diagonal > tolerance).sum())
    basis = set(pivot[:rank].tolist())
    if 0 not in basis:  # keep the constant: swap it in for the last chosen column
        basis.discard(pivot[rank - 1])
        basis.add(0)
    return design.iloc[:, sorted(basis)]


def case_mix_expected(
    cells: pd.DataFrame, covariates: Sequence[str], *, successes: str = "k", trials: str = "n"
) -> CaseMixFit:
    """Fit ``successes/trials ~ covariates`` (binomial, logit) and return each officer's expected successes.

    ``cells`` has an ``officer`` column, the covariate columns and the counts. The model is fitted on the
    distinct covariate patterns (successes and trials summed over officers: the binomial likelihood depends
    on nothing else, so the estimates are those of one row per request); each officer's expected count is
    Σ trials × the fitted probability of the cell's pattern. When the model cannot be fitted the covariates
    are dropped one by one from the end; with none left every trial is expected at the overall rate."""
    data = cells[cells[trials] > 0].copy()
    data = data.rename(columns={successes: "k", trials: "n"})
    if data.empty:
        return CaseMixFit([], {}, {}, True, "no trials")
    overall = float(data["k"].sum()) / float(data["n"].sum())
    tried = list(covariates)
    note = ""
    while True:
        if tried:
            codes = data.groupby(tried, sort=True, dropna=False).ngroup().to_numpy()
        else:
            codes = np.zeros(len(data), dtype=int)
        patterns = (
            data.assign(_pattern=codes)
            .groupby("_pattern", sort=True)
            .agg({**dict.fromkeys(tried, "first"), "k": "sum", "n": "sum"})
        )
        design = _design(patterns, tried)
        if design.shape[1] == 1 or overall in (0.0, 1.0):
            expected = (data["n"] * overall).groupby(data["officer"]).sum()
            note = f"{note}; overall rate only".lstrip("; ")
            return CaseMixFit([], {"const": _logit(overall)}, _rounded(expected), True, note)
        endog = np.column_stack(
            [patterns["k"].to_numpy(float), (patterns["n"] - patterns["k"]).to_numpy(float)]
        )
        try:
            with warnings.catch_warnings():
                # statsmodels warns of "perfect separation" whenever the fit reproduces the patterns
                # exactly, which a saturated model of grouped data does.
                warnings.simplefilter("ignore", PerfectSeparationWarning)
                warnings.simplefilter("ignore", ConvergenceWarning)
                warnings.simplefilter("ignore", RuntimeWarning)  # a saturated model has no residual df
                # A level whose requests all went one way (separation) gets a large coefficient and a
                # fitted probability near 0 or 1, which is what its expected count should be.
                result = sm.GLM(endog, design.to_numpy(float), family=sm.families.Binomial()).fit()
                probability = np.asarray(result.predict(design.to_numpy(float)), dtype=float)
            params = np.asarray(result.params, dtype=float)
            if not (np.all(np.isfinite(probability)) and np.all(np.isfinite(params))):
                raise ValueError("non-finite fit")
        except (ValueError, np.linalg.LinAlgError) as exc:
            if not tried:
                raise
            note = f"{note}; dropped {tried[-1]} ({exc})".lstrip("; ")
            tried = tried[:-1]
            continue
        expected = (data["n"] * probability[codes]).groupby(data["officer"]).sum()
        params = dict(zip(design.columns, (float(p) for p in result.params), strict=True))
        converged = bool(result.converged)
        return CaseMixFit(tried, params, _rounded(expected), converged, note)


def _rounded(series: pd.Series) -> dict[int, float]:
    return {int(k): float(v) for k, v in series.items()}


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class BetaPrior:
    alpha: float
    beta: float
    officers: int
    converged: bool

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        """The prior's weight in pseudo-trials: how many trials it takes to count as much as the prior."""
        return self.alpha + self.beta


class _BetaBinomial(GenericLikelihoodModel):
    """Successes out of trials per officer, each officer's rate drawn from Beta(μs, (1-μ)s); parameters
    logit μ and log s."""

    def __init__(self, successes: np.ndarray, trials: np.ndarray) -> None:
        super().__init__(endog=successes, exog=np.ones((len(successes), 1)), extra_params_names=["log_s"])
        self.trials = trials

    def loglike(self, params: np.ndarray) -> float:
        mean = 1.0 / (1.0 + np.exp(-params[0]))
        size = np.exp(params[1])
        return float(sps.betabinom.logpmf(self.endog, self.trials, mean * size, (1 - mean) * size).sum())


# The prior's strength s = α + β (in pseudo-trials) is kept between e^-4 (almost no pooling) and
# MAX_PRIOR_STRENGTH: when officers differ less than chance alone would make them, the maximum-likelihood
# strength is unbounded (every officer pooled to the mean); capped, a large sample still shows its own
# level (an officer with 500 requests weighs half against the prior).
MAX_PRIOR_STRENGTH = 500.0
_LOG_S_BOUNDS = (-4.0, math.log(MAX_PRIOR_STRENGTH))


def fit_beta_binomial(successes: Sequence[int], trials: Sequence[int]) -> BetaPrior | None:
    """The maximum-likelihood beta-binomial prior of the officers' rates (None with under three officers
    with trials, or when every officer has the same all-or-nothing result)."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    keep = n > 0
    k, n = k[keep], n[keep]
    if len(k) < 3 or k.sum() == 0 or k.sum() == n.sum():
        return None
    mean = k.sum() / n.sum()
    start = np.array([_logit(mean), math.log(10.0)])
    model = _BetaBinomial(k, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(
            start_params=start, method="lbfgs", bounds=[(-20.0, 20.0), _LOG_S_BOUNDS], disp=0, maxiter=500
        )
    logit_mean, log_s = (float(p) for p in result.params)
    fitted_mean = 1.0 / (1.0 + math.exp(-logit_mean))
    size = math.exp(log_s)
    return BetaPrior(
        alpha=fitted_mean * size,
        beta=(1 - fitted_mean) * size,
        officers=len(k),
        converged=bool(result.mle_retvals.get("converged", True)),
    )


def posterior(
    successes: Any, trials: Any, prior: BetaPrior | None, confidence: float = 0.95
) -> tuple[Any, Any, Any]:
    """The shrunken rate (posterior mean) and its equal-tailed interval, for scalars or arrays; successes may
    be fractional (a case-mix adjusted count). Without a prior: the rate itself and its Wilson interval.
    Where there are no trials: nan."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    scalar = k.ndim == 0 and n.ndim == 0
    k, n = np.broadcast_arrays(np.atleast_1d(k), np.atleast_1d(n))
    value = np.full(k.shape, np.nan)
    low = np.full(k.shape, np.nan)
    high = np.full(k.shape, np.nan)
    has = n > 0
    if np.any(has):
        if prior is None:
            kk = np.clip(k[has], 0, n[has])
            value[has] = kk / n[has]
            lo, hi = proportion_confint(kk, n[has], alpha=1 - confidence, method="wilson")
            low[has], high[has] = lo, hi
        else:
            a = prior.alpha + k[has]
            b = prior.beta + n[has] - k[has]
            tail = (1 - confidence) / 2
            value[has] = a / (a + b)
            low[has] = sps.beta.ppf(tail, a, b)
            high[has] = sps.beta.ppf(1 - tail, a, b)
    if scalar:
        return float(value[0]), float(low[0]), float(high[0])
    return value, low, high
