"""Scoring on constructed inputs: front-line credit, quotas, the shortlist's mass-work-first order,
applicability, and that the same inputs give the same results."""

from __future__ import annotations

import copy

from grassroots.evaluation.definition import DEFAULT_DEFINITION, validate
from grassroots.evaluation.indicators import CELL_KEYS, CELL_MEASURES
from grassroots.evaluation.population import OFFICER_COLUMNS
from grassroots.evaluation.scoring import COUNT_COLUMNS, score_run


def _cell(officer: int, n: int, k: int, satisfied: int | None = None) -> list:
    values = dict.fromkeys(CELL_MEASURES, 0)
    for code in ("completion", "on_time", "reopen", "follow_up_valid", "satisfaction", "average_days"):
        values[f"{code}_n"] = n
    values.update(
        completion_k=n, on_time_k=k, follow_up_valid_k=n, satisfaction_k=k if satisfied is None else satisfied
    )
    values["average_days_k"] = 3.0 * n
    return [officer, "complaint", "hotline", "", "normal", *[values[m] for m in CELL_MEASURES]]


def _inputs(officers: list[list], cells: list[list], counts: list[list] | None = None, **definition) -> dict:
    spec = validate({**copy.deepcopy(DEFAULT_DEFINITION), **definition})
    return {
        "period": {"days": 92},
        "scheme": {"definition": spec},
        "officers": {"columns": list(OFFICER_COLUMNS), "rows": officers},
        "cells": {"columns": [*CELL_KEYS, *CELL_MEASURES], "rows": cells},
        "counts": {
            "columns": list(COUNT_COLUMNS),
            "rows": counts or [[o[0], 0, 0, 0, 0, 0, 0, 0] for o in officers],
        },
    }


def _officer(
    pk: int, front_days: int, years: float = 10.0, unit: int = 1, group: str = "tribunal/front"
) -> list:
    return [pk, unit, pk, group, 1.0, front_days, years, False]


def test_front_line_work_is_credited():
    inputs = _inputs(
        [_officer(1, 92), _officer(2, 0, group="department/office")],
        [_cell(1, 50, 45), _cell(2, 50, 45)],
    )
    scored = {r["officer"]: r for r in score_run(inputs).officers}
    assert scored[1]["front_line_credit"] == 5.0 and scored[2]["front_line_credit"] == 0.0
    assert scored[1]["score"] > scored[2]["score"]


def test_same_inputs_same_results():
    inputs = _inputs([_officer(i, 92 if i % 2 else 30) for i in range(1, 30)],
                     [_cell(i, 20 + i, 10 + i // 2) for i in range(1, 30)])  # fmt: skip
    assert score_run(inputs).sha256 == score_run(copy.deepcopy(inputs)).sha256


def test_quota_caps_the_best_grade_and_ranks_have_intervals():
    officers = [_officer(i, 92) for i in range(1, 21)]
    cells = [_cell(i, 200, 196) for i in range(1, 21)]  # twenty equally excellent officers
    scored = score_run(_inputs(officers, cells)).officers
    grades = [r["grade"] for r in scored]
    assert grades.count("excellent") == 3  # 15 % of 20
    for r in scored:
        assert r["rank_best"] <= r["rank"] <= r["rank_worst"]
    assert min(r["rank_worst"] for r in scored) > 1  # indistinguishable officers: no one is surely first


def test_too_little_record_is_not_graded():
    scored = {
        r["officer"]: r
        for r in score_run(_inputs([_officer(1, 92), _officer(2, 92)], [_cell(1, 3, 3)])).officers
    }
    assert not scored[2]["assessable"] and scored[2]["grade"] == "" and scored[2]["rank"] is None
    entry = next(e for e in scored[1]["breakdown"] if e["code"] == "on_time")
    assert not entry["applicable"]  # three requests: below the minimum sample of five


def test_shortlist_puts_mass_work_first():
    officers = [_officer(1, 92), _officer(2, 92), _officer(3, 92)]
    # Officer 1: fastest and most on time, but fewer satisfied residents; officer 2 the reverse.
    cells = [
        _cell(1, 100, 98, satisfied=75),
        _cell(2, 100, 80, satisfied=98),
        _cell(3, 100, 60, satisfied=60),
    ]
    shortlist = {
        "grades": ["excellent", "competent", "basic", "incompetent"],
        "min_years": 0,
        "share": 1.0,
        "max": 5,
    }
    scored = {r["officer"]: r for r in score_run(_inputs(officers, cells, shortlist=shortlist)).officers}
    assert scored[2]["mass_work_score"] > scored[1]["mass_work_score"]
    assert scored[2]["shortlist_rank"] < scored[1]["shortlist_rank"]
    reasons = scored[2]["shortlist_reasons"]
    assert reasons[0]["kind"] == "mass_work" and any(r.get("code") == "satisfaction" for r in reasons)
    assert reasons[-1]["kind"] == "score"
