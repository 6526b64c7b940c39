"""Scoring: from a run's inputs (the figures read from the record, see ``compute.py``) to its results.

A pure function of the inputs: the same inputs give the same results, bit for bit, which is what lets a
published run be recomputed exactly from what it stored. Per officer and indicator:

1. the raw figure k/n and its Wilson interval;
2. case-mix indicators: expected successes E from the binomial GLM of the whole population, observed ÷
   expected (O/E), and the adjusted rate O/E × the overall rate (indirect standardisation);
3. rates: shrunk towards the population by the beta-binomial prior (posterior mean and interval);
4. the attainment of the scheme's target (0–1, with its range from the interval) and the points.

Then the score (weighted attainment ×100, plus front-line credit pro rata), its interval, ranks with their
intervals overall and in the peer group, grades with quotas, the promotion shortlist (mass-work capability
first) and the units' figures.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .definition import canonical_json
from .indicators import CELL_KEYS, CELL_MEASURES, INDICATORS, IndicatorKind
from .population import OFFICER_COLUMNS
from .stats import BetaPrior, case_mix_expected, fit_beta_binomial, posterior, wilson

COUNT_COLUMNS = ("officer", "returns", "visits", "outreach_events", "circuit_trials", "mentoring_given",
                 "coverage_assigned", "coverage_covered")  # fmt: skip
COUNT_GOAL_DAYS = 90
DIGITS = 6


def _r(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return None
    return round(value, DIGITS)


@dataclass
class Figure:
    k: float
    n: float


@dataclass
class ScoredRun:
    officers: list[dict[str, Any]]
    units: list[dict[str, Any]]
    models: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"officers": self.officers, "units": self.units, "models": self.models}

    @property
    def sha256(self) -> str:
        return results_sha256(self.as_dict())


def results_sha256(results: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(results).encode()).hexdigest()


def _table(block: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(block["rows"], columns=block["columns"])


def attainment(value: float, target: dict[str, Any], scale: float = 1.0) -> float:
    """How far ``value`` reaches the target, from 0 to 1 (count targets are scaled by ``scale``)."""
    kind = target["type"]
    if kind == "higher":
        floor, goal = target["floor"] * scale, target["goal"] * scale
        return float(min(1.0, max(0.0, (value - floor) / (goal - floor)))) if goal > floor else 1.0
    if kind == "lower":
        goal, ceiling = target["goal"] * scale, target["ceiling"] * scale
        return float(min(1.0, max(0.0, (ceiling - value) / (ceiling - goal)))) if ceiling > goal else 1.0
    low, high = target["low"] * scale, target["high"] * scale
    minimum, maximum = target["min"] * scale, target["max"] * scale
    if low <= value <= high:
        return 1.0
    if value < low:
        return float(max(0.0, (value - minimum) / (low - minimum))) if low > minimum else 0.0
    return float(max(0.0, (maximum - value) / (maximum - high))) if maximum > high else 0.0


def attainment_range(
    low: float, high: float, target: dict[str, Any], scale: float = 1.0
) -> tuple[float, float]:
    """The least and the most attainment of any value in [low, high] (targets are unimodal)."""
    ends = [attainment(low, target, scale), attainment(high, target, scale)]
    best = max(ends)
    if target["type"] == "range" and low <= target["high"] * scale and high >= target["low"] * scale:
        best = 1.0
    return min(ends), best


def _applies(rule: str, officer: dict[str, Any], counts: dict[str, Any], definition: dict[str, Any]) -> bool:
    if rule == "front_line":
        return officer["front_line_days"] > 0
    if rule == "veterans":
        return officer["service_years"] >= definition["veteran_years"]
    if rule == "has_duty":
        return counts.get("coverage_assigned", 0) > 0
    return True


def _rank_intervals(score: np.ndarray, low: np.ndarray, high: np.ndarray, ids: np.ndarray) -> dict[str, Any]:
    """Ranks (1 = best) and their intervals: the best rank counts only the officers certainly above (their
    low end above this officer's high end), the worst every other officer possibly above (high end at or
    above this officer's low end: a tie can go either way)."""
    order = np.lexsort((ids, -score))
    rank = np.empty(len(score), dtype=int)
    rank[order] = np.arange(1, len(score) + 1)
    sorted_low = np.sort(low)
    sorted_high = np.sort(high)
    above_surely = len(low) - np.searchsorted(sorted_low, high, side="right")
    above_maybe = len(high) - np.searchsorted(sorted_high, low, side="left") - 1  # less the officer themself
    best = np.minimum(1 + above_surely, rank)
    worst = np.maximum(1 + above_maybe, rank)
    return {"rank": rank, "best": best, "worst": worst}


CASEWORK_CODES = ("on_time", "completion", "satisfaction", "follow_up_valid", "reopen", "mediation_success",
                  "pre_suit", "average_days")  # fmt: skip
COUNT_CODES = ("visits", "outreach_events", "circuit_trials", "mentoring_given")
RECORD_CODES = frozenset({*CASEWORK_CODES, "return", "visit_coverage"})


def _figures(
    officers: pd.DataFrame, cells: pd.DataFrame, counts: pd.DataFrame, ids: list[int], period_days: int
):
    """Every indicator's (k, n) per officer, as arrays in the order of ``ids``."""
    zeros = np.zeros(len(ids))
    if len(cells):
        summed = cells.groupby("officer")[list(CELL_MEASURES)].sum().reindex(ids).fillna(0.0)
    else:
        summed = pd.DataFrame(0.0, index=ids, columns=list(CELL_MEASURES))
    counted = counts.set_index("officer").reindex(ids).fillna(0.0) if len(counts) else None

    def count(name: str) -> np.ndarray:
        return counted[name].to_numpy(float) if counted is not None else zeros.copy()

    figures: dict[str, tuple[np.ndarray, np.ndarray]] = {
        code: (summed[f"{code}_k"].to_numpy(float), summed[f"{code}_n"].to_numpy(float))
        for code in CASEWORK_CODES
    }
    returns = count("returns")
    figures["return"] = (returns, figures["completion"][1] + returns)
    figures["visit_coverage"] = (count("coverage_covered"), count("coverage_assigned"))
    figures["front_line_time"] = (
        officers["front_line_days"].to_numpy(float),
        np.full(len(ids), float(period_days)),
    )
    for code in COUNT_CODES:
        figures[code] = (count(code), zeros.copy())
    return figures


def score_run(inputs: dict[str, Any]) -> ScoredRun:
    """Score a run's inputs. Linear algebra runs on one thread: the matrices are small, and a single thread
    makes every floating-point sum happen in the same order, so recomputing gives the same bits."""
    with threadpool_limits(limits=1):
        return _score_run(inputs)


def _score_run(inputs: dict[str, Any]) -> ScoredRun:
    definition = inputs["scheme"]["definition"]
    confidence = definition["confidence"]
    period_days = inputs["period"]["days"]
    officers = _table(inputs["officers"]).sort_values("officer", kind="stable").reset_index(drop=True)
    cells = _table(inputs["cells"])
    counts_df = _table(inputs["counts"])
    ids = [int(x) for x in officers["officer"]]
    officer_rows = officers.to_dict("records")
    figures = _figures(officers, cells, counts_df, ids, period_days)
    share = (officers["front_line_days"].to_numpy(float) / period_days) if period_days else np.zeros(len(ids))
    has_duty = figures["visit_coverage"][1] > 0

    models: dict[str, Any] = {"case_mix": {}, "priors": {}}
    expected: dict[str, np.ndarray] = {}
    overall: dict[str, float] = {}
    difficulty = dict(zip(officers["officer"].astype(int), officers["difficulty"].astype(float), strict=True))
    columns: list[list[dict[str, Any]]] = []
    for item in definition["indicators"]:
        code = item["code"]
        spec = INDICATORS[code]
        k, n = figures[code]
        overall[code] = float(k.sum() / n.sum()) if n.sum() else math.nan
        if item.get("adjust") and spec.case_mix and len(cells):
            frame = cells[list(CELL_KEYS)].copy()
            frame["difficulty"] = frame["officer"].map(difficulty).fillna(1.0)
            frame["k"], frame["n"] = cells[f"{code}_k"], cells[f"{code}_n"]
            frame = frame[frame["officer"].isin(ids)]
            fit = case_mix_expected(frame, definition["case_mix"])
            expected[code] = np.array([fit.expected.get(oid, 0.0) for oid in ids])
            models["case_mix"][code] = {
                "covariates": fit.covariates,
                "params": {key: _r(v) for key, v in fit.params.items()},
                "converged": fit.converged,
                "note": fit.note,
            }
        prior = None
        if item.get("shrink"):
            prior = fit_beta_binomial(k.astype(int), n.astype(int))
            models["priors"][code] = (
                {
                    "alpha": _r(prior.alpha),
                    "beta": _r(prior.beta),
                    "mean": _r(prior.mean),
                    "officers": prior.officers,
                }
                if prior
                else None
            )
            if prior is not None:  # score with the prior exactly as stored (rounded), so a recompute agrees
                stored = models["priors"][code]
                prior = BetaPrior(stored["alpha"], stored["beta"], stored["officers"], True)
        columns.append(
            _indicator_column(item, k, n, officer_rows, share, has_duty, definition, expected.get(code),
                              overall[code], prior, confidence, period_days)
        )  # fmt: skip

    results = []
    for position, row in enumerate(officer_rows):
        oid = ids[position]
        breakdown = [column[position] for column in columns]
        weight_sum = points = low_points = high_points = mass_weight = mass_points = 0.0
        for item, entry in zip(definition["indicators"], breakdown, strict=True):
            w = float(item["weight"])
            if entry["applicable"] and w > 0:
                weight_sum += w
                points += w * entry["attainment"]
                low_points += w * entry["attainment_low"]
                high_points += w * entry["attainment_high"]
                if item["mass_work"]:
                    mass_weight += w
                    mass_points += w * entry["attainment"]
        # Judged only on a record of work: casework or visit duties (a rate or a mean that applies).
        assessable = any(e["applicable"] and e["weight"] > 0 and e["code"] in RECORD_CODES for e in breakdown)
        credit = float(definition["front_line_credit"]) * float(share[position])
        score = min(100.0, 100 * points / weight_sum + credit) if weight_sum else 0.0
        score_low = min(100.0, 100 * low_points / weight_sum + credit) if weight_sum else 0.0
        score_high = min(100.0, 100 * high_points / weight_sum + credit) if weight_sum else 0.0
        for e in breakdown:
            e["points"] = (
                _r(100 * float(e["weight"]) * e["attainment"] / weight_sum)
                if e["applicable"] and weight_sum and e["weight"]
                else None
            )
        results.append(
            {
                "officer": oid,
                "unit": None if pd.isna(row["unit"]) else int(row["unit"]),
                "post": None if pd.isna(row["post"]) else int(row["post"]),
                "peer_group": row["peer_group"],
                "front_line_share": _r(share[position]),
                "front_line_credit": _r(credit),
                "service_years": _r(row["service_years"]),
                "assessable": assessable,
                "score": _r(score),
                "score_low": _r(score_low),
                "score_high": _r(score_high),
                "mass_work_score": _r(100 * mass_points / mass_weight) if mass_weight else None,
                "breakdown": breakdown,
            }
        )
    _percentiles(results, definition)
    _ranks(results)
    _grades(results, definition)
    _shortlist(results, definition)
    figures_by_officer = {
        code: {oid: Figure(float(k[i]), float(n[i])) for i, oid in enumerate(ids)}
        for code, (k, n) in figures.items()
    }
    expected_by_officer = {
        code: dict(zip(ids, values.tolist(), strict=True)) for code, values in expected.items()
    }
    units = _units(results, figures_by_officer, expected_by_officer, overall, definition, confidence)
    return ScoredRun(results, units, models)


def _indicator_column(item, k, n, officers, share, has_duty, definition, expected, overall, prior, confidence,
                      period_days) -> list[dict[str, Any]]:  # fmt: skip
    """One indicator's entry for every officer: the figures are computed on whole arrays (intervals,
    adjustment, shrinkage), the attainment officer by officer."""
    code = item["code"]
    spec = INDICATORS[code]
    size = len(k)
    applies = np.array([_applies(item["applies"], o, {"coverage_assigned": float(d)}, definition)
                        for o, d in zip(officers, has_duty, strict=True)], dtype=bool)  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
    extra: dict[str, np.ndarray] = {}
    scale = np.ones(size)
    if spec.kind == IndicatorKind.COUNT:
        value, low, high = k.copy(), k.copy(), k.copy()
        raw = k.copy()
        if item["applies"] == "front_line":
            scale = period_days / COUNT_GOAL_DAYS * share
        else:
            scale = np.full(size, period_days / COUNT_GOAL_DAYS)
        applicable = applies.copy()
    elif spec.kind == IndicatorKind.MEAN:
        value, low, high = raw.copy(), raw.copy(), raw.copy()
        applicable = (n >= item["min_sample"]) & applies
    else:
        if spec.exact:  # a fact (days served), not an estimate: no interval
            low, high = raw.copy(), raw.copy()
        else:
            raw_low, raw_high = wilson(k, n, confidence)
            extra.update(raw_low=raw_low, raw_high=raw_high)
            low, high = raw_low.copy(), raw_high.copy()
        k_used = k.copy()
        if expected is not None:
            extra["expected"] = expected
            ok = (expected > 0) & (n > 0) & (not math.isnan(overall))
            safe_e = np.where(ok, expected, 1.0)
            oe = np.where(ok, k / safe_e, np.nan)
            adjusted = np.where(ok, np.minimum(1.0, oe * overall), np.nan)
            factor = np.where(ok, overall * n / safe_e, 1.0)
            extra.update(oe=oe, adjusted=adjusted)
            k_used = np.where(ok, adjusted * n, k)
            low = np.where(ok, np.minimum(1.0, low * factor), low)
            high = np.where(ok, np.minimum(1.0, high * factor), high)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(n > 0, k_used / np.where(n > 0, n, 1), np.nan)
        if item.get("shrink"):
            shrunk, s_low, s_high = posterior(k_used, n, prior, confidence)
            extra["shrunk"] = shrunk
            value, low, high = shrunk, s_low, s_high
        applicable = (n >= item["min_sample"]) & applies
    applicable &= ~np.isnan(value)
    entries = []
    target = item["target"]
    for i in range(size):
        entry: dict[str, Any] = {
            "code": code, "weight": float(item["weight"]), "k": _r(k[i]), "n": _r(n[i]), "raw": _r(raw[i]),
        }  # fmt: skip
        for key in ("raw_low", "raw_high", "expected", "oe", "adjusted", "shrunk"):
            if key in extra and not math.isnan(extra[key][i]):
                entry[key] = _r(extra[key][i])
        entry.update(value=_r(value[i]))
        if spec.kind == IndicatorKind.RATE:
            entry.update(low=_r(low[i]), high=_r(high[i]))
        entry["applicable"] = bool(applicable[i])
        if entry["applicable"]:
            a = attainment(float(value[i]), target, float(scale[i]))
            lo, hi = sorted((float(low[i]), float(high[i])))
            a_low, a_high = attainment_range(lo, hi, target, float(scale[i]))
            entry.update(
                attainment=_r(a), attainment_low=_r(min(a_low, a)), attainment_high=_r(max(a_high, a))
            )
        else:
            entry.update(attainment=0.0, attainment_low=0.0, attainment_high=0.0)
        entry["scale"] = _r(scale[i]) if spec.kind == IndicatorKind.COUNT else None
        entries.append(entry)
    return entries


def _percentiles(results: list[dict[str, Any]], definition: dict[str, Any]) -> None:
    """Each applicable figure's percentile in the peer group (100 = best; 'lower is better' inverted)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        groups[r["peer_group"]].append(r)
    for position, item in enumerate(definition["indicators"]):
        target = item["target"]
        lower_better = target["type"] == "lower"
        for members in groups.values():
            entries = [m["breakdown"][position] for m in members]
            live = [e for e in entries if e["applicable"]]
            if target["type"] == "range":
                values = pd.Series([e["attainment"] for e in live], dtype=float)
            else:
                values = pd.Series([e["value"] for e in live], dtype=float)
                if lower_better:
                    values = -values
            ranks = values.rank(pct=True, method="average") if len(values) else values
            for e, pct in zip(live, ranks, strict=True):
                e["percentile"] = _r(100 * pct)
            for e in entries:
                e.setdefault("percentile", None)


def _ranks(results: list[dict[str, Any]]) -> None:
    def assign(members: list[dict[str, Any]], prefix: str) -> None:
        ranked = [m for m in members if m["assessable"]]
        for m in members:
            if not m["assessable"]:
                m.update({f"{prefix}rank": None, f"{prefix}rank_best": None, f"{prefix}rank_worst": None})
        if not ranked:
            return
        arrays = {
            k: np.array([m[k] for m in ranked], dtype=float) for k in ("score", "score_low", "score_high")
        }
        ids = np.array([m["officer"] for m in ranked])
        out = _rank_intervals(arrays["score"], arrays["score_low"], arrays["score_high"], ids)
        for i, m in enumerate(ranked):
            m[f"{prefix}rank"] = int(out["rank"][i])
            m[f"{prefix}rank_best"] = int(out["best"][i])
            m[f"{prefix}rank_worst"] = int(out["worst"][i])
        for m in members:
            m[f"{prefix}size"] = len(ranked)

    assign(results, "")
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        groups[r["peer_group"]].append(r)
    for members in groups.values():
        assign(members, "peer_")


def _grades(results: list[dict[str, Any]], definition: dict[str, Any]) -> None:
    scope = definition["quota_scope"]
    key = {"run": lambda r: "", "peer_group": lambda r: r["peer_group"], "unit": lambda r: str(r["unit"])}[
        scope
    ]
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        r["grade"] = ""
        if r["assessable"]:
            groups[key(r)].append(r)
    rules = definition["grades"]
    for members in groups.values():
        members.sort(key=lambda r: (-r["score"], r["officer"]))
        caps = {
            rule["grade"]: math.floor(rule["max_share"] * len(members) + 1e-9)
            if rule.get("max_share")
            else None
            for rule in rules
        }
        taken: dict[str, int] = defaultdict(int)
        for r in members:
            for rule in rules:
                cap = caps[rule["grade"]]
                if r["score"] >= rule["min_score"] and (cap is None or taken[rule["grade"]] < cap):
                    r["grade"] = rule["grade"]
                    taken[rule["grade"]] += 1
                    break


def _shortlist(results: list[dict[str, Any]], definition: dict[str, Any]) -> None:
    """The promotion shortlist: eligible grades and years of service; mass-work score first, then score.
    Reasons lead with the mass-work figures the officer is strong in."""
    rule = definition["shortlist"]
    weights = {item["code"]: item for item in definition["indicators"]}
    eligible = [
        r
        for r in results
        if r["assessable"] and r["grade"] in rule["grades"] and r["service_years"] >= rule["min_years"]
    ]
    eligible.sort(key=lambda r: (-(r["mass_work_score"] or 0), -r["score"], r["officer"]))
    size = min(rule["max"], max(1, round(rule["share"] * len(eligible)))) if eligible else 0
    for r in results:
        r.update(shortlisted=False, shortlist_rank=None, shortlist_reasons=[])
    for position, r in enumerate(eligible[:size], start=1):
        strong = [
            e
            for e in r["breakdown"]
            if e["applicable"] and e["weight"] > 0 and weights[e["code"]]["mass_work"]
            and (e["attainment"] >= 0.8 or (e.get("percentile") or 0) >= 75)
            and e["code"] != "front_line_time"
        ]  # fmt: skip
        strong.sort(key=lambda e: (-e["weight"], -(e.get("percentile") or 0)))
        reasons: list[dict[str, Any]] = [{"kind": "mass_work", "score": r["mass_work_score"]}]
        reasons += [
            {k: e.get(k) for k in ("code", "value", "low", "high", "k", "n", "percentile")}
            | {"kind": "indicator"}
            for e in strong[:4]
        ]
        if r["front_line_share"]:
            reasons.append({"kind": "front_line", "share": r["front_line_share"]})
        reasons.append({"kind": "score", "score": r["score"], "grade": r["grade"]})
        r.update(shortlisted=True, shortlist_rank=position, shortlist_reasons=reasons)


def _units(results, figures, expected, overall, definition, confidence) -> list[dict[str, Any]]:
    by_unit: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        if r["unit"] is not None:
            by_unit[r["unit"]].append(r)
    units = []
    for unit_id in sorted(by_unit):
        members = by_unit[unit_id]
        officer_ids = [m["officer"] for m in members]
        breakdown = []
        for item in definition["indicators"]:
            code = item["code"]
            spec = INDICATORS[code]
            k = sum(figures[code][o].k for o in officer_ids)
            n = sum(figures[code][o].n for o in officer_ids)
            entry: dict[str, Any] = {"code": code, "k": _r(k), "n": _r(n)}
            if spec.kind == IndicatorKind.RATE and n:
                low, high = wilson([k], [n], confidence)
                entry.update(value=_r(k / n), low=_r(low[0]), high=_r(high[0]))
                if code in expected:
                    e = sum(expected[code].get(o, 0.0) for o in officer_ids)
                    if e > 0:
                        entry.update(
                            expected=_r(e), oe=_r(k / e), adjusted=_r(min(1.0, k / e * overall[code]))
                        )
            elif spec.kind == IndicatorKind.MEAN and n:
                entry["value"] = _r(k / n)
            elif spec.kind == IndicatorKind.COUNT:
                entry["value"] = _r(k)
            breakdown.append(entry)
        graded = [m for m in members if m["assessable"]]
        grade_counts: dict[str, int] = defaultdict(int)
        for m in graded:
            grade_counts[m["grade"]] += 1
        units.append(
            {
                "unit": unit_id,
                "officer_count": len(members),
                "mean_score": _r(sum(m["score"] for m in graded) / len(graded)) if graded else None,
                "grade_counts": dict(sorted(grade_counts.items())),
                "breakdown": breakdown,
            }
        )
    return units


__all__ = ["COUNT_COLUMNS", "OFFICER_COLUMNS", "ScoredRun", "attainment", "results_sha256", "score_run"]
