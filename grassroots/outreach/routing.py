"""The order of the day's visits: OR-Tools routing over the stops with coordinates (great-circle distances,
an open route starting at the first stop's village centre), the stops without coordinates grouped by
village after them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ROUTE_SECONDS = 1  # solver time limit: a day's stops are few


@dataclass
class Stop:
    item: Any
    village: str
    village_path: str
    latitude: float | None
    longitude: float | None
    leg_km: float | None = None


def _coordinates(item: Any) -> tuple[float | None, float | None]:
    target = item.target
    lat, lon = getattr(target, "latitude", None), getattr(target, "longitude", None)
    if lat is None or lon is None:
        return None, None
    return float(lat), float(lon)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def solve_order(points: Sequence[tuple[float, float]]) -> list[int]:
    """An open path through ``points`` (starting anywhere) of small total length, by OR-Tools routing with a
    dummy depot at distance zero from every point."""
    n = len(points)
    if n <= 2:
        return list(range(n))
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    size = n + 1  # node n: the dummy depot
    metres = [[0] * size for _ in range(size)]
    for i in range(n):
        for j in range(n):
            if i != j:
                metres[i][j] = int(haversine_km(points[i], points[j]) * 1000)
    manager = pywrapcp.RoutingIndexManager(size, 1, n)
    routing = pywrapcp.RoutingModel(manager)

    def distance(from_index: int, to_index: int) -> int:
        return metres[manager.IndexToNode(from_index)][manager.IndexToNode(to_index)]

    transit = routing.RegisterTransitCallback(distance)
    routing.SetArcCostEvaluatorOfAllVehicles(transit)
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    parameters.time_limit.seconds = ROUTE_SECONDS
    solution = routing.SolveWithParameters(parameters)
    if solution is None:
        return list(range(n))
    order, index = [], routing.Start(0)
    while not routing.IsEnd(index):
        node = manager.IndexToNode(index)
        if node != n:
            order.append(node)
        index = solution.Value(routing.NextVar(index))
    return order


def order_route(items: Sequence[Any]) -> tuple[list[Stop], str]:
    """``(stops, method)``: method is "ortools" when at least three stops have coordinates, "village" when
    the stops are only grouped by village, "none" when there is nothing to visit."""
    if not items:
        return [], "none"
    stops = []
    for item in items:
        lat, lon = _coordinates(item)
        region = item.liaison.region
        stops.append(Stop(item, region.name, region.path, lat, lon))
    located = [s for s in stops if s.latitude is not None]
    rest = sorted((s for s in stops if s.latitude is None), key=lambda s: (s.village_path, s.item.due))
    if len(located) < 3:
        everything = sorted(stops, key=lambda s: (s.village_path, s.item.due))
        return everything, "village"
    order = solve_order([(s.latitude, s.longitude) for s in located])
    route = [located[i] for i in order]
    for previous, stop in zip(route, route[1:], strict=False):
        stop.leg_km = round(
            haversine_km((previous.latitude, previous.longitude), (stop.latitude, stop.longitude)), 2
        )
    return route + rest, "ortools"


def route_length_km(stops: Sequence[Stop]) -> float:
    return round(sum(s.leg_km or 0 for s in stops), 2)
