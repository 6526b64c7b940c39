"""Planning a rotation: decomposition by pool, the whole horizon at once or round by round with a
look-ahead at the level of post types, warm-started from the current plan.

``solve_rotation`` returns a ``SolveResult`` whose plan (if any) has been judged by the independent checker;
``plan_rotation`` adds what HR needs when the rules cannot all hold: the conflict (``explain``) and the best
plan with every rule made soft, each violation listed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from .checker import CheckReport, check
from .cpmodel import RotationModel
from .model import FAIRNESS, MOVE_CAP, RotationPlan, RotationProblem

# Hard rules made soft in soft mode weigh this many times their weight.
HARD_FACTOR = 100
# Above this many officer × post × period cells a pool is planned round by round.
SINGLE_MODEL_CELLS = 40_000

Progress = Callable[[float, str], None]


@dataclass
class SolveResult:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN
    plan: RotationPlan | None
    objective: int | None  # the checker's penalty of the plan
    report: CheckReport | None
    wall_time: float
    mode: str = "single"
    components: int = 1
    rounds: int = 1
    soft: bool = False
    cancelled: bool = False
    trace: list[tuple[float, str]] = field(default_factory=list)
    explanation: object | None = None
    model_objective: int | None = (
        None  # CP-SAT's own objective (single model, one pool): equals ``objective``
    )

    @property
    def has_plan(self) -> bool:
        return self.plan is not None


def relax(problem: RotationProblem, factor: int = HARD_FACTOR) -> RotationProblem:
    """Soft mode: every hard rule becomes soft, weighing ``factor`` times its weight (at least ``factor``)."""
    rules = tuple(
        replace(rule, hard=False, weight=max(1, rule.weight) * factor) if rule.hard else rule
        for rule in problem.rules
    )
    return replace(problem, rules=rules)


def current_plan(problem: RotationProblem) -> RotationPlan:
    """Everyone stays where they are (the warm start), or takes the first post open to them."""
    posts = problem.post_by_id
    plan = {}
    for officer in problem.officers:
        post = officer.current if officer.current in posts else None
        if post is None or not problem.eligible(officer, posts[post]):
            post = next((q.id for q in problem.posts if problem.eligible(officer, q)), None) or post
        plan[officer.id] = (post,) * len(problem.periods)
    return RotationPlan(plan)


def components(problem: RotationProblem) -> list[RotationProblem]:
    """Independent sub-problems, one per pool, when no hard rule couples the pools.

    A hard fairness rule couples every officer, so it keeps the problem whole. The move cap is shared out
    in proportion to the officers of each pool (the shares add up to the cap, so the whole plan keeps it).
    """
    pools = sorted({o.pool for o in problem.officers} | {q.pool for q in problem.posts})
    fairness = problem.rule(FAIRNESS)
    if len(pools) < 2 or "" in pools or (fairness and fairness.hard):
        return [problem]
    parts = []
    for pool in pools:
        officers = tuple(o for o in problem.officers if o.pool == pool)
        posts = tuple(q for q in problem.posts if q.pool == pool)
        if officers or posts:
            parts.append(replace(problem, officers=officers, posts=posts, name=f"{problem.name}/{pool}"))
    cap = problem.rule(MOVE_CAP)
    if cap:
        total = cap.param("per_period")
        n = max(1, len(problem.officers))
        shares = [total * len(part.officers) // n for part in parts]
        order = sorted(range(len(parts)), key=lambda i: -len(parts[i].officers))
        for i in order[: total - sum(shares)]:
            shares[i] += 1
        parts = [
            replace(
                part,
                rules=tuple(
                    replace(rule, params={**rule.params, "per_period": share})
                    if rule.family == MOVE_CAP
                    else rule
                    for rule in part.rules
                ),
            )
            for part, share in zip(parts, shares, strict=True)
        ]
    return parts


class _Stopper:
    """Stops a running solve when ``cancel`` is set (checked ten times a second)."""

    def __init__(self, solver: cp_model.CpSolver, cancel: threading.Event | None):
        self.solver, self.cancel = solver, cancel
        self.done = threading.Event()
        self.thread = None
        if cancel is not None:
            self.thread = threading.Thread(target=self._watch, name="rotation-watch", daemon=True)
            self.thread.start()

    def _watch(self) -> None:
        while not self.done.wait(0.1):
            if self.cancel.is_set():
                self.solver.stop_search()
                return

    def close(self) -> None:
        self.done.set()
        if self.thread is not None:
            self.thread.join()


def _cancelled(cancel: threading.Event | None) -> bool:
    return cancel is not None and cancel.is_set()


def run_model(
    model: RotationModel,
    *,
    time_limit: float,
    workers: int,
    seed: int = 0,
    cancel: threading.Event | None = None,
    assumptions: list | None = None,
) -> tuple[str, cp_model.CpSolver]:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if assumptions is not None:
        model.m.ClearAssumptions()
        model.m.AddAssumptions(assumptions)
    stopper = _Stopper(solver, cancel)
    try:
        status = solver.Solve(model.m)
    finally:
        stopper.close()
    return solver.StatusName(status), solver


def _solve_part(
    part: RotationProblem,
    *,
    deadline: float,
    workers: int,
    seed: int,
    hint: RotationPlan,
    mode: str,
    round_length: int,
    lookahead: int,
    cancel: threading.Event | None,
    step: Callable[[str], None],
    model_objectives: list[int],
) -> tuple[str, dict[str, list[str]] | None, int]:
    horizon = len(part.periods)
    cells = len(part.officers) * len(part.posts) * horizon
    single = mode == "single" or (mode == "auto" and cells <= SINGLE_MODEL_CELLS)
    if single:
        model = RotationModel(part)
        model.minimise()
        model.add_hint(hint)
        status, solver = run_model(
            model, time_limit=deadline - time.monotonic(), workers=workers, seed=seed, cancel=cancel
        )
        step(f"{part.name}: {status}")
        if status in ("OPTIMAL", "FEASIBLE"):
            model_objectives.append(round(solver.ObjectiveValue()) if model.terms else model.constant)
            return status, model.read(solver), 1
        return status, None, 1
    # Round by round; a round without a plan is planned again together with the rounds before it (twice
    # as many each time, back to the first period), since the look-ahead cannot see post-level rules.
    fixed: dict[str, list[str]] = {o.id: [] for o in part.officers}
    start, rounds, backtrack, reach = 0, 0, 0, lookahead
    expected = -(-horizon // round_length)
    while start < horizon:
        if cancel is not None and cancel.is_set():
            return "UNKNOWN", None, rounds
        first = max(0, start - round_length * ((1 << backtrack) - 1)) if backtrack else start
        detail = start + round_length - first
        kept = {o: posts[:first] for o, posts in fixed.items()}
        model = RotationModel(part, start=first, detail=detail, lookahead=reach, fixed=kept)
        model.minimise()
        model.add_hint(hint)
        remaining_rounds = max(1, -(-(horizon - start) // round_length))
        share = (deadline - time.monotonic()) / remaining_rounds
        status, solver = run_model(model, time_limit=share, workers=workers, seed=seed, cancel=cancel)
        rounds += 1
        if status not in ("OPTIMAL", "FEASIBLE"):
            if status == "UNKNOWN" and reach > 0 and time.monotonic() < deadline and not _cancelled(cancel):
                # no plan found in time: the same round again with a shorter look-ahead
                reach //= 2
                step(f"{part.name}: look-ahead shortened to {reach}")
                continue
            if status == "INFEASIBLE" and first > 0 and time.monotonic() < deadline:
                backtrack += 1
                again = max(0, start - round_length * ((1 << backtrack) - 1))
                step(f"{part.name}: periods {again + 1}–{start + round_length} re-planned together")
                continue
            step(f"{part.name}: round {rounds} {status}")
            return status, None, rounds
        step(f"{part.name}: round {min(expected, start // round_length + 1)}/{expected} {status}")
        fixed = kept
        for officer, posts in model.read(solver).items():
            fixed[officer].extend(posts)
        start = min(horizon, start + round_length)
        backtrack, reach = 0, lookahead
    return "FEASIBLE", fixed, rounds


def solve_rotation(
    problem: RotationProblem,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    mode: str = "auto",
    round_length: int = 1,
    lookahead: int = 4,
    hint: RotationPlan | None = None,
    soft: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    seed: int = 0,
) -> SolveResult:
    """Plan ``problem``. ``mode``: ``single`` (whole horizon in one model), ``rounds`` (``round_length``
    periods at a time, ``lookahead`` more at the level of post types) or ``auto`` (single when small)."""
    problem.validate()
    started = time.monotonic()
    deadline = started + time_limit
    effective = relax(problem) if soft else problem
    hint = hint or current_plan(problem)
    parts = components(effective)
    horizon = len(problem.periods)
    total_steps = sum(
        1
        if mode == "single"
        or (mode == "auto" and len(p.officers) * len(p.posts) * horizon <= SINGLE_MODEL_CELLS)
        else -(-horizon // round_length)
        for p in parts
    )
    trace: list[tuple[float, str]] = []
    done = 0

    def step(message: str) -> None:
        nonlocal done
        done += 1
        trace.append((time.monotonic() - started, message))
        if progress is not None:
            progress(min(1.0, done / max(1, total_steps)), message)

    plan: dict[str, list[str]] = {}
    statuses, rounds = [], 0
    model_objectives: list[int] = []
    for index, part in enumerate(parts):
        part_deadline = started + time_limit * (index + 1) / len(parts)
        status, posts, n = _solve_part(
            part,
            deadline=min(deadline, part_deadline),
            workers=workers,
            seed=seed,
            hint=hint,
            mode=mode,
            round_length=max(1, round_length),
            lookahead=max(0, lookahead),
            cancel=cancel,
            step=step,
            model_objectives=model_objectives,
        )
        statuses.append(status)
        rounds += n
        if posts is None:
            break
        plan.update(posts)
    cancelled = cancel is not None and cancel.is_set()
    single = rounds == len(parts)
    result = SolveResult(
        status="UNKNOWN",
        plan=None,
        objective=None,
        report=None,
        wall_time=0.0,
        mode="single" if single else "rounds",
        components=len(parts),
        rounds=rounds,
        soft=soft,
        cancelled=cancelled,
        trace=trace,
    )
    if len(statuses) == len(parts) and all(s in ("OPTIMAL", "FEASIBLE") for s in statuses):
        result.plan = RotationPlan({o.id: tuple(plan[o.id]) for o in problem.officers})
        result.report = check(effective, result.plan)
        result.objective = result.report.penalty
        if single and len(parts) == 1 and model_objectives:
            result.model_objective = model_objectives[0]
        result.status = "OPTIMAL" if all(s == "OPTIMAL" for s in statuses) and len(parts) == 1 else "FEASIBLE"
    elif "INFEASIBLE" in statuses or "MODEL_INVALID" in statuses:
        result.status = "INFEASIBLE"
    result.wall_time = time.monotonic() - started
    return result


def plan_rotation(
    problem: RotationProblem,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    **options,
) -> SolveResult:
    """Solve; when the hard rules cannot all hold, name the rules in conflict and return the best plan with
    every rule soft (its violations in ``report``). The time is split: half to the hard solve at most."""
    from .explain import explain

    started = time.monotonic()
    result = solve_rotation(
        problem, time_limit=time_limit, workers=workers, progress=progress, cancel=cancel, **options
    )
    if result.status != "INFEASIBLE" or result.cancelled:
        return result
    remaining = max(1.0, time_limit - (time.monotonic() - started))
    if progress is not None:
        progress(0.0, "explaining the conflict")
    explanation = explain(problem, time_limit=remaining / 2, workers=workers, cancel=cancel)
    if progress is not None:
        progress(0.0, "best plan with every rule soft")
    soft = solve_rotation(
        problem,
        time_limit=remaining / 2,
        workers=workers,
        soft=True,
        progress=progress,
        cancel=cancel,
        **options,
    )
    soft.explanation = explanation
    soft.status = "INFEASIBLE"
    soft.wall_time = time.monotonic() - started
    if soft.plan is not None:
        soft.report = check(problem, soft.plan)  # violations judged against the rules as set
        soft.objective = check(relax(problem), soft.plan).penalty
    return soft
