"""How results read on pages, report cards and exports: labels, formatted figures, intervals and reasons.
Every rate is shown with its sample and interval; a rank always with its interval."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .indicators import INDICATORS, IndicatorKind
from .models import Grade
from .population import peer_group_label

APPLIES_LABELS = {
    "all": _lazy("everyone"),
    "front_line": _lazy("officers with front-line time"),
    "has_duty": _lazy("officers with visit duties"),
    "veterans": _lazy("veterans"),
}
QUOTA_SCOPE_LABELS = {
    "run": _lazy("the whole run"),
    "peer_group": _lazy("each peer group"),
    "unit": _lazy("each unit"),
}
CASE_MIX_LABELS = {
    "kind": _lazy("request kind"),
    "channel": _lazy("intake channel"),
    "category": _lazy("category"),
    "urgency": _lazy("urgency"),
    "difficulty": _lazy("post difficulty"),
}
TARGET_TYPE_LABELS = {
    "higher": _lazy("higher is better"),
    "lower": _lazy("lower is better"),
    "range": _lazy("a reasonable range"),
}
LABELS = {"applies": APPLIES_LABELS, "quota_scope": QUOTA_SCOPE_LABELS, "case_mix": CASE_MIX_LABELS,
          "target_type": TARGET_TYPE_LABELS}  # fmt: skip


def choice_label(kind: str, value: str) -> str:
    return str(LABELS.get(kind, {}).get(value, value))


def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}" if value != int(value) else f"{int(value)}"


def figure(code: str, value: float | None) -> str:
    spec = INDICATORS[code]
    if spec.kind == IndicatorKind.RATE:
        return percent(value)
    if spec.kind == IndicatorKind.MEAN:
        return "—" if value is None else _("%(n)s days") % {"n": number(value)}
    return number(value, 0)


def interval(code: str, low: float | None, high: float | None) -> str:
    if low is None or high is None or INDICATORS[code].exact:
        return ""
    if INDICATORS[code].kind == IndicatorKind.RATE:
        return f"{low * 100:.1f}–{high * 100:.1f}%"
    return f"{number(low)}–{number(high)}"


def target_text(item: dict[str, Any]) -> str:
    code, target = item["code"], item["target"]
    fmt = (lambda v: percent(v, 0)) if INDICATORS[code].kind == IndicatorKind.RATE else (lambda v: number(v))
    if target["type"] == "higher":
        return _("full at %(goal)s, none at %(floor)s") % {
            "goal": fmt(target["goal"]),
            "floor": fmt(target["floor"]),
        }
    if target["type"] == "lower":
        return _("full at %(goal)s or less, none at %(ceiling)s") % {
            "goal": fmt(target["goal"]),
            "ceiling": fmt(target["ceiling"]),
        }
    return _("full within %(low)s–%(high)s, none below %(min)s or above %(max)s") % {
        "low": fmt(target["low"]),
        "high": fmt(target["high"]),
        "min": fmt(target["min"]),
        "max": fmt(target["max"]),
    }


def rank_text(rank: int | None, best: int | None, worst: int | None, size: int) -> str:
    if rank is None:
        return _("not ranked")
    if best == worst:
        return _("%(rank)s of %(size)s") % {"rank": rank, "size": size}
    return _("%(rank)s (%(best)s–%(worst)s) of %(size)s") % {
        "rank": rank,
        "best": best,
        "worst": worst,
        "size": size,
    }


def grade_label(code: str) -> str:
    return str(Grade(code).label) if code in Grade.values else _("not graded")


@dataclass
class Line:
    code: str
    label: str
    weight: float
    applicable: bool
    k: float | None
    n: float | None
    raw: str
    raw_interval: str
    expected: str
    oe: str
    value: str
    value_interval: str
    attainment: str
    points: str
    percentile: str
    target: str
    kind: str
    numerator_label: str
    denominator_label: str
    adjusted: bool
    shrunk: bool


def lines(breakdown: list[dict[str, Any]], definition: dict[str, Any]) -> list[Line]:
    items = {i["code"]: i for i in definition["indicators"]}
    out = []
    for e in breakdown:
        code = e["code"]
        spec = INDICATORS[code]
        out.append(
            Line(
                code=code,
                label=str(spec.label),
                weight=e["weight"],
                applicable=e["applicable"],
                k=e.get("k"),
                n=e.get("n"),
                raw=figure(code, e.get("raw")),
                raw_interval=interval(code, e.get("raw_low"), e.get("raw_high")),
                expected=number(e.get("expected")) if e.get("expected") is not None else "",
                oe=number(e.get("oe"), 2) if e.get("oe") is not None else "",
                value=figure(code, e.get("value")),
                value_interval=interval(code, e.get("low"), e.get("high")),
                attainment=percent(e.get("attainment"), 0) if e["applicable"] else "—",
                points=number(e.get("points")) if e.get("points") is not None else "—",
                percentile=number(e.get("percentile"), 0) if e.get("percentile") is not None else "—",
                target=target_text(items[code]) if code in items else "",
                kind=spec.kind,
                numerator_label=str(spec.numerator),
                denominator_label=str(spec.denominator),
                adjusted=e.get("adjusted") is not None,
                shrunk=e.get("shrunk") is not None,
            )
        )
    return out


def reason_text(reason: dict[str, Any]) -> str:
    kind = reason.get("kind")
    if kind == "mass_work":
        return _("Mass-work score %(score)s") % {"score": number(reason.get("score"))}
    if kind == "indicator":
        code = reason["code"]
        if INDICATORS[code].kind == IndicatorKind.COUNT:
            text = f"{INDICATORS[code].label} {figure(code, reason.get('value'))}"
            if reason.get("percentile") is not None:
                text += " · " + _("better than %(p)s%% of the peer group") % {
                    "p": number(reason["percentile"], 0)
                }
            return text
        text = _("%(label)s %(value)s (%(interval)s, n = %(n)s)") % {
            "label": INDICATORS[code].label,
            "value": figure(code, reason.get("value")),
            "interval": interval(code, reason.get("low"), reason.get("high")) or "—",
            "n": number(reason.get("n"), 0) if reason.get("n") else number(reason.get("k"), 0),
        }
        if reason.get("percentile") is not None:
            text += " · " + _("better than %(p)s%% of the peer group") % {
                "p": number(reason["percentile"], 0)
            }
        return text
    if kind == "front_line":
        if reason.get("share") is None:
            return _("Has served at the front line")
        return _("At the front line %(share)s of the period") % {"share": percent(reason.get("share"), 0)}
    if kind == "score":
        return _("Score %(score)s, %(grade)s") % {
            "score": number(reason.get("score")),
            "grade": grade_label(reason.get("grade", "")),
        }
    if kind == "front_line_experience":
        return _("Has served at the front line")
    if kind == "same_area":
        return _("Serves in the same area")
    if kind == "same_county":
        return _("Serves in the same county")
    if kind == "same_unit_kind":
        return _("Same kind of unit")
    if kind == "by_hand":
        return _("Chosen by hand")
    return str(kind)


def peer_label(code: str) -> str:
    return peer_group_label(code)
