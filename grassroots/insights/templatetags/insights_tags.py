from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get(mapping: Any, key: Any) -> Any:
    if isinstance(mapping, dict):
        return mapping.get(key, "")
    return getattr(mapping, str(key), "")


@register.filter
def percent(value: Any) -> str:
    return "—" if value is None or value == "" else f"{float(value) * 100:.1f}%"


@register.filter
def ratio(numerator: Any, denominator: Any) -> float | None:
    return numerator / denominator if denominator else None


@register.filter
def heat_level(value: int, top: int) -> int:
    """0–4: the cell's shade in the heat table, relative to the busiest place."""
    return min(4, int(4 * value / top + 0.5)) if top else 0


@register.filter
def signed_percent(value: Any) -> str:
    return "" if value is None else f"{float(value) * 100:+.0f}%"


@register.filter
def change(current: Any, previous: Any) -> str:
    """The change from ``previous`` to ``current`` as a signed percentage (empty without a previous)."""
    return signed_percent((current - previous) / previous) if previous else ""
