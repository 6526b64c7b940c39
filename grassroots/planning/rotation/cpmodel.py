"""The rotation model on OR-Tools CP-SAT, for the whole horizon or one round of it.

A model covers plan periods ``start … start+detail−1`` post by post (``x[o, q, t]``: officer ``o`` holds
post ``q`` in period ``t``) and the next ``lookahead`` periods at the level of post types (``y[o, τ, t]``);
periods before ``start`` are constants (history, or rounds already planned). Every rule is written as
"forbid this pattern" (clauses) or a linear bound:

* hard: the constraint, enforced only if its guard literal holds when ``guards`` is set (one assumption per
  rule family and subject: officer, post or period), which is how conflicts are explained;
* soft: a penalty variable that equals the checker's amount exactly (reified AND/OR, ``max(0, …)``
  equalities), so CP-SAT's objective equals the checker's penalty for every plan it returns.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from .model import (
    ELIGIBILITY,
    FAIRNESS,
    FRONT_LINE,
    MAX_TENURE,
    MIN_STAY,
    MOVE_CAP,
    MOVE_COST,
    NO_RETURN,
    PREFERENCES,
    RECRUIT,
    STAFFING,
    Officer,
    RotationPlan,
    RotationProblem,
)

Lit = cp_model.IntVar | bool


def neg(lit: Lit) -> Lit:
    return (not lit) if isinstance(lit, bool) else lit.Not()


class Builder:
    """What every rotation model shares: the CP-SAT model, the objective, guarded hard rules and exact
    soft penalties."""

    def __init__(self, problem: RotationProblem, *, guards: bool = False):
        self.problem = problem
        self.guards = guards
        self.m = cp_model.CpModel()
        self.terms: list = []  # objective terms (linear expressions)
        self.constant = 0
        self.assumptions: dict[int, tuple[str, str]] = {}  # guard literal index → (family, subject)
        self._guard_vars: dict[tuple[str, str], cp_model.IntVar] = {}

    def guard(self, family: str, subject: str) -> list[cp_model.IntVar]:
        if not self.guards:
            return []
        key = (family, subject)
        if key not in self._guard_vars:
            var = self.m.NewBoolVar(f"guard_{family}_{subject}")
            self._guard_vars[key] = var
            self.assumptions[var.Index()] = key
        return [self._guard_vars[key]]

    def reify_and(self, lits: list[Lit]) -> Lit:
        lits = [lit for lit in lits if lit is not True]
        if any(lit is False for lit in lits):
            return False
        if not lits:
            return True
        if len(lits) == 1:
            return lits[0]
        b = self.m.NewBoolVar("")
        self.m.AddBoolAnd(lits).OnlyEnforceIf(b)
        self.m.AddBoolOr([neg(lit) for lit in lits]).OnlyEnforceIf(b.Not())
        return b

    def reify_or(self, lits: list[Lit]) -> Lit:
        return neg(self.reify_and([neg(lit) for lit in lits]))

    def forbid(self, family: str, subject: str, conj: list[Lit], disj: list[Lit] | None = None) -> None:
        """Forbid ``AND(conj) ∧ OR(disj)``: hard as clauses, soft as a penalty of the rule's weight."""
        rule = self.problem.rule(family)
        if rule.hard:
            enforce = self.guard(family, subject)
            for d in disj if disj is not None else [True]:
                clause = [neg(lit) for lit in conj] + [neg(d)]
                if any(lit is True for lit in clause):
                    continue
                clause = [lit for lit in clause if lit is not False]
                self.m.AddBoolOr(clause).OnlyEnforceIf(enforce)
        else:
            violated = self.reify_and(conj + ([self.reify_or(disj)] if disj is not None else []))
            self.penalise(rule.weight, violated)

    def penalise(self, weight: int, expr) -> None:
        if isinstance(expr, bool | int):
            self.constant += weight * int(expr)
        elif weight:
            self.terms.append(weight * expr)

    def bound(
        self, family: str, subject: str, expr, lo: int | None, hi: int | None, weight: int | None = None
    ):
        """``lo ≤ expr ≤ hi``: hard (guarded) or, when soft, the shortfall and excess cost their weight."""
        rule = self.problem.rule(family)
        if rule.hard and weight is None:
            enforce = self.guard(family, subject)
            if lo is not None:
                self.m.Add(expr >= lo).OnlyEnforceIf(enforce)
            if hi is not None:
                self.m.Add(expr <= hi).OnlyEnforceIf(enforce)
            return []
        weight = rule.weight if weight is None else weight
        if isinstance(expr, int):
            self.penalise(weight, max(0, (lo or 0) - expr) if lo is not None else 0)
            self.penalise(weight, max(0, expr - hi) if hi is not None else 0)
            return []
        penalties = []
        for sign, limit in ((1, lo), (-1, hi)):
            if limit is None:
                continue
            gap = self.m.NewIntVar(-10_000, 10_000, "")
            self.m.Add(gap == sign * (limit - expr))
            short = self.m.NewIntVar(0, 10_000, "")
            self.m.AddMaxEquality(short, [gap, 0])
            self.penalise(weight, short)
            penalties.append(weight * short)
        return penalties

    def objective(self):
        return sum(self.terms) + self.constant

    def minimise(self) -> None:
        if self.terms:
            self.m.Minimize(sum(self.terms) + self.constant)


class RotationModel(Builder):
    def __init__(
        self,
        problem: RotationProblem,
        *,
        start: int = 0,
        detail: int | None = None,
        lookahead: int = 0,
        fixed: dict[str, list[str]] | None = None,
        guards: bool = False,
    ):
        super().__init__(problem, guards=guards)
        self.horizon = len(problem.periods)
        self.start = start
        self.detail_end = min(self.horizon, start + (self.horizon if detail is None else detail))
        self.end = min(self.horizon, self.detail_end + lookahead)
        self.fixed = fixed or {}
        self.posts = {post.id: post for post in problem.posts}
        self.types = sorted({post.type for post in problem.posts})
        self.x: dict[tuple[str, str, int], cp_model.IntVar] = {}
        self.y: dict[tuple[str, str, int], cp_model.IntVar] = {}
        self._build()

    # -- literals ----------------------------------------------------------------------------------------
    def known(self, officer: Officer, t: int) -> bool:
        return t >= -len(officer.history)

    def held(self, officer: Officer, t: int) -> str | None:
        """The post of a constant period (history or an earlier round)."""
        if t < 0:
            return officer.history[t]
        return self.fixed[officer.id][t]

    def lit(self, officer: Officer, post_id: str | None, t: int) -> Lit:
        if t < self.start:
            return self.held(officer, t) == post_id and post_id is not None
        return self.x.get((officer.id, post_id, t), False)

    def front(self, officer: Officer, t: int):
        if t < self.start:
            post = self.posts.get(self.held(officer, t))
            return int(post is not None and post.front_line)
        if t < self.detail_end:
            return sum(v for (o, q, tt), v in self._x_of[officer.id, t] if self.posts[q].front_line)
        return sum(v for tau, v in self._y_of[officer.id, t] if self._type_front[tau])

    # -- the model ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        p = self.problem
        prune = p.rule(ELIGIBILITY) is not None and p.rule(ELIGIBILITY).hard and not self.guards
        self._x_of: dict[tuple[str, int], list] = defaultdict(list)
        self._y_of: dict[tuple[str, int], list] = defaultdict(list)
        self._type_front = {post.type: post.front_line for post in p.posts}
        type_grassroots = {post.type: post.grassroots for post in p.posts}
        for officer in p.officers:
            allowed = [
                q
                for q in p.posts
                if (not officer.pool or not q.pool or officer.pool == q.pool)
                and (not prune or p.qualified(officer, q))
            ]
            allowed_types = sorted({q.type for q in allowed})
            for t in range(self.start, self.detail_end):
                row = []
                for q in allowed:
                    var = self.m.NewBoolVar(f"x_{officer.id}_{q.id}_{t}")
                    self.x[officer.id, q.id, t] = var
                    row.append(((officer.id, q.id, t), var))
                self._x_of[officer.id, t] = row
                self.m.AddExactlyOne([v for _, v in row])
            for t in range(self.detail_end, self.end):
                row = []
                for tau in allowed_types:
                    var = self.m.NewBoolVar(f"y_{officer.id}_{tau}_{t}")
                    self.y[officer.id, tau, t] = var
                    row.append((tau, var))
                self._y_of[officer.id, t] = row
                self.m.AddExactlyOne([v for _, v in row])
        for officer in p.officers:
            self._officer_rules(officer, prune, type_grassroots)
        self._staffing()
        self._moves()
        self._fairness()

    def _officer_rules(self, officer: Officer, pruned: bool, type_grassroots: dict[str, bool]) -> None:
        p = self.problem
        o = officer.id
        detail = range(self.start, self.detail_end)
        rule = p.rule(RECRUIT)
        if rule and officer.recruit_served is not None:
            for t in range(self.start, self.end):
                if officer.recruit_served + t >= rule.param("periods"):
                    continue
                if t < self.detail_end:
                    for (_, q, _), v in self._x_of[o, t]:
                        if not self.posts[q].grassroots:
                            self.forbid(RECRUIT, o, [v])
                elif rule.hard:
                    for tau, v in self._y_of[o, t]:
                        if not type_grassroots[tau]:
                            self.m.Add(v == 0).OnlyEnforceIf(self.guard(RECRUIT, o))
        rule = p.rule(ELIGIBILITY)
        if rule and not pruned:
            for t in detail:
                for (_, q, _), v in self._x_of[o, t]:
                    if not p.qualified(officer, self.posts[q]):
                        self.forbid(ELIGIBILITY, o, [v])
        rule = p.rule(FRONT_LINE)
        if rule:
            k, w = rule.param("k"), rule.param("window")
            for t in range(max(self.start, 0), self.end):
                first = t - w + 1
                if not self.known(officer, first):
                    continue
                if any(tt < 0 and officer.history[tt] is None for tt in range(first, min(t + 1, 0))):
                    continue
                served = sum(self.front(officer, tt) for tt in range(first, t + 1))
                self.bound(FRONT_LINE, o, served, k, None)
        posts_here = {q for (_, q, _), _v in self._x_of.get((o, self.start), [])}
        rule = p.rule(MIN_STAY)
        if rule:
            s = rule.param("periods")
            for t in detail:
                if not self.known(officer, t - 1):
                    continue
                for q in self._candidates(officer, t - 1, posts_here):
                    # A stay reaching back to the start of the record counts as long enough: only a
                    # known earlier period in another post makes it short.
                    before = [
                        self.lit(officer, q, t - j) for j in range(2, s + 1) if self.known(officer, t - j)
                    ]
                    shorter = [neg(b) for b in before]
                    if not shorter or all(b is False for b in shorter):
                        continue
                    self.forbid(
                        MIN_STAY, o, [self.lit(officer, q, t - 1), neg(self.lit(officer, q, t))], shorter
                    )
        if rule and rule.hard:
            # look-ahead: leaving a post type implies leaving a post, so the type was held S periods too
            s = rule.param("periods")
            for t in range(max(self.detail_end, 1), self.end):
                if not self.known(officer, t - 1) or (
                    t - 1 < self.start and self.held(officer, t - 1) is None
                ):
                    continue
                for tau, v in self._y_of[o, t]:
                    before = self._type_lit(officer, tau, t - 1)
                    if before is False:
                        continue
                    for j in range(2, s + 1):
                        if self.known(officer, t - j):
                            self.m.Add(before - v - self._type_lit(officer, tau, t - j) <= 0).OnlyEnforceIf(
                                self.guard(MIN_STAY, o)
                            )
        rule = p.rule(MAX_TENURE)
        if rule:
            y = rule.param("periods")
            for t in detail:
                if not self.known(officer, t - y):
                    continue
                for q in posts_here:
                    self.forbid(MAX_TENURE, o, [self.lit(officer, q, t - j) for j in range(y + 1)])
        rule = p.rule(NO_RETURN)
        if rule:
            r = rule.param("periods")
            for t in detail:
                earlier = [u for u in range(t - r, t - 1) if self.known(officer, u)]
                if not earlier:
                    continue
                for q in posts_here:
                    held = [self.lit(officer, q, u) for u in earlier]
                    if all(h is False for h in held):
                        continue
                    prev = self.lit(officer, q, t - 1) if self.known(officer, t - 1) else False
                    self.forbid(NO_RETURN, o, [self.lit(officer, q, t), neg(prev)], held)
        rule = p.rule(PREFERENCES)
        if rule and officer.preferences:
            top = max(0, *officer.preferences.values())
            for t in detail:
                score = sum(officer.preferences.get(q, 0) * v for (_, q, _), v in self._x_of[o, t])
                self.penalise(rule.weight, top - score)

    def _candidates(self, officer: Officer, t: int, posts_here: set[str]) -> list[str]:
        if t < self.start:
            held = self.held(officer, t)
            return [held] if held is not None else []
        return sorted(posts_here)

    def _staffing(self) -> None:
        rule = self.problem.rule(STAFFING)
        if not rule:
            return
        by_post: dict[tuple[str, int], list] = defaultdict(list)
        for (_o, q, t), v in self.x.items():
            by_post[q, t].append(v)
        for t in range(self.start, self.detail_end):
            for post in self.problem.posts:
                self.bound(STAFFING, post.id, sum(by_post[post.id, t]), post.min_staff, post.max_staff)
        if rule.hard:
            by_type: dict[tuple[str, int], list] = defaultdict(list)
            for (_o, tau, t), v in self.y.items():
                by_type[tau, t].append(v)
            for t in range(self.detail_end, self.end):
                for tau in self.types:
                    posts = [q for q in self.problem.posts if q.type == tau]
                    count = sum(by_type[tau, t])
                    lo, hi = sum(q.min_staff for q in posts), sum(q.max_staff for q in posts)
                    self.m.Add(count >= lo).OnlyEnforceIf(self.guard(STAFFING, f"type:{tau}"))
                    self.m.Add(count <= hi).OnlyEnforceIf(self.guard(STAFFING, f"type:{tau}"))

    def moved(self, officer: Officer, t: int) -> Lit:
        if not self.known(officer, t - 1):
            return False
        if t - 1 < self.start:
            held = self.held(officer, t - 1)
            return False if held is None else neg(self.lit(officer, held, t))
        stays = [
            self.reify_and([v, self.lit(officer, q, t - 1)]) for (_, q, _), v in self._x_of[officer.id, t]
        ]
        return neg(self.reify_or(stays))

    def _moves(self) -> None:
        cap, cost = self.problem.rule(MOVE_CAP), self.problem.rule(MOVE_COST)
        if not (cap or cost):
            return
        for t in range(self.start, self.detail_end):
            moves = [self.moved(officer, t) for officer in self.problem.officers]
            total = sum(int(m) if isinstance(m, bool) else m for m in moves)
            if cap:
                self.bound(MOVE_CAP, f"period:{t}", total, None, cap.param("per_period"))
            if cost:
                self.penalise(cost.weight, total)
        if cap and cap.hard:
            # look-ahead: a change of post type is a move, so type changes are capped too (a relaxation)
            for t in range(max(self.detail_end, 1), self.end):
                changes = []
                for officer in self.problem.officers:
                    if not self.known(officer, t - 1) or (
                        t - 1 < self.start and self.held(officer, t - 1) is None
                    ):
                        continue
                    changed = self.m.NewBoolVar("")
                    for tau, v in self._y_of[officer.id, t]:
                        before = self._type_lit(officer, tau, t - 1)
                        if before is not False:
                            self.m.Add(changed >= before - v)
                    changes.append(changed)
                self.m.Add(sum(changes) <= cap.param("per_period")).OnlyEnforceIf(
                    self.guard(MOVE_CAP, f"period:{t}")
                )

    def _type_lit(self, officer: Officer, tau: str, t: int):
        if t < self.start:
            post = self.posts.get(self.held(officer, t))
            return post is not None and post.type == tau
        if t < self.detail_end:
            return sum(v for (_, q, _), v in self._x_of[officer.id, t] if self.posts[q].type == tau)
        return next((v for tt, v in self._y_of[officer.id, t] if tt == tau), False)

    def _fairness(self) -> None:
        """Spread of front-line periods over the plan horizon, within each pool (officers rotate and share
        the front-line burden inside their pool). The last round (or a single model) holds the exact
        spread; an earlier round holds what any completion needs: the spread of partial totals can shrink
        by at most the number of periods still to come, so a hard rule bounds it by ``D + remaining``; a
        soft rule steers instead, linearly, each front-line period costing the more the more front-line
        periods the officer already has in the plan (a max/min spread over partial totals made rounds
        slow to prove and told little about the final spread)."""
        rule = self.problem.rule(FAIRNESS)
        if not rule or not self.problem.officers:
            return
        d = rule.param("max_spread")
        remaining = self.horizon - self.end
        by_pool: dict[str, list[Officer]] = defaultdict(list)
        for officer in self.problem.officers:
            by_pool[officer.pool].append(officer)
        for pool, officers in sorted(by_pool.items()):
            totals = []
            for officer in officers:
                total = self.m.NewIntVar(0, self.horizon, "")
                self.m.Add(total == sum(self.front(officer, t) for t in range(0, self.end)))
                totals.append(total)
            high, low = self.m.NewIntVar(0, self.horizon, ""), self.m.NewIntVar(0, self.horizon, "")
            self.m.AddMaxEquality(high, totals)
            self.m.AddMinEquality(low, totals)
            self.bound(FAIRNESS, pool, high - low, None, d + remaining)

    # -- solving helpers ---------------------------------------------------------------------------------
    def add_hint(self, plan: RotationPlan) -> None:
        for (o, q, t), var in self.x.items():
            posts = plan.posts.get(o)
            self.m.AddHint(var, bool(posts) and posts[t] == q)
        for (o, tau, t), var in self.y.items():
            posts = plan.posts.get(o)
            self.m.AddHint(var, bool(posts) and posts[t] in self.posts and self.posts[posts[t]].type == tau)

    def read(self, solver: cp_model.CpSolver) -> dict[str, list[str]]:
        """Posts of the detailed periods, per officer."""
        chosen: dict[str, list[str]] = {o.id: [] for o in self.problem.officers}
        for officer in self.problem.officers:
            for t in range(self.start, self.detail_end):
                chosen[officer.id].append(
                    next(q for (_, q, _), v in self._x_of[officer.id, t] if solver.BooleanValue(v))
                )
        return chosen
