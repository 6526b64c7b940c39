"""Display helpers of the casework pages."""

from __future__ import annotations

from typing import Any

from django import template

from ..forms import DEADLINE_LABELS, OUTCOME_LABELS
from ..models import Satisfaction
from ..workflow import Status

register = template.Library()

_STATUS_LABELS = dict(Status.choices)
_SATISFACTION_LABELS = dict(Satisfaction.choices)


@register.filter
def status_label(value: str) -> Any:
    return _STATUS_LABELS.get(value, value or "—")


@register.filter
def outcome_label(value: str) -> Any:
    return OUTCOME_LABELS.get(value, value)


@register.filter
def satisfaction_label(value: str) -> Any:
    return _SATISFACTION_LABELS.get(value, value)


@register.filter
def deadline_label(state: str) -> Any:
    return DEADLINE_LABELS.get(state, state)


@register.filter
def status_class(value: str) -> str:
    """A badge colour per stage: waiting, working, finished, stopped."""
    if value in (Status.REGISTERED, Status.ACCEPTED, Status.REOPENED):
        return "badge--warn"
    if value in (Status.ASSIGNED, Status.IN_PROGRESS):
        return "badge--accent"
    if value in (Status.RESOLVED, Status.FOLLOW_UP, Status.CLOSED):
        return "badge--ok"
    return ""


@register.filter
def dispute_type_name(code: str) -> str:
    """A dispute type's name in the page language (English name when English is active and set)."""
    from django.utils import translation

    from ..models import DisputeType

    found = DisputeType.objects.filter(code=code).values_list("name", "name_en").first()
    if found is None:
        return code
    name, name_en = found
    return name_en if name_en and (translation.get_language() or "").startswith("en") else name
