"""The rotation engine: every plan it returns passes the independent checker, soft penalties in the model
equal the checker's, and explanations name exactly the rules in conflict."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grassroots.common.errors import ValidationFailed
from grassroots.planning.rotation.checker import check
from grassroots.planning.rotation.explain import explain
from grassroots.planning.rotation.generate import generate, greedy_plan
from grassroots.planning.rotation.model import (
    ELIGIBILITY,
    FAIRNESS,
    FAMILIES,
    FRONT_LINE,
    MAX_TENURE,
    MIN_STAY,
    MOVE_CAP,
    MOVE_COST,
    NO_RETURN,
    PREFERENCES,
    RECRUIT,
    SOFT_ONLY,
    STAFFING,
    Officer,
    Post,
    RotationPlan,
    RotationProblem,
    Rule,
)
from grassroots.planning.rotation.solver import plan_rotation, solve_rotation

PARAMS = {
    RECRUIT: lambda d: {"periods": d(st.integers(0, 3))},
    FRONT_LINE: lambda d: {"k": d(st.integers(0, 2)), "window": d(st.integers(1, 4))},
    MIN_STAY: lambda d: {"periods": d(st.integers(1, 3))},
    MAX_TENURE: lambda d: {"periods": d(st.integers(1, 5))},
    MOVE_CAP: lambda d: {"per_period": d(st.integers(0, 3))},
    NO_RETURN: lambda d: {"periods": d(st.integers(1, 4))},
    FAIRNESS: lambda d: {"max_spread": d(st.integers(0, 2))},
}


@st.composite
def problems(draw: st.DrawFn) -> RotationProblem:
    types = [("tribunal", True, True), ("window", True, False), ("office", False, False)]
    posts = []
    for i in range(draw(st.integers(1, 4))):
        kind, front, grassroots = draw(st.sampled_from(types))
        low = draw(st.integers(0, 2))
        posts.append(
            Post(
                id=f"q{i}",
                type=kind,
                front_line=front,
                grassroots=grassroots,
                min_staff=low,
                max_staff=low + draw(st.integers(0, 3)),
                skills=frozenset(draw(st.sampled_from([(), ("mediation",)]))),
            )
        )
    ids = [q.id for q in posts]
    officers = []
    for i in range(draw(st.integers(1, 5))):
        length = draw(st.integers(0, 5))
        history = tuple(draw(st.lists(st.sampled_from([*ids, None]), min_size=length, max_size=length)))
        officers.append(
            Officer(
                id=f"o{i}",
                history=history,
                recruit_served=draw(st.none() | st.integers(0, 2)),
                skills=frozenset(draw(st.sampled_from([(), ("mediation",)]))),
                preferences=draw(st.dictionaries(st.sampled_from(ids), st.integers(1, 3), max_size=2)),
            )
        )
    rules = []
    for family in FAMILIES:
        if not draw(st.booleans()):
            continue
        hard = family not in SOFT_ONLY and draw(st.booleans())
        params = PARAMS[family](draw) if family in PARAMS else {}
        rules.append(Rule(family, hard=hard, weight=draw(st.integers(1, 5)), params=params))
    periods = draw(st.integers(1, 4))
    return RotationProblem(
        periods=tuple(f"P{t}" for t in range(periods)),
        officers=tuple(officers),
        posts=tuple(posts),
        rules=tuple(rules),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_single_model_plans_pass_the_checker_and_its_objective_is_the_checkers_penalty(problem):
    result = solve_rotation(problem, time_limit=5, workers=1, mode="single")
    assert result.status in {"OPTIMAL", "FEASIBLE", "INFEASIBLE"}
    if result.plan is None:
        assert result.status == "INFEASIBLE"
        return
    report = check(problem, result.plan)
    assert report.ok, report.hard_violations
    assert result.objective == report.penalty
    # Every soft rule is modelled exactly: CP-SAT's objective is the checker's penalty.
    assert result.model_objective == report.penalty


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_round_by_round_plans_pass_the_checker(problem):
    result = solve_rotation(problem, time_limit=10, workers=1, mode="rounds", lookahead=2)
    if result.plan is None:
        assert result.status in {"INFEASIBLE", "UNKNOWN"}
        # Rounds never call a problem infeasible that the whole-horizon model can plan.
        if result.status == "INFEASIBLE":
            assert solve_rotation(problem, time_limit=5, workers=1, mode="single").plan is None
        return
    report = check(problem, result.plan)
    assert report.ok, report.hard_violations
    assert result.objective == report.penalty


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_soft_mode_always_plans_and_lists_every_violation_of_the_rules_as_set(problem):
    result = plan_rotation(problem, time_limit=8, workers=1, mode="single")
    assert result.plan is not None
    assert result.report.violations == check(problem, result.plan).violations
    if result.status == "INFEASIBLE":
        assert result.report.hard_violations  # the hard rules cannot all hold: some are broken, and named
        assert result.explanation is not None


# -- crafted explanations ----------------------------------------------------------------------------------


def crafted(officers, posts, rules, periods=2):
    return RotationProblem(
        periods=tuple(f"P{t}" for t in range(periods)),
        officers=tuple(officers),
        posts=tuple(posts),
        rules=tuple(rules),
    )


def items(explanation):
    return {(item.family, item.subject) for item in explanation.items}


def assert_sound(explanation):
    assert explanation.confirmed and explanation.minimal
    assert explanation.witnesses and all(explanation.witnesses.values())


def test_a_recruit_with_no_room_at_a_grassroots_post_names_the_recruit_and_the_post():
    problem = crafted(
        [
            Officer("new", history=("office",), recruit_served=1),
            # two periods at the tribunal after one elsewhere: a minimum stay of 5 keeps them there
            Officer("old", history=("office", "tribunal", "tribunal")),
        ],
        [
            Post("tribunal", type="tribunal", front_line=True, grassroots=True, max_staff=1),
            Post("office", type="office", max_staff=2),
        ],
        [Rule(RECRUIT, params={"periods": 4}), Rule(STAFFING), Rule(MIN_STAY, params={"periods": 5})],
    )
    explanation = explain(problem, time_limit=20, workers=1)
    assert items(explanation) == {(RECRUIT, "new"), (STAFFING, "tribunal"), (MIN_STAY, "old")}
    assert explanation.periods == 1
    assert_sound(explanation)


def test_minimum_stay_longer_than_maximum_tenure_names_both_for_the_officer():
    problem = crafted(
        [Officer("a", history=("x", "y", "y")), Officer("b", history=("x",) * 3)],
        [Post("x", type="office", max_staff=3), Post("y", type="office", max_staff=3)],
        [Rule(MIN_STAY, params={"periods": 3}), Rule(MAX_TENURE, params={"periods": 2}), Rule(STAFFING)],
    )
    explanation = explain(problem, time_limit=20, workers=1)
    # "a" has held y for 2 periods: staying breaks the tenure of 2, leaving the stay of 3. "b" may move.
    assert items(explanation) == {(MIN_STAY, "a"), (MAX_TENURE, "a")}
    assert_sound(explanation)


def test_a_move_cap_of_zero_against_a_forced_move_names_the_cap_and_the_reason():
    problem = crafted(
        [Officer("a", history=("x",) * 4)],
        [Post("x", type="office", max_staff=1), Post("y", type="office", max_staff=1)],
        [Rule(MAX_TENURE, params={"periods": 4}), Rule(MOVE_CAP, params={"per_period": 0}), Rule(STAFFING)],
    )
    explanation = explain(problem, time_limit=20, workers=1)
    assert items(explanation) == {(MAX_TENURE, "a"), (MOVE_CAP, "period:0")}
    assert_sound(explanation)


def test_a_conflict_that_shows_only_later_names_the_periods_it_needs():
    # a's front-line window of 4 periods holds in P0 (the tribunal three periods ago) but needs the
    # tribunal in P0 or P1 for the window ending in P1; the tribunal has room for 1, and a recruit must
    # serve at a grassroots post, of which the tribunal is the only one.
    problem = crafted(
        [
            Officer("a", history=("tribunal", "office", "office")),
            Officer("keeper", history=("tribunal",), recruit_served=0),
        ],
        [
            Post("tribunal", type="tribunal", front_line=True, grassroots=True, max_staff=1),
            Post("office", type="office", max_staff=2),
        ],
        [
            Rule(FRONT_LINE, params={"k": 1, "window": 4}),
            Rule(STAFFING),
            Rule(RECRUIT, params={"periods": 4}),
        ],
        periods=4,
    )
    explanation = explain(problem, time_limit=20, workers=1)
    assert items(explanation) == {(FRONT_LINE, "a"), (STAFFING, "tribunal"), (RECRUIT, "keeper")}
    assert explanation.periods == 2
    assert_sound(explanation)


def test_feasible_rules_have_no_explanation():
    problem = generate(officers=12, posts=4, periods=3, seed=3)
    assert explain(problem, time_limit=20, workers=1) is None


def test_an_infeasible_rule_set_gives_the_conflict_and_the_best_plan_with_its_violations():
    problem = crafted(
        [Officer("a", history=("x",) * 4), Officer("b", history=("y",))],
        [Post("x", type="office", max_staff=2), Post("y", type="office", max_staff=2)],
        [
            Rule(MAX_TENURE, params={"periods": 4}),
            Rule(MOVE_CAP, params={"per_period": 0}),
            Rule(MOVE_COST, hard=False, weight=1),
        ],
    )
    result = plan_rotation(problem, time_limit=10, workers=1)
    assert result.status == "INFEASIBLE"
    assert items(result.explanation) == {(MAX_TENURE, "a"), (MOVE_CAP, "period:0")}
    assert result.plan is not None
    families = {v.family for v in result.report.hard_violations}
    assert families and families <= {MAX_TENURE, MOVE_CAP}


# -- rounds, pools, baseline --------------------------------------------------------------------------------


def test_a_generated_court_is_planned_round_by_round_in_pools_with_no_hard_violation():
    problem = generate(officers=60, posts=16, periods=4, pools=2, seed=5)
    result = solve_rotation(problem, time_limit=60, workers=2, mode="rounds")
    assert result.components == 2 and result.plan is not None
    report = check(problem, result.plan)
    assert report.ok and result.objective == report.penalty
    assert {stat.part for stat in result.rounds_stats} == {
        "generated-60x16x4/pool1",
        "generated-60x16x4/pool2",
    }
    # Each period of each pool ends planned (a round that found no plan was planned again with those before).
    planned = {
        (stat.part, stat.period) for stat in result.rounds_stats if stat.status in ("OPTIMAL", "FEASIBLE")
    }
    assert len({period for _part, period in planned}) == 4
    # Nobody changes pool.
    pools = {q.id: q.pool for q in problem.posts}
    for officer in problem.officers:
        assert {pools[p] for p in result.plan.posts[officer.id]} == {officer.pool}


def test_the_greedy_baseline_returns_a_whole_plan():
    problem = generate(officers=40, posts=10, periods=4, seed=2)
    plan = greedy_plan(problem)
    report = check(problem, plan)
    assert not any(v.family == "structure" for v in report.violations)
    assert set(plan.posts) == {o.id for o in problem.officers}


def test_warm_start_from_a_previous_plan_keeps_its_quality():
    problem = generate(officers=30, posts=8, periods=3, seed=4)
    first = solve_rotation(problem, time_limit=20, workers=1, mode="rounds")
    again = solve_rotation(problem, time_limit=20, workers=1, mode="rounds", hint=first.plan)
    assert again.plan is not None and check(problem, again.plan).ok


def test_cancellation_stops_the_solve():
    problem = generate(officers=200, posts=50, periods=8, seed=1)
    cancel = threading.Event()
    cancel.set()
    result = solve_rotation(problem, time_limit=60, workers=1, cancel=cancel)
    assert result.cancelled and result.plan is None and result.wall_time < 20


def test_the_checker_counts_moves_and_penalties_by_hand():
    problem = crafted(
        [Officer("a", history=("x", "x"), preferences={"y": 2})],
        [Post("x", type="office", max_staff=1), Post("y", type="office", max_staff=1)],
        [Rule(MOVE_COST, hard=False, weight=3), Rule(PREFERENCES, hard=False, weight=1)],
        periods=3,
    )
    report = check(problem, RotationPlan({"a": ("x", "y", "y")}))
    assert report.moves == 1
    assert report.by_family == {MOVE_COST: 3, PREFERENCES: 2}  # one move; one period not in the wished post
    assert report.penalty == 5


def test_the_checker_flags_plans_that_do_not_fit_the_problem():
    problem = crafted([Officer("a", history=("x",))], [Post("x", type="office")], [], periods=2)
    report = check(problem, RotationPlan({"a": ("x",)}))
    assert not report.ok and report.hard_violations[0].family == "structure"
    report = check(problem, RotationPlan({"a": ("x", "nowhere")}))
    assert not report.ok


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ((Rule(PREFERENCES, hard=True),), "can only be soft"),
        ((Rule(MIN_STAY), Rule(MIN_STAY)), "given twice"),
        ((Rule(MIN_STAY, params={"days": 3}),), "unknown parameter"),
        ((Rule(FRONT_LINE, params={"window": 0}),), "window must be at least 1"),
        ((Rule("telepathy"),), "unknown rule family"),
    ],
)
def test_invalid_rules_are_refused_naming_the_row(rules, message):
    problem = crafted([Officer("a", history=("x",))], [Post("x", type="office")], rules)
    with pytest.raises(ValidationFailed) as caught:
        problem.validate()
    assert any(message in error.message and error.row is not None for error in caught.value.errors)


def test_eligibility_keeps_officers_out_of_posts_they_are_not_qualified_for():
    problem = crafted(
        [
            Officer("a", history=("office",) * 3),
            Officer("b", history=("office",) * 3, skills=frozenset({"m"})),
        ],
        [
            Post("office", type="office", max_staff=2),
            Post("desk", type="desk", skills=frozenset({"m"}), max_staff=1),
        ],
        [Rule(ELIGIBILITY), Rule(MAX_TENURE, params={"periods": 3}), Rule(STAFFING)],
        periods=1,
    )
    result = solve_rotation(problem, time_limit=5, workers=1)
    # a must leave the office (tenure) but is qualified for no other post; b could move.
    assert result.status == "INFEASIBLE" and result.plan is None
    assert items(explain(problem, time_limit=10, workers=1)) == {(ELIGIBILITY, "a"), (MAX_TENURE, "a")}
