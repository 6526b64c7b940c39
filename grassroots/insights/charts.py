"""Charts drawn on the server as inline SVG: they need no script, print as they are and work offline.

Each function returns plain geometry (bars, polylines, points with their labels) for the templates to
draw; the numbers behind every chart are also in the tables under it."""

from __future__ import annotations

from typing import Any

WIDTH, HEIGHT, PAD = 640, 180, 28
PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2")


def bars(labels: list[str], values: list[int]) -> dict[str, Any]:
    top = max(values, default=0) or 1
    n = max(len(values), 1)
    step = (WIDTH - 2 * PAD) / n
    items = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = (HEIGHT - 2 * PAD) * value / top
        items.append(
            {
                "x": round(PAD + i * step + step * 0.1, 1),
                "y": round(HEIGHT - PAD - h, 1),
                "w": round(max(step * 0.8, 1), 1),
                "h": round(h, 1),
                "label": label,
                "value": value,
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "bars": items,
        "max": top,
        "first": labels[0] if labels else "",
        "last": labels[-1] if labels else "",
    }


def lines(axis: list[str], series: list[dict[str, Any]]) -> dict[str, Any]:
    top = max((v for s in series for v in s["data"]), default=0) or 1
    n = max(len(axis) - 1, 1)
    out = []
    for i, s in enumerate(series):
        points = " ".join(
            f"{PAD + j * (WIDTH - 2 * PAD) / n:.1f},{HEIGHT - PAD - (HEIGHT - 2 * PAD) * v / top:.1f}"
            for j, v in enumerate(s["data"])
        )
        out.append(
            {
                "name": s["name"],
                "points": points,
                "colour": PALETTE[i % len(PALETTE)],
                "total": sum(s["data"]),
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "series": out,
        "max": top,
        "first": axis[0] if axis else "",
        "last": axis[-1] if axis else "",
    }


def points(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A dot per village/grid with coordinates, sized by its requests (no map tiles: only the points)."""
    located = [r for r in rows if r.get("lat") is not None and r.get("lon") is not None]
    if not located:
        return None
    lats = [float(r["lat"]) for r in located]
    lons = [float(r["lon"]) for r in located]
    lat0, lat1, lon0, lon1 = min(lats), max(lats), min(lons), max(lons)
    span_lat, span_lon = (lat1 - lat0) or 0.01, (lon1 - lon0) or 0.01
    top = max(r["total"] for r in located) or 1
    dots = []
    for r, lat, lon in zip(located, lats, lons, strict=True):
        dots.append(
            {
                "x": round(PAD + (WIDTH - 2 * PAD) * (lon - lon0) / span_lon, 1),
                "y": round(HEIGHT * 2 - PAD - (HEIGHT * 2 - 2 * PAD) * (lat - lat0) / span_lat, 1),
                "r": round(3 + 12 * (r["total"] / top) ** 0.5, 1),
                "label": f"{r['township']} {r['village']} {r['grid']}".strip(),
                "total": r["total"],
                "overdue": r["overdue"],
            }
        )
    return {"width": WIDTH, "height": HEIGHT * 2, "dots": dots}
