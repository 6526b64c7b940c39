"""Planning a rotation: decomposition by pool, the whole horizon at once or round by round with a
look-ahead at the level of post types, warm-started from the current plan.

``solve_rotation`` returns a ``SolveResult`` whose plan (if any) has been judged by the independent checker;
``plan_rotation`` adds what HR needs when the rules cannot all hold: the conflict (``explain``) and the best
plan with every rule made soft, each violation listed.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from .checker import CheckReport, check
from .cpmodel import RotationModel
from .model import MOVE_CAP, RotationPlan, RotationProblem

# Hard rules made soft in soft mode weigh this many times their weight.
HARD_FACTOR = 100
# Above this many officer × post × period cells a pool is planned round by round.
SINGLE_MODEL_CELLS = 6_000

Progress = Callable[[float, str], None]
# CP-SAT parameters of a round's first stage. Measured on generated courts: with presolve the stays and
# types were reformulated into a model whose linear relaxation missed that a stay occupies its type (bound
# half the optimum, rounds unproved after minutes); without it the same rounds are proved in well under a
# second.
ROUND_PARAMETERS: dict = {"cp_model_presolve": False}
# A round is solved on one worker: measured on a 250-officer pool, one worker proved rounds in about a
# third of the time two took (the portfolio's second worker only competes for the core); independent pools
# are planned in parallel instead.


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
    rounds_stats: list = field(default_factory=list)  # one RoundStat per planned round and part

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

    Every rule holds within a pool (fairness is the spread inside each pool), except the move cap: it is
    shared out
    in proportion to the officers of each pool (the shares add up to the cap, so the whole plan keeps it).
    """
    pools = sorted({o.pool for o in problem.officers} | {q.pool for q in problem.posts})
    if len(pools) < 2 or "" in pools:
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


def run_model_proto(
    model: cp_model.CpModel,
    *,
    time_limit: float,
    workers: int,
    seed: int = 0,
    cancel: threading.Event | None = None,
    parameters: dict | None = None,
) -> tuple[str, cp_model.CpSolver]:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    for name, value in (parameters or {}).items():
        setattr(solver.parameters, name, value)
    if _cancelled(cancel):
        return "UNKNOWN", solver
    stopper = _Stopper(solver, cancel)
    try:
        status = solver.Solve(model)
    finally:
        stopper.close()
    return solver.StatusName(status), solver


def run_model(
    model: RotationModel,
    *,
    time_limit: float,
    workers: int,
    seed: int = 0,
    cancel: threading.Event | None = None,
    assumptions: list | None = None,
    parameters: dict | None = None,
) -> tuple[str, cp_model.CpSolver]:
    if assumptions is not None:
        model.m.ClearAssumptions()
        model.m.AddAssumptions(assumptions)
    return run_model_proto(
        model.m, time_limit=time_limit, workers=workers, seed=seed, cancel=cancel, parameters=parameters
    )


@dataclass
class RoundStat:
    """One planned round of one part: how it was solved and how long it took."""

    part: str
    period: int
    status: str  # OPTIMAL (proved for the round), FEASIBLE, INFEASIBLE, UNKNOWN
    seconds: float
    method: str  # "types" (two stages), "posts" (post-level model), "single" (whole horizon)
    officers: int

    def to_json(self) -> dict:
        return {
            "part": self.part,
            "period": self.period,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "method": self.method,
            "officers": self.officers,
        }


def _round_two_stage(
    part: RotationProblem,
    fixed: dict[str, list[str]],
    t0: int,
    lookahead: int,
    *,
    time_limit: float,
    workers: int,
    seed: int,
    hint: RotationPlan,
    cancel: threading.Event | None,
) -> tuple[str, dict[str, str] | None, str]:
    """Plan period ``t0``: stage 1 by post type, stage 2 by post; the post-level model if stage 2 fails."""
    from .rounds import OfficerState, RoundModel, place_incomers

    began = time.monotonic()
    states = {o.id: OfficerState.of(o, fixed[o.id]) for o in part.officers}
    model = RoundModel(part, states, t0, lookahead)
    model.minimise()
    model.add_hint(
        {o: posts[t0] for o, posts in hint.posts.items() if len(posts) > t0},
        {o: list(posts[t0 + 1 :]) for o, posts in hint.posts.items()},
    )
    status, solver = run_model(
        model, time_limit=time_limit, workers=1, seed=seed, cancel=cancel, parameters=ROUND_PARAMETERS
    )
    if status not in ("OPTIMAL", "FEASIBLE"):
        return status, None, "types"
    stays, keys = model.read(solver)
    estimate = round(solver.ObjectiveValue()) if model.terms else model.constant
    relaxed = model.relaxed_constant + sum(round(solver.Value(term)) for term in model.relaxed_terms)
    remaining = max(0.5, time_limit - (time.monotonic() - began))
    placed = place_incomers(part, model, stays, keys, time_limit=remaining, cancel=cancel)
    if placed is not None:
        chosen, cost, proved = placed
        realised = estimate - relaxed + cost
        bound = solver.BestObjectiveBound() if model.terms else model.constant
        optimal = status == "OPTIMAL" and proved and realised <= math.ceil(bound - 1e-6)
        return ("OPTIMAL" if optimal else "FEASIBLE"), chosen, "types"
    # The officers' own exclusions leave some post unstaffable: plan the round post by post.
    kept = {o: posts[:t0] for o, posts in fixed.items()}
    exact = RotationModel(part, start=t0, detail=1, lookahead=lookahead, fixed=kept)
    exact.minimise()
    exact.add_hint(hint)
    remaining = max(0.5, time_limit - (time.monotonic() - began))
    status, solver = run_model(exact, time_limit=remaining, workers=workers, seed=seed, cancel=cancel)
    if status not in ("OPTIMAL", "FEASIBLE"):
        return status, None, "posts"
    return status, {o: posts[0] for o, posts in exact.read(solver).items()}, "posts"


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
    stats: list[RoundStat],
) -> tuple[str, dict[str, list[str]] | None, int]:
    horizon = len(part.periods)
    cells = len(part.officers) * len(part.posts) * horizon
    single = mode == "single" or (mode == "auto" and cells <= SINGLE_MODEL_CELLS)
    if single:
        began = time.monotonic()
        model = RotationModel(part)
        model.minimise()
        model.add_hint(hint)
        status, solver = run_model(
            model, time_limit=deadline - time.monotonic(), workers=workers, seed=seed, cancel=cancel
        )
        stats.append(RoundStat(part.name, 0, status, time.monotonic() - began, "single", len(part.officers)))
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
    statuses = []
    while start < horizon:
        if _cancelled(cancel):
            return "UNKNOWN", None, rounds
        began = time.monotonic()
        remaining_rounds = max(1, -(-(horizon - start) // round_length))
        share = (deadline - time.monotonic()) / remaining_rounds
        first = max(0, start - round_length * ((1 << backtrack) - 1)) if backtrack else start
        if round_length == 1 and not backtrack:
            status, chosen, method = _round_two_stage(
                part,
                fixed,
                start,
                reach,
                time_limit=share,
                workers=workers,
                seed=seed,
                hint=hint,
                cancel=cancel,
            )
            planned = {o: [chosen[o]] for o in fixed} if chosen is not None else None
            kept = fixed
        else:
            detail = start + round_length - first
            kept = {o: posts[:first] for o, posts in fixed.items()}
            model = RotationModel(part, start=first, detail=detail, lookahead=reach, fixed=kept)
            model.minimise()
            model.add_hint(hint)
            status, solver = run_model(model, time_limit=share, workers=workers, seed=seed, cancel=cancel)
            planned = model.read(solver) if status in ("OPTIMAL", "FEASIBLE") else None
            method = "posts"
        rounds += 1
        stats.append(
            RoundStat(part.name, start, status, time.monotonic() - began, method, len(part.officers))
        )
        if planned is None:
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
        statuses.append(status)
        step(f"{part.name}: round {min(expected, start // round_length + 1)}/{expected} {status}")
        fixed = {o: list(kept[o]) + list(planned[o]) for o in fixed}
        start = min(horizon, len(next(iter(fixed.values()))) if fixed else horizon)
        backtrack, reach = 0, lookahead
    return "FEASIBLE", fixed, rounds


def solve_rotation(
    problem: RotationProblem,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    mode: str = "auto",
    round_length: int = 1,
    lookahead: int = 2,
    hint: RotationPlan | None = None,
    soft: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    seed: int = 0,
    decompose: bool = True,
) -> SolveResult:
    """Plan ``problem``. ``mode``: ``single`` (whole horizon in one model), ``rounds`` (``round_length``
    periods at a time, ``lookahead`` more at the level of post types) or ``auto`` (single when small).
    Independent pools are planned separately (``decompose``), in parallel on ``workers`` threads."""
    problem.validate()
    started = time.monotonic()
    deadline = started + time_limit
    effective = relax(problem) if soft else problem
    hint = hint or current_plan(problem)
    parts = components(effective) if decompose else [effective]
    horizon = len(problem.periods)
    total_steps = sum(
        1
        if mode == "single"
        or (mode == "auto" and len(p.officers) * len(p.posts) * horizon <= SINGLE_MODEL_CELLS)
        else -(-horizon // max(1, round_length))
        for p in parts
    )
    trace: list[tuple[float, str]] = []
    lock = threading.Lock()
    messages: queue.Queue[tuple[float, str]] = queue.Queue()
    done = 0

    def step(message: str) -> None:
        nonlocal done
        with lock:
            done += 1
            fraction = min(1.0, done / max(1, total_steps))
            trace.append((time.monotonic() - started, message))
        messages.put((fraction, message))

    def report() -> None:
        while progress is not None:
            try:
                fraction, message = messages.get_nowait()
            except queue.Empty:
                return
            progress(fraction, message)

    stats: list[RoundStat] = []
    model_objectives: list[int] = []
    threads = max(1, min(workers, len(parts)))
    per_part_workers = max(1, workers // threads)
    budget = time_limit * threads / len(parts)

    def solve(part: RotationProblem):
        part_deadline = min(deadline, time.monotonic() + budget)
        return _solve_part(
            part,
            deadline=part_deadline,
            workers=per_part_workers,
            seed=seed,
            hint=hint,
            mode=mode,
            round_length=max(1, round_length),
            lookahead=max(0, lookahead),
            cancel=cancel,
            step=step,
            model_objectives=model_objectives,
            stats=stats,
        )

    outcomes = []
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rotation-part") as pool:
        futures = [pool.submit(solve, part) for part in parts]
        for future in futures:
            while True:
                try:
                    outcomes.append(future.result(timeout=0.2))
                    break
                except FuturesTimeout:
                    report()
    report()
    statuses = [status for status, _posts, _n in outcomes]
    rounds = sum(n for _s, _p, n in outcomes)
    if (
        len(parts) > 1
        and "INFEASIBLE" in statuses
        and effective.rule(MOVE_CAP)
        and effective.rule(MOVE_CAP).hard
        and time.monotonic() < deadline - 1
        and not _cancelled(cancel)
    ):
        # The shares of the move cap may be what made a pool infeasible: plan the pools together.
        step("pools planned together (the move cap is shared)")
        report()
        again = solve_rotation(
            problem,
            time_limit=deadline - time.monotonic(),
            workers=workers,
            mode=mode,
            round_length=round_length,
            lookahead=lookahead,
            hint=hint,
            soft=soft,
            progress=progress,
            cancel=cancel,
            seed=seed,
            decompose=False,
        )
        again.wall_time = time.monotonic() - started
        again.trace = trace + again.trace
        again.rounds_stats = stats + again.rounds_stats
        return again
    plan: dict[str, list[str]] = {}
    for _status, posts, _n in outcomes:
        if posts is not None:
            plan.update(posts)
    cancelled = _cancelled(cancel)
    single = all(stat.method == "single" for stat in stats) and bool(stats)
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
        rounds_stats=stats,
    )
    if len(statuses) == len(parts) and all(s in ("OPTIMAL", "FEASIBLE") for s in statuses):
        result.plan = RotationPlan({o.id: tuple(plan[o.id]) for o in problem.officers})
        result.report = check(effective, result.plan)
        result.objective = result.report.penalty
        if single and len(parts) == 1 and model_objectives:
            result.model_objective = model_objectives[0]
        exact_parts = len(parts) == 1 or not effective.rule(MOVE_CAP)
        result.status = (
            "OPTIMAL" if single and exact_parts and all(s == "OPTIMAL" for s in statuses) else "FEASIBLE"
        )
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
    """Solve; when the hard rules cannot all hold (or no plan is found in half the time), name the rules in
    conflict and return the best plan with every rule soft, its violations (against the rules as set) in
    ``report``; ``status`` stays INFEASIBLE (or UNKNOWN) so that the plan is not taken for a valid one."""
    from .explain import explain

    started = time.monotonic()
    result = solve_rotation(
        problem, time_limit=time_limit / 2, workers=workers, progress=progress, cancel=cancel, **options
    )
    if result.has_plan or result.cancelled or result.status not in ("INFEASIBLE", "UNKNOWN"):
        return result
    explanation = None
    if result.status == "INFEASIBLE":
        if progress is not None:
            progress(0.0, "explaining the conflict")
        remaining = max(1.0, time_limit - (time.monotonic() - started))
        explanation = explain(problem, time_limit=remaining / 2, workers=workers, cancel=cancel)
    if progress is not None:
        progress(0.0, "best plan with every rule soft")
    remaining = max(1.0, time_limit - (time.monotonic() - started))
    soft = solve_rotation(
        problem,
        time_limit=remaining,
        workers=workers,
        soft=True,
        progress=progress,
        cancel=cancel,
        **options,
    )
    soft.explanation = explanation
    soft.status = result.status
    soft.wall_time = time.monotonic() - started
    soft.rounds_stats = result.rounds_stats + soft.rounds_stats
    if soft.plan is not None:
        soft.report = check(problem, soft.plan)  # violations judged against the rules as set
        soft.objective = check(relax(problem), soft.plan).penalty
    return soft
