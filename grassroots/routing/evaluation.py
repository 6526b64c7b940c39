"""Cross-validation of routing models against the majority-class and plain TF-IDF baselines.

Used by ``manage.py train_routing`` (figures printed before a model is saved) and by the tests; the
benchmark (``bench/bench_routing.py``) reports the same baselines with more detail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from grassroots.routing.data import LabelledText
from grassroots.routing.model import RequestText, RoutingModel, top_k_hit
from grassroots.routing.text import normalise, segmenter


def plain_text(example: LabelledText) -> str:
    """Title and body segmented by jieba and joined with spaces: the input of the plain TF-IDF baseline."""
    return " ".join(segmenter().lcut(normalise(f"{example.title} {example.body}")))


def plain_tfidf(classifier: str, random_state: int = 0) -> Pipeline:
    """The plain baseline: scikit-learn's default TfidfVectorizer and a default linear classifier."""
    if classifier == "logistic":
        return make_pipeline(TfidfVectorizer(), LogisticRegression())
    if classifier == "linearsvc":
        return make_pipeline(TfidfVectorizer(), LinearSVC(random_state=random_state))
    raise ValueError(f"unknown plain baseline {classifier!r}")


@dataclass
class MetricSeries:
    accuracy: list[float] = field(default_factory=list)
    macro_f1: list[float] = field(default_factory=list)
    top3: list[float] = field(default_factory=list)

    def add(self, truth: Sequence[str], predicted: Sequence[str]) -> None:
        self.accuracy.append(float(accuracy_score(truth, predicted)))
        self.macro_f1.append(float(f1_score(truth, predicted, average="macro", zero_division=0)))

    def summary(self, metric: str) -> tuple[float, float]:
        values = getattr(self, metric)
        return (float(np.mean(values)), float(np.std(values))) if values else (float("nan"), float("nan"))


@dataclass
class CrossValidation:
    folds: int
    repeats: int
    size: int
    majority: MetricSeries
    plain: MetricSeries
    project: MetricSeries

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(method, accuracy, macro-F1, top-3) formatted as mean ± std."""

        def cell(series: MetricSeries, metric: str) -> str:
            if not getattr(series, metric):
                return "-"
            mean, std = series.summary(metric)
            return f"{mean:.3f} ± {std:.3f}"

        return [
            (name, cell(series, "accuracy"), cell(series, "macro_f1"), cell(series, "top3"))
            for name, series in (
                ("majority class", self.majority),
                ("plain TF-IDF + LinearSVC", self.plain),
                ("routing model", self.project),
            )
        ]


def cross_validate(
    examples: Sequence[LabelledText],
    make_model: Callable[[], RoutingModel],
    *,
    folds: int = 5,
    repeats: int = 1,
    seed: int = 0,
    use_rules: bool = False,
) -> CrossValidation:
    """Repeated stratified k-fold cross-validation of a routing model and the two baselines on the same folds.

    ``folds`` is lowered to the size of the smallest label when that label has fewer examples.
    """
    labels = np.array([e.label for e in examples], dtype=object)
    _, counts = np.unique(labels, return_counts=True)
    folds = int(min(folds, counts.min()))
    if folds < 2:
        raise ValueError("cross-validation needs at least two examples of every label")
    plain = np.array([plain_text(e) for e in examples], dtype=object)
    majority, baseline, project = MetricSeries(), MetricSeries(), MetricSeries()
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    with threadpool_limits(limits=1):
        for train_index, test_index in splitter.split(plain, labels):
            truth = labels[test_index].tolist()
            for series, estimator in (
                (majority, DummyClassifier(strategy="most_frequent")),
                (baseline, plain_tfidf("linearsvc", seed)),
            ):
                estimator.fit(plain[train_index], labels[train_index])
                series.add(truth, estimator.predict(plain[test_index]).tolist())
            model = make_model()
            model.fit(
                [RequestText(examples[i].title, examples[i].body) for i in train_index],
                labels[train_index].tolist(),
            )
            suggestions = model.suggest_many(
                [RequestText(examples[i].title, examples[i].body) for i in test_index], 3, use_rules=use_rules
            )
            project.add(truth, [s[0].label for s in suggestions])
            project.top3.append(
                float(np.mean([top_k_hit(s, t) for s, t in zip(suggestions, truth, strict=True)]))
            )
    return CrossValidation(folds, repeats, len(examples), majority, baseline, project)
