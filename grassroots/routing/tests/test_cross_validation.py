from grassroots.routing.data import load_gov_messages
from grassroots.routing.evaluation import cross_validate
from grassroots.routing.model import RoutingModel


def test_the_model_beats_the_majority_baseline_widely_on_real_messages(shared_routing_data):
    # TF-IDF features only, to keep the suite fast; bench/bench_routing.py measures the full model.
    result = cross_validate(load_gov_messages(), lambda: RoutingModel(embeddings=False), folds=3, repeats=1)
    project_accuracy, _ = result.project.summary("accuracy")
    project_f1, _ = result.project.summary("macro_f1")
    majority_accuracy, _ = result.majority.summary("accuracy")
    majority_f1, _ = result.majority.summary("macro_f1")
    plain_f1, _ = result.plain.summary("macro_f1")
    assert project_accuracy > majority_accuracy + 0.3
    assert project_f1 > majority_f1 + 0.4
    assert project_f1 > plain_f1
    assert result.project.summary("top3")[0] > project_accuracy
    assert len(result.rows()) == 3
