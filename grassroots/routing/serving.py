"""Serving suggestions: the active model of each task, labels mapped to categories and responsible units.

Each process keeps the model it loaded. At most once every ``ROUTING_VERSION_CHECK_SECONDS`` (default 10)
it asks the database for the id of the active version (one indexed query, no file access); only when that
id changed is the new file loaded. So a model registered by ``train_routing`` is served without a restart,
and a busy server does not stat the model file on every keystroke.

Without a trained model (or when its file cannot be read) suggestions come from the keyword rules alone,
over the labels the rules know, and say so (``mode = "rules"``): they are never applied automatically.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache

from grassroots.casework.models import Category
from grassroots.workforce.models import Unit

from .model import RequestText, RoutingModel, Suggestion
from .models import Mode, ModelVersion, Task
from .rules import DISPUTE_TYPE_RULES, GOV_DEPARTMENT_RULES, KeywordRules

logger = logging.getLogger(__name__)
TOP_K = 3
CACHE_SECONDS = 600


@dataclass
class RoutedLabel:
    """One suggested label with what it maps to: a category (and its path) and the responsible unit."""

    label: str
    confidence: float
    rules: tuple[str, ...] = ()
    category: Category | None = None
    category_path: str = ""
    unit: Unit | None = None
    dispute_type: str = ""  # the configured dispute type's code, for the dispute-type task

    def as_item(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "rules": list(self.rules),
            "category": self.category.pk if self.category else None,
            "category_path": self.category_path,
            "unit": self.unit.pk if self.unit else None,
            "dispute_type": self.dispute_type,
        }


@dataclass
class RoutingResult:
    task: str
    mode: str
    version: ModelVersion | None
    labels: list[RoutedLabel] = field(default_factory=list)
    note: str = ""

    @property
    def top_confidence(self) -> float:
        return self.labels[0].confidence if self.labels else 0.0


@dataclass
class _Loaded:
    version_id: int | None = None
    version: ModelVersion | None = None
    model: RoutingModel | None = None
    error: str = ""
    checked_at: float = -1e9


_loaded: dict[str, _Loaded] = {}
_lock = threading.Lock()


def _check_interval() -> float:
    return float(getattr(settings, "ROUTING_VERSION_CHECK_SECONDS", 10))


def active_model(task: str) -> tuple[ModelVersion | None, RoutingModel | None, str]:
    """The active version of ``task`` and its loaded model; (None, None, reason) when there is none."""
    state = _loaded.setdefault(task, _Loaded())
    now = time.monotonic()
    if now - state.checked_at >= _check_interval():
        current = (
            ModelVersion.objects.filter(task=task, is_active=True)
            .order_by("-id")
            .values_list("id", flat=True)
        ).first()
        with _lock:
            if current != state.version_id:
                _load(state, current)
            state.checked_at = now
    return state.version, state.model, state.error


def _load(state: _Loaded, version_id: int | None) -> None:
    state.version_id, state.version, state.model, state.error = version_id, None, None, ""
    if version_id is None:
        state.error = "no trained model"
        return
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        state.error = "no trained model"
        return
    state.version = version
    try:
        state.model = RoutingModel.load(version.file_path)
    except (OSError, ValueError, EOFError) as error:
        logger.warning("routing model %s not loaded: %s", version_id, error)
        state.error = f"model file not readable: {error}"


def forget_loaded_models() -> None:
    """Drop what this process loaded (the next suggestion checks the database again)."""
    with _lock:
        _loaded.clear()


def fallback_rules(task: str) -> KeywordRules:
    """Rules used without a model: ``ROUTING_RULES[task]`` (a JSON file) or the built-in default set."""
    configured = getattr(settings, "ROUTING_RULES", {}).get(task)
    if configured:
        return KeywordRules.from_json(configured)
    return DISPUTE_TYPE_RULES if task == Task.DISPUTE_TYPE else GOV_DEPARTMENT_RULES


def _rules_only(rules: KeywordRules, text: RequestText, k: int) -> list[Suggestion]:
    labels = list(dict.fromkeys(rule.label for rule in rules))
    if not labels:
        return []
    outcome = rules.apply(text.full_text, {label: 1.0 / len(labels) for label in labels})
    if not outcome.fired:
        return []
    ranked = sorted(outcome.probabilities.items(), key=lambda pair: (-pair[1], pair[0]))[:k]
    return [Suggestion(label, value, outcome.fired.get(label, ())) for label, value in ranked if value > 0]


def _cache_key(task: str, version_id: int | None, text: RequestText, k: int) -> str:
    digest = hashlib.sha256(f"{text.title}\x00{text.body}".encode()).hexdigest()[:32]
    return f"routing:{task}:{version_id}:{k}:{digest}"


def suggest(task: str, *, title: str = "", body: str = "", k: int = TOP_K) -> RoutingResult:
    """The top ``k`` labels for a text, mapped to categories and units (dispute types stay labels)."""
    text = RequestText(title=title or "", body=body or "")
    version, model, problem = active_model(task)
    if not text.full_text.strip():
        return RoutingResult(task, Mode.MODEL if model else Mode.RULES, version if model else None, [], "")
    if model is not None:
        key = _cache_key(task, version.pk if version else None, text, k)
        raw = cache.get(key)
        if raw is None:
            raw = [(s.label, s.confidence, s.rules) for s in model.suggest(text, k)]
            cache.set(key, raw, CACHE_SECONDS)
        suggestions = [Suggestion(label, conf, tuple(rules)) for label, conf, rules in raw]
        result = RoutingResult(task, Mode.MODEL, version, note="")
    else:
        suggestions = _rules_only(fallback_rules(task), text, k)
        result = RoutingResult(task, Mode.RULES, None, note=problem or "no trained model")
    result.labels = map_labels(task, suggestions)
    return result


def map_labels(task: str, suggestions: list[Suggestion]) -> list[RoutedLabel]:
    routed = [RoutedLabel(s.label, s.confidence, tuple(s.rules)) for s in suggestions]
    if task == Task.DISPUTE_TYPE:
        from grassroots.casework.categories import dispute_type_resolve

        for item in routed:
            item.dispute_type = dispute_type_resolve(item.label) or ""
        return routed
    if not routed:
        return routed
    resolver = CategoryResolver()
    for item in routed:
        item.category = resolver.category_for(item.label)
        if item.category is not None:
            item.category_path = resolver.path_name(item.category)
            item.unit = resolver.unit_for(item.category)
    return routed


class CategoryResolver:
    """Labels → categories: by code (a model trained on this organisation's history), else by the name of
    a first-level category (the reference gov-messages model and the default rules), else by a name
    that only one active category has. The responsible unit is the ``default_unit`` of the category or of
    its nearest ancestor that has one."""

    def __init__(self) -> None:
        self._by_code: dict[str, Category | None] = {}

    def _code(self, code: str) -> Category | None:
        if code not in self._by_code:
            self._by_code[code] = (
                Category.objects.select_related("default_unit").filter(code=code).first() if code else None
            )
        return self._by_code[code]

    def category_for(self, label: str) -> Category | None:
        found = self._code(label)
        if found is not None and found.is_active:
            return found
        active = Category.objects.filter(is_active=True).select_related("default_unit")
        found = active.filter(parent__isnull=True, name=label).first()
        if found is None:
            named = list(active.filter(name=label)[:2])
            found = named[0] if len(named) == 1 else None
        if found is not None:
            self._by_code[found.code] = found
        return found

    def ancestors(self, category: Category) -> list[Category]:
        """The category's chain from the root down to itself."""
        return [c for c in (self._code(code) for code in category.path.split("/") if code) if c is not None]

    def path_name(self, category: Category) -> str:
        return " / ".join(c.name for c in self.ancestors(category)) or category.name

    def unit_for(self, category: Category) -> Unit | None:
        for node in reversed(self.ancestors(category) or [category]):
            if node.default_unit_id:
                return node.default_unit
        return None


def responsible_unit(category: Category) -> Unit | None:
    return CategoryResolver().unit_for(category)
