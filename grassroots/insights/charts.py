"""The data of the dashboard's charts, for Apache ECharts (``static/insights/dashboard.js`` builds the options).

Every chart point carries the drill-down address of the list behind it. The map needs no tiles: villages
are drawn at their own coordinates (``PlacePoint``: the mean of their households' coordinates) on plain
longitude/latitude axes, and each township's outline is the convex hull of its villages' points, a boundary
drawn from the data the platform holds. The numbers of every chart are also in the tables under it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def _hull(points: list[tuple[float, float]]) -> list[list[float]]:
    """The convex hull (monotone chain), as a closed ring of [lon, lat]; empty below three distinct points."""
    unique = sorted(set(points))
    if len(unique) < 3:
        return []

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in unique:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(unique):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    ring = lower[:-1] + upper[:-1]
    if len(ring) < 3:
        return []
    return [[round(x, 5), round(y, 5)] for x, y in [*ring, ring[0]]]


def village_points(heat: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One point per village with coordinates: its requests, open and overdue (its grids summed)."""
    villages: dict[int, dict[str, Any]] = {}
    for row in heat:
        if row.get("lat") is None or row.get("lon") is None:
            continue
        point = villages.setdefault(
            row["region_id"],
            {
                "key": row["region_id"],
                "name": row["village"],
                "township": row["township"],
                "township_id": row["township_id"],
                "lat": row["lat"],
                "lon": row["lon"],
                "total": 0,
                "open": 0,
                "overdue": 0,
            },
        )
        for code in ("total", "open", "overdue"):
            point[code] += row[code]
    return sorted(villages.values(), key=lambda p: -p["total"])


def township_outlines(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_township: dict[Any, list[dict[str, Any]]] = {}
    for point in points:
        by_township.setdefault(point["township_id"], []).append(point)
    outlines = []
    for key, members in by_township.items():
        ring = _hull([(p["lon"], p["lat"]) for p in members])
        if ring and key is not None:
            outlines.append({"key": key, "name": members[0]["township"], "ring": ring})
    return outlines


def dashboard_charts(data: dict[str, Any], *, drill_url: str) -> dict[str, Any]:
    """Everything the page's script draws, with the translated labels it needs."""
    points = village_points(data["heat"])
    return {
        "labels": {
            "requests": _("Requests"),
            "resolved": _("Resolved"),
            "overdue": _("Overdue"),
            "open": _("Open"),
            "longitude": _("Longitude"),
            "latitude": _("Latitude"),
            "click": _("Click to open the list"),
        },
        "daily": {
            "days": [row["name"] for row in data["daily"]],
            "total": [row["total"] for row in data["daily"]],
            "resolved": [row["resolved"] for row in data["daily"]],
            "url": f"{drill_url}&measure=total&dimension=day&key=",
        },
        "trend": {
            # A shorter first week is labelled with its length, so that its lower count is not read as a fall.
            "weeks": [
                f"{label} ({days}/7)" if data["trend"]["bins"] == "week" and days < 7 else label
                for label, days in zip(data["trend"]["weeks"], data["trend"]["days"], strict=True)
            ],
            "series": [
                {"name": s["name"], "key": "None" if s["key"] is None else s["key"], "data": s["data"]}
                for s in data["trend"]["series"][:8]
            ],
            "url": f"{drill_url}&measure=total&dimension=category_group&key=",
        },
        "map": {
            "points": points,
            "outlines": township_outlines(points),
            "url": f"{drill_url}&measure=total&dimension=region&key=",
        },
    }
