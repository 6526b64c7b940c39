"""The day's route against the true optimum: on small random sets of stops the open path OR-Tools returns is
as short as the best of all orders (brute force over every permutation)."""

from __future__ import annotations

import itertools
import random

import pytest

from grassroots.outreach.routing import haversine_km, solve_order


def path_metres(points: list[tuple[float, float]], order: list[int] | tuple[int, ...]) -> int:
    # The solver's own arc costs: whole metres per leg.
    return sum(int(haversine_km(points[a], points[b]) * 1000) for a, b in itertools.pairwise(order))


def optimum_metres(points: list[tuple[float, float]]) -> int:
    # An open path and its reverse have the same length: fix the first stop below the last.
    return min(
        path_metres(points, order)
        for order in itertools.permutations(range(len(points)))
        if order[0] < order[-1]
    )


@pytest.mark.parametrize("seed", range(4))
def test_the_route_is_as_short_as_the_best_of_every_order(seed):
    rng = random.Random(seed)
    n = 6 + seed % 3  # 6–8 stops: 8! orders are still quick to try
    # Households scattered over a township of about 15 km × 15 km.
    points = [(34.7 + rng.random() * 0.13, 114.7 + rng.random() * 0.16) for _ in range(n)]
    order = solve_order(points)
    assert sorted(order) == list(range(n))  # every stop exactly once
    assert path_metres(points, order) == optimum_metres(points)


def test_two_stops_or_fewer_need_no_solver():
    assert solve_order([]) == []
    assert solve_order([(34.7, 114.7)]) == [0]
    assert solve_order([(34.7, 114.7), (34.8, 114.8)]) == [0, 1]
