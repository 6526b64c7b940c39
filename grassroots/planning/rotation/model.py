"""The rotation planning instance (定期交流): officers with their history, posts, periods and rules.

Plain dataclasses, no Django: the pages and the command fill a ``RotationProblem`` from the database, the
solver returns a ``RotationPlan`` and the checker judges any plan against the rules.

Time: the plan covers periods ``0 … P−1`` (months or quarters). An officer's ``history`` holds the post of
each period before the plan, oldest first, so ``history[-1]`` is the post held now (period −1); ``None``
marks a period before the officer was hired. Periods already served enter every window as constants.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from grassroots.common.errors import FieldError, ValidationFailed

# Rule families, each on/off, hard or soft, with a weight and parameters.
RECRUIT = "recruit_grassroots"  # recruits serve their first M periods at grassroots posts
FRONT_LINE = "front_line_window"  # at least k front-line periods within any window of W
MIN_STAY = "min_stay"  # no leaving a post before S periods in it
MAX_TENURE = "max_tenure"  # no more than Y consecutive periods in one post
STAFFING = "staffing"  # per-post minimum / maximum staff in every period
MOVE_CAP = "move_cap"  # at most C moves per period
ELIGIBILITY = "eligibility"  # skills and titles a post requires
NO_RETURN = "no_return"  # not back into a post left less than R periods ago
PREFERENCES = "preferences"  # officers' wishes (soft only)
FAIRNESS = "fairness"  # spread of front-line periods over officers at most D
MOVE_COST = "move_cost"  # every move costs its weight (soft only): no move without a reason

FAMILIES: tuple[str, ...] = (
    RECRUIT,
    FRONT_LINE,
    MIN_STAY,
    MAX_TENURE,
    STAFFING,
    MOVE_CAP,
    ELIGIBILITY,
    NO_RETURN,
    PREFERENCES,
    FAIRNESS,
    MOVE_COST,
)
SOFT_ONLY = frozenset({PREFERENCES, MOVE_COST})
# Parameters of each family with their defaults.
PARAMETERS: dict[str, dict[str, int]] = {
    RECRUIT: {"periods": 4},
    FRONT_LINE: {"k": 1, "window": 4},
    MIN_STAY: {"periods": 2},
    MAX_TENURE: {"periods": 8},
    STAFFING: {},
    MOVE_CAP: {"per_period": 10},
    ELIGIBILITY: {},
    NO_RETURN: {"periods": 4},
    PREFERENCES: {},
    FAIRNESS: {"max_spread": 1},
    MOVE_COST: {},
}


@dataclass(frozen=True)
class Rule:
    family: str
    enabled: bool = True
    hard: bool = True
    weight: int = 10
    params: Mapping[str, int] = field(default_factory=dict)

    def param(self, name: str) -> int:
        return int(self.params.get(name, PARAMETERS[self.family][name]))


@dataclass(frozen=True)
class Post:
    id: str
    type: str  # the look-ahead plans at the level of post types
    front_line: bool = False
    grassroots: bool = False  # a post where recruits may serve (tribunal, grassroots unit)
    min_staff: int = 0
    max_staff: int = 1
    skills: frozenset[str] = frozenset()  # every one is required
    titles: frozenset[str] = frozenset()  # empty: any title
    pool: str = ""  # officers rotate within their pool (e.g. one court and its tribunals)
    name: str = ""


@dataclass(frozen=True)
class Officer:
    id: str
    history: tuple[str | None, ...] = ()
    recruit_served: int | None = None  # periods served since hiring, for recruits; None: not a recruit
    skills: frozenset[str] = frozenset()
    title: str = ""
    preferences: Mapping[str, int] = field(default_factory=dict)  # post id → score (higher is wanted)
    pool: str = ""
    name: str = ""

    @property
    def current(self) -> str | None:
        return self.history[-1] if self.history else None


@dataclass(frozen=True)
class RotationProblem:
    periods: tuple[str, ...]
    officers: tuple[Officer, ...]
    posts: tuple[Post, ...]
    rules: tuple[Rule, ...]
    name: str = "rotation"

    def rule(self, family: str) -> Rule | None:
        """The rule of ``family`` if it is switched on."""
        for rule in self.rules:
            if rule.family == family and rule.enabled:
                return rule
        return None

    @property
    def post_by_id(self) -> dict[str, Post]:
        return {post.id: post for post in self.posts}

    def eligible(self, officer: Officer, post: Post) -> bool:
        """Structural fit (same pool) and, with the eligibility rule on, skills and title."""
        return (not officer.pool or not post.pool or officer.pool == post.pool) and self.qualified(
            officer, post
        )

    @staticmethod
    def qualified(officer: Officer, post: Post) -> bool:
        return post.skills <= officer.skills and (not post.titles or officer.title in post.titles)

    def validate(self) -> None:
        errors: list[FieldError] = []
        if not self.periods:
            errors.append(FieldError("periods", "at least one period is needed"))
        seen: set[str] = set()
        types: dict[str, tuple[bool, bool]] = {}
        for row, post in enumerate(self.posts):
            if post.id in seen:
                errors.append(FieldError("posts", f"duplicate post {post.id}", row=row))
            seen.add(post.id)
            if post.max_staff < post.min_staff:
                errors.append(FieldError("posts", f"post {post.id}: maximum below minimum", row=row))
            flags = (post.front_line, post.grassroots)
            if types.setdefault(post.type, flags) != flags:
                errors.append(
                    FieldError("posts", f"post type {post.type} mixes front-line/grassroots posts", row=row)
                )
        officer_ids: set[str] = set()
        for row, officer in enumerate(self.officers):
            if officer.id in officer_ids:
                errors.append(FieldError("officers", f"duplicate officer {officer.id}", row=row))
            officer_ids.add(officer.id)
        families = [rule.family for rule in self.rules]
        for row, rule in enumerate(self.rules):
            if rule.family not in FAMILIES:
                errors.append(FieldError("rules", f"unknown rule family {rule.family}", row=row))
                continue
            if families.count(rule.family) > 1:
                errors.append(FieldError("rules", f"rule {rule.family} given twice", row=row))
            if rule.hard and rule.family in SOFT_ONLY:
                errors.append(FieldError("rules", f"rule {rule.family} can only be soft", row=row))
            if rule.weight < 0:
                errors.append(
                    FieldError("rules", f"rule {rule.family}: weight must not be negative", row=row)
                )
            for name, value in rule.params.items():
                if name not in PARAMETERS[rule.family]:
                    errors.append(
                        FieldError("rules", f"rule {rule.family}: unknown parameter {name}", row=row)
                    )
                elif not isinstance(value, int) or value < 0:
                    errors.append(
                        FieldError("rules", f"rule {rule.family}: {name} must be a whole number ≥ 0", row=row)
                    )
            if rule.family in (FRONT_LINE,) and rule.param("window") < 1:
                errors.append(FieldError("rules", "front_line_window: window must be at least 1", row=row))
        if errors:
            raise ValidationFailed("The rotation problem is not valid", errors)


@dataclass(frozen=True)
class RotationPlan:
    """``posts[officer_id][t]`` is the post of the officer in plan period ``t``."""

    posts: Mapping[str, tuple[str, ...]]

    def post_of(self, officer_id: str, period: int) -> str:
        return self.posts[officer_id][period]

    def to_json(self) -> dict[str, list[str]]:
        return {officer: list(posts) for officer, posts in self.posts.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, list[str]]) -> RotationPlan:
        return cls({officer: tuple(posts) for officer, posts in data.items()})


def problem_to_json(problem: RotationProblem) -> dict:
    """The whole problem as JSON (stored with a run, so that its plan can always be checked again)."""
    return {
        "name": problem.name,
        "periods": list(problem.periods),
        "posts": [
            {
                "id": q.id,
                "type": q.type,
                "front_line": q.front_line,
                "grassroots": q.grassroots,
                "min_staff": q.min_staff,
                "max_staff": q.max_staff,
                "skills": sorted(q.skills),
                "titles": sorted(q.titles),
                "pool": q.pool,
                "name": q.name,
            }
            for q in problem.posts
        ],
        "officers": [
            {
                "id": o.id,
                "history": list(o.history),
                "recruit_served": o.recruit_served,
                "skills": sorted(o.skills),
                "title": o.title,
                "preferences": dict(o.preferences),
                "pool": o.pool,
                "name": o.name,
            }
            for o in problem.officers
        ],
        "rules": [
            {
                "family": r.family,
                "enabled": r.enabled,
                "hard": r.hard,
                "weight": r.weight,
                "params": dict(r.params),
            }
            for r in problem.rules
        ],
    }


def problem_from_json(data: Mapping) -> RotationProblem:
    return RotationProblem(
        name=data.get("name", "rotation"),
        periods=tuple(data["periods"]),
        posts=tuple(
            Post(
                id=q["id"],
                type=q["type"],
                front_line=q["front_line"],
                grassroots=q["grassroots"],
                min_staff=q["min_staff"],
                max_staff=q["max_staff"],
                skills=frozenset(q.get("skills", ())),
                titles=frozenset(q.get("titles", ())),
                pool=q.get("pool", ""),
                name=q.get("name", ""),
            )
            for q in data["posts"]
        ),
        officers=tuple(
            Officer(
                id=o["id"],
                history=tuple(o["history"]),
                recruit_served=o.get("recruit_served"),
                skills=frozenset(o.get("skills", ())),
                title=o.get("title", ""),
                preferences=dict(o.get("preferences", {})),
                pool=o.get("pool", ""),
                name=o.get("name", ""),
            )
            for o in data["officers"]
        ),
        rules=tuple(
            Rule(
                r["family"],
                enabled=r["enabled"],
                hard=r["hard"],
                weight=r["weight"],
                params=dict(r["params"]),
            )
            for r in data["rules"]
        ),
    )
