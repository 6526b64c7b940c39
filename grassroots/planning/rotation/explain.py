"""Why the rules cannot all hold: a small set of guarded rules (family and subject) that conflict.

Every hard rule is guarded by an assumption literal per family and subject (the officer, the post, the
period). CP-SAT returns a sufficient set of assumptions when the model is infeasible; that core is shrunk by
deletion (drop an item, solve again with the rest; keep the drop when still infeasible), each solve capped so
that the result stays "minimal where cheap to check". For every family left, a witness plan with that
family's items dropped shows the rest are satisfiable; the checker re-checks each witness against the
remaining items, and the conflict itself is confirmed infeasible by a last solve.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace

from .checker import check
from .cpmodel import RotationModel
from .model import RotationProblem
from .solver import run_model

# Deletion is tried item by item up to this many items; past it only family by family.
ITEM_DELETION_LIMIT = 40


@dataclass(frozen=True)
class ConflictItem:
    family: str
    subject: str  # officer id, post id, "period:t", "type:τ" or "" (the whole family)

    def to_json(self) -> dict:
        return {"family": self.family, "subject": self.subject}


@dataclass
class Explanation:
    items: list[ConflictItem]
    confirmed: bool  # the conflict alone was solved again and found infeasible
    minimal: bool  # every item's removal was tried and made the rest feasible
    witnesses: dict[str, bool] = field(default_factory=dict)  # family → witness passed the checker
    message: str = ""

    @property
    def families(self) -> list[str]:
        return sorted({item.family for item in self.items})

    def to_json(self) -> dict:
        return {
            "families": self.families,
            "items": [item.to_json() for item in self.items],
            "confirmed": self.confirmed,
            "minimal": self.minimal,
            "witnesses": self.witnesses,
            "message": self.message,
        }


def _hard_only(problem: RotationProblem) -> RotationProblem:
    """Feasibility is all that matters here: soft rules are switched off."""
    return replace(problem, rules=tuple(r for r in problem.rules if r.enabled and r.hard))


def explain(
    problem: RotationProblem,
    *,
    time_limit: float = 30.0,
    workers: int = 2,
    cancel: threading.Event | None = None,
) -> Explanation | None:
    """The rules in conflict, or ``None`` when the hard rules can all hold."""
    deadline = time.monotonic() + time_limit
    hard = _hard_only(problem)
    model = RotationModel(hard, guards=True)
    by_key = dict(model._guard_vars)

    def solve(keys: list[tuple[str, str]], share: float):
        limit = max(0.2, min(share, deadline - time.monotonic()))
        return run_model(
            model, time_limit=limit, workers=workers, cancel=cancel, assumptions=[by_key[k] for k in keys]
        )

    status, solver = solve(list(by_key), time_limit / 2)
    if status in ("OPTIMAL", "FEASIBLE"):
        return None
    if status != "INFEASIBLE":
        return Explanation([], confirmed=False, minimal=False, message="no answer within the time limit")
    core = [model.assumptions[i] for i in solver.SufficientAssumptionsForInfeasibility()]
    if not core:  # infeasible whatever the rules: the structure itself (pools, posts) does not fit
        return Explanation([], confirmed=True, minimal=True, message="the officers and posts do not fit")
    minimal = True
    if len(core) <= ITEM_DELETION_LIMIT:
        for key in list(core):
            if time.monotonic() >= deadline or (cancel is not None and cancel.is_set()):
                minimal = False
                break
            rest = [k for k in core if k != key]
            status, _ = solve(rest, 2.0)
            if status == "INFEASIBLE":
                core = rest
            elif status not in ("OPTIMAL", "FEASIBLE"):
                minimal = False
    else:
        minimal = False
    witnesses: dict[str, bool] = {}
    families = sorted({family for family, _ in core})
    for family in families:
        rest = [k for k in core if k[0] != family]
        status, solver = solve(rest, 2.0)
        if status not in ("OPTIMAL", "FEASIBLE"):
            minimal = False
            continue
        plan = _read_plan(model, solver)
        report = check(hard, plan)
        keep = {
            (v.family, v.officer or v.post or (f"period:{v.period}" if v.period is not None else ""))
            for v in report.violations
        }
        witnesses[family] = not any(k in keep for k in rest) and not any(
            v.family == "structure" for v in report.violations
        )
    status, _ = solve(core, 5.0)
    return Explanation(
        [ConflictItem(f, s) for f, s in core],
        confirmed=status == "INFEASIBLE",
        minimal=minimal,
        witnesses=witnesses,
    )


def _read_plan(model: RotationModel, solver):
    from .model import RotationPlan

    return RotationPlan({o: tuple(posts) for o, posts in model.read(solver).items()})
