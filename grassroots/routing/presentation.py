"""What the routing panels show: category choices with their paths, stored suggestions made readable."""

from __future__ import annotations

from typing import Any

from grassroots.casework.models import Category, Request
from grassroots.workforce.models import Unit

from .models import RoutingDecision, RoutingSuggestion, Task


def confidence_percent(value: float) -> int:
    return round(max(0.0, min(1.0, float(value))) * 100)


def category_choices() -> list[tuple[int, str]]:
    """Every active category as (id, "first / second / third"), in catalogue order."""
    rows = list(
        Category.objects.filter(is_active=True).order_by("path").values_list("id", "code", "name", "path")
    )
    names = {code: name for _, code, name, _ in rows}
    return [(pk, " / ".join(names.get(c, c) for c in path.split("/") if c)) for pk, _, _, path in rows]


def dispute_type_choices() -> list[tuple[str, str]]:
    from grassroots.casework.categories import dispute_type_choices as choices

    return choices()


def readable_items(
    suggestion: RoutingSuggestion | None, categories: dict | None = None, units: dict | None = None
) -> list[dict[str, Any]]:
    """A stored suggestion's items with their category and unit objects (still existing ones)."""
    if suggestion is None:
        return []
    items = [dict(item) for item in suggestion.items]
    if categories is None:
        categories = Category.objects.in_bulk([i["category"] for i in items if i.get("category")])
    if units is None:
        units = Unit.objects.in_bulk([i["unit"] for i in items if i.get("unit")])
    for item in items:
        item["category_obj"] = categories.get(item.get("category"))
        item["unit_obj"] = units.get(item.get("unit"))
        item["percent"] = confidence_percent(item.get("confidence", 0))
    return items


def latest_category_suggestions(request_ids: set[int]) -> dict[int, tuple[RoutingSuggestion, list]]:
    """The latest category suggestion of each request, made readable, in three queries."""
    latest: dict[int, RoutingSuggestion] = {}
    for suggestion in RoutingSuggestion.objects.filter(
        request_id__in=request_ids, task=Task.CATEGORY
    ).order_by("request_id", "-created_at", "-id"):
        latest.setdefault(suggestion.request_id, suggestion)
    every = [i for s in latest.values() for i in s.items]
    categories = Category.objects.in_bulk([i["category"] for i in every if i.get("category")])
    units = Unit.objects.in_bulk([i["unit"] for i in every if i.get("unit")])
    found = {pk: (s, readable_items(s, categories, units)) for pk, s in latest.items()}
    return {pk: found.get(pk, (None, [])) for pk in request_ids}


def request_routing(request: Request) -> dict[str, Any]:
    """The latest suggestions and decisions of a request, for its page."""
    suggestions = {
        task: RoutingSuggestion.objects.filter(request=request, task=task)
        .select_related("model_version")
        .order_by("-created_at", "-id")
        .first()
        for task in Task.values
    }
    decisions = list(
        RoutingDecision.objects.filter(request=request).select_related("actor").order_by("-at", "-id")[:10]
    )
    return {
        "category_suggestion": suggestions[Task.CATEGORY],
        "category_items": readable_items(suggestions[Task.CATEGORY]),
        "dispute_suggestion": suggestions[Task.DISPUTE_TYPE],
        "dispute_items": readable_items(suggestions[Task.DISPUTE_TYPE]),
        "decisions": decisions,
    }
