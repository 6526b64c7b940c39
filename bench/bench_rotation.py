"""Rotation benchmark: the planner on generated courts of 500 / 2,000 / 5,000 officers against the greedy
baseline measured in the same run.

For each size (courts of about 250 officers each, eight quarters, the default rules of
``rotation/generate.py``): the wall time of the whole plan and per round (median and slowest round that was
proved optimal, and the share of rounds proved optimal), and, for the planner and the greedy baseline, the
independent checker's hard-rule violations, the soft penalty, the number of moves and the front-line spread
(the largest difference of front-line periods between two officers of one court, the worst court).

    python bench/bench_rotation.py [--sizes 500,2000,5000] [--periods 8] [--time-limit 400] [--workers 2]

``run(options)`` is the entry point for the benchmark runner (``sizes``, ``periods``, ``time_limit``,
``workers``, ``seed`` from ``options`` when present).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grassroots.planning.rotation.checker import check  # noqa: E402
from grassroots.planning.rotation.generate import generate, greedy_plan  # noqa: E402
from grassroots.planning.rotation.model import RotationPlan, RotationProblem  # noqa: E402
from grassroots.planning.rotation.solver import plan_rotation  # noqa: E402

OFFICERS_PER_COURT = 250
OFFICERS_PER_POST = 5


def front_line_spread(problem: RotationProblem, plan: RotationPlan) -> int:
    """The worst court's largest difference of front-line periods in the plan between two officers."""
    posts = problem.post_by_id
    by_pool: dict[str, list[int]] = {}
    for officer in problem.officers:
        served = sum(1 for p in plan.posts[officer.id] if p in posts and posts[p].front_line)
        by_pool.setdefault(officer.pool, []).append(served)
    return max((max(v) - min(v) for v in by_pool.values()), default=0)


def measure(size: int, *, periods: int, time_limit: float, workers: int, seed: int) -> dict[str, Any]:
    courts = max(1, size // OFFICERS_PER_COURT)
    problem = generate(
        officers=size, posts=max(courts, size // OFFICERS_PER_POST), periods=periods, pools=courts, seed=seed
    )
    started = time.perf_counter()
    greedy = greedy_plan(problem)
    greedy_seconds = time.perf_counter() - started
    greedy_report = check(problem, greedy)
    result = plan_rotation(problem, time_limit=time_limit, workers=workers)
    report = result.report
    rounds = result.rounds_stats
    optimal = [r.seconds for r in rounds if r.status == "OPTIMAL"]
    return {
        "size": size,
        "courts": courts,
        "posts": len(problem.posts),
        "status": result.status,
        "mode": result.mode,
        "seconds": result.wall_time,
        "rounds": len(rounds),
        # One period planned for every court (courts in parallel on the workers): the time to a round.
        "per_period": result.wall_time / periods if result.plan is not None else None,
        "optimal_rounds": len(optimal),
        "round_median": statistics.median(optimal) if optimal else None,
        "round_max": max(optimal) if optimal else None,
        "hard": len(report.hard_violations) if report else None,
        "penalty": report.penalty if report else None,
        "moves": report.moves if report else None,
        "spread": front_line_spread(problem, result.plan) if result.plan else None,
        "greedy_seconds": greedy_seconds,
        "greedy_hard": len(greedy_report.hard_violations),
        "greedy_penalty": greedy_report.penalty,
        "greedy_moves": greedy_report.moves,
        "greedy_spread": front_line_spread(problem, greedy),
    }


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def run(options: Any = None) -> list[dict[str, Any]]:
    sizes = [int(x) for x in str(getattr(options, "sizes", None) or "500,2000,5000").split(",") if x]
    periods = int(getattr(options, "periods", None) or 8)
    time_limit = float(getattr(options, "time_limit", None) or 400.0)
    workers = int(getattr(options, "workers", None) or 2)
    seed = int(getattr(options, "seed", None) or 0)
    echo = bool(getattr(options, "verbose", True))
    if echo:
        print(
            f"{'officers':>8}{'courts':>7}{'status':>10}{'wall s':>8}{'s/period':>9}{'opt rounds':>11}{'round med s':>12}"
            f"{'round max s':>12}{'hard':>6}{'moves':>7}{'spread':>7} | greedy: {'hard':>5}{'moves':>7}{'spread':>7}"
        )
    figures: list[dict[str, Any]] = []
    for size in sizes:
        m = measure(size, periods=periods, time_limit=time_limit, workers=workers, seed=seed)
        if echo:
            print(
                f"{size:>8}{m['courts']:>7}{m['status']:>10}{_fmt(m['seconds']):>8}{_fmt(m['per_period']):>9}"
                f"{m['optimal_rounds']:>5}/{m['rounds']:<5}{_fmt(m['round_median'], 2):>12}"
                f"{_fmt(m['round_max'], 2):>12}{_fmt(m['hard']):>6}{_fmt(m['moves']):>7}{_fmt(m['spread']):>7} |"
                f"         {m['greedy_hard']:>5}{m['greedy_moves']:>7}{m['greedy_spread']:>7}",
                flush=True,
            )
        notes = (
            f"{m['courts']} courts, {m['posts']} posts, {periods} quarters, {workers} workers, limit {time_limit:.0f}s; "
            f"status {m['status']} ({m['mode']}), {_fmt(m['per_period'])}s per period; rounds proved optimal {m['optimal_rounds']}/{m['rounds']}, "
            f"median {_fmt(m['round_median'], 2)}s, slowest {_fmt(m['round_max'], 2)}s; planner: hard "
            f"{m['hard']}, penalty {m['penalty']}, moves {m['moves']}, spread {m['spread']}; greedy "
            f"({m['greedy_seconds']:.2f}s): hard {m['greedy_hard']}, penalty {m['greedy_penalty']}, moves "
            f"{m['greedy_moves']}, spread {m['greedy_spread']}"
        )
        figures.append(
            {
                "name": f"rotation.plan_seconds.{size}",
                "value": round(m["seconds"], 2),
                "unit": "s",
                "reference_value": round(m["greedy_seconds"], 3),
                "ratio": round(m["seconds"] / m["greedy_seconds"], 1) if m["greedy_seconds"] else None,
                "notes": notes + " (reference: the greedy baseline's time)",
            }
        )
        figures.append(
            {
                "name": f"rotation.hard_violations.{size}",
                "value": m["hard"],
                "unit": "violations",
                "reference_value": m["greedy_hard"],
                "ratio": round(m["hard"] / m["greedy_hard"], 3)
                if m["greedy_hard"] and m["hard"] is not None
                else None,
                "notes": "hard-rule violations found by the checker; reference: the greedy baseline (lower is better)",
            }
        )
        figures.append(
            {
                "name": f"rotation.penalty.{size}",
                "value": m["penalty"],
                "unit": "points",
                "reference_value": m["greedy_penalty"],
                "ratio": round(m["penalty"] / m["greedy_penalty"], 3)
                if m["greedy_penalty"] and m["penalty"] is not None
                else None,
                "notes": "the checker's penalty (soft rules; hard ones as violations); reference: greedy",
            }
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500,2000,5000")
    parser.add_argument("--periods", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=400.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
