from __future__ import annotations

from grassroots.planning.roster import checker as c
from grassroots.planning.roster.model import CoverRequirement, RosterSolution, ShiftRequest, ShiftType, Staff

from .factories import tiny_problem


def found(report: c.CheckReport) -> set[tuple[str, str, int | None]]:
    return {(v.rule, v.staff, v.day) for v in report.violations}


def plan(*rows: list[str | None], ids: str = "ABCDEFGH") -> RosterSolution:
    return RosterSolution.from_rows(list(ids[: len(rows)]), rows)


def loose(staff_id: str, **limits: object) -> Staff:
    return Staff(id=staff_id, max_total_minutes=10**6, **limits)  # type: ignore[arg-type]


def test_a_plan_that_keeps_every_rule_has_no_violation():
    report = c.check(tiny_problem(), plan(["E", "E", "E", None, None, "L", "L"]))
    assert report.violations == []
    assert report.feasible and report.objective == 0


def test_succession_and_short_stretches_are_named_with_their_day():
    report = c.check(tiny_problem(), plan(["E", "L", "E", None, "E", None, "L"]))
    assert found(report) == {
        (c.RULE_SUCCESSION, "A", 2),
        (c.RULE_MIN_DAYS_OFF, "A", 3),
        (c.RULE_MIN_CONSECUTIVE, "A", 4),
        (c.RULE_MIN_DAYS_OFF, "A", 5),
    }


def test_stretches_touching_the_horizon_edges_are_exempt_from_minimums():
    # A single shift on day 0 and a single day off on day 6 would break the minimums inside the horizon.
    report = c.check(tiny_problem(), plan(["E", None, None, None, "E", "E", None]))
    assert found(report) == set()


def test_fixed_day_off_and_max_consecutive():
    report = c.check(tiny_problem(), plan(["E", "E", "E", "E", None, None, None]))
    assert found(report) == {(c.RULE_DAY_OFF, "A", 3), (c.RULE_MAX_CONSECUTIVE, "A", 0)}


def test_max_shifts_of_a_type_names_the_day_it_is_exceeded():
    report = c.check(tiny_problem(), plan(["L", "L", "L", None, None, "E", "E"]))
    assert found(report) == {(c.RULE_MAX_SHIFTS, "A", 2)}


def test_total_minutes_both_ways():
    problem = tiny_problem(
        staff=(
            Staff(id="A", max_total_minutes=10**6, min_total_minutes=960),
            Staff(id="B", max_total_minutes=960),
        )
    )
    report = c.check(problem, plan([None] * 7, ["E", "E", "E", None, None, None, None]))
    assert found(report) == {(c.RULE_MIN_MINUTES, "A", None), (c.RULE_MAX_MINUTES, "B", 2)}


def test_weekends_are_saturday_and_sunday_and_count_once():
    problem = tiny_problem(horizon=14, staff=(loose("A", max_weekends=1),))
    ok = [None] * 14
    ok[5] = ok[6] = "E"  # both days of the first weekend: one weekend
    assert c.check(problem, plan(ok)).violations == []
    two = list(ok)
    two[13] = "E"  # Sunday of the second weekend
    assert found(c.check(problem, plan(two))) == {(c.RULE_MAX_WEEKENDS, "A", 12)}


def test_plan_shape_and_unknown_shift():
    problem = tiny_problem(staff=(loose("A"), loose("B")))
    report = c.check(
        problem, RosterSolution({"A": ["X", None, None, None, None, None, None], "Z": [None] * 7})
    )
    assert found(report) == {
        (c.RULE_UNKNOWN_SHIFT, "A", 0),
        (c.RULE_SHAPE, "B", None),
        (c.RULE_SHAPE, "Z", None),
    }


def test_objective_as_the_benchmark_defines_it():
    problem = tiny_problem(
        horizon=2,
        shift_types=(ShiftType("D", 480),),
        staff=(loose("A"), loose("B")),
        cover=(CoverRequirement(0, "D", 2, 100, 1), CoverRequirement(1, "D", 0, 100, 5)),
        requests=(ShiftRequest("A", 1, "D", 3, on=True), ShiftRequest("B", 0, "D", 2, on=False)),
    )
    first = c.check(problem, plan(["D", None], [None, "D"]))
    assert (first.under_cover, first.over_cover, first.on_requests, first.off_requests) == (100, 5, 3, 0)
    assert first.objective == 108 and first.feasible
    second = c.check(problem, plan(["D", "D"], ["D", None]))
    assert (second.under_cover, second.over_cover, second.on_requests, second.off_requests) == (0, 5, 0, 2)
    assert second.objective == 7


def test_verdict_text():
    report = c.check(tiny_problem(), plan(["E", "E", "E", "E", None, None, None]))
    assert report.verdict().startswith("2 hard-rule violation(s)")
    assert "fixed_day_off (A, day 3)" in {str(v).split(":")[0] for v in report.violations}
