"""Small display helpers for the pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def care_tag_name(tag: Any) -> str:
    """A care tag's name in the page language (Chinese is the stored name; English when available)."""
    language = (get_language() or "").lower()
    if language.startswith("en") and getattr(tag, "name_en", ""):
        return tag.name_en
    return tag.name


@register.filter
def staffing_state(post: Any) -> str:
    """``under``, ``over`` or ``ok`` for a post annotated with ``staffed``."""
    staffed = getattr(post, "staffed", 0)
    if staffed < post.min_staff:
        return "under"
    if staffed > post.max_staff:
        return "over"
    return "ok"
