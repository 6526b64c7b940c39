"""Routing at the window: the officer's pick from the suggestion panel, and the decision recorded at intake.

The intake page posts ``routing_category`` (a suggested category's id, or ``other``), ``routing_other``
(any category, when the officer chose another one) and ``routing_dispute_type`` (a suggested dispute type's
code). ``intake_choice`` reads them before registration, so the category takes part in choosing the deadline
policy; ``intake_record`` stores the suggestion for the final text and the decision once the request exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from grassroots.casework.models import Category, Kind, Request
from grassroots.common.scoping import Actor

from .models import Screen, Task
from .services import decision_record, suggestion_record
from .serving import suggest


@dataclass
class IntakeChoice:
    category: Category | None = None
    dispute_type: str = ""


def _category(value: Any) -> Category | None:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return Category.objects.filter(pk=pk, is_active=True).first()


def intake_choice(post: Any) -> IntakeChoice:
    picked = post.get("routing_category", "")
    category = _category(post.get("routing_other")) if picked == "other" else _category(picked)
    return IntakeChoice(category=category, dispute_type=(post.get("routing_dispute_type") or "").strip())


@transaction.atomic
def intake_record(*, actor: Actor, request: Request, choice: IntakeChoice) -> None:
    """Store the suggestions for the registered text and, when the officer chose, the decision."""
    result = suggest(Task.CATEGORY, title=request.title, body=request.description)
    suggestion = suggestion_record(request=request, result=result)
    if request.category_id and suggestion is not None:
        decision_record(
            actor=actor,
            request=request,
            task=Task.CATEGORY,
            chosen_label=request.category.code,
            chosen_category=request.category,
            screen=Screen.INTAKE,
            suggestion=suggestion,
        )
    if request.kind != Kind.DISPUTE:
        return
    disputes = suggest(Task.DISPUTE_TYPE, title=request.title, body=request.description)
    dispute_suggestion = suggestion_record(request=request, result=disputes)
    if request.dispute_type and dispute_suggestion is not None:
        decision_record(
            actor=actor,
            request=request,
            task=Task.DISPUTE_TYPE,
            chosen_label=request.dispute_type,
            screen=Screen.INTAKE,
            suggestion=dispute_suggestion,
        )
