"""Formatting for the evaluation pages (every rank with its interval, every rate with its sample)."""

from __future__ import annotations

from typing import Any

from django import template

from .. import presentation

register = template.Library()


@register.filter
def pct(value: Any, digits: int = 1) -> str:
    return presentation.percent(value, int(digits))


@register.filter
def num(value: Any, digits: int = 1) -> str:
    return presentation.number(value, int(digits))


@register.filter
def grade_label(code: str) -> str:
    return presentation.grade_label(code or "")


@register.filter
def peer_label(code: str) -> str:
    return presentation.peer_label(code)


@register.filter
def choice_label(value: str, kind: str) -> str:
    return presentation.choice_label(kind, value)


@register.filter
def choice_labels(values: list[str], kind: str) -> str:
    return "、".join(presentation.choice_label(kind, v) for v in values)


@register.filter
def reason(value: dict) -> str:
    return presentation.reason_text(value)


@register.simple_tag
def rank_text(rank: Any, best: Any, worst: Any, size: Any) -> str:
    return presentation.rank_text(rank, best, worst, size or 0)


@register.inclusion_tag("evaluation/_score.html")
def score_bar(score: float | None, low: float | None, high: float | None) -> dict[str, Any]:
    return {"score": score, "low": low, "high": high}
