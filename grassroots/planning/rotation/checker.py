"""The independent checker: walks each officer's record (history, then plan) period by period.

It shares no code with the solver. Every switched-on rule is judged: a hard rule's violations make the plan
unacceptable, a soft rule's violations cost ``weight × amount``; the sum is the plan's penalty, which the
solver's objective must equal for every plan it returns.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

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
    RotationPlan,
    RotationProblem,
)

STRUCTURE = "structure"  # a plan that does not fit the problem at all (always hard)


@dataclass(frozen=True)
class Violation:
    family: str
    amount: int
    message: str
    officer: str = ""
    post: str = ""
    period: int | None = None
    hard: bool = True
    pool: str = ""

    def to_json(self) -> dict:
        return {
            "family": self.family,
            "amount": self.amount,
            "message": self.message,
            "officer": self.officer,
            "post": self.post,
            "period": self.period,
            "hard": self.hard,
            "pool": self.pool,
        }


@dataclass
class CheckReport:
    violations: list[Violation] = field(default_factory=list)
    penalty: int = 0
    by_family: dict[str, int] = field(default_factory=dict)  # soft penalty per family
    moves: int = 0

    @property
    def hard_violations(self) -> list[Violation]:
        return [v for v in self.violations if v.hard]

    @property
    def ok(self) -> bool:
        return not self.hard_violations

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "penalty": self.penalty,
            "moves": self.moves,
            "by_family": self.by_family,
            "hard_violations": len(self.hard_violations),
            "violations": [v.to_json() for v in self.violations],
        }


def check(problem: RotationProblem, plan: RotationPlan) -> CheckReport:
    report = CheckReport()
    posts = problem.post_by_id
    horizon = len(problem.periods)

    def add(family: str, amount: int, message: str, **where) -> None:
        if amount <= 0:
            return
        rule = problem.rule(family)
        if family != STRUCTURE and rule is None:
            return
        hard = family == STRUCTURE or rule.hard
        report.violations.append(Violation(family, amount, message, hard=hard, **where))
        if not hard:
            report.penalty += rule.weight * amount
            report.by_family[family] = report.by_family.get(family, 0) + rule.weight * amount

    records: dict[str, list[str | None]] = {}
    for officer in problem.officers:
        planned = list(plan.posts.get(officer.id, ()))
        if len(planned) != horizon:
            add(
                STRUCTURE,
                1,
                f"{officer.id}: {len(planned)} periods planned, {horizon} expected",
                officer=officer.id,
            )
            planned = (planned + [officer.current] * horizon)[:horizon]
        for t, post_id in enumerate(planned):
            post = posts.get(post_id)
            if post is None:
                add(STRUCTURE, 1, f"{officer.id}: unknown post {post_id}", officer=officer.id, period=t)
            elif officer.pool and post.pool and officer.pool != post.pool:
                add(
                    STRUCTURE,
                    1,
                    f"{officer.id}: {post_id} is outside pool {officer.pool}",
                    officer=officer.id,
                )
        records[officer.id] = list(officer.history) + planned

    def front(post_id: str | None) -> bool:
        return post_id in posts and posts[post_id].front_line

    moves_per_period = Counter()
    for officer in problem.officers:
        seq = records[officer.id]
        h = len(officer.history)
        for t in range(horizon):
            i = h + t
            cur = seq[i]
            prev = seq[i - 1] if i >= 1 else None
            if prev is not None and cur != prev:
                moves_per_period[t] += 1
                report.moves += 1
                add(
                    MOVE_COST, 1, f"{officer.id} moves {prev} → {cur}", officer=officer.id, post=cur, period=t
                )
            rule = problem.rule(RECRUIT)
            if (
                rule
                and officer.recruit_served is not None
                and officer.recruit_served + t < rule.param("periods")
                and not (cur in posts and posts[cur].grassroots)
            ):
                add(
                    RECRUIT,
                    1,
                    f"recruit {officer.id} not at a grassroots post",
                    officer=officer.id,
                    post=cur,
                    period=t,
                )
            rule = problem.rule(FRONT_LINE)
            if rule:
                k, w = rule.param("k"), rule.param("window")
                window = seq[i - w + 1 : i + 1] if i - w + 1 >= 0 else None
                if window is not None and None not in window:
                    served = sum(front(p) for p in window)
                    add(
                        FRONT_LINE,
                        k - served,
                        f"{officer.id}: {served} front-line of {w} periods ending here, {k} needed",
                        officer=officer.id,
                        period=t,
                    )
            rule = problem.rule(MIN_STAY)
            if rule and prev is not None and cur != prev:
                start = i - 1
                while start - 1 >= 0 and seq[start - 1] == prev:
                    start -= 1
                stay = i - start
                if start > 0 and stay < rule.param("periods"):
                    add(
                        MIN_STAY,
                        1,
                        f"{officer.id} leaves {prev} after {stay} periods",
                        officer=officer.id,
                        post=prev,
                        period=t,
                    )
            rule = problem.rule(MAX_TENURE)
            if rule and cur is not None:
                y = rule.param("periods")
                if i - y >= 0 and all(seq[i - j] == cur for j in range(y + 1)):
                    add(
                        MAX_TENURE,
                        1,
                        f"{officer.id} holds {cur} for more than {y} periods",
                        officer=officer.id,
                        post=cur,
                        period=t,
                    )
            rule = problem.rule(ELIGIBILITY)
            if rule and cur in posts and not problem.qualified(officer, posts[cur]):
                add(
                    ELIGIBILITY,
                    1,
                    f"{officer.id} lacks the skills or title for {cur}",
                    officer=officer.id,
                    post=cur,
                    period=t,
                )
            rule = problem.rule(NO_RETURN)
            if rule and cur != prev:
                r = rule.param("periods")
                if any(seq[u] == cur for u in range(max(0, i - r), i - 1)):
                    add(
                        NO_RETURN,
                        1,
                        f"{officer.id} returns to {cur} within {r} periods",
                        officer=officer.id,
                        post=cur,
                        period=t,
                    )
            rule = problem.rule(PREFERENCES)
            if rule and officer.preferences:
                top = max(0, *officer.preferences.values())
                gap = top - officer.preferences.get(cur, 0)
                add(
                    PREFERENCES,
                    gap,
                    f"{officer.id}: preference not met ({cur})",
                    officer=officer.id,
                    post=cur,
                    period=t,
                )

    rule = problem.rule(STAFFING)
    if rule:
        for t in range(horizon):
            staffed = Counter(records[o.id][len(o.history) + t] for o in problem.officers)
            for post in problem.posts:
                n = staffed.get(post.id, 0)
                add(
                    STAFFING,
                    post.min_staff - n,
                    f"{post.id}: {n} staff, at least {post.min_staff}",
                    post=post.id,
                    period=t,
                )
                add(
                    STAFFING,
                    n - post.max_staff,
                    f"{post.id}: {n} staff, at most {post.max_staff}",
                    post=post.id,
                    period=t,
                )
    rule = problem.rule(MOVE_CAP)
    if rule:
        cap = rule.param("per_period")
        for t in range(horizon):
            add(MOVE_CAP, moves_per_period[t] - cap, f"{moves_per_period[t]} moves, at most {cap}", period=t)
    rule = problem.rule(FAIRNESS)
    if rule and problem.officers:
        d = rule.param("max_spread")
        pools: dict[str, list[int]] = {}
        for o in problem.officers:
            total = sum(front(records[o.id][len(o.history) + t]) for t in range(horizon))
            pools.setdefault(o.pool, []).append(total)
        for pool, totals in sorted(pools.items()):
            spread = max(totals) - min(totals)
            where = f" in {pool}" if pool else ""
            add(
                FAIRNESS,
                spread - d,
                f"front-line periods range {min(totals)}–{max(totals)}{where}, spread above {d}",
                pool=pool,
            )
    return report
