import io

import pytest
from django.core.management import CommandError, call_command

from grassroots.routing.models import ModelVersion

from .conftest import synthetic_history


@pytest.fixture
def history_csv(tmp_path):
    texts, labels = synthetic_history(per_label=8)
    lines = ["标题,内容,部门"] + [
        f"{t.title},{t.body},{label}" for t, label in zip(texts, labels, strict=True)
    ]
    lines.append("孤例,只有一条,民政")
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.django_db
def test_train_on_an_export_then_route_a_text(history_csv, tmp_path):
    out = tmp_path / "model.joblib"
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(
        "train_routing",
        "--source",
        str(history_csv),
        "--text-columns",
        "内容",
        "--title-column",
        "标题",
        "--label-column",
        "部门",
        "--no-embeddings",
        "--folds",
        "3",
        "--out",
        str(out),
        stdout=stdout,
        stderr=stderr,
    )
    report = stdout.getvalue()
    assert "majority class" in report and "plain TF-IDF + LinearSVC" in report and "routing model" in report
    assert "民政" in stderr.getvalue()
    assert out.is_file()
    version = ModelVersion.objects.get(is_active=True, task="category")
    assert version.file_path == str(out.resolve()) and version.example_count == 32
    assert (
        version.cross_validation["model"]["accuracy"][0] > version.cross_validation["majority"]["accuracy"][0]
    )
    stdout = io.StringIO()
    call_command("route_text", "工厂老板拖欠工资三个月", "--model", str(out), stdout=stdout)
    lines = stdout.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("1. 劳动和社会保障")


def test_commands_report_bad_input(tmp_path):
    with pytest.raises(CommandError, match="--text-columns and --label-column"):
        call_command("train_routing", "--source", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="train_routing"):
        call_command("route_text", "路灯坏了", "--model", str(tmp_path / "missing.joblib"))
