"""A scheme version's definition: what it contains, the default scheme, and validation that names the field.

A definition is plain JSON so that it can be stored with the version, hashed, shown and compared::

    indicators: [{code, weight, target, adjust, shrink, min_sample, applies, mass_work}]
        target: {"type": "higher", "floor": a, "goal": b}      a → 0 points, b and above → full points
                {"type": "lower", "goal": a, "ceiling": b}     a and below → full points, b → 0 points
                {"type": "range", "low": a, "high": b, "min": c, "max": d}
                        full points inside [a, b] (a reasonable range), falling to 0 at c and at d
        count indicators: goals are per 90 days, scaled to the period (and to the front-line share when
        "applies" is "front_line")
        applies: "all" | "front_line" (officers with front-line time) | "has_duty" (officers with visit
                 duties) | "veterans" (officers with at least ``veteran_years`` of service)
    grades: [{grade, min_score, max_share?}] best first; an officer gets the best grade whose minimum they
            reach and whose quota (max_share of the quota group, rounded down) is not yet full
    quota_scope: "run" | "peer_group" | "unit"
    front_line_credit: points added for a whole period served at the front line (pro rata)
    case_mix: covariates of the case-mix GLM: kind, channel, category, urgency, difficulty
    confidence: of every interval (0.95)
    veteran_years, grace_days: see above; grace_days is how long after the period the record is read
    shortlist: {grades, min_years, share, max}: the promotion shortlist rule
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from grassroots.common.errors import FieldError, ValidationFailed

from .indicators import INDICATORS, IndicatorKind
from .models import GRADE_ORDER

METHOD_VERSION = "1"
TARGET_TYPES = ("higher", "lower", "range")
APPLIES = ("all", "front_line", "has_duty", "veterans")
QUOTA_SCOPES = ("run", "peer_group", "unit")
CASE_MIX = ("kind", "channel", "category", "urgency", "difficulty")


def _higher(floor: float, goal: float) -> dict[str, Any]:
    return {"type": "higher", "floor": floor, "goal": goal}


DEFAULT_DEFINITION: dict[str, Any] = {
    "indicators": [
        {"code": "on_time", "weight": 12, "target": _higher(0.70, 0.95), "adjust": True, "shrink": True},
        {"code": "completion", "weight": 8, "target": _higher(0.70, 0.95), "adjust": True, "shrink": True},
        {"code": "satisfaction", "weight": 16, "target": _higher(0.70, 0.95), "adjust": True, "shrink": True},
        {"code": "follow_up_valid", "weight": 0, "target": _higher(0.50, 0.90), "shrink": False},
        {"code": "reopen", "weight": 6, "target": {"type": "lower", "goal": 0.03, "ceiling": 0.15}},
        {"code": "return", "weight": 4, "target": {"type": "lower", "goal": 0.05, "ceiling": 0.25}},
        {"code": "mediation_success", "weight": 10, "target": _higher(0.40, 0.80), "min_sample": 3},
        # Resolving nearly every dispute before suit may mean people are kept from the courts: a range.
        {
            "code": "pre_suit",
            "weight": 6,
            "target": {"type": "range", "low": 0.60, "high": 0.92, "min": 0.30, "max": 1.0},
            "min_sample": 3,
        },
        # Very fast handling of everything is as suspect as slow handling.
        {
            "code": "average_days",
            "weight": 6,
            "target": {"type": "range", "low": 1.0, "high": 10.0, "min": 0.2, "max": 30.0},
        },
        {"code": "visit_coverage", "weight": 10, "target": _higher(0.50, 0.95), "applies": "has_duty"},
        {"code": "visits", "weight": 6, "target": _higher(0, 60), "applies": "has_duty"},
        {"code": "outreach_events", "weight": 4, "target": _higher(0, 3), "applies": "front_line"},
        {"code": "circuit_trials", "weight": 2, "target": _higher(0, 2), "applies": "front_line"},
        {"code": "front_line_time", "weight": 6, "target": _higher(0, 1.0)},
        {"code": "mentoring_given", "weight": 4, "target": _higher(0, 6), "applies": "veterans"},
    ],
    "grades": [
        {"grade": "excellent", "min_score": 80, "max_share": 0.15},
        {"grade": "competent", "min_score": 65},
        {"grade": "basic", "min_score": 50},
        {"grade": "incompetent", "min_score": 0},
    ],
    "quota_scope": "run",
    "front_line_credit": 5,
    "case_mix": list(CASE_MIX),
    "confidence": 0.95,
    "veteran_years": 5,
    "grace_days": 15,
    "shortlist": {"grades": ["excellent", "competent"], "min_years": 3, "share": 0.1, "max": 50},
}

INDICATOR_DEFAULTS = {"adjust": False, "shrink": None, "min_sample": 5, "applies": "all", "mass_work": None}


def normalised(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition with every default filled in (what is stored, hashed and scored)."""
    data = copy.deepcopy(definition)
    for top, default in DEFAULT_DEFINITION.items():
        if top != "indicators":
            data.setdefault(top, copy.deepcopy(default))
    out = []
    for item in data.get("indicators", []):
        item = {**INDICATOR_DEFAULTS, **item}
        spec = INDICATORS.get(item.get("code"))
        if spec is not None:
            if item["shrink"] is None:
                item["shrink"] = spec.kind == IndicatorKind.RATE and not spec.exact
            if item["mass_work"] is None:
                item["mass_work"] = spec.mass_work
        out.append(item)
    data["indicators"] = out
    return data


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _target_errors(prefix: str, target: Any, kind: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(target, dict) or target.get("type") not in TARGET_TYPES:
        return [FieldError(f"{prefix}.type", f"must be one of {', '.join(TARGET_TYPES)}")]
    names = {
        "higher": ("floor", "goal"),
        "lower": ("goal", "ceiling"),
        "range": ("min", "low", "high", "max"),
    }
    keys = names[target["type"]]
    for key in keys:
        if not _number(target.get(key)):
            errors.append(FieldError(f"{prefix}.{key}", "must be a number", code="required"))
    if errors:
        return errors
    values = [float(target[k]) for k in keys]
    if target["type"] == "range":
        if not values[0] <= values[1] <= values[2] <= values[3]:
            errors.append(FieldError(prefix, "needs min ≤ low ≤ high ≤ max"))
        if values[0] == values[1] and values[2] == values[3] and values[0] == values[3]:
            errors.append(FieldError(prefix, "the range is a single point"))
    elif values[0] >= values[1]:
        first, second = keys
        errors.append(FieldError(f"{prefix}.{second}", f"must be greater than {first}"))
    if kind == IndicatorKind.RATE and any(v < 0 or v > 1 for v in values):
        errors.append(FieldError(prefix, "a rate's targets lie between 0 and 1"))
    if any(v < 0 for v in values):
        errors.append(FieldError(prefix, "targets cannot be negative"))
    return errors


def validate(definition: Any) -> dict[str, Any]:
    """Check a definition; return it normalised, or raise ``ValidationFailed`` naming every bad field."""
    if not isinstance(definition, dict):
        raise ValidationFailed("Scheme not saved", [FieldError("definition", "must be an object")])
    data = normalised(definition)
    errors: list[FieldError] = []
    indicators = data.get("indicators")
    if not isinstance(indicators, list) or not indicators:
        errors.append(FieldError("indicators", "at least one indicator", code="required"))
        indicators = []
    seen: set[str] = set()
    total_weight = 0.0
    for i, item in enumerate(indicators):
        prefix = f"indicators[{i}]"
        code = item.get("code")
        spec = INDICATORS.get(code)
        if spec is None:
            errors.append(FieldError(f"{prefix}.code", f"unknown indicator {code!r}", code="choice"))
            continue
        if code in seen:
            errors.append(FieldError(f"{prefix}.code", f"{code} is listed twice", code="duplicate"))
        seen.add(code)
        weight = item.get("weight")
        if not _number(weight) or weight < 0:
            errors.append(FieldError(f"{prefix}.weight", "must be a number ≥ 0"))
        else:
            total_weight += float(weight)
        errors += _target_errors(f"{prefix}.target", item.get("target"), spec.kind)
        if item.get("adjust") and not spec.case_mix:
            errors.append(FieldError(f"{prefix}.adjust", f"{code} has no case-mix model"))
        if item.get("shrink") and (spec.kind != IndicatorKind.RATE or spec.exact):
            errors.append(FieldError(f"{prefix}.shrink", "only estimated rates are shrunk"))
        if not isinstance(item.get("min_sample"), int) or item["min_sample"] < 1:
            errors.append(FieldError(f"{prefix}.min_sample", "must be a whole number ≥ 1"))
        if item.get("applies") not in APPLIES:
            errors.append(FieldError(f"{prefix}.applies", f"must be one of {', '.join(APPLIES)}"))
    if indicators and total_weight <= 0:
        errors.append(FieldError("indicators", "the weights must add up to more than 0"))
    errors += _grade_errors(data.get("grades"))
    if data.get("quota_scope") not in QUOTA_SCOPES:
        errors.append(FieldError("quota_scope", f"must be one of {', '.join(QUOTA_SCOPES)}"))
    credit = data.get("front_line_credit")
    if not _number(credit) or not 0 <= credit <= 20:
        errors.append(FieldError("front_line_credit", "must be between 0 and 20 points"))
    case_mix = data.get("case_mix")
    if not isinstance(case_mix, list) or any(c not in CASE_MIX for c in case_mix):
        errors.append(FieldError("case_mix", f"a list drawn from {', '.join(CASE_MIX)}"))
    confidence = data.get("confidence")
    if not _number(confidence) or not 0.5 <= confidence < 1:
        errors.append(FieldError("confidence", "must be at least 0.5 and below 1"))
    for key, low, high in (("veteran_years", 0, 40), ("grace_days", 0, 90)):
        if not isinstance(data.get(key), int) or not low <= data[key] <= high:
            errors.append(FieldError(key, f"must be a whole number from {low} to {high}"))
    errors += _shortlist_errors(data.get("shortlist"))
    if errors:
        raise ValidationFailed("Scheme not saved", errors)
    return data


def _grade_errors(grades: Any) -> list[FieldError]:
    if not isinstance(grades, list) or not grades:
        return [FieldError("grades", "at least one grade", code="required")]
    errors = []
    order = [str(g) for g in GRADE_ORDER]
    previous_rank, previous_min = -1, 101.0
    for i, rule in enumerate(grades):
        prefix = f"grades[{i}]"
        grade = rule.get("grade") if isinstance(rule, dict) else None
        if grade not in order:
            errors.append(FieldError(f"{prefix}.grade", f"must be one of {', '.join(order)}", code="choice"))
            continue
        rank = order.index(grade)
        if rank <= previous_rank:
            errors.append(FieldError(f"{prefix}.grade", "grades are listed best first, each once"))
        previous_rank = rank
        minimum = rule.get("min_score")
        if not _number(minimum) or not 0 <= minimum <= 100:
            errors.append(FieldError(f"{prefix}.min_score", "must be between 0 and 100"))
        elif minimum > previous_min:
            errors.append(FieldError(f"{prefix}.min_score", "cannot be above the better grade's minimum"))
        else:
            previous_min = float(minimum)
        share = rule.get("max_share")
        if share is not None and (not _number(share) or not 0 < share <= 1):
            errors.append(FieldError(f"{prefix}.max_share", "must be above 0 and at most 1"))
    last = grades[-1] if isinstance(grades[-1], dict) else {}
    if last.get("min_score") not in (0, 0.0) or last.get("max_share") is not None:
        errors.append(
            FieldError(f"grades[{len(grades) - 1}]", "the last grade takes everyone: minimum 0, no quota")
        )
    return errors


def _shortlist_errors(rule: Any) -> list[FieldError]:
    if not isinstance(rule, dict):
        return [FieldError("shortlist", "must be an object")]
    errors = []
    grades = rule.get("grades")
    if (
        not isinstance(grades, list)
        or not grades
        or any(g not in [str(x) for x in GRADE_ORDER] for g in grades)
    ):
        errors.append(FieldError("shortlist.grades", "a list of grades"))
    if not _number(rule.get("min_years")) or rule["min_years"] < 0:
        errors.append(FieldError("shortlist.min_years", "must be a number ≥ 0"))
    if not _number(rule.get("share")) or not 0 < rule["share"] <= 1:
        errors.append(FieldError("shortlist.share", "must be above 0 and at most 1"))
    if not isinstance(rule.get("max"), int) or rule["max"] < 1:
        errors.append(FieldError("shortlist.max", "must be a whole number ≥ 1"))
    return errors


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def definition_sha256(definition: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(definition).encode()).hexdigest()
