"""Small roster problems for tests, built directly from the dataclasses."""

from __future__ import annotations

from datetime import date

from grassroots.planning.roster.model import CoverRequirement, RosterProblem, ShiftRequest, ShiftType, Staff

MONDAY = date(2024, 1, 1)


def tiny_problem(
    *,
    horizon: int = 7,
    staff: tuple[Staff, ...] | None = None,
    shift_types: tuple[ShiftType, ...] | None = None,
    cover: tuple[CoverRequirement, ...] = (),
    requests: tuple[ShiftRequest, ...] = (),
) -> RosterProblem:
    shift_types = shift_types or (
        ShiftType("E", 480, frozenset()),
        ShiftType("L", 480, frozenset({"E"})),
    )
    staff = staff or (
        Staff(
            id="A",
            max_total_minutes=480 * 5,
            min_total_minutes=480 * 2,
            max_consecutive_shifts=3,
            min_consecutive_shifts=2,
            min_consecutive_days_off=2,
            max_weekends=1,
            max_shifts={"E": 7, "L": 2},
            days_off=frozenset({3}),
        ),
    )
    return RosterProblem(
        name="tiny",
        start_date=MONDAY,
        horizon_days=horizon,
        shift_types=shift_types,
        staff=staff,
        cover=cover,
        requests=requests,
    )
