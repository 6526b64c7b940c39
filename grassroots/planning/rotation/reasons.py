"""Why a planned move happens: the rules that call for it, read off the officer's record and the plan.

Each move (officer, period, from, to) gets every reason that applies, in this order:

* ``tenure``: staying would exceed the maximum tenure in the post left;
* ``recruit``: a recruit still in their first periods must be at a grassroots post, and the post left is not;
* ``front_line``: staying would leave a front-line window short, and the new post is front-line;
* ``eligibility``: the officer is not qualified for the post left;
* ``fills_post``: the new post would be below its minimum staff without them;
* ``makes_room``: the post left would be above its maximum staff if they stayed (others come in);
* ``wish``: the officer wishes the new post more than the one left;
* ``fairness``: the officer's front-line periods lie off the pool's mean and the move corrects that;
* ``balance``: none of these alone (the move serves the plan as a whole, e.g. frees a post for another).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .model import (
    ELIGIBILITY,
    FAIRNESS,
    FRONT_LINE,
    MAX_TENURE,
    RECRUIT,
    STAFFING,
    RotationPlan,
    RotationProblem,
)


@dataclass(frozen=True)
class Move:
    officer: str
    period: int
    from_post: str | None
    to_post: str
    reasons: list[dict] = field(default_factory=list, hash=False, compare=False)


def moves_with_reasons(problem: RotationProblem, plan: RotationPlan) -> list[Move]:
    posts = problem.post_by_id
    horizon = len(problem.periods)
    records = {o.id: list(o.history) + list(plan.posts[o.id]) for o in problem.officers}
    staffed = [Counter(records[o.id][len(o.history) + t] for o in problem.officers) for t in range(horizon)]
    tenure, recruit, window = problem.rule(MAX_TENURE), problem.rule(RECRUIT), problem.rule(FRONT_LINE)
    staffing, eligibility, fairness = (
        problem.rule(STAFFING),
        problem.rule(ELIGIBILITY),
        problem.rule(FAIRNESS),
    )

    def front(post_id: str | None) -> bool:
        return post_id in posts and posts[post_id].front_line

    mean_front: dict[str, float] = {}
    if fairness:
        by_pool: dict[str, list[int]] = {}
        for o in problem.officers:
            total = sum(front(p) for p in plan.posts[o.id])
            by_pool.setdefault(o.pool, []).append(total)
        mean_front = {pool: sum(v) / len(v) for pool, v in by_pool.items()}
    moves = []
    for officer in problem.officers:
        seq = records[officer.id]
        h = len(officer.history)
        for t in range(horizon):
            i = h + t
            prev = seq[i - 1] if i >= 1 else None
            cur = seq[i]
            if prev is None or cur == prev:
                continue
            reasons: list[dict] = []
            run = 0
            for p in reversed(seq[:i]):
                if p != prev:
                    break
                run += 1
            if tenure and run >= tenure.param("periods"):
                reasons.append(
                    {"code": "tenure", "params": {"periods": run, "most": tenure.param("periods")}}
                )
            if (
                recruit
                and officer.recruit_served is not None
                and officer.recruit_served + t < recruit.param("periods")
                and not (prev in posts and posts[prev].grassroots)
                and cur in posts
                and posts[cur].grassroots
            ):
                reasons.append({"code": "recruit", "params": {"periods": recruit.param("periods")}})
            if window and front(cur) and not front(prev):
                k, w = window.param("k"), window.param("window")
                stayed = seq[:i] + [prev]
                if i - w + 1 >= 0 and None not in stayed[i - w + 1 : i + 1]:
                    served = sum(front(p) for p in stayed[i - w + 1 : i + 1])
                    if served < k:
                        reasons.append({"code": "front_line", "params": {"k": k, "window": w}})
            if eligibility and prev in posts and not problem.qualified(officer, posts[prev]):
                reasons.append({"code": "eligibility", "params": {}})
            if staffing and cur in posts and staffed[t][cur] - 1 < posts[cur].min_staff:
                reasons.append({"code": "fills_post", "params": {"minimum": posts[cur].min_staff}})
            if staffing and prev in posts and staffed[t][prev] + 1 > posts[prev].max_staff:
                reasons.append({"code": "makes_room", "params": {"maximum": posts[prev].max_staff}})
            wishes = officer.preferences
            if wishes and wishes.get(cur, 0) > wishes.get(prev, 0):
                reasons.append({"code": "wish", "params": {"score": wishes.get(cur, 0)}})
            if fairness and officer.pool in mean_front:
                served_before = sum(front(p) for p in plan.posts[officer.id][:t])
                expected = mean_front[officer.pool] * t / max(1, horizon)
                if (front(cur) and served_before < expected) or (not front(cur) and served_before > expected):
                    reasons.append({"code": "fairness", "params": {}})
            if not reasons:
                reasons.append({"code": "balance", "params": {}})
            moves.append(Move(officer.id, t, prev, cur, reasons))
    return moves
