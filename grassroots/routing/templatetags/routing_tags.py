"""Routing panels for casework pages: ``{% routing_request_panel item %}`` on the request page and
``{% routing_queue_hint item %}`` in the leader's assignment queue."""

from __future__ import annotations

from typing import Any

from django import template

from grassroots.casework.models import Kind
from grassroots.routing.presentation import (
    category_choices,
    dispute_type_choices,
    latest_category_suggestions,
    request_routing,
)

register = template.Library()


@register.inclusion_tag("routing/_request_panel.html", takes_context=True)
def routing_request_panel(context: template.Context, item: Any) -> dict[str, Any]:
    data = request_routing(item)
    suggested = {i.get("category") for i in data["category_items"]}
    data.update(
        other_checked=bool(item.category_id) and item.category_id not in suggested,
        item=item,
        request=context.get("request"),
        csrf_token=context.get("csrf_token"),
        categories=category_choices(),
        dispute_types=dispute_type_choices() if item.kind == Kind.DISPUTE else [],
    )
    return data


@register.inclusion_tag("routing/_queue_hint.html", takes_context=True)
def routing_queue_hint(context: template.Context, item: Any) -> dict[str, Any]:
    """The stored suggestions of a queue row. The first row loads those of every row on the page (the
    page's ``awaiting`` list), so the queue's query count does not grow with its rows."""
    cache = context.render_context.setdefault("routing_queue_hints", {})
    if item.pk not in cache:
        rows = [getattr(row, "pk", None) for row in context.get("awaiting") or []]
        cache.update(latest_category_suggestions({pk for pk in rows if pk} | {item.pk}))
    suggestion, items = cache.get(item.pk, (None, []))
    return {"item": item, "suggestion": suggestion, "items": items}


@register.inclusion_tag("routing/_intake_panel.html", takes_context=True)
def routing_intake_panel(context: template.Context) -> dict[str, Any]:
    """The suggestion panel of the intake form (its top three reload as the officer types)."""
    request = context.get("request")
    post = request.POST if request is not None and request.method == "POST" else {}
    return {
        "categories": category_choices(),
        "picked": post.get("routing_category", ""),
        "picked_other": post.get("routing_other", ""),
    }
