"""Request routing benchmark: repeated stratified k-fold cross-validation on the two reference datasets.

For each dataset (the 7-department government message sample and the 20 dispute types) and every fold the
same run measures, on the same splits:

* the majority-class baseline (always the most frequent label of the training folds);
* the plain TF-IDF baselines: scikit-learn's default ``TfidfVectorizer`` (word analyzer, default token
  pattern, no sublinear tf) on jieba-segmented title + body, with default ``LogisticRegression`` and with
  default ``LinearSVC``; the better of the two by macro-F1 is the reference for the ratios;
* the project's model (``RoutingModel``: title/text words + character n-grams + title embedding, calibrated
  linear SVM): accuracy, macro-F1, top-3 accuracy, expected calibration error, with and without the default
  keyword rules, and without the embedding (TF-IDF features only);
* the classifier candidates on the project's TF-IDF features (first repeat only, to bound the run time;
  compare them with ``project_tfidf_only``, the chosen classifier on the same features);
* training time (median per fold) and ``suggest()`` latency per text (median, embedding cache cleared).

Run alone: ``python bench/bench_routing.py [--folds 5] [--repeats 3] [--no-candidates] [--dataset gov]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import RepeatedStratifiedKFold
from threadpoolctl import threadpool_limits

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from grassroots.routing import model as routing_model  # noqa: E402
from grassroots.routing.data import (  # noqa: E402
    LabelledText,
    load_english_sample,
    load_gov_messages,
    load_lawbench_disputes,
)
from grassroots.routing.evaluation import plain_text, plain_tfidf  # noqa: E402
from grassroots.routing.model import (  # noqa: E402
    CLASSIFIERS,
    RequestText,
    RoutingModel,
    expected_calibration_error,
)
from grassroots.routing.rules import DISPUTE_TYPE_RULES, GOV_DEPARTMENT_RULES, KeywordRules  # noqa: E402

DATASETS: dict[str, tuple[str, Callable[[], list[LabelledText]], KeywordRules]] = {
    "gov": ("government messages, 7 departments", load_gov_messages, GOV_DEPARTMENT_RULES),
    "disputes": ("legal consultations, 20 dispute types", load_lawbench_disputes, DISPUTE_TYPE_RULES),
    "english": (
        "English requests written for the project, 7 departments",
        load_english_sample,
        GOV_DEPARTMENT_RULES,
    ),
}


@dataclass
class Scores:
    accuracy: list[float] = field(default_factory=list)
    macro_f1: list[float] = field(default_factory=list)
    top3: list[float] = field(default_factory=list)
    ece: list[float] = field(default_factory=list)
    fit_seconds: list[float] = field(default_factory=list)

    def add(self, truth: Sequence[str], predicted: Sequence[str]) -> None:
        self.accuracy.append(float(accuracy_score(truth, predicted)))
        self.macro_f1.append(float(f1_score(truth, predicted, average="macro", zero_division=0)))


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    return float(np.mean(values)), float(np.std(values))


def evaluate_project(
    model: RoutingModel,
    train: list[LabelledText],
    test: list[LabelledText],
    scores: Scores,
    with_rules: Scores | None = None,
) -> None:
    texts = [RequestText(e.title, e.body) for e in train]
    started = time.perf_counter()
    model.fit(texts, [e.label for e in train])
    scores.fit_seconds.append(time.perf_counter() - started)
    test_texts = [RequestText(e.title, e.body) for e in test]
    truth = [e.label for e in test]
    suggestions = model.suggest_many(test_texts, 3, use_rules=False)
    scores.add(truth, [s[0].label for s in suggestions])
    scores.top3.append(
        float(np.mean([routing_model.top_k_hit(s, t) for s, t in zip(suggestions, truth, strict=True)]))
    )
    scores.ece.append(
        expected_calibration_error(
            [s[0].confidence for s in suggestions],
            [s[0].label == t for s, t in zip(suggestions, truth, strict=True)],
        )
    )
    if with_rules is not None:
        ruled = model.suggest_many(test_texts, 3, use_rules=True)
        with_rules.add(truth, [s[0].label for s in ruled])
        with_rules.top3.append(
            float(np.mean([routing_model.top_k_hit(s, t) for s, t in zip(ruled, truth, strict=True)]))
        )


def measure_latency(model: RoutingModel, examples: list[LabelledText], count: int = 60) -> float:
    """Median seconds of one ``suggest()`` call on texts whose embeddings are not cached."""
    routing_model._embedding_cache.clear()
    timings = []
    for example in examples[:count]:
        started = time.perf_counter()
        model.suggest(RequestText(example.title, example.body), 3)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def bench_dataset(key: str, folds: int, repeats: int, candidates: bool, seed: int) -> list[dict[str, Any]]:
    title, loader, rules = DATASETS[key]
    examples = loader()
    labels = np.array([e.label for e in examples], dtype=object)
    plain = np.array([plain_text(e) for e in examples], dtype=object)
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)

    majority, plain_lr, plain_svc = Scores(), Scores(), Scores()
    project, project_rules, tfidf_only = Scores(), Scores(), Scores()
    others: dict[str, Scores] = {name: Scores() for name in CLASSIFIERS if name != "calibrated_svc"}
    for fold, (train_index, test_index) in enumerate(splitter.split(plain, labels)):
        train = [examples[i] for i in train_index]
        test = [examples[i] for i in test_index]
        truth = labels[test_index]
        for scores, estimator in (
            (majority, DummyClassifier(strategy="most_frequent")),
            (plain_lr, plain_tfidf("logistic", seed)),
            (plain_svc, plain_tfidf("linearsvc", seed)),
        ):
            estimator.fit(plain[train_index], labels[train_index])
            scores.add(truth, estimator.predict(plain[test_index]))
        evaluate_project(RoutingModel(rules=rules, random_state=seed), train, test, project, project_rules)
        evaluate_project(RoutingModel(embeddings=False, random_state=seed), train, test, tfidf_only)
        if candidates and fold < folds:
            for name, scores in others.items():
                evaluate_project(
                    RoutingModel(classifier=name, embeddings=False, random_state=seed), train, test, scores
                )

    final = RoutingModel(rules=rules, random_state=seed)
    started = time.perf_counter()
    final.fit([RequestText(e.title, e.body) for e in examples], labels.tolist())
    full_fit = time.perf_counter() - started
    latency = measure_latency(final, examples)

    runs = f"{folds}-fold × {repeats} repeats ({len(project.accuracy)} folds), {len(examples)} texts"
    reference = max((plain_lr, plain_svc), key=lambda s: float(np.mean(s.macro_f1)))
    reference_name = "LogisticRegression" if reference is plain_lr else "LinearSVC"
    results: list[dict[str, Any]] = []

    def add(name: str, value: float, unit: str, notes: str, ref: float | None = None) -> None:
        row: dict[str, Any] = {
            "name": f"routing.{key}.{name}",
            "value": round(value, 4),
            "unit": unit,
            "notes": notes,
        }
        if ref is not None:
            row["reference_value"] = round(ref, 4)
            row["ratio"] = round(value / ref, 3) if ref else None
        results.append(row)

    for metric in ("accuracy", "macro_f1"):
        ref_mean, _ = mean_std(getattr(reference, metric))
        for label, scores, against in (
            ("majority", majority, None),
            ("plain_tfidf_logreg", plain_lr, None),
            ("plain_tfidf_linearsvc", plain_svc, None),
            ("project", project, ref_mean),
            ("project_with_rules", project_rules, ref_mean),
            ("project_tfidf_only", tfidf_only, ref_mean),
        ):
            mean, std = mean_std(getattr(scores, metric))
            notes = f"{title}; ± {std:.3f} (std over folds); {runs}"
            if against is not None:
                notes += f"; reference: plain TF-IDF + {reference_name}"
            add(f"{label}.{metric}", mean, metric, notes, against)
        if candidates:
            for name, scores in others.items():
                mean, std = mean_std(getattr(scores, metric))
                add(
                    f"candidate_{name}.{metric}",
                    mean,
                    metric,
                    f"{title}; ± {std:.3f}; TF-IDF features, first repeat only ({len(scores.accuracy)} folds)",
                    ref_mean,
                )
    for label, scores in (("majority", None), ("project", project), ("project_with_rules", project_rules)):
        if scores is None:
            continue
        mean, std = mean_std(scores.top3)
        add(f"{label}.top3_accuracy", mean, "top-3 accuracy", f"{title}; ± {std:.3f}; {runs}")
    mean, std = mean_std(project.ece)
    add(
        "project.calibration_error",
        mean,
        "ECE",
        f"{title}; expected calibration error of the top suggestion, ± {std:.3f}",
    )
    add(
        "project.fit_seconds",
        statistics.median(project.fit_seconds),
        "s",
        f"{title}; median training time per fold",
    )
    add("project.full_fit_seconds", full_fit, "s", f"{title}; training on all {len(examples)} texts")
    add(
        "project.suggest_latency",
        latency * 1000,
        "ms",
        f"{title}; median suggest() per text, embedding not cached",
    )
    return results


def bench_english_zero_shot(seed: int) -> list[dict[str, Any]]:
    """English text before any English history: the model trained on the Chinese messages (its multilingual
    title embedding is the only part that can carry over), the keyword rules alone (their English terms),
    and both together, on the English sample; next to the majority class of the sample."""
    chinese = load_gov_messages()
    english = load_english_sample()
    truth = [e.label for e in english]
    texts = [RequestText(e.title, e.body) for e in english]
    model = RoutingModel(rules=GOV_DEPARTMENT_RULES, random_state=seed)
    model.fit([RequestText(e.title, e.body) for e in chinese], [e.label for e in chinese])
    title = "English sample, trained on the Chinese gov messages only"
    results: list[dict[str, Any]] = []

    def add(name: str, predicted: Sequence[str], top3: float | None = None) -> None:
        for metric, value in (
            ("accuracy", float(accuracy_score(truth, predicted))),
            ("macro_f1", float(f1_score(truth, predicted, average="macro", zero_division=0))),
        ):
            results.append(
                {"name": f"routing.english_zero_shot.{name}.{metric}", "value": round(value, 4), "unit": metric,
                 "notes": f"{title}; {len(english)} texts"}
            )  # fmt: skip
        if top3 is not None:
            results.append(
                {"name": f"routing.english_zero_shot.{name}.top3_accuracy", "value": round(top3, 4),
                 "unit": "top-3 accuracy", "notes": title}
            )  # fmt: skip

    majority = max(set(truth), key=truth.count)
    add("majority", [majority] * len(truth))
    for name, use_rules in (("project", False), ("project_with_rules", True)):
        suggestions = model.suggest_many(texts, 3, use_rules=use_rules)
        hits = [routing_model.top_k_hit(s, t) for s, t in zip(suggestions, truth, strict=True)]
        add(name, [s[0].label for s in suggestions], float(np.mean(hits)))
    rules_only = []
    for text in texts:
        labels = list(dict.fromkeys(rule.label for rule in GOV_DEPARTMENT_RULES))
        outcome = GOV_DEPARTMENT_RULES.apply(text.full_text, {label: 1 / len(labels) for label in labels})
        rules_only.append(max(outcome.probabilities, key=outcome.probabilities.get) if outcome.fired else "")
    add("rules_only", rules_only)
    fired = sum(1 for label in rules_only if label)
    results.append(
        {"name": "routing.english_zero_shot.rules_only.coverage", "value": round(fired / len(texts), 4),
         "unit": "share", "notes": "share of the English texts on which at least one keyword rule fired"}
    )  # fmt: skip
    return results


def run(options: Any) -> list[dict[str, Any]]:
    folds = int(getattr(options, "folds", 5) or 5)
    repeats = int(getattr(options, "repeats", 3) or 3)
    candidates = bool(getattr(options, "candidates", True))
    seed = int(getattr(options, "seed", 0) or 0)
    wanted = getattr(options, "dataset", None) or list(DATASETS)
    if isinstance(wanted, str):
        wanted = [wanted]
    results: list[dict[str, Any]] = []
    with threadpool_limits(limits=1):
        for key in wanted:
            try:
                results.extend(bench_dataset(key, folds, repeats, candidates, seed))
            except FileNotFoundError as error:
                results.append(
                    {"name": f"routing.{key}", "value": None, "unit": "", "notes": f"skipped: {error}"}
                )
        if "english" in wanted:
            try:
                results.extend(bench_english_zero_shot(seed))
            except FileNotFoundError as error:
                results.append(
                    {
                        "name": "routing.english_zero_shot",
                        "value": None,
                        "unit": "",
                        "notes": f"skipped: {error}",
                    }
                )
    return results


def format_table(results: Sequence[dict[str, Any]]) -> str:
    lines = [f"{'benchmark':<52} {'value':>10} {'unit':<15} {'reference':>10} {'ratio':>7}  notes"]
    for row in results:
        value = "-" if row.get("value") is None else f"{row['value']:.4g}"
        ref = "" if row.get("reference_value") is None else f"{row['reference_value']:.4g}"
        ratio = "" if row.get("ratio") is None else f"{row['ratio']:.3f}"
        lines.append(
            f"{row['name']:<52} {value:>10} {row['unit']:<15} {ref:>10} {ratio:>7}  {row.get('notes', '')}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", choices=sorted(DATASETS), action="append")
    parser.add_argument("--no-candidates", dest="candidates", action="store_false")
    options = parser.parse_args(argv)
    print(format_table(run(options)))


if __name__ == "__main__":
    main()
