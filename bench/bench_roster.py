"""Duty roster benchmark: the engine on the Employee Shift Scheduling Benchmark (Curtois & Qu) instances.

For each instance: the objective reached within a fixed time limit, the published best-known objective
(``best_known.csv``), the gap, the time at which the final value was first reached, and the independent
checker's verdict. A deterministic generator also writes a larger instance in the same text format (a
year, many staff) to check that the reader, solver and checker hold beyond the shared files.

    python bench/bench_roster.py [--instances 1-12] [--time-limit 60] [--workers 2] [--no-generated]

``run(options)`` is the entry point for the benchmark runner; it reads ``instances``, ``time_limit``,
``workers``, ``seed``, ``generated`` (and ``generated_staff`` / ``generated_days``) from ``options`` when
present.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grassroots.planning.roster.checker import check  # noqa: E402
from grassroots.planning.roster.curtois import (  # noqa: E402
    DEFAULT_START_DATE,
    parse_curtois,
    read_curtois,
    write_curtois,
)
from grassroots.planning.roster.model import (  # noqa: E402
    CoverRequirement,
    RosterProblem,
    ShiftRequest,
    ShiftType,
    Staff,
)
from grassroots.planning.roster.solver import SolveResult, solve_roster  # noqa: E402

CURTOIS_DIR = ROOT.parent / "shared" / "data" / "rostering" / "curtois"


def parse_instances(spec: str) -> list[int]:
    """``"1-7,9,11-12"`` → [1, …, 7, 9, 11, 12]."""
    numbers: list[int] = []
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            continue
        first, _, last = part.partition("-")
        numbers += range(int(first), int(last or first) + 1)
    return numbers


def best_known(directory: Path = CURTOIS_DIR) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in (directory / "best_known.csv").read_text().splitlines()[1:]:
        if line.strip():
            name, value = line.split(",")
            values[name.strip()] = int(value)
    return values


# -- a deterministic generator of larger instances in the same format -----------------------------------


def generate_instance(staff_count: int = 80, days: int = 364, seed: int = 2024) -> str:
    """Text of a year-long (by default) instance in the benchmark format: three shift types (early, late,
    night; a late may not be followed by an early, a night by an early or a late), contracts of 5 shifts a
    week with minimum 75 % of the maximum minutes, a holiday block and scattered fixed days off per member,
    cover sized to what the staff can give (lighter at weekends) and on/off requests with weights 1–3."""
    rng = random.Random(seed)
    weeks = days / 7
    shifts = (
        ShiftType("E", 480, frozenset()),
        ShiftType("L", 480, frozenset({"E"})),
        ShiftType("N", 600, frozenset({"E", "L"})),
    )
    staff: list[Staff] = []
    for k in range(staff_count):
        max_minutes = int(weeks * 5 * 480)
        nights = 0 if k % 5 == 0 else int(weeks * 1.5)
        off = set()
        holiday = rng.randrange(days - 14)
        off.update(range(holiday, holiday + rng.choice((7, 10, 14))))
        off.update(rng.randrange(days) for _ in range(int(weeks / 4)))
        staff.append(
            Staff(
                id=f"P{k + 1:03d}",
                max_shifts={"E": days, "L": days, "N": nights},
                max_total_minutes=max_minutes,
                min_total_minutes=int(max_minutes * 0.75),
                max_consecutive_shifts=5,
                min_consecutive_shifts=2,
                min_consecutive_days_off=2,
                max_weekends=int(weeks * 0.6),
                days_off=frozenset(off),
            )
        )
    # What the staff can give on an average day, split over the shifts; weekends need less.
    per_day = staff_count * 5 / 7 * 0.8
    cover = []
    for day in range(days):
        weekend = day % 7 >= 5
        scale = 0.7 if weekend else 1.0
        for code, share in (("E", 0.45), ("L", 0.35), ("N", 0.2)):
            need = max(1, round(per_day * share * scale * rng.uniform(0.9, 1.1)))
            cover.append(CoverRequirement(day, code, need, 100, 1))
    requests = []
    for _ in range(staff_count * days // 20):
        member = rng.choice(staff)
        requests.append(
            ShiftRequest(
                member.id, rng.randrange(days), rng.choice("ELN"), rng.randint(1, 3), rng.random() < 0.4
            )
        )
    problem = RosterProblem(
        name=f"Generated{staff_count}x{days}",
        start_date=DEFAULT_START_DATE,
        horizon_days=days,
        shift_types=shifts,
        staff=tuple(staff),
        cover=tuple(cover),
        requests=tuple(requests),
    )
    return write_curtois(problem)


# -- running -------------------------------------------------------------------------------------------


def _solve_and_check(
    problem: RosterProblem, time_limit: float, workers: int, seed: int
) -> tuple[SolveResult, str]:
    result = solve_roster(problem, time_limit=time_limit, workers=workers, seed=seed)
    if result.solution is None:
        return result, f"no plan ({result.status})"
    report = check(problem, result.solution)
    verdict = report.verdict()
    if report.objective != result.objective:
        verdict += f"; solver said {result.objective}"
    return result, verdict


def run(options: Any = None) -> list[dict[str, Any]]:
    spec = getattr(options, "instances", None)
    instances = parse_instances("1-12" if spec is None else spec)
    time_limit = float(getattr(options, "time_limit", None) or 60.0)
    workers = int(getattr(options, "workers", None) or 2)
    seed = int(getattr(options, "seed", None) or 0)
    generated = getattr(options, "generated", True)
    echo = bool(getattr(options, "verbose", True))
    results: list[dict[str, Any]] = []
    if not CURTOIS_DIR.is_dir():
        print(f"bench_roster: skipped the benchmark instances, {CURTOIS_DIR} is absent", file=sys.stderr)
        instances = []
    known = best_known() if instances else {}
    if echo and instances:
        print(
            f"{'instance':<11}{'staff':>6}{'days':>5}{'objective':>10}{'best':>7}{'gap %':>8}{'to best s':>10}  checker"
        )
    for number in instances:
        name = f"Instance{number}"
        problem = read_curtois(CURTOIS_DIR / f"{name}.txt")
        result, verdict = _solve_and_check(problem, time_limit, workers, seed)
        reference = known.get(name)
        gap = result.gap_to(reference) if reference is not None else None
        if echo:
            print(
                f"{name:<11}{len(problem.staff):>6}{problem.horizon_days:>5}{result.objective!s:>10}"
                f"{reference!s:>7}{(f'{gap * 100:.2f}' if gap is not None else '-'):>8}"
                f"{(f'{result.time_to_best:.1f}' if result.time_to_best is not None else '-'):>10}  {verdict}",
                flush=True,
            )
        notes = (
            (
                f"{result.status}; gap {gap * 100:.2f}% to best known; "
                if gap is not None
                else f"{result.status}; "
            )
            + f"best reached at {result.time_to_best or 0:.1f}s of {time_limit:.0f}s on {workers} workers; checker: {verdict}"
        )
        results.append(
            {
                "name": f"roster.{name}.objective",
                "value": result.objective,
                "unit": "objective (lower is better)",
                "reference_value": reference,
                "ratio": (result.objective / reference)
                if reference and result.objective is not None
                else None,
                "notes": notes,
            }
        )
        results.append(
            {
                "name": f"roster.{name}.time_to_best",
                "value": round(result.time_to_best, 2) if result.time_to_best is not None else None,
                "unit": "s",
                "notes": f"time to reach the final objective {result.objective} (limit {time_limit:.0f}s)",
            }
        )
    if generated:
        staff_count = int(getattr(options, "generated_staff", None) or 60)
        days = int(getattr(options, "generated_days", None) or 182)
        started = time.perf_counter()
        text = generate_instance(staff_count, days)
        problem = parse_curtois(text, name=f"Generated{staff_count}x{days}")
        parsed = time.perf_counter() - started
        result, verdict = _solve_and_check(problem, time_limit, workers, seed)
        if echo:
            print(
                f"{problem.name}: parsed {len(text.splitlines())} lines in {parsed:.2f}s; {result.status}, "
                f"objective {result.objective}, bound {result.best_bound}, first plan at "
                f"{result.trace[0].seconds if result.trace else float('nan'):.1f}s, best at "
                f"{result.time_to_best or 0:.1f}s; checker: {verdict}",
                flush=True,
            )
        results.append(
            {
                "name": f"roster.{problem.name}.objective",
                "value": result.objective,
                "unit": "objective (lower is better)",
                "reference_value": round(result.best_bound) if result.best_bound is not None else None,
                "ratio": (result.objective / result.best_bound)
                if result.objective is not None and result.best_bound
                else None,
                "notes": f"generated instance ({staff_count} staff, {days} days); reference is the solver's own "
                f"lower bound; {result.status}; first plan at "
                f"{result.trace[0].seconds if result.trace else float('nan'):.1f}s; checker: {verdict}",
            }
        )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="1-12", help="e.g. 1-12 or 1-7,9")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-generated", dest="generated", action="store_false")
    parser.add_argument("--generated-staff", type=int, default=60)
    parser.add_argument("--generated-days", type=int, default=182)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
