"""Hotspot topics: grouping, size, trend, places and examples; quality on the real labelled messages."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from grassroots.insights.hotspots import evaluate, hotspot_topics, purity


def _request(title, description, days_ago, place):
    created = datetime(2026, 6, 30, 12) - timedelta(days=days_ago)
    return SimpleNamespace(
        title=title, description=description, created_at=created, region=SimpleNamespace(name=place)
    )


def test_topics_have_size_trend_places_and_examples():
    requests = [
        _request("小区停车位被占", f"小区停车位长期被外来车辆占用，物业不管第{i}次", 20 - i, "东街村")
        for i in range(6)
    ]
    requests += [
        _request("拖欠工资", f"工地老板拖欠农民工工资三个月，讨薪无果{i}", 10 - i, "西村") for i in range(4)
    ]
    requests += [_request("路灯", "村口路灯坏了", 1, "南村")]
    found = hotspot_topics(requests, min_size=3)
    assert [t.size for t in found] == [6, 4]
    parking, wages = found
    assert parking.places == [("东街村", 6)] and wages.places == [("西村", 4)]
    assert len(parking.examples) == 3 and all(requests[i].title == "小区停车位被占" for i in parking.examples)
    assert parking.first_half + parking.second_half == 6
    assert any("停车" in term or "车位" in term for term in parking.terms)


def test_purity():
    assert purity(["a", "a", "b", "b"], [0, 0, 1, 1]) == 1.0
    assert purity(["a", "b", "a", "b"], [0, 0, 1, 1]) == 0.5


def test_quality_on_the_real_labelled_messages_beats_a_random_grouping():
    try:
        result = evaluate()
    except FileNotFoundError as exc:
        pytest.skip(f"shared routing data absent: {exc}")
    assert result["documents"] == 303 and result["labels"] == 7
    # Against a random grouping with the same topic sizes (so many small topics do not flatter the figures).
    assert result["purity"] > result["random_purity"] + 0.2
    assert result["nmi"] > result["random_nmi"] + 0.1
    assert result["ari"] > result["random_ari"]
