"""Demo steps of the workforce: a county court with its departments and people's tribunals, the township
comprehensive-governance centres, posts, officers with several years of assignment history, grid
officers, and the demo login accounts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Q

from grassroots.common.demo import (
    DEMO_PASSWORDS,
    DEMO_USERNAME_PREFIX,
    DemoContext,
    DemoManifest,
    DemoStep,
    Login,
    raw_delete,
    split_total,
)
from grassroots.common.models import Role
from grassroots.territory.demo import mobile_number, person_name, short_name
from grassroots.territory.models import Grid, Household, Region, RegionLevel, Relationship, Resident

from .models import Assignment, AssignmentKind, Officer, Post, Unit, UnitKind


@dataclass(frozen=True)
class PostSpec:
    suffix: str
    name: str
    role: str  # decides titles, seniority and skills
    front_line: bool = False
    leadership: bool = False
    difficulty: str = "1.00"
    weight: float = 0.0  # share of the remaining headcount
    fixed: int = 0  # leadership posts: exactly this many


COURT_POSTS = [
    PostSpec("P", "院长", "president", leadership=True, fixed=1),
    PostSpec("VP", "副院长", "vice", leadership=True, fixed=2),
]
COURT_DEPARTMENTS = [
    (
        "LA",
        "立案庭（诉讼服务中心）",
        UnitKind.FILING_CENTRE,
        [
            PostSpec("H", "庭长", "head", True, True, "1.20", fixed=1),
            PostSpec("W", "立案窗口", "assistant", True, False, "1.30", weight=6),
            PostSpec("M", "诉前调解", "judge", True, False, "1.40", weight=4),
            PostSpec("G", "导诉咨询", "clerk", True, False, "1.10", weight=2),
        ],
    ),
    (
        "MS",
        "民事审判庭",
        UnitKind.DEPARTMENT,
        [
            PostSpec("H", "庭长", "head", False, True, "1.20", fixed=1),
            PostSpec("J", "员额法官", "judge", False, False, "1.20", weight=8),
            PostSpec("A", "法官助理", "assistant", False, False, "1.00", weight=7),
            PostSpec("C", "书记员", "clerk", False, False, "0.80", weight=6),
        ],
    ),
    (
        "XS",
        "刑事审判庭",
        UnitKind.DEPARTMENT,
        [
            PostSpec("H", "庭长", "head", False, True, "1.20", fixed=1),
            PostSpec("J", "员额法官", "judge", False, False, "1.20", weight=4),
            PostSpec("A", "法官助理", "assistant", False, False, "1.00", weight=3),
            PostSpec("C", "书记员", "clerk", False, False, "0.80", weight=3),
        ],
    ),
    (
        "ZX",
        "执行局",
        UnitKind.DEPARTMENT,
        [
            PostSpec("H", "局长", "head", True, True, "1.30", fixed=1),
            PostSpec("J", "执行法官", "judge", True, False, "1.40", weight=5),
            PostSpec("E", "执行员", "enforcer", True, False, "1.30", weight=6),
            PostSpec("C", "书记员", "clerk", False, False, "0.90", weight=3),
        ],
    ),
    (
        "XF",
        "信访接待室",
        UnitKind.PETITION_RECEPTION,
        [
            PostSpec("H", "主任", "head", True, True, "1.40", fixed=1),
            PostSpec("R", "信访接待", "staff", True, False, "1.50", weight=3),
        ],
    ),
    (
        "ZZ",
        "政治部",
        UnitKind.POLITICAL_DEPARTMENT,
        [
            PostSpec("H", "主任", "head", False, True, "1.00", fixed=1),
            PostSpec("HR", "干部科", "staff", False, False, "1.00", weight=3),
            PostSpec("PX", "宣传教育科", "staff", False, False, "0.90", weight=2),
        ],
    ),
]
TRIBUNAL_POSTS = [
    PostSpec("H", "庭长", "head", True, True, "1.30", fixed=1),
    PostSpec("J", "法官", "judge", True, False, "1.35", weight=2.5),
    PostSpec("A", "法官助理", "assistant", True, False, "1.15", weight=2.5),
    PostSpec("C", "书记员", "clerk", True, False, "1.00", weight=2),
]
GOVERNANCE_ROOT_POSTS = [
    PostSpec("H", "主任", "gov_head", False, True, "1.00", fixed=1),
    PostSpec("D", "指挥调度", "dispatcher", False, False, "1.05", weight=2),
]
GOVERNANCE_TOWNSHIP_POSTS = [
    PostSpec("H", "主任", "gov_head", True, True, "1.20", fixed=1),
    PostSpec("G", "专职网格员", "gridworker", True, False, "1.25", weight=4),
    PostSpec("M", "矛盾纠纷调解员", "mediator", True, False, "1.40", weight=2),
]
COURT_SHARE = 0.75  # of a county's officers; the rest serve in the governance centres

# Years of service (non-recruits) and the share of new recruits, by role.
_SERVICE_YEARS = {
    "president": (24, 34),
    "vice": (18, 30),
    "head": (12, 28),
    "judge": (6, 28),
    "assistant": (2, 12),
    "clerk": (2, 20),
    "enforcer": (3, 25),
    "staff": (2, 25),
    "gov_head": (8, 25),
    "dispatcher": (2, 15),
    "gridworker": (2, 10),
    "mediator": (3, 20),
}
_SKILLS = {
    "president": ["审判管理", "调解", "普法宣传"],
    "vice": ["审判管理", "调解", "执行"],
    "head": ["调解", "巡回审判", "审判管理", "普法宣传"],
    "judge": ["调解", "巡回审判", "家事审判", "普法宣传", "诉前调解", "方言"],
    "assistant": ["立案", "调解", "文书写作", "数据统计", "普法宣传"],
    "clerk": ["庭审记录", "文书写作", "立案", "档案管理"],
    "enforcer": ["执行", "财产查控", "调解"],
    "staff": ["信访接待", "心理疏导", "公文写作", "干部管理", "宣传"],
    "gov_head": ["矛盾排查", "调解", "网格管理"],
    "dispatcher": ["指挥调度", "数据统计", "网格管理"],
    "gridworker": ["网格管理", "矛盾排查", "政策宣传", "方言"],
    "mediator": ["调解", "心理疏导", "法律咨询", "方言"],
}


def _recruit_share(spec: PostSpec, in_tribunal: bool) -> float:
    # 警力下沉: new recruits start at the tribunals and in the townships, close to the people.
    if spec.leadership:
        return 0.0
    if in_tribunal and spec.role in ("assistant", "clerk"):
        return 0.35
    if spec.role == "gridworker":
        return 0.3
    if spec.suffix in ("W", "G"):
        return 0.1
    return 0.0


def officer_title(rng: random.Random, role: str, years: float) -> str:
    if role == "president":
        return "二级高级法官"
    if role == "vice":
        return rng.choice(["三级高级法官", "四级高级法官"])
    if role == "head":
        return "四级高级法官" if years > 20 else "一级法官"
    if role == "judge":
        for limit, title in ((8, "四级法官"), (12, "三级法官"), (18, "二级法官"), (25, "一级法官")):
            if years < limit:
                return title
        return "四级高级法官"
    if role == "assistant":
        return "三级法官助理" if years < 3 else ("二级法官助理" if years < 8 else "一级法官助理")
    if role == "clerk":
        return "书记员"
    if role == "enforcer":
        return "执行员"
    if role == "staff":
        return "一级科员" if years < 5 else ("四级主任科员" if years < 12 else "二级主任科员")
    return {
        "gov_head": "综治中心主任",
        "dispatcher": "指挥调度员",
        "gridworker": "专职网格员",
        "mediator": "人民调解员",
    }[role]


# ----------------------------------------------------------------------------------- unit structure


@dataclass
class UnitPlan:
    code: str
    name: str
    kind: str
    parent: UnitPlan | None
    region_id: int
    posts: list[PostSpec]
    system: str  # "court" or "governance"
    in_tribunal: bool = False
    township_ids: list[int] = field(default_factory=list)  # a tribunal's jurisdiction
    unit: Unit | None = None

    @property
    def path(self) -> str:
        return f"{self.parent.path if self.parent else ''}{self.code}/"


def _tribunal_groups(rng: random.Random, townships: list[Region]) -> list[list[Region]]:
    """People's tribunals each cover 2–4 rural townships (streets are served by the court itself)."""
    rural = [t for t in townships if not t.is_urban] or townships
    groups: list[list[Region]] = []
    index = 0
    while index < len(rural):
        size = rng.randint(2, 4)
        groups.append(rural[index : index + size])
        index += size
    if len(groups) > 1 and len(groups[-1]) == 1:
        groups[-2].extend(groups.pop())
    return groups


def plan_units(rng: random.Random, county: Region, townships: list[Region]) -> list[UnitPlan]:
    code = county.code
    court = UnitPlan(
        f"C{code}", f"{county.name}人民法院", UnitKind.COURT, None, county.pk, COURT_POSTS, "court"
    )
    units = [court]
    for suffix, name, kind, posts in COURT_DEPARTMENTS:
        units.append(UnitPlan(f"C{code}-{suffix}", name, kind, court, county.pk, posts, "court"))
    for number, group in enumerate(_tribunal_groups(rng, townships), start=1):
        seat = group[0]
        tribunal = UnitPlan(
            f"C{code}-T{number:02d}",
            f"{short_name(seat.name)}人民法庭",
            UnitKind.TRIBUNAL,
            court,
            seat.pk,
            TRIBUNAL_POSTS,
            "court",
            in_tribunal=True,
            township_ids=[t.pk for t in group],
        )
        units.append(tribunal)
        # A judges' station in every other township of the jurisdiction: scope follows the unit tree.
        for township in group[1:]:
            units.append(
                UnitPlan(
                    f"C{code}-T{number:02d}-{township.code[-3:]}",
                    f"{short_name(township.name)}法官工作站",
                    UnitKind.OTHER,
                    tribunal,
                    township.pk,
                    [],
                    "court",
                    in_tribunal=True,
                )
            )
    governance = UnitPlan(
        f"G{code}",
        f"{county.name}社会治理综合服务中心",
        UnitKind.SERVICE_CENTRE,
        None,
        county.pk,
        GOVERNANCE_ROOT_POSTS,
        "governance",
    )
    units.append(governance)
    for township in townships:
        units.append(
            UnitPlan(
                f"G{township.code}",
                f"{township.name}综治中心",
                UnitKind.SERVICE_CENTRE,
                governance,
                township.pk,
                GOVERNANCE_TOWNSHIP_POSTS,
                "governance",
                township_ids=[township.pk],
            )
        )
    return units


def _headcounts(rng: random.Random, units: list[UnitPlan], total: int) -> dict[tuple[str, str], int]:
    slots = [(u, p) for u in units for p in u.posts]
    fixed = sum(p.fixed for _, p in slots)
    weighted = [(u, p) for u, p in slots if not p.fixed]
    parts = split_total(max(0, total - fixed), [p.weight * rng.uniform(0.8, 1.2) for _, p in weighted])
    counts = {(u.code, p.suffix): p.fixed for u, p in slots if p.fixed}
    for (u, p), n in zip(weighted, parts, strict=True):
        counts[(u.code, p.suffix)] = n
    return counts


def _staff_range(spec: PostSpec, count: int) -> tuple[int, int]:
    if spec.fixed:
        return (max(1, count - 1), count + 1) if count > 1 else (count, count)
    slack = max(1, count // 4)
    return max(0, count - slack) if count else 0, max(1, count + slack)


# -------------------------------------------------------------------------------------------- steps


def step_units(ctx: DemoContext) -> dict[str, int]:
    counts = {"units": 0, "posts": 0}
    plans: dict[str, dict] = {}
    for county_plan in ctx.plan.counties:
        county = Region.objects.get(code=county_plan.division.code)
        townships = list(Region.objects.filter(parent=county, level=RegionLevel.TOWNSHIP).order_by("code"))
        rng = ctx.rng("workforce.units", county.code)
        units = plan_units(rng, county, townships)
        court_units = [u for u in units if u.system == "court"]
        governance_units = [u for u in units if u.system == "governance"]
        court_total = round(county_plan.officers * COURT_SHARE)
        headcount = _headcounts(rng, court_units, court_total)
        headcount.update(_headcounts(rng, governance_units, county_plan.officers - court_total))
        # Parents before children: create level by level so that every parent has its id.
        for depth in range(3):
            level = [u for u in units if u.path.count("/") == depth + 1]
            rows = ctx.bulk_create(
                Unit,
                [
                    Unit(
                        code=u.code,
                        name=u.name,
                        kind=u.kind,
                        parent=u.parent.unit if u.parent else None,
                        path=u.path,
                        region_id=u.region_id,
                    )
                    for u in level
                ],
            )
            for plan, row in zip(level, rows, strict=True):
                plan.unit = row
        posts = []
        for u in units:
            for spec in u.posts:
                n = headcount[(u.code, spec.suffix)]
                low, high = _staff_range(spec, n)
                posts.append(
                    Post(
                        unit=u.unit,
                        code=f"{u.code}-{spec.suffix}",
                        name=spec.name,
                        is_front_line=spec.front_line,
                        is_leadership=spec.leadership,
                        difficulty_weight=Decimal(spec.difficulty),
                        min_staff=low,
                        max_staff=high,
                    )
                )
        posts = ctx.bulk_create(Post, posts)
        counts["units"] += len(units)
        counts["posts"] += len(posts)
        plans[county.code] = {"county": county, "units": units, "headcount": headcount, "posts": posts}
    ctx.state["workforce"] = plans
    return counts


def _years_before(day: date, years: float) -> date:
    return day - timedelta(days=round(years * 365.25))


def assignment_history(
    rng: random.Random,
    *,
    current: Post,
    hire: date,
    as_of: date,
    recruit: bool,
    pool: list[Post],
    first_pool: list[Post],
) -> list[tuple[Post, date, date | None, str]]:
    """Contiguous, non-overlapping stints from the hire date to today, the last one open-ended."""
    start = hire if recruit else max(hire, as_of - timedelta(days=rng.randint(60, 1800)))
    stints: list[tuple[Post, date, date | None, str]] = [(current, start, None, "")]
    following = current
    while start > hire and len(stints) < 8:
        end = start - timedelta(days=1)
        begin = max(hire, end - timedelta(days=rng.randint(365, 1460)))
        if (begin - hire).days < 180:
            begin = hire
        choices = [p for p in pool if p.pk != following.pk] or pool
        post = choices[int(rng.random() * len(choices))]
        stints.append((post, begin, end, "轮岗交流"))
        following, start = post, begin
    stints.reverse()
    if start > hire:
        post, _, end, note = stints[0]
        stints[0] = (post, hire, end, note)
    # Officers hired in the last twelve years began at a tribunal (新招录人员到人民法庭锻炼).
    if first_pool and len(stints) > 1 and hire > _years_before(as_of, 12):
        following_pk = stints[1][0].pk
        choices = [p for p in first_pool if p.pk != following_pk] or first_pool
        post = choices[int(rng.random() * len(choices))]
        stints[0] = (post, stints[0][1], stints[0][2], "新招录人员下沉锻炼")
    elif recruit:
        stints[0] = (stints[0][0], stints[0][1], stints[0][2], "新招录人员下沉锻炼")
    return stints


def step_officers(ctx: DemoContext) -> dict[str, int]:
    counts = {"officers": 0, "assignments": 0, "grid_officers": 0, "recruits": 0}
    as_of = ctx.as_of
    picks: dict[str, dict[str, int]] = {}
    total = sum(c.officers for c in ctx.plan.counties)
    bar = ctx.progress(total, "officers and assignments", unit="officer")
    for county_code, info in ctx.state["workforce"].items():
        rng = ctx.rng("workforce.officers", county_code)
        units: list[UnitPlan] = info["units"]
        posts_by_code = {p.code: p for p in info["posts"]}
        by_system: dict[str, list[Post]] = {"court": [], "governance": []}
        tribunal_posts: list[Post] = []
        officers: list[Officer] = []
        plans: list[tuple[UnitPlan, PostSpec, Post, bool, float]] = []
        for u in units:
            for spec in u.posts:
                post = posts_by_code[f"{u.code}-{spec.suffix}"]
                if not spec.leadership:
                    by_system[u.system].append(post)
                    if u.in_tribunal:
                        tribunal_posts.append(post)
                for _ in range(info["headcount"][(u.code, spec.suffix)]):
                    recruit = rng.random() < _recruit_share(spec, u.in_tribunal)
                    low, high = _SERVICE_YEARS[spec.role]
                    years = rng.uniform(0.05, 1.95) if recruit else rng.uniform(low, high)
                    plans.append((u, spec, post, recruit, years))
        for seq, (_, spec, _, recruit, years) in enumerate(plans, start=1):
            hire = as_of - timedelta(days=round(years * 365.25))
            age_at_hire = rng.uniform(22, 35 if spec.role in ("gridworker", "mediator") else 28)
            birth = _years_before(hire, age_at_hire)
            if (as_of - birth).days > 59 * 365:
                birth = _years_before(as_of, rng.uniform(54, 58.9))
            gender = (
                "male"
                if rng.random() < (0.62 if spec.role in ("president", "vice", "head") else 0.5)
                else "female"
            )
            skills = sorted(rng.sample(_SKILLS[spec.role], k=min(len(_SKILLS[spec.role]), rng.randint(1, 3))))
            officers.append(
                Officer(
                    staff_number=f"{county_code}-{seq:04d}",
                    name=person_name(rng, gender),
                    gender=gender,
                    birth_date=birth,
                    hire_date=hire,
                    title=officer_title(rng, spec.role, years),
                    skills=skills,
                    work_phone=mobile_number(rng) if rng.random() < 0.6 else "",
                )
            )
            counts["recruits"] += int(recruit)
        officers = ctx.bulk_create(Officer, officers)
        assignments = []
        current_officers: dict[str, list[Officer]] = {}
        roles: dict[str, list[Officer]] = {}
        for officer, (u, _spec, post, recruit, _) in zip(officers, plans, strict=True):
            pool = by_system[u.system]
            first_pool = tribunal_posts if u.system == "court" else []
            for held, start, end, note in assignment_history(
                rng,
                current=post,
                hire=officer.hire_date,
                as_of=as_of,
                recruit=recruit,
                pool=pool,
                first_pool=first_pool,
            ):
                assignments.append(
                    Assignment(
                        officer=officer,
                        post=held,
                        start=start,
                        end=end,
                        kind=AssignmentKind.ACTUAL,
                        note=note,
                    )
                )
            current_officers.setdefault(u.code, []).append(officer)
            roles.setdefault(post.code, []).append(officer)
        ctx.bulk_create(Assignment, assignments)
        grid_counts, grid_pick = _grid_officers(
            rng, info["county"], units, current_officers, posts_by_code, roles
        )
        counts["officers"] += len(officers)
        counts["assignments"] += len(assignments)
        counts["grid_officers"] += grid_counts
        court = f"C{county_code}"

        picks[county_code] = {
            "leader": _first_holder(roles, f"{court}-P"),
            "hr": _first_holder(roles, f"{court}-ZZ-HR", f"{court}-ZZ-H"),
            "officer": _first_holder(roles, f"{court}-LA-W", f"{court}-LA-M", f"{court}-LA-H"),
            "grid": grid_pick,
        }
        bar.update(len(officers))
    bar.close()
    ctx.state["workforce_picks"] = picks
    return counts


def _first_holder(roles: dict[str, list[Officer]], *post_codes: str) -> int | None:
    for code in post_codes:
        if roles.get(code):
            return roles[code][0].pk
    return None


def _grid_officers(
    rng: random.Random,
    county: Region,
    units: list[UnitPlan],
    current: dict[str, list[Officer]],
    posts_by_code: dict[str, Post],
    roles: dict[str, list[Officer]],
) -> tuple[int, int | None]:
    """法官进网格: tribunal judges and assistants take a grid or two of their jurisdiction; the township's
    full-time grid workers take the rest."""
    grids_by_township: dict[int, list[int]] = {}
    for grid_id, township_id in (
        Grid.objects.filter(county=county).order_by("code").values_list("id", "region__parent_id")
    ):
        grids_by_township.setdefault(township_id, []).append(grid_id)
    owner: dict[int, int] = {}
    first_tribunal_officer = None
    for u in units:
        if u.kind != UnitKind.TRIBUNAL:
            continue
        grids = [g for t in u.township_ids for g in grids_by_township.get(t, [])]
        judges = roles.get(f"{u.code}-J", []) + roles.get(f"{u.code}-A", [])
        position = 0
        for officer in judges:
            take = 1 if rng.random() < 0.6 else 2
            for grid_id in grids[position : position + take]:
                owner[grid_id] = officer.pk
                first_tribunal_officer = first_tribunal_officer or officer.pk
            position += take
            if position >= len(grids):
                break
    for u in units:
        if u.system != "governance" or not u.township_ids:
            continue
        workers = roles.get(f"{u.code}-G", []) or roles.get(f"{u.code}-H", [])
        if not workers:
            continue
        free = [g for g in grids_by_township.get(u.township_ids[0], []) if g not in owner]
        for i, grid_id in enumerate(free):
            owner[grid_id] = workers[i % len(workers)].pk
    by_officer: dict[int, list[int]] = {}
    for grid_id, officer_id in owner.items():
        by_officer.setdefault(officer_id, []).append(grid_id)
    for officer_id, grid_ids in by_officer.items():
        Grid.objects.filter(pk__in=grid_ids).update(officer_id=officer_id)
    return len(by_officer), first_tribunal_officer


def _login_user(username: str, role: str, **extra) -> object:
    user = get_user_model()(username=username, role=role, **extra)
    user.set_password(DEMO_PASSWORDS[role])
    user.save()
    return user


def step_logins(ctx: DemoContext) -> dict[str, int]:
    """One account per role for the login demo, linked to generated officers and a resident."""
    county_code = ctx.plan.county_codes[0]
    picks = ctx.state["workforce_picks"][county_code]
    county = Region.objects.get(code=county_code)
    logins = []
    _login_user(f"{DEMO_USERNAME_PREFIX}admin", Role.ADMIN, is_staff=True, is_superuser=True)
    logins.append(Login(f"{DEMO_USERNAME_PREFIX}admin", Role.ADMIN, "everything, and the Django admin"))

    def link(username: str, role: str, officer_id: int | None, sees) -> None:
        if officer_id is None:
            return
        officer = Officer.objects.get(pk=officer_id)
        user = _login_user(username, role)
        Officer.objects.filter(pk=officer_id).update(user=user)
        logins.append(Login(username, role, sees(officer)))

    def current_unit(officer: Officer) -> Unit:
        return (
            Assignment.objects.current(ctx.as_of)
            .filter(officer=officer)
            .select_related("post__unit")
            .get()
            .post.unit
        )

    link(
        f"{DEMO_USERNAME_PREFIX}hr",
        Role.HR,
        picks["hr"],
        lambda o: (
            f"{o.name} ({current_unit(o).name}): all units, posts, officers and assignments; no residents"
        ),
    )
    link(
        f"{DEMO_USERNAME_PREFIX}leader",
        Role.LEADER,
        picks["leader"],
        lambda o: f"{o.name} (院长): the whole {current_unit(o).name} and the households of {county.name}",
    )
    link(
        f"{DEMO_USERNAME_PREFIX}officer",
        Role.OFFICER,
        picks["officer"],
        lambda o: f"{o.name} ({current_unit(o).name}): the households of {county.name}",
    )

    def grid_sees(o: Officer) -> str:
        unit = current_unit(o)
        townships = Region.objects.filter(
            pk__in=[unit.region_id, *Unit.objects.filter(parent=unit).values_list("region_id", flat=True)]
        ).order_by("code")
        grids = ", ".join(Grid.objects.filter(officer=o).order_by("code").values_list("name", flat=True))
        return f"{o.name} ({unit.name}): households of {'、'.join(t.name for t in townships)}; grid officer of {grids}"

    link(f"{DEMO_USERNAME_PREFIX}grid", Role.OFFICER, picks["grid"], grid_sees)
    resident = None
    if picks["grid"] is not None:
        grid = Grid.objects.filter(officer_id=picks["grid"]).order_by("code").first()
        household = Household.objects.filter(grid=grid).order_by("number").first() if grid else None
        if household is not None:
            resident = household.residents.filter(relationship=Relationship.HEAD).order_by("id").first()
    if resident is None:
        resident = (
            Resident.objects.filter(county=county, relationship=Relationship.HEAD).order_by("id").first()
        )
    if resident is not None:
        user = _login_user(f"{DEMO_USERNAME_PREFIX}resident", Role.RESIDENT)
        Resident.objects.filter(pk=resident.pk).update(user=user)
        logins.append(
            Login(
                f"{DEMO_USERNAME_PREFIX}resident",
                Role.RESIDENT,
                f"{resident.name}: their own household {resident.household.number}",
            )
        )
    ctx.logins.extend(logins)
    return {"accounts": len(logins)}


STEPS = [
    DemoStep("workforce.units", "units and posts", step_units),
    DemoStep("workforce.officers", "officers and assignments", step_officers),
    DemoStep("workforce.logins", "login accounts", step_logins),
]


def reset(manifest: DemoManifest) -> dict[str, int]:
    """Remove the demo accounts, and the units, posts, officers and assignments of the manifest's counties."""
    removed = {"accounts": 0, "assignments": 0, "officers": 0, "posts": 0, "units": 0}
    removed["accounts"] = (
        get_user_model().objects.filter(username__startswith=DEMO_USERNAME_PREFIX).delete()[0]
    )
    for code in manifest.county_codes:
        units = Unit.objects.filter(Q(path__startswith=f"C{code}/") | Q(path__startswith=f"G{code}/"))
        posts = Post.objects.filter(unit__in=units)
        officers = Officer.objects.filter(staff_number__startswith=f"{code}-")
        Grid.objects.filter(officer__in=officers).update(officer=None)
        removed["assignments"] += raw_delete(
            Assignment.objects.filter(Q(post__in=posts) | Q(officer__in=officers))
        )
        removed["officers"] += raw_delete(officers)
        removed["posts"] += raw_delete(posts)
        removed["units"] += raw_delete(units)
    return removed
