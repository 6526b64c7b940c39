"""One round of the rotation (one period), planned in two stages.

Stage 1 (CP-SAT) decides, for every officer, whether they stay in their post (``s[o]``) and which *post
type* of their pool they hold in the round's period and in the look-ahead periods after it
(``z[o, τ, t]``). Every rule that depends on the type only (recruits at grassroots posts, front-line
windows, fairness, look-ahead staffing) is exact at this level, and so is every rule that depends only on
staying or leaving (minimum stay, maximum tenure, moves and their cap). Staffing of each post is exact for
those who stay; for those who come in, stage 1 keeps the conditions that a distribution over the type's
posts needs (room for them, and enough of them to fill every post to its minimum). Preferences, eligibility
and no-return are counted at their best over the type's posts open to the officer.

Stage 2 places the officers who come into each type on its posts: a small assignment model per type with
the posts' staffing, the officers' eligibility, no-return and preferences. Stage 1 is a relaxation of the
post-level round, so when stage 2 reaches stage 1's estimate and stage 1 was proved optimal, the round is
optimal. When stage 2 cannot place everyone (the officers' own exclusions fail Hall's condition), the round
is planned at post level (``RotationModel``) instead, warm-started from stage 1.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .cpmodel import Builder, Lit, neg
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
    Post,
    RotationProblem,
)

TypeKey = tuple[str, str]  # (pool, post type)


@dataclass
class OfficerState:
    """An officer's record before the round: history, then the periods already planned."""

    officer: Officer
    record: list[str | None]
    current: str | None  # the post held in the period before the round (None: not hired yet)
    run: int  # periods in ``current`` up to the period before the round
    from_start: bool  # that stay reaches back to the first period of the record

    @classmethod
    def of(cls, officer: Officer, planned: list[str]) -> OfficerState:
        record = list(officer.history) + list(planned)
        current = record[-1] if record else None
        run = 0
        for post in reversed(record):
            if post != current or post is None:
                break
            run += 1
        return cls(officer, record, current, run, current is not None and run == len(record))


def key_of(post: Post) -> TypeKey:
    return (post.pool, post.type)


class RoundModel(Builder):
    """Stage 1 of the round for plan period ``t0`` with ``lookahead`` periods after it."""

    def __init__(
        self,
        problem: RotationProblem,
        states: dict[str, OfficerState],
        t0: int,
        lookahead: int,
    ):
        super().__init__(problem)
        self.states = states
        self.t0 = t0
        self.horizon = len(problem.periods)
        self.end = min(self.horizon, t0 + 1 + lookahead)
        self.keys: dict[TypeKey, list[Post]] = defaultdict(list)
        for post in problem.posts:
            self.keys[key_of(post)].append(post)
        self.key_front = {k: posts[0].front_line for k, posts in self.keys.items()}
        self.key_grassroots = {k: posts[0].grassroots for k, posts in self.keys.items()}
        self.s: dict[str, Lit] = {}
        self.z: dict[tuple[str, TypeKey, int], cp_model.IntVar] = {}
        self.z_of: dict[tuple[str, int], list[tuple[TypeKey, cp_model.IntVar]]] = {}
        self.incoming: dict[tuple[str, TypeKey], list[Post]] = {}
        self.moved: dict[str, Lit] = {}
        self.wishes: dict[str, list] = defaultdict(list)  # post id → officers' wishes to come into it
        # Terms of the objective that stage 2 settles exactly (preferences, eligibility): stage 1 counts
        # their best case; the realised value replaces them.
        self.relaxed_terms: list = []
        self.relaxed_constant = 0
        self._build()

    # -- what an officer may do ----------------------------------------------------------------------------
    def _structural(self, officer: Officer, post: Post) -> bool:
        return not officer.pool or not post.pool or officer.pool == post.pool

    def _hard(self, family: str) -> bool:
        rule = self.problem.rule(family)
        return rule is not None and rule.hard

    def _recruit_at(self, officer: Officer, t: int) -> bool:
        rule = self.problem.rule(RECRUIT)
        return bool(
            rule and officer.recruit_served is not None and officer.recruit_served + t < rule.param("periods")
        )

    def _returning(self, state: OfficerState, post_id: str) -> bool:
        """Coming into ``post_id`` in this round would break the no-return rule."""
        rule = self.problem.rule(NO_RETURN)
        if not rule or post_id == state.current:
            return False
        i = len(state.record)
        return any(state.record[u] == post_id for u in range(max(0, i - rule.param("periods")), i - 1))

    def incoming_posts(self, state: OfficerState, key: TypeKey) -> list[Post]:
        """Posts of ``key`` the officer may come into (hard exclusions applied)."""
        officer = state.officer
        return [
            q
            for q in self.keys[key]
            if q.id != state.current
            and self._structural(officer, q)
            and not (self._hard(ELIGIBILITY) and not self.problem.qualified(officer, q))
            and not (self._hard(NO_RETURN) and self._returning(state, q.id))
        ]

    def _lookahead_keys(self, officer: Officer, t: int) -> list[TypeKey]:
        keys = []
        for key, posts in sorted(self.keys.items()):
            if not any(
                self._structural(officer, q)
                and not (self._hard(ELIGIBILITY) and not self.problem.qualified(officer, q))
                for q in posts
            ):
                continue
            if self._hard(RECRUIT) and self._recruit_at(officer, t) and not self.key_grassroots[key]:
                continue
            keys.append(key)
        return keys

    # -- the model -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        p = self.problem
        posts = p.post_by_id
        for oid, state in self.states.items():
            officer = state.officer
            cur = posts.get(state.current) if state.current is not None else None
            can_stay = (
                cur is not None
                and self._structural(officer, cur)
                and not (self._hard(ELIGIBILITY) and not p.qualified(officer, cur))
                and not (self._hard(RECRUIT) and self._recruit_at(officer, self.t0) and not cur.grassroots)
            )
            min_stay = p.rule(MIN_STAY)
            must_stay = (
                can_stay
                and min_stay is not None
                and min_stay.hard
                and not state.from_start
                and state.run < min_stay.param("periods")
            )
            if must_stay:
                # Leaving now would break a hard minimum stay: the officer stays (no variables; presolve,
                # which would remove them, is off for rounds).
                stay: Lit = True
                self.z[oid, key_of(cur), self.t0] = True
                row = [(key_of(cur), True)]
            else:
                stay = self.m.NewBoolVar(f"s_{oid}") if can_stay else False
                row = []
            self.s[oid] = stay
            for key in sorted(self.keys) if not must_stay else ():
                incoming = self.incoming_posts(state, key)
                here = cur is not None and key_of(cur) == key and can_stay
                if (
                    self._hard(RECRUIT)
                    and self._recruit_at(officer, self.t0)
                    and not self.key_grassroots[key]
                ):
                    continue
                if not incoming and not here:
                    continue
                self.incoming[oid, key] = incoming
                var = self.m.NewBoolVar(f"z_{oid}_{key[1]}_{self.t0}")
                self.z[oid, key, self.t0] = var
                row.append((key, var))
                if here:
                    self.m.Add(stay <= var)
                    if not incoming:
                        self.m.Add(var <= stay)
            self.z_of[oid, self.t0] = row
            if not row:
                self.m.AddBoolOr([])  # no post at all: the round is infeasible (the structure does not fit)
            elif not must_stay:
                self.m.AddExactlyOne([v for _, v in row])
            for t in range(self.t0 + 1, self.end):
                look = []
                for key in self._lookahead_keys(officer, t):
                    var = self.m.NewBoolVar(f"z_{oid}_{key[1]}_{t}")
                    self.z[oid, key, t] = var
                    look.append((key, var))
                self.z_of[oid, t] = look
                if look:
                    self.m.AddExactlyOne([v for _, v in look])
                else:
                    self.m.AddBoolOr([])
            self.moved[oid] = False if state.current is None else neg(stay)
            self._officer_rules(state, cur)
        self._staffing()
        self._moves()
        self._fairness()

    def _z(self, oid: str, key: TypeKey, t: int) -> Lit:
        return self.z.get((oid, key, t), False)

    def _held_key(self, state: OfficerState, t: int) -> TypeKey | None:
        """The type held in a period before the round (``t`` < t0, plan index; negative: history)."""
        i = len(state.officer.history) + t
        post = self.problem.post_by_id.get(state.record[i]) if 0 <= i < len(state.record) else None
        return key_of(post) if post is not None else None

    def _key_lit(self, state: OfficerState, key: TypeKey, t: int):
        if t < self.t0:
            return self._held_key(state, t) == key
        return self._z(state.officer.id, key, t)

    def front(self, state: OfficerState, t: int):
        if t < self.t0:
            key = self._held_key(state, t)
            return int(key is not None and self.key_front[key])
        return sum(v for key, v in self.z_of[state.officer.id, t] if self.key_front[key])

    def _incoming(self, oid: str, key: TypeKey, cur: Post | None) -> object:
        """1 when the officer comes into a post of ``key`` (holds the type without staying)."""
        var = self._z(oid, key, self.t0)
        if var is False:
            return 0
        if cur is not None and key_of(cur) == key and self.s[oid] is not False:
            return var - self.s[oid]
        return var

    def _officer_rules(self, state: OfficerState, cur: Post | None) -> None:
        p = self.problem
        officer = state.officer
        oid = officer.id
        stay = self.s[oid]
        h = len(officer.history)
        rule = p.rule(MIN_STAY)
        if rule and cur is not None and not state.from_start and state.run < rule.param("periods"):
            # Leaving now would end a stay shorter than S.
            self.forbid(MIN_STAY, oid, [neg(stay)])
        rule = p.rule(MAX_TENURE)
        if rule and cur is not None and state.run >= rule.param("periods"):
            self.forbid(MAX_TENURE, oid, [stay])
        rule = p.rule(RECRUIT)
        if rule and not rule.hard and self._recruit_at(officer, self.t0):
            for key, var in self.z_of[oid, self.t0]:
                if not self.key_grassroots[key]:
                    self.penalise(rule.weight, var)
        rule = p.rule(ELIGIBILITY)
        if rule and not rule.hard:
            if cur is not None and stay is not False and not p.qualified(officer, cur):
                self.relax(rule.weight, stay)
            for key, _var in self.z_of[oid, self.t0]:
                if not any(p.qualified(officer, q) for q in self.incoming.get((oid, key), [])):
                    self.relax(rule.weight, self._incoming(oid, key, cur))
        rule = p.rule(NO_RETURN)
        if rule and not rule.hard:
            for key, _var in self.z_of[oid, self.t0]:
                options = self.incoming.get((oid, key), [])
                if options and all(self._returning(state, q.id) for q in options):
                    self.relax(rule.weight, self._incoming(oid, key, cur))
        rule = p.rule(PREFERENCES)
        if rule and officer.preferences:
            # ``wish[o, q]``: the officer comes into wished post q. A post takes no more wishes than it
            # has room for once its stayers are counted (``_staffing``), so most rounds' preferences are
            # exact here rather than the best case of each type.
            top = max(0, *officer.preferences.values())
            if cur is not None and stay is not False:
                self.relax(rule.weight * (top - officer.preferences.get(cur.id, 0)), stay)
            for key, _var in self.z_of[oid, self.t0]:
                options = self.incoming.get((oid, key), [])
                if not options:
                    continue
                entering = self._incoming(oid, key, cur)
                wishes = []
                for q in options:
                    score = officer.preferences.get(q.id, 0)
                    if score > 0:
                        wish = self.m.NewBoolVar("")
                        self.wishes[q.id].append(wish)
                        wishes.append((score, wish))
                if wishes:
                    self.m.Add(sum(w for _, w in wishes) <= entering)
                gain = sum(score * w for score, w in wishes)
                self.relax(rule.weight, top * entering - gain if wishes else top * entering)
        rule = p.rule(FRONT_LINE)
        if rule:
            k, w = rule.param("k"), rule.param("window")
            for t in range(self.t0, self.end):
                first = t - w + 1
                if h + first < 0:
                    continue
                if any(state.record[h + u] is None for u in range(first, min(t + 1, self.t0))):
                    continue
                served = sum(self.front(state, u) for u in range(first, t + 1))
                self.bound(FRONT_LINE, oid, served, k, None)
        rule = p.rule(MIN_STAY)
        if rule and rule.hard and self.end > self.t0 + 1:
            s_min = rule.param("periods")
            for t in range(self.t0 + 1, self.end):
                for key, var in self.z_of[oid, t]:
                    before = self._key_lit(state, key, t - 1)
                    if before is False:
                        continue
                    if t == self.t0 + 1:
                        # The post held in the round lasts 1 period, or run + 1 when the officer stays.
                        # (linear rather than clauses, so that the relaxation sees them)
                        if s_min > 1:
                            self.m.Add(before - var - stay <= 0).OnlyEnforceIf(self.guard(MIN_STAY, oid))
                        if (
                            cur is not None
                            and key_of(cur) == key
                            and stay is not False
                            and not state.from_start
                            and state.run + 1 < s_min
                        ):
                            self.m.Add(stay - var <= 0).OnlyEnforceIf(self.guard(MIN_STAY, oid))
                        continue
                    for j in range(2, s_min + 1):
                        if h + t - j < 0:
                            continue
                        self.m.Add(before - var - self._key_lit(state, key, t - j) <= 0).OnlyEnforceIf(
                            self.guard(MIN_STAY, oid)
                        )

    def relax(self, weight: int, expr) -> None:
        """A term stage 2 settles exactly: counted at its best case here."""
        if not weight or (isinstance(expr, int) and expr == 0):
            return
        self.penalise(weight, expr)
        if isinstance(expr, int):  # bool included
            self.relaxed_constant += weight * int(expr)
        else:
            self.relaxed_terms.append(weight * expr)

    def _staffing(self) -> None:
        rule = self.problem.rule(STAFFING)
        if not rule:
            return
        stayers: dict[str, list] = defaultdict(list)
        for oid, state in self.states.items():
            if self.s[oid] is not False:
                stayers[state.current].append(self.s[oid])
        by_key: dict[tuple[TypeKey, int], list] = defaultdict(list)
        for (_o, key, t), var in self.z.items():
            by_key[key, t].append(var)
        # Who may come into each post (for the per-post condition below).
        entrants: dict[str, list] = defaultdict(list)
        posts = self.problem.post_by_id
        for (oid, key), options in self.incoming.items():
            cur = posts.get(self.states[oid].current) if self.states[oid].current is not None else None
            for q in options:
                entrants[q.id].append(self._incoming(oid, key, cur))
        for key, key_posts in sorted(self.keys.items()):
            count = sum(by_key[key, self.t0])
            lo, hi = sum(q.min_staff for q in key_posts), sum(q.max_staff for q in key_posts)
            if rule.hard:
                staying = sum(sum(stayers[q.id]) for q in key_posts)
                deficits = []
                for q in key_posts:
                    kept = sum(stayers[q.id])
                    self.m.Add(kept <= q.max_staff).OnlyEnforceIf(self.guard(STAFFING, q.id))
                    if self.wishes.get(q.id):
                        self.m.Add(kept + sum(self.wishes[q.id]) <= q.max_staff)
                    if q.min_staff:
                        # (linear: the deficit only bounds the incomers from below, so ≥ is exact)
                        deficit = self.m.NewIntVar(0, q.min_staff, "")
                        self.m.Add(deficit >= q.min_staff - kept)
                        deficits.append(deficit)
                        # Hall's condition for this post alone: enough of those who may come into it.
                        self.m.Add(kept + sum(entrants[q.id]) >= q.min_staff).OnlyEnforceIf(
                            self.guard(STAFFING, q.id)
                        )
                incoming = count - staying
                self.m.Add(incoming >= sum(deficits)).OnlyEnforceIf(self.guard(STAFFING, f"type:{key[1]}"))
                self.m.Add(count <= hi).OnlyEnforceIf(self.guard(STAFFING, f"type:{key[1]}"))
            else:
                # A type-level bound on the posts' shortfall and excess; stage 2 counts them post by post.
                self.relaxed_terms += self.bound(STAFFING, f"type:{key[1]}", count, lo, hi)
            for t in range(self.t0 + 1, self.end):
                later = sum(by_key[key, t])
                if rule.hard:
                    self.m.Add(later >= lo).OnlyEnforceIf(self.guard(STAFFING, f"type:{key[1]}"))
                    self.m.Add(later <= hi).OnlyEnforceIf(self.guard(STAFFING, f"type:{key[1]}"))

    def _moves(self) -> None:
        cap, cost = self.problem.rule(MOVE_CAP), self.problem.rule(MOVE_COST)
        if not (cap or cost):
            return
        total = sum(m if not isinstance(m, bool) else int(m) for m in self.moved.values())
        if cap:
            self.bound(MOVE_CAP, f"period:{self.t0}", total, None, cap.param("per_period"))
        if cost:
            self.penalise(cost.weight, total)
        if cap and cap.hard:
            for t in range(self.t0 + 1, self.end):
                changes = []
                for oid, state in self.states.items():
                    if t - 1 < self.t0 and state.current is None:
                        continue
                    changed = self.m.NewBoolVar("")
                    for key, var in self.z_of[oid, t]:
                        before = self._key_lit(state, key, t - 1)
                        if before is not False:
                            self.m.Add(changed >= before - var)
                    changes.append(changed)
                self.m.Add(sum(changes) <= cap.param("per_period")).OnlyEnforceIf(
                    self.guard(MOVE_CAP, f"period:{t}")
                )

    def _fairness(self) -> None:
        """Fairness is the spread (max − min) of front-line periods over the plan, within each pool. A hard
        rule holds what any completion needs: the spread of the totals up to the round's last period can
        shrink by at most the periods still to come, so it is at most ``D + remaining`` (exact in a round
        whose look-ahead reaches the last period). A soft rule steers: an officer whose front-line periods
        so far lie above the pool's mean by more than D/2 pays the weight for a front-line post in this
        period, one below it by more than D/2 pays it for any other post; the checker then judges the
        spread of the whole plan. (A max/min spread with a penalty made rounds slow to prove, its linear
        relaxation being weak; these per-officer terms are linear.)"""
        rule = self.problem.rule(FAIRNESS)
        if not rule or not self.states:
            return
        d = rule.param("max_spread")
        remaining = self.horizon - self.end
        by_pool: dict[str, list[OfficerState]] = defaultdict(list)
        for state in self.states.values():
            by_pool[state.officer.pool].append(state)
        for pool, states in sorted(by_pool.items()):
            if rule.hard:
                totals = []
                for state in states:
                    total = self.m.NewIntVar(0, self.horizon, "")
                    self.m.Add(total == sum(self.front(state, t) for t in range(0, self.end)))
                    totals.append(total)
                high, low = self.m.NewIntVar(0, self.horizon, ""), self.m.NewIntVar(0, self.horizon, "")
                self.m.AddMaxEquality(high, totals)
                self.m.AddMinEquality(low, totals)
                self.bound(FAIRNESS, pool, high - low, None, d + remaining)
                continue
            served = {s.officer.id: sum(self.front(s, t) for t in range(0, self.t0)) for s in states}
            mean = sum(served.values()) / len(served)
            for state in states:
                here = self.front(state, self.t0)
                if served[state.officer.id] > mean + d / 2:
                    self.penalise(rule.weight, here)
                elif served[state.officer.id] < mean - d / 2:
                    self.penalise(rule.weight, 1 - here)

    # -- reading -------------------------------------------------------------------------------------------
    def add_hint(self, posts_at_t0: dict[str, str | None], later: dict[str, list[str | None]]) -> None:
        by_id = self.problem.post_by_id
        for oid, state in self.states.items():
            chosen = posts_at_t0.get(oid)
            if not isinstance(self.s[oid], bool):
                self.m.AddHint(self.s[oid], chosen is not None and chosen == state.current)
            chosen_key = key_of(by_id[chosen]) if chosen in by_id else None
            for key, var in self.z_of[oid, self.t0]:
                if not isinstance(var, bool):
                    self.m.AddHint(var, key == chosen_key)
            for t in range(self.t0 + 1, self.end):
                future = later.get(oid, [])
                post = by_id.get(future[t - self.t0 - 1]) if len(future) > t - self.t0 - 1 else None
                for key, var in self.z_of[oid, t]:
                    self.m.AddHint(var, post is not None and key_of(post) == key)

    def read(self, solver: cp_model.CpSolver) -> tuple[dict[str, bool], dict[str, TypeKey]]:
        def value(lit: Lit) -> bool:
            return lit if isinstance(lit, bool) else solver.BooleanValue(lit)

        stays = {oid: value(s) for oid, s in self.s.items()}
        keys = {oid: next(key for key, var in self.z_of[oid, self.t0] if value(var)) for oid in self.states}
        return stays, keys


def place_incomers(
    problem: RotationProblem,
    model: RoundModel,
    stays: dict[str, bool],
    keys: dict[str, TypeKey],
    *,
    time_limit: float,
    cancel: threading.Event | None = None,
) -> tuple[dict[str, str], int, bool] | None:
    """Stage 2: put every officer who comes into a type on one of its posts. Returns the posts of the
    round, the exact cost of the terms stage 1 relaxed, and whether that cost is proved minimal; None when
    the posts cannot take everyone."""
    from .solver import run_model_proto

    chosen: dict[str, str] = {}
    states = model.states
    for oid, stay in stays.items():
        if stay:
            chosen[oid] = states[oid].current
    cost, proved = 0, True
    staffing = problem.rule(STAFFING)
    elig = problem.rule(ELIGIBILITY)
    back = problem.rule(NO_RETURN)
    prefs = problem.rule(PREFERENCES)
    by_key: dict[TypeKey, list[str]] = defaultdict(list)
    for oid, key in keys.items():
        if not stays[oid]:
            by_key[key].append(oid)
    for oid, stay in stays.items():
        if stay:
            state = states[oid]
            officer = state.officer
            cur = problem.post_by_id[state.current]
            if elig and not elig.hard and not problem.qualified(officer, cur):
                cost += elig.weight
            if prefs and officer.preferences:
                top = max(0, *officer.preferences.values())
                cost += prefs.weight * (top - officer.preferences.get(cur.id, 0))
    for key, posts in sorted(model.keys.items()):
        incomers = by_key.get(key, [])
        kept = defaultdict(int)
        for oid, stay in stays.items():
            if stay and states[oid].current in {q.id for q in posts}:
                kept[states[oid].current] += 1
        if not incomers:
            if staffing:
                outside = sum(
                    max(0, q.min_staff - kept[q.id]) + max(0, kept[q.id] - q.max_staff) for q in posts
                )
                if outside and staffing.hard:
                    return None
                if not staffing.hard:
                    cost += staffing.weight * outside
            continue
        m = cp_model.CpModel()
        a: dict[tuple[str, str], cp_model.IntVar] = {}
        terms = []
        for oid in incomers:
            state = states[oid]
            officer = state.officer
            options = model.incoming.get((oid, key), [])
            row = []
            top = max(0, *officer.preferences.values()) if officer.preferences else 0
            for q in options:
                var = m.NewBoolVar("")
                a[oid, q.id] = var
                row.append(var)
                weight = 0
                if elig and not elig.hard and not problem.qualified(officer, q):
                    weight += elig.weight
                if back and not back.hard and model._returning(state, q.id):
                    weight += back.weight
                if prefs and officer.preferences:
                    weight += prefs.weight * (top - officer.preferences.get(q.id, 0))
                if weight:
                    terms.append(weight * var)
            if not row:
                return None
            m.AddExactlyOne(row)
        for q in posts:
            count = sum(a[oid, q.id] for oid in incomers if (oid, q.id) in a) + kept[q.id]
            if not staffing:
                continue
            if staffing.hard:
                m.Add(count >= q.min_staff)
                m.Add(count <= q.max_staff)
            else:
                for sign, limit in ((1, q.min_staff), (-1, q.max_staff)):
                    gap = m.NewIntVar(0, len(incomers) + kept[q.id] + limit, "")
                    m.Add(gap >= sign * (limit - count))
                    terms.append(staffing.weight * gap)
        if terms:
            m.Minimize(sum(terms))
        status, solver = run_model_proto(m, time_limit=time_limit, workers=1, cancel=cancel)
        if status not in ("OPTIMAL", "FEASIBLE"):
            return None
        proved &= status == "OPTIMAL"
        if terms:
            cost += round(solver.ObjectiveValue())
        for (oid, qid), var in a.items():
            if solver.BooleanValue(var):
                chosen[oid] = qid
    return chosen, cost, proved
