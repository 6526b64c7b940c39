"""Training examples from the organisation's own history: requests and the decisions taken on them.

The label of a request is its final category (or dispute type): the one it carries now, which is the last
officer's choice, so an override wins over the suggestion it replaced. Requests whose category was only
ever applied automatically (``route_pending``) and never confirmed by an officer are left out: the model
would otherwise learn from its own guesses. Requests an officer overrode count ``override_weight`` times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import OuterRef, Q, Subquery

from grassroots.casework.models import Category, Request

from .data import LabelledText
from .models import Outcome, RoutingDecision, Task


@dataclass(frozen=True)
class HistoryExamples:
    examples: list[LabelledText]
    weights: list[float]
    left_out_automatic: int


def _latest_outcome(task: str) -> Subquery:
    return Subquery(
        RoutingDecision.objects.filter(request=OuterRef("pk"), task=task)
        .order_by("-at", "-id")
        .values("outcome")[:1]
    )


def _ancestor_code(path: str, level: int | None) -> str:
    codes = [code for code in path.split("/") if code]
    if level is not None and len(codes) > level:
        codes = codes[:level]
    return codes[-1]


def history_examples(
    *,
    task: str = Task.CATEGORY,
    since: date | None = None,
    level: int | None = None,
    override_weight: float = 1.0,
) -> HistoryExamples:
    """Labelled texts (title + description) of the requests that have a final category / dispute type.

    ``level`` (1 = first level) trains on the category's ancestor at that depth instead of the category
    itself, for a catalogue too fine for the history there is."""
    qs = Request.objects.annotate(last_outcome=_latest_outcome(task))
    if task == Task.CATEGORY:
        qs = qs.filter(category__isnull=False).select_related("category")
    else:
        qs = qs.exclude(dispute_type="")
    if since is not None:
        qs = qs.filter(created_at__date__gte=since)
    automatic = qs.filter(last_outcome=Outcome.AUTOMATIC).count()
    qs = qs.filter(Q(last_outcome__isnull=True) | ~Q(last_outcome=Outcome.AUTOMATIC))
    examples, weights = [], []
    fields = ("id", "title", "description", "dispute_type", "category__path")
    for row in qs.order_by("created_at", "id").values(*fields, "last_outcome").iterator(chunk_size=2000):
        category_task = task == Task.CATEGORY
        label = _ancestor_code(row["category__path"], level) if category_task else row["dispute_type"]
        examples.append(
            LabelledText(title=row["title"], body=row["description"], label=label, source_id=str(row["id"]))
        )
        weights.append(override_weight if row["last_outcome"] == Outcome.OVERRIDDEN else 1.0)
    return HistoryExamples(examples, weights, automatic)


def category_names(codes: list[str]) -> dict[str, str]:
    return dict(Category.objects.filter(code__in=codes).values_list("code", "name"))
