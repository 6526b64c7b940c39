"""The duty roster model on OR-Tools CP-SAT.

Variables: ``x[i, d, t]`` (member ``i`` works shift ``t`` on day ``d``), created only where the shift is
allowed (not on a fixed day off, not a type the contract caps at 0), and ``w[i, d]`` = member ``i`` works
on day ``d`` (``w = Σ_t x``, which also says "at most one shift a day").

Formulation choices that matter for speed:

* forbidden successions are one at-most-one per (member, day, shift): ``x[i,d,t] + Σ_{u ∈ F(t)} x[i,d+1,u]
  ≤ 1``, stronger than one clause per pair;
* minimum consecutive shifts ``m`` as 3-literal clauses "a stretch that starts on day d (worked d, off
  d−1) also works d+j" for j < m: ``w[d−1] ∨ ¬w[d] ∨ w[d+j]``. They imply every forbidden short-stretch
  pattern ``off, work^L, off`` (L < m) and propagate earlier. Stretches touching the first or last day are
  exempt (the benchmark assumes infinitely many shifts before and after the horizon);
* minimum consecutive days off symmetrically: ``¬w[d−1] ∨ w[d] ∨ ¬w[d+j]``;
* maximum consecutive shifts ``k`` as sliding windows ``Σ w[d..d+k] ≤ k``;
* cover: ``count + under − over = requirement`` with a boolean that lets only one of ``under``/``over`` be
  positive, so the objective CP-SAT reports is exactly the benchmark objective for every solution it
  finds (not only at the optimum), which the checker confirms.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from .model import RosterProblem, RosterSolution

Literal = cp_model.IntVar | bool


@dataclass(frozen=True)
class Improvement:
    """A better plan found ``seconds`` after the start, with the proven lower bound at that moment."""

    seconds: float
    objective: int
    bound: float


@dataclass
class SolveResult:
    status: str
    solution: RosterSolution | None
    objective: int | None
    best_bound: float | None
    wall_time: float
    trace: list[Improvement] = field(default_factory=list)
    cancelled: bool = False
    strategy: str = ""

    @property
    def has_solution(self) -> bool:
        return self.solution is not None

    @property
    def optimal(self) -> bool:
        return self.status == "OPTIMAL"

    @property
    def time_to_best(self) -> float | None:
        """Seconds from the start until the final objective value was first reached."""
        if self.objective is None or not self.trace:
            return None
        return next(step.seconds for step in self.trace if step.objective <= self.objective)

    def gap_to(self, reference: float) -> float | None:
        """Relative gap of the objective to a reference value (e.g. a published best known)."""
        if self.objective is None:
            return None
        return (self.objective - reference) / reference if reference else float(self.objective - reference)


ProgressHook = Callable[[Improvement], None]


class RosterModel:
    """Builds the CP-SAT model of a :class:`RosterProblem`. Exposed so that a caller can add side rules
    (e.g. "these two officers never on the same reception day") before solving."""

    def __init__(self, problem: RosterProblem):
        self.problem = problem
        self.model = cp_model.CpModel()
        self.x: dict[tuple[int, int, str], cp_model.IntVar] = {}
        self.work: dict[tuple[int, int], Literal] = {}
        self.objective_terms: list[cp_model.LinearExprT] = []
        self.objective_constant = 0
        # Auxiliary variables, kept so that a hint can give every variable its value (a complete hint is
        # taken as a first solution at once; a partial one must be completed by search, which can fail).
        self.weekend_flags: list[tuple[int, list[int], cp_model.IntVar]] = []
        self.cover_vars: list[tuple[object, cp_model.IntVar, cp_model.IntVar, cp_model.IntVar | None]] = []
        self._build()

    # -- helpers ---------------------------------------------------------------------------------
    def _clause(self, literals: list[Literal]) -> None:
        """Add ``OR(literals)``, folding literals that are fixed by the data (plain booleans)."""
        if any(lit is True for lit in literals):
            return
        self.model.add_bool_or([lit for lit in literals if lit is not False])

    @staticmethod
    def _not(lit: Literal) -> Literal:
        if isinstance(lit, bool):
            return not lit
        return ~lit

    # -- the model -------------------------------------------------------------------------------
    def _build(self) -> None:
        p = self.problem
        horizon = p.horizon_days
        codes = [s.code for s in p.shift_types]
        minutes = {s.code: s.minutes for s in p.shift_types}
        m = self.model

        for i, staff in enumerate(p.staff):
            allowed = [t for t in codes if staff.max_of(t, horizon) > 0]
            staff_vars: list[tuple[str, cp_model.IntVar]] = []
            for d in range(horizon):
                if d in staff.days_off:
                    self.work[i, d] = False
                    continue
                day_vars = []
                for t in allowed:
                    var = m.new_bool_var(f"x[{staff.id},{d},{t}]")
                    self.x[i, d, t] = var
                    day_vars.append(var)
                    staff_vars.append((t, var))
                if not day_vars:
                    self.work[i, d] = False
                elif len(day_vars) == 1:
                    self.work[i, d] = day_vars[0]
                else:
                    works = m.new_bool_var(f"w[{staff.id},{d}]")
                    m.add(cp_model.LinearExpr.sum(day_vars) == works)
                    self.work[i, d] = works

            # Forbidden successions inside the horizon.
            for shift_type in p.shift_types:
                if not shift_type.forbidden_next:
                    continue
                for d in range(horizon - 1):
                    first = self.x.get((i, d, shift_type.code))
                    if first is None:
                        continue
                    followers = [
                        self.x[i, d + 1, u]
                        for u in sorted(shift_type.forbidden_next)
                        if (i, d + 1, u) in self.x
                    ]
                    if followers:
                        m.add_at_most_one([first, *followers])

            # Maximum shifts of each type.
            for t in allowed:
                day_vars = [self.x[i, d, t] for d in range(horizon) if (i, d, t) in self.x]
                if staff.max_of(t, horizon) < len(day_vars):
                    m.add(cp_model.LinearExpr.sum(day_vars) <= staff.max_of(t, horizon))

            # Total minutes.
            worked_minutes = cp_model.LinearExpr.weighted_sum(
                [var for _, var in staff_vars], [minutes[t] for t, _ in staff_vars]
            )
            m.add(worked_minutes <= staff.max_total_minutes)
            if staff.min_total_minutes > 0:
                m.add(worked_minutes >= staff.min_total_minutes)

            work = [self.work[i, d] for d in range(horizon)]
            self._consecutive_rules(staff.max_consecutive_shifts, staff.min_consecutive_shifts, work)
            self._days_off_rule(staff.min_consecutive_days_off, work)

            # Weekends worked.
            weekend_flags: list[Literal] = []
            for weekend in p.weekends():
                days = [work[d] for d in weekend if work[d] is not False]
                if not days:
                    continue
                if len(days) == 1:
                    weekend_flags.append(days[0])
                    continue
                flag = m.new_bool_var(f"weekend[{staff.id},{weekend[0]}]")
                for lit in days:
                    m.add_implication(lit, flag)
                m.add_bool_or([*days, ~flag])
                weekend_flags.append(flag)
                self.weekend_flags.append((i, weekend, flag))
            if len(weekend_flags) > staff.max_weekends:
                m.add(cp_model.LinearExpr.sum(weekend_flags) <= staff.max_weekends)

        self._cover()
        self._requests()
        m.minimize(cp_model.LinearExpr.sum(self.objective_terms) + self.objective_constant)

    def _consecutive_rules(self, max_cons: int, min_cons: int, work: list[Literal]) -> None:
        horizon = len(work)
        if max_cons < horizon:
            for start in range(horizon - max_cons):
                window = [lit for lit in work[start : start + max_cons + 1] if lit is not False]
                if len(window) > max_cons:
                    self.model.add(cp_model.LinearExpr.sum(window) <= max_cons)
        for d in range(1, horizon):
            for j in range(1, min_cons):
                if d + j >= horizon:
                    break
                # A stretch starting on day d (off on d-1) goes on at least to d+j.
                self._clause([work[d - 1], self._not(work[d]), work[d + j]])

    def _days_off_rule(self, min_off: int, work: list[Literal]) -> None:
        horizon = len(work)
        for d in range(1, horizon):
            for j in range(1, min_off):
                if d + j >= horizon:
                    break
                # A rest starting on day d (worked on d-1) lasts at least to d+j.
                self._clause([self._not(work[d - 1]), work[d], self._not(work[d + j])])

    def _cover(self) -> None:
        m = self.model
        n = len(self.problem.staff)
        for cover in self.problem.cover:
            present = [
                self.x[i, cover.day, cover.shift] for i in range(n) if (i, cover.day, cover.shift) in self.x
            ]
            room = max(0, len(present) - cover.requirement)
            # The shortfall may not reach below the minimum (a hard floor of cover).
            short_most = max(0, cover.requirement - cover.minimum)
            if cover.minimum > len(present):
                m.add_bool_or([])  # fewer people could ever work it than the minimum: infeasible
            under = m.new_int_var(0, short_most, f"under[{cover.day},{cover.shift}]")
            over = m.new_int_var(0, room, f"over[{cover.day},{cover.shift}]")
            m.add(cp_model.LinearExpr.sum(present) + under - over == cover.requirement)
            short = None
            if short_most > 0 and room > 0:
                short = m.new_bool_var(f"short[{cover.day},{cover.shift}]")
                m.add(under <= short_most * short)
                m.add(over <= room * (1 - short))
            self.cover_vars.append((cover, under, over, short))
            self.objective_terms += [cover.under_weight * under, cover.over_weight * over]

    def _requests(self) -> None:
        index = {staff.id: i for i, staff in enumerate(self.problem.staff)}
        for request in self.problem.requests:
            var = self.x.get((index[request.staff], request.day, request.shift))
            if request.on:
                self.objective_constant += request.weight
                if var is not None:
                    self.objective_terms.append(-request.weight * var)
            elif var is not None:
                self.objective_terms.append(request.weight * var)

    # -- hints and read-back ---------------------------------------------------------------------
    def add_hint(self, solution: RosterSolution) -> None:
        """Warm start from a plan (for example yesterday's roster or a previous run). Every variable gets
        its value, so a plan that keeps the hard rules is CP-SAT's first solution straight away."""
        hinted: set[int] = set()

        def hint(var: Literal, value: int) -> None:
            if isinstance(var, bool) or var.index in hinted:
                return
            hinted.add(var.index)
            self.model.add_hint(var, value)

        rows = [solution.assignment.get(staff.id) or [] for staff in self.problem.staff]

        def shift_of(i: int, d: int) -> str | None:
            return rows[i][d] if d < len(rows[i]) else None

        for (i, d, t), var in self.x.items():
            hint(var, int(shift_of(i, d) == t))
        for (i, d), var in self.work.items():
            hint(var, int((i, d, shift_of(i, d)) in self.x))
        for i, weekend, flag in self.weekend_flags:
            hint(flag, int(any((i, d, shift_of(i, d)) in self.x for d in weekend)))
        for cover, under, over, short in self.cover_vars:
            present = sum(
                1
                for i in range(len(self.problem.staff))
                if shift_of(i, cover.day) == cover.shift and (i, cover.day, cover.shift) in self.x
            )
            missing = max(0, cover.requirement - present)
            excess = max(0, present - cover.requirement)
            hint(under, missing)
            hint(over, excess)
            if short is not None:
                hint(short, int(missing > 0))

    def read_solution(self, solver: cp_model.CpSolver) -> RosterSolution:
        solution = RosterSolution.empty(self.problem)
        for (i, d, t), var in self.x.items():
            if solver.boolean_value(var):
                solution.assignment[self.problem.staff[i].id][d] = t
        return solution


class _Progress:
    """The improvement trace shared by every search thread (CP-SAT's own workers and the LNS threads)."""

    def __init__(self, started: float, hook: ProgressHook | None):
        self.started = started
        self.hook = hook
        self.lock = threading.Lock()
        self.trace: list[Improvement] = []
        self.bound: float = float("-inf")

    def record(self, objective: int, bound: float | None = None) -> bool:
        with self.lock:
            if bound is not None:
                self.bound = max(self.bound, bound)
            if self.trace and objective >= self.trace[-1].objective:
                return False
            step = Improvement(time.perf_counter() - self.started, objective, self.bound)
            self.trace.append(step)
            if self.hook is not None:
                self.hook(step)
            return True


class _Recorder(cp_model.CpSolverSolutionCallback):
    def __init__(self, progress: _Progress, cancel: threading.Event | None, target: float | None = None):
        super().__init__()
        self.progress = progress
        self.cancel = cancel
        self.target = target  # a proved lower bound: a plan reaching it is optimal, the search can stop
        self.solutions = 0

    def on_solution_callback(self) -> None:
        self.solutions += 1
        self.progress.record(round(self.objective_value), self.best_objective_bound)
        if (self.cancel is not None and self.cancel.is_set()) or (
            self.target is not None and self.objective_value <= self.target + 1e-6
        ):
            self.stop_search()


def _watch(
    solver: cp_model.CpSolver,
    finished: threading.Event,
    cancel: threading.Event | None,
    recorder: _Recorder,
    stop_at: float | None,
) -> None:
    """Stop a running solve when cancelled, or (for the first phase) once it has a plan and its time is up:
    solutions can be rare late in a search, so this does not wait for a callback."""
    while not finished.wait(0.05):
        if cancel is not None and cancel.is_set():
            solver.stop_search()
            return
        if stop_at is not None and recorder.solutions and time.perf_counter() >= stop_at:
            solver.stop_search()
            return


def _solve_full(
    roster: RosterModel,
    *,
    time_limit: float,
    workers: int,
    seed: int,
    log: bool,
    parameters: dict[str, object] | None,
    progress: _Progress,
    cancel: threading.Event | None,
    stop_at: float | None,
    target: float | None = None,
) -> tuple[int, cp_model.CpSolver]:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.0, time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.log_search_progress = log
    for name, value in (parameters or {}).items():
        setattr(solver.parameters, name, value)
    recorder = _Recorder(progress, cancel, target)
    finished = threading.Event()
    watcher = threading.Thread(
        target=_watch, args=(solver, finished, cancel, recorder, stop_at), name="roster-watch", daemon=True
    )
    watcher.start()
    try:
        status = solver.solve(roster.model, recorder)
    finally:
        finished.set()
        watcher.join()
    return status, solver


def construct_plan(
    problem: RosterProblem, *, time_limit: float, cancel: threading.Event | None = None
) -> RosterSolution | None:
    """A first plan built member by member. Every hard rule concerns one member only, so each member's
    row can be planned alone: CP-SAT plans one member against the cover still missing after the members
    before, with that member's requests. Fast on large problems where a first plan for the whole model is
    hard to find; None when some member's contract cannot be met at all (the problem is infeasible)."""
    deadline = time.perf_counter() + time_limit
    plan = RosterSolution.empty(problem)
    planned: dict[tuple[int, str], int] = {}
    for position, staff in enumerate(problem.staff):
        if cancel is not None and cancel.is_set():
            return None
        residual = tuple(
            replace(cover, requirement=max(0, cover.requirement - planned.get((cover.day, cover.shift), 0)))
            for cover in problem.cover
        )
        single = replace(
            problem,
            staff=(staff,),
            cover=residual,
            requests=tuple(r for r in problem.requests if r.staff == staff.id),
        )
        roster = RosterModel(single)
        # Greedy order: weekends off, then work every other day the rules allow (the usual five-on,
        # two-off week), each time on the shift that still misses the most people that day; CP-SAT
        # backtracks where a rule bites.
        missing = {(c.day, c.shift): c.requirement for c in residual}
        weekend_days = {d for weekend in problem.weekends() for d in weekend}
        works = [(d, roster.work[0, d]) for d in range(problem.horizon_days)]
        roster.model.add_decision_strategy(
            [w for d, w in works if d in weekend_days and not isinstance(w, bool)],
            cp_model.CHOOSE_FIRST,
            cp_model.SELECT_MIN_VALUE,
        )
        roster.model.add_decision_strategy(
            [w for d, w in works if d not in weekend_days and not isinstance(w, bool)],
            cp_model.CHOOSE_FIRST,
            cp_model.SELECT_MAX_VALUE,
        )
        shifts_by_need = sorted(roster.x.items(), key=lambda item: (item[0][1], -missing.get(item[0][1:], 0)))
        roster.model.add_decision_strategy(
            [var for _, var in shifts_by_need], cp_model.CHOOSE_FIRST, cp_model.SELECT_MAX_VALUE
        )
        # The greedy order is the heuristic: take its first plan (the improvement phase does the rest).
        roster.model.clear_objective()
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.search_branching = cp_model.FIXED_SEARCH
        solver.parameters.stop_after_first_solution = True
        solver.parameters.max_time_in_seconds = max(
            1.0, (deadline - time.perf_counter()) / (len(problem.staff) - position)
        )
        status = solver.solve(roster.model)
        if status == cp_model.UNKNOWN:
            # The greedy order ran into a long backtrack: let CP-SAT choose its own search.
            solver.parameters.search_branching = cp_model.AUTOMATIC_SEARCH
            solver.parameters.max_time_in_seconds = 5.0
            status = solver.solve(roster.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        row = roster.read_solution(solver).assignment[staff.id]
        plan.assignment[staff.id] = row
        for day, code in enumerate(row):
            if code is not None:
                planned[day, code] = planned.get((day, code), 0) + 1
    return plan


# Parameters of the improvement phase: every worker runs CP-SAT's large neighbourhood search, with the
# clauses of the sequence rules in the LP (linearization level 2). Measured on the benchmark instances this
# beats the default portfolio by a wide margin once a first plan exists (docs/planning.md).
IMPROVEMENT_PARAMETERS: dict[str, object] = {"use_lns_only": True, "linearization_level": 2}
# Above this many shift variables the search starts from a plan built member by member (construct_plan).
CONSTRUCT_ABOVE_VARIABLES = 20_000


def solve_roster(
    problem: RosterProblem,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    hint: RosterSolution | None = None,
    progress: ProgressHook | None = None,
    cancel: threading.Event | None = None,
    seed: int = 0,
    strategy: str = "auto",
    first_phase: float | None = None,
    log: bool = False,
    parameters: dict[str, object] | None = None,
    construct: bool | None = None,
    messages: Callable[[str], None] | None = None,
) -> SolveResult:
    """Solve a roster problem within ``time_limit`` seconds on ``workers`` threads.

    ``strategy="colgen"`` (the default for problems up to ``COLGEN_MAX_VARIABLES`` shift variables,
    ``"auto"``) runs column generation for a lower bound and a first plan by diving (``colgen.py``), then
    improves the plan with CP-SAT's neighbourhood search on the full model, the bound added as a
    constraint. ``strategy="cpsat"`` runs CP-SAT's default portfolio on the whole model for the whole
    time. ``strategy="lns"`` runs it only for ``first_phase`` seconds (default: a twentieth of the limit,
    between 1 and 10 s, and in any case until a first plan exists) — long enough to prove the optimum of
    small problems and to give a lower bound — then, warm-started from that plan, runs CP-SAT in
    neighbourhood-search-only mode for the rest of the time. ``hint`` warm-starts the search.
    ``progress`` is called on every improvement and ``messages`` with a line for every step of column
    generation; setting ``cancel`` stops the search and returns the best plan found so far.
    ``parameters`` override CP-SAT ``SatParameters`` in every phase. ``construct`` builds a first plan
    member by member (:func:`construct_plan`, a tenth of the time) and hints it; by default only for large
    models without a ``hint``."""
    if strategy not in ("auto", "colgen", "lns", "cpsat"):
        raise ValueError(f"unknown strategy {strategy!r}: use 'auto', 'colgen', 'lns' or 'cpsat'")
    started = time.perf_counter()
    deadline = started + time_limit
    roster = RosterModel(problem)
    if strategy == "auto":
        strategy = "colgen" if len(roster.x) <= COLGEN_MAX_VARIABLES else "lns"
    tracker = _Progress(started, progress)
    if strategy == "colgen":
        return _solve_colgen(
            problem,
            roster,
            started=started,
            deadline=deadline,
            workers=workers,
            hint=hint,
            tracker=tracker,
            cancel=cancel,
            seed=seed,
            log=log,
            parameters=parameters,
            messages=messages,
        )
    if construct is None:
        construct = hint is None and len(roster.x) > CONSTRUCT_ABOVE_VARIABLES
    if construct and hint is None:
        hint = construct_plan(problem, time_limit=max(0.5, time_limit / 10), cancel=cancel)
    if hint is not None:
        roster.add_hint(hint)
    stop_at: float | None = None
    if strategy == "lns":
        phase = first_phase if first_phase is not None else min(10.0, max(1.0, time_limit / 20))
        stop_at = min(deadline, started + phase)
    status, solver = _solve_full(
        roster,
        time_limit=deadline - time.perf_counter(),
        workers=workers,
        seed=seed,
        log=log,
        parameters=parameters,
        progress=tracker,
        cancel=cancel,
        stop_at=stop_at,
    )
    cancelled = cancel is not None and cancel.is_set()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return SolveResult(
            status=solver.status_name(status),
            solution=None,
            objective=None,
            best_bound=None,
            wall_time=time.perf_counter() - started,
            trace=tracker.trace,
            cancelled=cancelled,
        )
    objective = round(solver.objective_value)
    # The objective is an integer: a bound within rounding noise of it proves optimality.
    bound = float(objective) if status == cp_model.OPTIMAL else solver.best_objective_bound
    tracker.record(objective, bound)
    solution = roster.read_solution(solver)
    remaining = deadline - time.perf_counter()
    if (
        status == cp_model.FEASIBLE
        and strategy == "lns"
        and not cancelled
        and objective > bound + 1e-6
        and remaining > 0.1
    ):
        objective, solution, bound = _improve(
            roster,
            solution,
            objective,
            bound,
            remaining=remaining,
            workers=workers,
            seed=seed,
            log=log,
            parameters=parameters,
            tracker=tracker,
            cancel=cancel,
        )
        cancelled = cancel is not None and cancel.is_set()
    return SolveResult(
        status="OPTIMAL" if objective <= bound + 1e-6 else "FEASIBLE",
        solution=solution,
        objective=objective,
        best_bound=bound,
        wall_time=time.perf_counter() - started,
        trace=tracker.trace,
        cancelled=cancelled,
        strategy=strategy,
    )


def _improve(
    roster: RosterModel,
    solution: RosterSolution,
    objective: int,
    bound: float,
    *,
    remaining: float,
    workers: int,
    seed: int,
    log: bool,
    parameters: dict[str, object] | None,
    tracker: _Progress,
    cancel: threading.Event | None,
) -> tuple[int, RosterSolution, float]:
    """CP-SAT's neighbourhood search on the full model, warm-started from ``solution``."""
    roster.model.clear_hints()
    roster.add_hint(solution)
    status, solver = _solve_full(
        roster,
        time_limit=remaining,
        workers=workers,
        seed=seed,
        log=log,
        parameters={**IMPROVEMENT_PARAMETERS, **(parameters or {})},
        progress=tracker,
        cancel=cancel,
        stop_at=None,
        target=bound if bound > float("-inf") else None,
    )
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and round(solver.objective_value) < objective:
        objective = round(solver.objective_value)
        solution = roster.read_solution(solver)
    if status == cp_model.OPTIMAL:
        bound = float(objective)
    elif status == cp_model.FEASIBLE:
        bound = max(bound, solver.best_objective_bound)
    return objective, solution, bound


# Column generation is used up to this many shift variables (a 28-day roster of 60 people has ~5 000); a
# year for 80 people (~60 000) makes each one-member pricing problem too slow to iterate.
COLGEN_MAX_VARIABLES = 20_000
# Shares of the time limit: column generation until this point (at the latest), diving until the next.
COLGEN_SHARE = 0.35
DIVE_SHARE = 0.6
DIVE_REPRICING = 3


def _solve_colgen(
    problem: RosterProblem,
    roster: RosterModel,
    *,
    started: float,
    deadline: float,
    workers: int,
    hint: RosterSolution | None,
    tracker: _Progress,
    cancel: threading.Event | None,
    seed: int,
    log: bool,
    parameters: dict[str, object] | None,
    messages: Callable[[str], None] | None,
) -> SolveResult:
    from .colgen import ColumnGeneration

    span = deadline - started

    def result(status: str, solution=None, objective=None, bound=None) -> SolveResult:
        return SolveResult(
            status=status,
            solution=solution,
            objective=objective,
            best_bound=bound,
            wall_time=time.perf_counter() - started,
            trace=tracker.trace,
            cancelled=cancel is not None and cancel.is_set(),
            strategy="colgen",
        )

    generation = ColumnGeneration(problem, workers=workers, cancel=cancel, log=messages)
    initial = hint or construct_plan(problem, time_limit=max(0.5, span / 20), cancel=cancel)
    bound_result = generation.run(deadline=started + COLGEN_SHARE * span, initial=initial)
    if bound_result.infeasible:
        return result("INFEASIBLE")
    lower = math.ceil(bound_result.lower_bound - 1e-6) if bound_result.lower_bound is not None else None
    # Re-pricing while diving pays when the relaxation is solved; when column generation ran out of time,
    # the remaining time is better spent improving the plan on the full model.
    solution = generation.dive(
        deadline=started + DIVE_SHARE * span, repricing=DIVE_REPRICING if bound_result.converged else 0
    )
    if solution is None:  # cancelled while diving: the plan the search started from, if it holds
        if initial is None:
            return result("UNKNOWN", bound=lower)
        solution = initial
    objective = generation.objective_of(solution)
    floor = float(lower) if lower is not None else float("-inf")
    if objective is not None:
        tracker.record(objective, floor if lower is not None else None)
    if messages is not None:
        messages(f"plan by diving: objective {objective}, lower bound {lower}")
    remaining = deadline - time.perf_counter()
    if objective is None:
        # The dive left some cover below its minimum: its rows only start the search on the full model.
        roster.add_hint(solution)
        status, solver = _solve_full(
            roster,
            time_limit=remaining,
            workers=workers,
            seed=seed,
            log=log,
            parameters=parameters,
            progress=tracker,
            cancel=cancel,
            stop_at=None,
            target=floor if lower is not None else None,
        )
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return result(solver.status_name(status), bound=lower)
        objective = round(solver.objective_value)
        solution = roster.read_solution(solver)
        if status == cp_model.OPTIMAL:
            floor = float(objective)
        remaining = deadline - time.perf_counter()
    if objective > floor and remaining > 0.1 and not (cancel is not None and cancel.is_set()):
        if lower is not None:
            roster.model.add(
                cp_model.LinearExpr.sum(roster.objective_terms) + roster.objective_constant >= lower
            )
        objective, solution, floor = _improve(
            roster,
            solution,
            objective,
            floor,
            remaining=remaining,
            workers=workers,
            seed=seed,
            log=log,
            parameters=parameters,
            tracker=tracker,
            cancel=cancel,
        )
    bound = floor if floor != float("-inf") else None
    optimal = bound is not None and objective <= bound + 1e-6
    return result("OPTIMAL" if optimal else "FEASIBLE", solution, objective, bound)
