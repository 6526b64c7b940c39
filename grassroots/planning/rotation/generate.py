"""Generated rotation instances (for the benchmark and tests) and the greedy reference planner."""

from __future__ import annotations

import random

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
    RotationPlan,
    RotationProblem,
    Rule,
)

# (type, front-line, grassroots, share of posts, skill required)
POST_TYPES = (
    ("tribunal", True, True, 0.35, ""),
    ("filing_window", True, False, 0.15, ""),
    ("petition_reception", True, False, 0.10, "mediation"),
    ("court_office", False, False, 0.30, ""),
    ("research", False, False, 0.10, "law_degree"),
)


def default_rules(*, moves_per_period: int = 30) -> tuple[Rule, ...]:
    return (
        Rule(RECRUIT, params={"periods": 4}),
        Rule(FRONT_LINE, params={"k": 2, "window": 8}),
        Rule(MIN_STAY, params={"periods": 2}),
        Rule(MAX_TENURE, params={"periods": 8}),
        Rule(STAFFING),
        Rule(MOVE_CAP, params={"per_period": moves_per_period}),
        Rule(ELIGIBILITY),
        Rule(NO_RETURN, params={"periods": 4}),
        Rule(PREFERENCES, hard=False, weight=1),
        Rule(FAIRNESS, hard=False, weight=5, params={"max_spread": 2}),
        Rule(MOVE_COST, hard=False, weight=2),
    )


def generate(
    *, officers: int, posts: int, periods: int, pools: int = 1, seed: int = 0, history: int = 10
) -> RotationProblem:
    """``officers`` and ``posts`` split over ``pools`` (e.g. counties); capacity about 1.25 × officers."""
    rng = random.Random(seed)
    post_list: list[Post] = []
    officer_list: list[Officer] = []
    for pool_index in range(pools):
        pool = f"pool{pool_index + 1}" if pools > 1 else ""
        n_posts = posts // pools + (1 if pool_index < posts % pools else 0)
        n_officers = officers // pools + (1 if pool_index < officers % pools else 0)
        kinds = []
        for kind in POST_TYPES:
            kinds += [kind] * max(1, round(kind[3] * n_posts))
        kinds = kinds[:n_posts]
        capacity = max(1, round(1.25 * n_officers / n_posts))
        pool_posts = []
        for i, (kind, front, grassroots, _share, skill) in enumerate(kinds):
            size = max(1, capacity + rng.randint(-1, 1))
            pool_posts.append(
                Post(
                    id=f"{pool or 'p'}-{kind}-{i}",
                    type=kind,
                    front_line=front,
                    grassroots=grassroots,
                    min_staff=max(0, size // 2),
                    max_staff=size,
                    skills=frozenset({skill}) if skill else frozenset(),
                    pool=pool,
                )
            )
        post_list += pool_posts
        # Staff every post in proportion to its maximum (about 80 % full, never below its minimum): a
        # current plan that keeps the staffing rule, with room to move.
        total_max = sum(q.max_staff for q in pool_posts)
        slots: list[Post] = []
        for q in pool_posts:
            slots += [q] * max(q.min_staff, min(q.max_staff, round(q.max_staff * n_officers / total_max)))
        while len(slots) < n_officers:
            slots += [q for q in pool_posts if slots.count(q) < q.max_staff][: n_officers - len(slots)] or [
                pool_posts[len(slots) % len(pool_posts)]
            ]
        rng.shuffle(slots)
        for i in range(n_officers):
            post = slots[i]
            recruit = post.grassroots and rng.random() < 0.25
            skills = {s for s in ("mediation", "law_degree") if rng.random() < 0.6}
            if post.skills:
                skills |= post.skills
            stay = rng.randint(1, 5)
            if recruit:
                served = rng.randint(1, 3)  # periods served since hiring, the current one included
                record = [None] * (history - served) + [post.id] * served
            else:
                served = None
                # Before the current post another one, front-line when the current one is not, so that
                # the front-line windows of the history hold.
                others = [
                    q
                    for q in pool_posts
                    if q.id != post.id and not q.skills - skills and (q.front_line or post.front_line)
                ]
                other = rng.choice(others or pool_posts)
                record = [other.id] * (history - stay) + [post.id] * stay
            wishes = {}
            if rng.random() < 0.3:
                wishes[rng.choice(pool_posts).id] = rng.randint(1, 3)
            officer_list.append(
                Officer(
                    id=f"{pool or 'o'}-officer-{i}",
                    history=tuple(record),
                    recruit_served=served,
                    skills=frozenset(skills),
                    preferences=wishes,
                    pool=pool,
                )
            )
    return RotationProblem(
        periods=tuple(f"{2026 + t // 4}Q{t % 4 + 1}" for t in range(periods)),
        officers=tuple(officer_list),
        posts=tuple(post_list),
        rules=default_rules(moves_per_period=max(2, officers // 6)),
        name=f"generated-{officers}x{posts}x{periods}",
    )


def greedy_plan(problem: RotationProblem) -> RotationPlan:
    """The reference: period by period, everyone stays unless a rule pushes them out (recruit not at a
    grassroots post, tenure at its maximum, front-line periods falling short); those who must move take the
    eligible post with the most room, front-line first when they need it."""
    posts = problem.post_by_id
    horizon = len(problem.periods)
    recruit = problem.rule(RECRUIT)
    tenure = problem.rule(MAX_TENURE)
    window = problem.rule(FRONT_LINE)
    records = {o.id: list(o.history) for o in problem.officers}
    for _t in range(horizon):
        load: dict[str, int] = dict.fromkeys(posts, 0)
        choice: dict[str, str] = {}
        movers = []
        for officer in problem.officers:
            seq = records[officer.id]
            cur = seq[-1] if seq and seq[-1] in posts else None
            served = len(seq) - len(officer.history)
            need_front = False
            if window:
                last = [p for p in seq[-(window.param("window") - 1) :] if p is not None]
                need_front = sum(posts[p].front_line for p in last if p in posts) < window.param("k")
            must_grass = (
                recruit
                and officer.recruit_served is not None
                and (officer.recruit_served + served < recruit.param("periods"))
            )
            run = 0
            for p in reversed(seq):
                if p != cur:
                    break
                run += 1
            if (
                cur is None
                or not problem.eligible(officer, posts[cur])
                or (tenure and run >= tenure.param("periods"))
                or (must_grass and not posts[cur].grassroots)
                or (need_front and not posts[cur].front_line)
            ):
                movers.append((officer, need_front, must_grass, cur))
            else:
                choice[officer.id] = cur
                load[cur] += 1
        for officer, need_front, must_grass, cur in movers:
            options = [
                q
                for q in problem.posts
                if problem.eligible(officer, q)
                and q.id != cur
                and (not must_grass or q.grassroots)
                and load[q.id] < q.max_staff
            ] or [q for q in problem.posts if problem.eligible(officer, q)]
            best = max(options, key=lambda q: ((q.front_line if need_front else 0), q.max_staff - load[q.id]))
            choice[officer.id] = best.id
            load[best.id] += 1
        for officer in problem.officers:
            records[officer.id].append(choice[officer.id])
    return RotationPlan({o.id: tuple(records[o.id][len(o.history) :]) for o in problem.officers})
