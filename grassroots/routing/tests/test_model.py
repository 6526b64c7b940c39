import math

import joblib
import numpy as np
import pytest

from grassroots.routing.model import RequestText, RoutingModel, Suggestion, expected_calibration_error
from grassroots.routing.rules import KeywordRule, KeywordRules

HELD_OUT = [
    (RequestText(title="包工头拖欠工资半年", body="我们在工地干活，包工头一直欠薪。"), "劳动和社会保障"),
    (RequestText(body="My employer owes me wages for two months"), "劳动和社会保障"),
    (RequestText(title="村口路灯坏了", body="晚上一片漆黑，道路坑洼。"), "城乡建设"),
    (RequestText(body="There is a pothole in the road and a broken streetlight"), "城乡建设"),
    (RequestText(title="广场舞噪音扰民", body="每天晚上噪音很大。"), "环境保护"),
    (RequestText(title="幼儿园乱收费", body="学校老师要求交补课费。"), "教育文体"),
]


@pytest.fixture(scope="module")
def model(history):
    texts, labels = history
    return RoutingModel(embeddings=False).fit(texts, labels)


def test_learns_the_history_and_routes_held_out_texts(model):
    predicted = model.predict([text for text, _ in HELD_OUT], use_rules=False)
    assert predicted == [label for _, label in HELD_OUT]
    assert set(model.labels) == {"劳动和社会保障", "城乡建设", "环境保护", "教育文体"}


def test_suggestions_are_k_sorted_probabilities(model):
    for text, label in HELD_OUT:
        suggestions = model.suggest(text, k=3)
        assert len(suggestions) == 3
        assert all(isinstance(s, Suggestion) and 0.0 <= s.confidence <= 1.0 for s in suggestions)
        confidences = [s.confidence for s in suggestions]
        assert confidences == sorted(confidences, reverse=True)
        assert sum(confidences) <= 1.0 + 1e-9
        assert suggestions[0].label == label
        assert len({s.label for s in suggestions}) == 3
    assert len(model.suggest("路灯坏了", k=10)) == 4
    with pytest.raises(ValueError):
        model.suggest("路灯坏了", k=0)


def test_probabilities_over_all_labels_sum_to_one(model):
    probabilities = model.predict_proba(["路灯坏了", "unpaid wages"])
    assert probabilities.shape == (2, 4)
    assert np.allclose(probabilities.sum(axis=1), 1.0)


def test_a_plain_string_is_a_body_whose_first_sentence_is_the_title(model):
    assert model.suggest("包工头拖欠工资半年。我们在工地干活")[0].label == "劳动和社会保障"


def test_boost_multiplies_the_odds_as_documented(model):
    text = "工地旁边的学校门口路面塌陷"
    base = dict(zip(model.labels, model.predict_proba([text])[0], strict=True))
    model.rules = KeywordRules([KeywordRule(label="教育文体", keywords=("学校",), weight=2.0)])
    try:
        boosted = {s.label: s for s in model.suggest(text, k=4)}
    finally:
        model.rules = KeywordRules()
    total = sum(p * (math.e**2 if label == "教育文体" else 1.0) for label, p in base.items())
    assert boosted["教育文体"].confidence == pytest.approx(base["教育文体"] * math.e**2 / total)
    assert boosted["城乡建设"].confidence == pytest.approx(base["城乡建设"] / total)
    assert boosted["教育文体"].rules and not boosted["城乡建设"].rules
    without = {s.label: s.confidence for s in model.suggest(text, k=4, use_rules=False)}
    assert without == pytest.approx(base)


def test_force_puts_the_label_first_and_keeps_the_rest_proportional():
    rules = KeywordRules(
        [
            KeywordRule(label="劳动和社会保障", keywords=("欠薪", "unpaid wages"), force=True, weight=1.0),
            KeywordRule(label="城乡建设", keywords=("路灯",), force=True, weight=0.5),
        ]
    )
    probabilities = {"劳动和社会保障": 0.1, "城乡建设": 0.6, "环境保护": 0.3}
    outcome = rules.apply("路灯下有人讨要欠薪", probabilities)
    assert outcome.forced == "劳动和社会保障"
    result = outcome.probabilities
    assert result["劳动和社会保障"] == pytest.approx(0.9)
    assert sum(result.values()) == pytest.approx(1.0)
    others = {label: value for label, value in result.items() if label != "劳动和社会保障"}
    assert others["城乡建设"] > others["环境保护"]


def test_rules_match_english_whole_words_and_full_width_text():
    rules = KeywordRules.from_dicts(
        [
            {"label": "税务", "keywords": ["tax"]},
            {"label": "环境保护", "keywords": ["KTV"], "weight": 1.5},
            {"label": "交通运输", "pattern": r"\bbus(es)?\b"},
        ]
    )
    assert [rule.label for rule in rules.matching("The taxi driver refused")] == []
    assert [rule.label for rule in rules.matching("property TAX is too high")] == ["税务"]
    assert [rule.label for rule in rules.matching("楼下ＫＴＶ唱到半夜")] == ["环境保护"]
    assert [rule.label for rule in rules.matching("No buses after 9pm")] == ["交通运输"]


def test_a_rule_can_suggest_a_label_the_model_has_never_seen(model):
    model.rules = KeywordRules([KeywordRule(label="卫生计生", keywords=("疫苗",), force=True)])
    try:
        suggestions = model.suggest("孩子打疫苗后发烧，学校不管", k=3)
    finally:
        model.rules = KeywordRules()
    assert suggestions[0].label == "卫生计生"
    assert suggestions[0].confidence == pytest.approx(0.9)
    assert sum(s.confidence for s in suggestions) <= 1.0 + 1e-9


def test_invalid_rules_are_rejected_with_their_number(tmp_path):
    with pytest.raises(ValueError, match="rule 2"):
        KeywordRules.from_dicts([{"label": "a", "keywords": ["x"]}, {"keywords": ["y"]}])
    with pytest.raises(ValueError, match="invalid pattern"):
        KeywordRule(label="a", pattern="(")
    with pytest.raises(ValueError, match="keywords or a pattern"):
        KeywordRule(label="a")
    path = tmp_path / "rules.json"
    path.write_text('{"label": "a"}', encoding="utf-8")
    with pytest.raises(ValueError, match="JSON list"):
        KeywordRules.from_json(path)


def test_rules_round_trip_through_json(tmp_path):
    import json

    rules = KeywordRules([KeywordRule(label="劳动和社会保障", keywords=("欠薪",), weight=2.0, name="wages")])
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules.to_dicts(), ensure_ascii=False), encoding="utf-8")
    loaded = KeywordRules.from_json(path)
    assert loaded.rules == rules.rules
    assert loaded.matching("老板欠薪")[0].name == "wages"


def test_save_and_load_give_identical_suggestions(model, tmp_path):
    model.rules = KeywordRules([KeywordRule(label="环境保护", keywords=("噪音",))])
    try:
        path = model.save(tmp_path / "routing" / "model.joblib")
        loaded = RoutingModel.load(path)
        for text, _ in HELD_OUT:
            assert loaded.suggest(text, k=3) == model.suggest(text, k=3)
    finally:
        model.rules = KeywordRules()
    assert loaded.labels == model.labels and loaded.training_size == model.training_size


def test_load_refuses_other_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_routing"):
        RoutingModel.load(tmp_path / "missing.joblib")
    joblib.dump({"format": 1, "sklearn": "0.0", "model": None}, tmp_path / "old.joblib")
    with pytest.raises(ValueError, match="train it again"):
        RoutingModel.load(tmp_path / "old.joblib")
    joblib.dump([1, 2], tmp_path / "other.joblib")
    with pytest.raises(ValueError, match="not a routing model"):
        RoutingModel.load(tmp_path / "other.joblib")


def test_fit_validates_its_input(history):
    texts, labels = history
    with pytest.raises(ValueError, match="single example"):
        RoutingModel(embeddings=False).fit([*texts, RequestText(body="新的")], [*labels, "民政"])
    with pytest.raises(ValueError, match="two different labels"):
        RoutingModel(embeddings=False).fit(["a", "b"], ["x", "x"])
    with pytest.raises(RuntimeError, match="not trained"):
        RoutingModel(embeddings=False).suggest("路灯坏了")
    with pytest.raises(ValueError, match="non-negative"):
        RoutingModel(classifier="complement_nb")


def test_sample_weights_are_used(history):
    texts, labels = history
    weights = [5.0 if label == "教育文体" else 1.0 for label in labels]
    weighted = RoutingModel(embeddings=False).fit(texts, labels, sample_weight=weights)
    assert weighted.predict(["幼儿园乱收费"]) == ["教育文体"]


def test_training_is_deterministic(history):
    texts, labels = history
    first = RoutingModel(embeddings=False).fit(texts, labels).predict_proba(["路灯坏了"])
    second = RoutingModel(embeddings=False).fit(texts, labels).predict_proba(["路灯坏了"])
    assert np.array_equal(first, second)


def test_the_embedding_features_work_offline(history):
    texts, labels = history
    small = [(t, label) for i, (t, label) in enumerate(zip(texts, labels, strict=True)) if i % 3 == 0]
    model = RoutingModel().fit([t for t, _ in small], [label for _, label in small])
    suggestions = model.suggest(RequestText(title="广场舞噪音扰民"), k=2)
    assert suggestions[0].label == "环境保护"


def test_calibration_error_of_perfect_and_overconfident_predictions():
    assert expected_calibration_error([1.0, 1.0], [True, True]) == pytest.approx(0.0)
    assert expected_calibration_error([0.9, 0.9], [False, False]) == pytest.approx(0.9)
    assert math.isnan(expected_calibration_error([], []))
