"""Why the rules cannot all hold: a small set of guarded rules (family and subject) that conflict.

Every hard rule is guarded by an assumption literal per family and subject (the officer, the post, the
period, the pool). CP-SAT returns a sufficient set of assumptions when the model is infeasible; that core is
shrunk by deletion (drop an item, solve again with the rest; keep the drop when still infeasible, and take
the solver's new, possibly smaller core), each solve capped, so the result is minimal where it was cheap to
check. For every family left, a witness plan with that family's items dropped shows the rest can hold, and
the independent checker re-checks the witness against the remaining items; the conflict itself is
confirmed infeasible by a last solve.

Large problems are searched where a conflict can show first: pool by pool (each pool with the whole move
cap, a relaxation, so a conflict inside one pool is a conflict of the whole), and within a pool on the
first 1, 2, 4, … periods. Every rule of a period depends only on that period and earlier ones (fairness,
which spans the plan, is left out of shorter prefixes), so a conflict within the first periods is a
conflict of the whole plan, named together with the periods it needs.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace

from .checker import check
from .cpmodel import RotationModel
from .model import FAIRNESS, RotationPlan, RotationProblem

# Deletion is tried item by item up to this many items; past it the core is kept as CP-SAT gave it.
ITEM_DELETION_LIMIT = 60
# Cores are extracted on one worker: with several, CP-SAT may return every assumption as the core.
CORE_PARAMETERS = {"num_workers": 1}


@dataclass(frozen=True)
class ConflictItem:
    family: str
    subject: str  # officer id, post id, "period:t", "type:τ", a pool, or "" (the whole family)

    def to_json(self) -> dict:
        return {"family": self.family, "subject": self.subject}


@dataclass
class Explanation:
    items: list[ConflictItem]
    confirmed: bool  # the conflict alone was solved again and found infeasible
    minimal: bool  # every item's removal was tried and made the rest feasible
    witnesses: dict[str, bool] = field(default_factory=dict)  # family → witness passed the checker
    message: str = ""
    periods: int = 0  # the conflict shows within the first this many periods
    pool: str = ""

    @property
    def families(self) -> list[str]:
        return sorted({item.family for item in self.items})

    def subjects(self, family: str) -> list[str]:
        return sorted(item.subject for item in self.items if item.family == family)

    def to_json(self) -> dict:
        return {
            "families": self.families,
            "items": [item.to_json() for item in self.items],
            "confirmed": self.confirmed,
            "minimal": self.minimal,
            "witnesses": self.witnesses,
            "message": self.message,
            "periods": self.periods,
            "pool": self.pool,
        }

    @classmethod
    def from_json(cls, data: dict) -> Explanation:
        return cls(
            items=[ConflictItem(i["family"], i["subject"]) for i in data.get("items", [])],
            confirmed=bool(data.get("confirmed")),
            minimal=bool(data.get("minimal")),
            witnesses=dict(data.get("witnesses", {})),
            message=data.get("message", ""),
            periods=int(data.get("periods", 0)),
            pool=data.get("pool", ""),
        )


def _hard_only(problem: RotationProblem) -> RotationProblem:
    """Feasibility is all that matters here: soft rules are switched off."""
    return replace(problem, rules=tuple(r for r in problem.rules if r.enabled and r.hard))


def _prefix(problem: RotationProblem, periods: int) -> RotationProblem:
    rules = problem.rules
    if periods < len(problem.periods):
        rules = tuple(r for r in rules if r.family != FAIRNESS)
    return replace(problem, periods=problem.periods[:periods], rules=rules)


def _pools(problem: RotationProblem) -> list[RotationProblem]:
    pools = sorted({o.pool for o in problem.officers} | {q.pool for q in problem.posts})
    if len(pools) < 2 or "" in pools:
        return [problem]
    return [
        replace(
            problem,
            officers=tuple(o for o in problem.officers if o.pool == pool),
            posts=tuple(q for q in problem.posts if q.pool == pool),
            name=f"{problem.name}/{pool}",
        )
        for pool in pools
    ]


def _subject_of(violation) -> str:
    if violation.family == FAIRNESS:
        return violation.pool
    if violation.family == "staffing":
        return violation.post
    if violation.family == "move_cap":
        return f"period:{violation.period}"
    return violation.officer or violation.post or ""


def explain(
    problem: RotationProblem,
    *,
    time_limit: float = 30.0,
    workers: int = 2,
    cancel: threading.Event | None = None,
) -> Explanation | None:
    """The rules in conflict, or ``None`` when the hard rules can all hold."""
    from .solver import run_model

    deadline = time.monotonic() + time_limit
    hard = _hard_only(problem)
    horizon = len(problem.periods)
    lengths = []
    length = 1
    while length < horizon:
        lengths.append(length)
        length *= 2
    lengths.append(horizon)

    def cancelled() -> bool:
        return cancel is not None and cancel.is_set()

    candidates = _pools(hard)
    if len(candidates) > 1:
        candidates.append(hard)  # the pools together, for a conflict that only the shared cap makes
    for part in candidates:
        for periods in lengths:
            if time.monotonic() >= deadline or cancelled():
                return Explanation(
                    [], confirmed=False, minimal=False, message="no answer within the time limit"
                )
            sub = _prefix(part, periods)
            model = RotationModel(sub, guards=True)
            keys = list(model._guard_vars)
            status, solver = run_model(
                model,
                time_limit=max(0.5, (deadline - time.monotonic()) / 2),
                workers=workers,
                cancel=cancel,
                assumptions=[model._guard_vars[k] for k in keys],
                parameters=CORE_PARAMETERS,
            )
            if status in ("OPTIMAL", "FEASIBLE"):
                continue
            if status != "INFEASIBLE":
                return Explanation(
                    [], confirmed=False, minimal=False, message="no answer within the time limit"
                )
            explanation = _shrink(model, sub, solver, deadline=deadline, cancel=cancel)
            explanation.periods = periods
            explanation.pool = part.officers[0].pool if part.officers and part is not hard else ""
            return explanation
    return None


def _shrink(
    model: RotationModel, problem: RotationProblem, solver, *, deadline: float, cancel
) -> Explanation:
    from .solver import run_model

    by_key = dict(model._guard_vars)

    def core_of(solver) -> list[tuple[str, str]]:
        # Only literals that are assumptions (CP-SAT's presolve may name another one).
        return [
            model.assumptions[i]
            for i in solver.SufficientAssumptionsForInfeasibility()
            if i in model.assumptions
        ]

    def solve(keys: list[tuple[str, str]], share: float):
        limit = max(0.2, min(share, deadline - time.monotonic()))
        return run_model(
            model,
            time_limit=limit,
            workers=1,
            cancel=cancel,
            assumptions=[by_key[k] for k in keys],
            parameters=CORE_PARAMETERS,
        )

    core = core_of(solver)
    status, check_solver = solve(core, 5.0)
    if status != "INFEASIBLE":
        core = list(by_key)  # the reported core did not hold on its own: start from every rule
    if not core:  # infeasible whatever the rules: the structure itself (pools, posts) does not fit
        return Explanation([], confirmed=True, minimal=True, message="the officers and posts do not fit")
    minimal = len(core) <= ITEM_DELETION_LIMIT
    if minimal:
        index = 0
        while index < len(core):
            if time.monotonic() >= deadline or (cancel is not None and cancel.is_set()):
                minimal = False
                break
            key = core[index]
            rest = [k for k in core if k != key]
            status, trial = solve(rest, 2.0)
            if status == "INFEASIBLE":
                smaller = [k for k in core_of(trial) if k in rest]
                core = smaller if smaller and len(smaller) < len(rest) else rest
                index = 0 if smaller and len(smaller) < len(rest) else index
                continue
            if status not in ("OPTIMAL", "FEASIBLE"):
                minimal = False
            index += 1
    witnesses: dict[str, bool] = {}
    for family in sorted({family for family, _ in core}):
        rest = [k for k in core if k[0] != family]
        status, trial = solve(rest, 2.0)
        if status not in ("OPTIMAL", "FEASIBLE"):
            minimal = False
            continue
        plan = RotationPlan({o: tuple(posts) for o, posts in model.read(trial).items()})
        report = check(problem, plan)
        broken = {(v.family, _subject_of(v)) for v in report.violations}
        witnesses[family] = not any(k in broken for k in rest) and not any(
            v.family == "structure" for v in report.violations
        )
    status, _ = solve(core, 5.0)
    return Explanation(
        [ConflictItem(f, s) for f, s in sorted(core)],
        confirmed=status == "INFEASIBLE",
        minimal=minimal,
        witnesses=witnesses,
    )
