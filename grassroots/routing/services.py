"""Routing writes: suggestions stored for requests, decisions recorded against them, model versions.

These run inside the casework services' transactions (intake, ``request_categorise``, ``route_pending``):
a decision is written with the change it describes, or not at all.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from grassroots.casework.models import Category, Request
from grassroots.common.audit import audit_record
from grassroots.common.errors import FieldError, ValidationFailed
from grassroots.common.scoping import Actor, as_actor

from .models import ModelVersion, Outcome, RoutingDecision, RoutingSuggestion, Task
from .serving import RoutingResult, suggest


def request_text(request: Request) -> tuple[str, str]:
    return request.title, request.description


def suggestion_record(*, request: Request, result: RoutingResult) -> RoutingSuggestion | None:
    """Store a suggestion made for ``request`` (nothing when there was nothing to suggest)."""
    if not result.labels:
        return None
    return RoutingSuggestion.objects.create(
        request=request,
        task=result.task,
        mode=result.mode,
        model_version=result.version,
        items=[label.as_item() for label in result.labels],
        top_confidence=result.top_confidence,
        created_at=timezone.now(),
    )


def suggestion_make(*, request: Request, task: str) -> RoutingSuggestion | None:
    """Suggest for a stored request from its title and description, and store the suggestion."""
    title, body = request_text(request)
    return suggestion_record(request=request, result=suggest(task, title=title, body=body))


def latest_suggestion(request: Request, task: str) -> RoutingSuggestion | None:
    return RoutingSuggestion.objects.filter(request=request, task=task).order_by("-created_at", "-id").first()


def decision_record(
    *,
    actor: Actor | Any,
    request: Request,
    task: str,
    chosen_label: str,
    chosen_category: Category | None = None,
    screen: str,
    automatic: bool = False,
    suggestion: RoutingSuggestion | None = None,
) -> RoutingDecision | None:
    """Record what was chosen against the latest suggestion for ``request`` (confirmed when it is the top
    label, overridden otherwise). Nothing is recorded when no suggestion was ever made."""
    actor = as_actor(actor)
    suggestion = suggestion or latest_suggestion(request, task)
    if suggestion is None or not suggestion.items:
        return None
    top = suggestion.items[0]
    rank = None
    for position, item in enumerate(suggestion.items, start=1):
        same_category = chosen_category is not None and item.get("category") == chosen_category.pk
        same_type = bool(item.get("dispute_type")) and item.get("dispute_type") == chosen_label
        if same_category or same_type or item["label"] == chosen_label:
            rank = position
            break
    outcome = Outcome.CONFIRMED if rank == 1 else Outcome.OVERRIDDEN
    if automatic:
        outcome = Outcome.AUTOMATIC
    decision = RoutingDecision.objects.create(
        request=request,
        task=task,
        suggestion=suggestion,
        outcome=outcome,
        suggested_label=top["label"],
        suggested_category_id=top.get("category"),
        suggested_confidence=top.get("confidence"),
        chosen_label=chosen_label,
        chosen_category=chosen_category,
        chosen_rank=rank,
        actor=actor.user if getattr(actor.user, "is_authenticated", False) else None,
        screen=screen,
        at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=f"routing.{outcome}",
        obj=request,
        data={
            "task": task,
            "suggested": top["label"],
            "chosen": chosen_label,
            "rank": rank,
            "screen": screen,
            "suggestion": suggestion.pk,
        },
    )
    return decision


def model_version_register(
    *,
    actor: Actor | Any,
    task: str,
    source: str,
    file_path: str,
    example_count: int,
    labels: list[str],
    embeddings: bool,
    cross_validation: dict[str, Any] | None = None,
    since: date | None = None,
) -> ModelVersion:
    """Register a trained model file as the active version of ``task`` (the previous one is kept, inactive)."""
    actor = as_actor(actor)
    if task not in Task.values:
        raise ValidationFailed(
            "Not registered", [FieldError("task", f"must be one of {', '.join(Task.values)}")]
        )
    if example_count < 2 or len(labels) < 2:
        raise ValidationFailed("Not registered", [FieldError("labels", "a model needs at least two labels")])
    with transaction.atomic():
        ModelVersion.objects.select_for_update().filter(task=task, is_active=True).update(is_active=False)
        version = ModelVersion.objects.create(
            task=task,
            trained_at=timezone.now(),
            trained_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
            source=source[:255],
            since=since,
            example_count=example_count,
            labels=list(labels),
            embeddings=embeddings,
            cross_validation=cross_validation or {},
            file_path=str(file_path),
            is_active=True,
        )
        audit_record(
            actor=actor,
            action="routing.model_register",
            obj=version,
            data={"task": task, "source": source, "examples": example_count, "file": str(file_path)},
        )
    return version
