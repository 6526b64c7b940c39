"""Column generation for the duty roster: a lower bound and a first plan close to it.

Every hard rule of a roster concerns one member of staff, so a plan is one *row* (a column, in the language
of linear programming) per member, and the only thing that ties the members together is cover. The master
problem chooses one row per member:

    minimise  Σ_i Σ_k cost(i, k) λ[i, k] + Σ_(d,t) (under_weight · u[d, t] + over_weight · o[d, t])
    such that Σ_k λ[i, k] = 1                                     for every member i        (dual μ_i)
              Σ_i Σ_k a(i, k, d, t) λ[i, k] + u[d, t] − o[d, t] = requirement[d, t]  (dual π[d, t])

where ``cost`` is the member's requests not honoured and ``a`` says whether the row works shift ``t`` on
day ``d``. Its linear relaxation is far stronger than the relaxation of the day-by-day model (each row
already keeps every sequence rule), which is why it gives a useful lower bound where CP-SAT's own stays near
zero. Rows are generated as needed: for each member, CP-SAT finds the row of least reduced cost
``cost − Σ π·a − μ`` (the *pricing* problem, a one-member roster with the duals as rewards); any row with a
negative reduced cost enters the master. When no such row is left, the relaxation is solved over every
possible row; before that, ``LP + Σ_i min(0, least reduced cost of i)`` is a valid lower bound (Lagrangian),
so a bound is known at every iteration.

A plan comes from *diving*: fix the member whose row has the largest weight in the relaxation (and every
member at 1), solve the relaxation again with new rows for the others, and so on until every member is
fixed. The solver then improves that plan with CP-SAT's neighbourhood search on the full model.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from .model import RosterProblem, RosterSolution, Staff

Row = tuple[str | None, ...]
# Duals are fractional; the pricing objective is integral: duals are scaled by this factor and rounded, and
# the bound allows for the rounding (at most half a unit per worked day).
DUAL_SCALE = 1000
# Column generation stops when its Lagrangian bound is this close to the relaxation (objectives are whole
# numbers, so at most one unit of bound is lost; the last iterations of column generation gain little).
GAP_TO_STOP = 1.0
# Cost per person below a hard minimum of cover in the relaxation (the floor relaxed; larger than any
# benchmark weight, so the relaxation meets minimums whenever it can).
HARD_COVER_WEIGHT = 100_000
# Weight of the best-bound duals in the pricing point (0: no smoothing).
SMOOTHING = 0.5


@dataclass
class ColumnGenerationResult:
    lower_bound: float | None  # valid lower bound of the roster objective (None: none proved)
    lp_value: float | None  # the last relaxation's value (an upper bound on the relaxation itself)
    converged: bool  # no row with a negative reduced cost was left: ``lower_bound`` is the relaxation
    iterations: int
    columns: int
    solution: RosterSolution | None  # the plan found by diving (None when out of time or cancelled)
    infeasible: bool = False  # some member's contract cannot be met at all
    log: list[str] = field(default_factory=list)


class _Pricer:
    """The one-member roster of member ``staff``: all of its hard rules, its requests as the cost, the
    duals of cover as rewards."""

    def __init__(self, problem: RosterProblem, staff: Staff):
        from .solver import RosterModel  # the same formulation of the hard rules as the full model

        self.staff = staff
        self.horizon = problem.horizon_days
        self.requests = tuple(r for r in problem.requests if r.staff == staff.id)
        single = replace(problem, staff=(staff,), cover=(), requests=self.requests)
        self.roster = RosterModel(single)
        self.request_terms = list(self.roster.objective_terms)
        self.request_constant = self.roster.objective_constant
        self.lock = threading.Lock()

    def cost(self, row: Row) -> int:
        total = 0
        for request in self.requests:
            worked = row[request.day] == request.shift
            if request.on != worked:
                total += request.weight
        return total

    def price(self, duals: dict[tuple[int, str], float], limit: float) -> tuple[list[Row], float, bool]:
        """Rows of least ``cost − Σ π·a`` (every improving one the search met, best last), the proved lower
        bound of that quantity, and whether the best row is proved optimal. Empty when infeasible."""
        with self.lock:
            model = self.roster.model
            rewards = []
            for (_, d, t), var in self.roster.x.items():
                pi = duals.get((d, t), 0.0)
                scaled = round(pi * DUAL_SCALE)
                if scaled:
                    rewards.append(-scaled * var)
            model.minimize(
                cp_model.LinearExpr.sum(self.request_terms) * DUAL_SCALE
                + self.request_constant * DUAL_SCALE
                + cp_model.LinearExpr.sum(rewards)
            )
            solver = cp_model.CpSolver()
            solver.parameters.num_workers = 1
            solver.parameters.max_time_in_seconds = max(0.05, limit)
            # Presolving a small model again at every call costs more than it saves (measured ~30 %).
            solver.parameters.cp_model_presolve = False
            rows: list[Row] = []
            x = self.roster.x

            class Collect(cp_model.CpSolverSolutionCallback):
                def on_solution_callback(self) -> None:
                    row: list[str | None] = [None] * len_horizon
                    for (_, d, t), var in x.items():
                        if self.boolean_value(var):
                            row[d] = t
                    rows.append(tuple(row))

            len_horizon = self.horizon
            status = solver.solve(model, Collect())
            if status == cp_model.INFEASIBLE:
                return [], math.inf, True
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return rows, -math.inf, False
            final: list[str | None] = [None] * len_horizon
            for (_, d, t), var in x.items():
                if solver.boolean_value(var):
                    final[d] = t
            if not rows or rows[-1] != tuple(final):  # e.g. a model without variables: no callback
                rows.append(tuple(final))
            # A shortfall of at most 0.5 per worked day from rounding the duals.
            slack = 0.5 * self.horizon / DUAL_SCALE
            bound = solver.best_objective_bound / DUAL_SCALE - slack
            return rows, bound, status == cp_model.OPTIMAL


class ColumnGeneration:
    def __init__(
        self,
        problem: RosterProblem,
        *,
        workers: int = 2,
        cancel: threading.Event | None = None,
        log: Callable[[str], None] | None = None,
    ):
        self.problem = problem
        self.workers = max(1, workers)
        self.cancel = cancel
        self._log = log
        self.pricers = [_Pricer(problem, staff) for staff in problem.staff]
        self.columns: dict[str, list[Row]] = {staff.id: [] for staff in problem.staff}
        self._seen: dict[str, set[Row]] = {staff.id: set() for staff in problem.staff}
        self.fixed: dict[str, int] = {}
        self.messages: list[str] = []
        self._build_master()

    def say(self, message: str) -> None:
        self.messages.append(message)
        if self._log is not None:
            self._log(message)

    # -- the master relaxation (one GLOP model, columns added as they are found) ------------------------
    def _build_master(self) -> None:
        lp = pywraplp.Solver.CreateSolver("GLOP")
        self.lp = lp
        self.objective = lp.Objective()
        self.objective.SetMinimization()
        self.convexity = {staff.id: lp.Constraint(1, 1) for staff in self.problem.staff}
        self.cover_rows: dict[tuple[int, str], pywraplp.Constraint] = {}
        for cover in self.problem.cover:
            # The shortfall down to the minimum costs its weight; below the minimum (a hard floor) it
            # costs HARD_COVER_WEIGHT, a relaxation of the floor that keeps the relaxation feasible.
            under = lp.NumVar(0, max(0, cover.requirement - cover.minimum), "")
            over = lp.NumVar(0, lp.infinity(), "")
            self.objective.SetCoefficient(under, cover.under_weight)
            self.objective.SetCoefficient(over, cover.over_weight)
            row = lp.Constraint(cover.requirement, cover.requirement)
            row.SetCoefficient(under, 1)
            row.SetCoefficient(over, -1)
            if cover.minimum:
                below = lp.NumVar(0, cover.minimum, "")
                self.objective.SetCoefficient(below, HARD_COVER_WEIGHT)
                row.SetCoefficient(below, 1)
            self.cover_rows[cover.day, cover.shift] = row
        self.lam: dict[tuple[str, int], pywraplp.Variable] = {}

    def add_column(self, staff_index: int, row: Row) -> bool:
        pricer = self.pricers[staff_index]
        sid = pricer.staff.id
        if row in self._seen[sid]:
            return False
        self._seen[sid].add(row)
        j = len(self.columns[sid])
        self.columns[sid].append(row)
        var = self.lp.NumVar(0, 1 if sid not in self.fixed else 0, "")
        self.lam[sid, j] = var
        self.objective.SetCoefficient(var, pricer.cost(row))
        self.convexity[sid].SetCoefficient(var, 1)
        for day, code in enumerate(row):
            if code is not None and (day, code) in self.cover_rows:
                self.cover_rows[day, code].SetCoefficient(var, 1)
        return True

    def solve_master(self) -> tuple[float, dict[tuple[int, str], float], dict[str, float]]:
        status = self.lp.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            raise RuntimeError(f"the master relaxation did not solve (status {status})")
        duals = {key: row.dual_value() for key, row in self.cover_rows.items()}
        mu = {sid: row.dual_value() for sid, row in self.convexity.items()}
        return self.objective.Value(), duals, mu

    def fix(self, sid: str, j: int) -> None:
        self.fixed[sid] = j
        for k in range(len(self.columns[sid])):
            self.lam[sid, k].SetUb(1 if k == j else 0)
            self.lam[sid, k].SetLb(1 if k == j else 0)

    # -- pricing ---------------------------------------------------------------------------------------
    def _cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def price(
        self,
        duals: dict[tuple[int, str], float],
        mu: dict[str, float],
        limit: float,
        members: list[int] | None = None,
        at: dict[tuple[int, str], float] | None = None,
        force: bool = False,
    ) -> tuple[int, float, bool, bool]:
        """Price every member (or ``members``) at the duals ``at`` (default ``duals``); a row enters when
        its reduced cost at the relaxation's own duals (``duals``, ``mu``) is negative. Returns the rows
        added, Σ_i least ``cost − Σ at·a`` over member i's rows (proved lower bounds: the member part of
        the Lagrangian bound at ``at``), whether every least value is proved, and whether some member has
        no row at all. With ``force`` the best row of each member enters whatever its reduced cost."""
        members = list(range(len(self.pricers))) if members is None else members
        at = duals if at is None else at
        with ThreadPoolExecutor(max_workers=min(self.workers, len(members) or 1)) as pool:
            answers = list(pool.map(lambda i: self.pricers[i].price(at, limit), members))
        added, members_term, proved, infeasible = 0, 0.0, True, False
        for i, (rows, least, optimal) in zip(members, answers, strict=True):
            sid = self.pricers[i].staff.id
            if not rows and least == math.inf:
                infeasible = True
                continue
            proved &= optimal and least > -math.inf
            members_term += least
            # The improving rows met by the search, best last; keep those with a negative reduced cost.
            for row in rows[-3:]:
                reduced = self.pricers[i].cost(row) - sum(
                    duals.get((d, t), 0.0) for d, t in enumerate(row) if t is not None
                )
                if (force or reduced - mu.get(sid, 0.0) < -1e-6) and self.add_column(i, row):
                    added += 1
        return added, members_term, proved, infeasible

    def lagrangian(self, at: dict[tuple[int, str], float], members_term: float) -> float:
        """The Lagrangian bound at duals ``at`` (each at least −over weight, as the relaxation's duals and
        their averages are): Σ at·requirement + Σ_i least ``cost − Σ at·a`` + the least cost of the
        shortfall slacks at those duals (zero unless a dual exceeds a slack's weight)."""
        total = members_term
        for c in self.problem.cover:
            pi = at.get((c.day, c.shift), 0.0)
            total += pi * c.requirement
            total += min(0.0, c.under_weight - pi) * max(0, c.requirement - c.minimum)
            total += min(0.0, HARD_COVER_WEIGHT - pi) * c.minimum
        return total

    # -- the two phases --------------------------------------------------------------------------------
    def run(
        self, *, deadline: float, initial: RosterSolution | None = None, pricing_limit: float = 2.0
    ) -> ColumnGenerationResult:
        """Generate rows until none improves the relaxation or ``deadline``; returns the bound."""
        if initial is not None:
            for i, staff in enumerate(self.problem.staff):
                row = initial.assignment.get(staff.id)
                if row is not None:
                    self.add_column(i, tuple(row))
        missing = [i for i, staff in enumerate(self.problem.staff) if not self.columns[staff.id]]
        if missing:
            # Rows of least request cost for the members without one (no duals yet).
            _added, _term, _proved, infeasible = self.price({}, {}, pricing_limit, missing, force=True)
            for i in missing:
                if not self.columns[self.problem.staff[i].id]:
                    infeasible = True
            if infeasible:
                return ColumnGenerationResult(None, None, False, 0, self.column_count, None, infeasible=True)
        best_bound: float | None = None
        center: dict[tuple[int, str], float] | None = None  # the duals of the best bound so far
        value = None
        iterations = 0
        converged = False
        while time.perf_counter() < deadline and not self._cancelled():
            iterations += 1
            value, duals, mu = self.solve_master()
            limit = min(pricing_limit, max(0.05, deadline - time.perf_counter()))
            # Smoothing (Wentges): price at a point between the best-bound duals and the new ones, which
            # damps the oscillation of the duals and needs fewer iterations; a point that yields no row
            # ("mispricing") is followed by pricing at the relaxation's own duals.
            at = duals
            if center is not None and SMOOTHING:
                at = {
                    key: SMOOTHING * center.get(key, 0.0) + (1 - SMOOTHING) * pi for key, pi in duals.items()
                }
            added, term, proved, _ = self.price(duals, mu, limit, at=at)
            if not added and at is not duals:
                at = duals
                added, term, proved, _ = self.price(duals, mu, limit)
            if proved:
                lagrangian = self.lagrangian(at, term)
                if best_bound is None or lagrangian > best_bound:
                    best_bound, center = lagrangian, dict(at)
            self.say(
                f"column generation {iterations}: relaxation {value:.1f}, bound "
                f"{best_bound if best_bound is None else round(best_bound, 1)}, {added} new rows"
            )
            if added == 0 and proved:
                converged = True
                best_bound = value if best_bound is None else max(best_bound, value)
                break
            if best_bound is not None and value - best_bound < GAP_TO_STOP:
                # The bound is within one unit of the relaxation: more rows would gain at most that unit.
                converged = True
                break
        return ColumnGenerationResult(
            best_bound, value, converged, iterations, self.column_count, None, log=list(self.messages)
        )

    def dive(
        self, *, deadline: float, pricing_limit: float = 1.0, repricing: int = 3
    ) -> RosterSolution | None:
        """Fix members one after another to their heaviest row (with every member whose row weighs 1),
        pricing new rows for the others after each fix (up to ``repricing`` rounds, while rows improve).
        When the time left would not allow a step per member, several members are fixed per step; at the
        deadline, every member left is fixed at once to their heaviest row."""
        staff_ids = [staff.id for staff in self.problem.staff]
        value, duals, mu = self.solve_master()
        began = time.perf_counter()
        steps = 0
        while len(self.fixed) < len(staff_ids):
            if self._cancelled():
                return None
            now = time.perf_counter()
            free = [i for i, sid in enumerate(staff_ids) if sid not in self.fixed]
            late = now >= deadline
            batch = 1
            if steps and not late:
                per_step = (now - began) / steps
                affordable = max(1.0, (deadline - now) / per_step)
                batch = max(1, math.ceil(len(free) / affordable))
            weights = sorted(
                (
                    (var.solution_value(), sid, j)
                    for (sid, j), var in self.lam.items()
                    if sid not in self.fixed
                ),
                reverse=True,
            )
            chosen: dict[str, int] = {}
            for weight, sid, j in weights:
                if sid not in chosen and (late or weight > 0.99 or len(chosen) < batch):
                    chosen[sid] = j
            for sid, j in chosen.items():
                self.fix(sid, j)
            steps += 1
            value, duals, mu = self.solve_master()
            free = [i for i, sid in enumerate(staff_ids) if sid not in self.fixed]
            for _ in range(repricing if free else 0):
                if time.perf_counter() >= deadline or self._cancelled():
                    break
                limit = min(pricing_limit, max(0.05, deadline - time.perf_counter()))
                added, _term, _proved, _ = self.price(duals, mu, limit, free)
                if not added:
                    break
                value, duals, mu = self.solve_master()
            self.say(f"diving: {len(self.fixed)}/{len(staff_ids)} members fixed, relaxation {value:.1f}")
        solution = RosterSolution.empty(self.problem)
        for sid, j in self.fixed.items():
            solution.assignment[sid] = list(self.columns[sid][j])
        return solution

    def objective_of(self, solution: RosterSolution) -> int | None:
        """The roster objective of a plan made of this problem's rows (requests + cover); None when the plan
        leaves some cover below its minimum (it is no plan at all, only a start for the search)."""
        rows = {sid: solution.assignment[sid] for sid in self.columns}
        total = sum(self.pricers[i].cost(tuple(rows[p.staff.id])) for i, p in enumerate(self.pricers))
        for cover in self.problem.cover:
            present = sum(1 for row in rows.values() if row[cover.day] == cover.shift)
            if present < cover.minimum:
                return None
            total += cover.under_weight * max(0, cover.requirement - present)
            total += cover.over_weight * max(0, present - cover.requirement)
        return total

    @property
    def column_count(self) -> int:
        return sum(len(rows) for rows in self.columns.values())
