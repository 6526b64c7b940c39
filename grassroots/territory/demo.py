"""Demo steps of territory: the real region tree down to townships, generated villages/communities and
grids, households with their residents and care tags, and organisations."""

from __future__ import annotations

import math
import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone
from faker.providers.person.zh_CN import Provider as PersonData
from faker.providers.phone_number.zh_CN import Provider as PhoneData

from grassroots.common.demo import DemoContext, DemoManifest, DemoStep, raw_delete, split_total
from grassroots.common.protected import id_number_check_digit

from .models import CareTag, Grid, Household, Organization, OrganizationKind, Region, RegionLevel, Resident
from .services import ResidentInput, credit_code_check, region_path, resident_fields

# ------------------------------------------------------------------------------------ name material

_SURNAMES = list(PersonData.last_names)
_SURNAME_CUM: list[float] = []
_total = 0.0
for _weight in PersonData.last_names.values():
    _total += _weight
    _SURNAME_CUM.append(_total)
_MALE_NAMES = list(PersonData.first_names_male)
_FEMALE_NAMES = list(PersonData.first_names_female)
_MALE_SINGLE = [n for n in _MALE_NAMES if len(n) == 1]
_FEMALE_SINGLE = [n for n in _FEMALE_NAMES if len(n) == 1]
_PHONE_PREFIXES = [str(p) for p in PhoneData.phonenumber_prefixes]
# Village names are built the way real ones are: direction/size + a family name + a settlement word.
_VILLAGE_HEADS = ["东", "西", "南", "北", "前", "后", "大", "小", "上", "下", "新", "老", "高"]
_VILLAGE_TAILS = [
    "庄", "营", "寨", "集", "楼", "屯", "店", "岗", "湾", "坡", "洼", "台", "堤", "桥", "庙", "铺",
    "园", "口", "家", "河", "堂", "坊", "岭", "沟", "圈", "墙", "窑", "场",
]  # fmt: skip
_COMMUNITY_HEADS = [
    "建设", "人民", "解放", "文化", "幸福", "和平", "新华", "东风", "育才", "光明", "朝阳", "金桥",
    "友谊", "团结", "振兴", "胜利", "民主", "中山", "滨河", "花园", "锦绣", "康乐", "安居", "翠苑",
    "书香", "阳光", "春晖", "永安", "繁荣", "裕华", "兴隆", "瑞祥", "长青", "明珠", "和谐", "迎宾",
]  # fmt: skip
_COMMUNITY_TAILS = ["路", "街", "苑", "里", "园", "", "新村", "小区", "东", "西", "南", "北"]
_ROAD_TAILS = ["路", "街", "大道", "大街"]

# Province capitals (approximate): a county's coordinates are placed near its province's capital.
_PROVINCE_CENTRES = {
    "11": (39.90, 116.40), "12": (39.13, 117.20), "13": (38.04, 114.51), "14": (37.87, 112.55),
    "15": (40.84, 111.75), "21": (41.80, 123.43), "22": (43.90, 125.32), "23": (45.75, 126.64),
    "31": (31.23, 121.47), "32": (32.06, 118.79), "33": (30.27, 120.15), "34": (31.82, 117.23),
    "35": (26.07, 119.30), "36": (28.68, 115.86), "37": (36.65, 117.12), "41": (34.75, 113.62),
    "42": (30.59, 114.31), "43": (28.23, 112.94), "44": (23.13, 113.26), "45": (22.82, 108.32),
    "46": (20.04, 110.35), "50": (29.56, 106.55), "51": (30.57, 104.07), "52": (26.65, 106.63),
    "53": (25.04, 102.71), "54": (29.65, 91.14), "61": (34.34, 108.94), "62": (36.06, 103.83),
    "63": (36.62, 101.78), "64": (38.49, 106.23), "65": (43.83, 87.62), "71": (25.03, 121.56),
    "81": (22.32, 114.17), "82": (22.20, 113.55),
}  # fmt: skip
_KNOWN_COUNTY_CENTRES = {"410225": (34.822, 114.821)}  # 兰考县

# Placeholder names in the divisions data that are not written in addresses.
_SILENT_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}

CARE_TAG_CODES = (
    "dibao",
    "tekun",
    "elderly_alone",
    "empty_nest",
    "left_behind_child",
    "disabled",
    "key_attention",
    "veteran",
)
_CARE_TAG_NAMES = {
    "dibao": ("低保", "Minimum living allowance"),
    "tekun": ("特困", "Extreme hardship"),
    "elderly_alone": ("独居老人", "Elderly living alone"),
    "empty_nest": ("空巢老人", "Empty-nest elderly"),
    "left_behind_child": ("留守儿童", "Left-behind child"),
    "disabled": ("残疾人", "Person with disability"),
    "key_attention": ("重点关注", "Key attention"),
    "veteran": ("退役军人", "Veteran"),
}

# Household kinds and their shares (per cent); the mean size comes out at about 2.9.
HOUSEHOLD_KINDS = (
    ("single_elderly", 5.0),
    ("single_adult", 13.0),
    ("elderly_couple", 9.0),
    ("couple", 12.0),
    ("nuclear", 34.0),
    ("single_parent", 5.0),
    ("three_generation", 19.0),
    ("skipped_generation", 3.0),
)
_KIND_NAMES = [k for k, _ in HOUSEHOLD_KINDS]
_KIND_CUM = [sum(w for _, w in HOUSEHOLD_KINDS[: i + 1]) for i in range(len(HOUSEHOLD_KINDS))]
_TEKUN_P = {"single_elderly": 0.06, "single_adult": 0.012, "elderly_couple": 0.005}
_DIBAO_P = {"single_elderly": 0.15, "single_parent": 0.12, "elderly_couple": 0.07, "skipped_generation": 0.12}
_DIBAO_DEFAULT_P = 0.021

HEAD, SPOUSE, CHILD, PARENT, GRANDCHILD, OTHER = "head", "spouse", "child", "parent", "grandchild", "other"
MALE, FEMALE = "male", "female"


def surname(rng: random.Random) -> str:
    return _SURNAMES[bisect(_SURNAME_CUM, rng.random() * _total)]


def given_name(rng: random.Random, gender: str) -> str:
    names, singles = (_MALE_NAMES, _MALE_SINGLE) if gender == MALE else (_FEMALE_NAMES, _FEMALE_SINGLE)
    name = names[int(rng.random() * len(names))]
    if len(name) == 1 and rng.random() < 0.55:
        name += singles[int(rng.random() * len(singles))]
    return name


def person_name(rng: random.Random, gender: str) -> str:
    return surname(rng) + given_name(rng, gender)


def mobile_number(rng: random.Random) -> str:
    return f"{_PHONE_PREFIXES[int(rng.random() * len(_PHONE_PREFIXES))]}{rng.randrange(100_000_000):08d}"


def chinese_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


def county_centre(code: str) -> tuple[float, float]:
    if code in _KNOWN_COUNTY_CENTRES:
        return _KNOWN_COUNTY_CENTRES[code]
    lat, lon = _PROVINCE_CENTRES.get(code[:2], (34.0, 113.0))
    rng = random.Random(f"centre|{code}")
    return lat + rng.uniform(-1.5, 1.5), lon + rng.uniform(-1.8, 1.8)


def short_name(name: str) -> str:
    """兰考县 → 兰考, 堌阳镇 → 堌阳, 兰阳街道 → 兰阳 (for names of schools and tribunals)."""
    for suffix in ("街道", "办事处", "民族乡", "族乡", "镇", "乡", "县", "区", "市", "旗"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def is_street(name: str) -> bool:
    return name.endswith("街道") or name.endswith("办事处")


# --------------------------------------------------------------------------------- plan of one county


@dataclass
class VillagePlan:
    code: str
    name: str
    is_community: bool
    households: int
    lat: float
    lon: float
    id: int | None = None
    grids: list[tuple[int, str]] = field(default_factory=list)  # (id, code)
    road: str = ""


@dataclass
class TownshipPlan:
    code: str
    name: str
    is_street: bool
    villages: list[VillagePlan]
    id: int | None = None


@dataclass
class CountyTerritory:
    code: str
    name: str
    id: int
    address_prefix: str
    townships: list[TownshipPlan]


def _unique_name(rng: random.Random, make, taken: set[str]) -> str:
    for _ in range(50):
        name = make()
        if name not in taken:
            taken.add(name)
            return name
    name = make() + str(len(taken))
    taken.add(name)
    return name


def _village_name(rng: random.Random) -> str:
    head = rng.choice(_VILLAGE_HEADS) if rng.random() < 0.45 else ""
    return f"{head}{surname(rng)}{rng.choice(_VILLAGE_TAILS)}村"


def _community_name(rng: random.Random) -> str:
    return f"{rng.choice(_COMMUNITY_HEADS)}{rng.choice(_COMMUNITY_TAILS)}社区"


def plan_townships(ctx: DemoContext, county_code: str, townships, households: int) -> list[TownshipPlan]:
    rng = ctx.rng("territory.regions", county_code)
    centre_lat, centre_lon = county_centre(county_code)
    weights = []
    for t in townships:
        base = 1.5 if is_street(t.name) else (1.0 if t.name.endswith("镇") else 0.75)
        weights.append(base * rng.lognormvariate(0, 0.25))
    plans = []
    for division, hh in zip(townships, split_total(households, weights), strict=True):
        street = is_street(division.name)
        village_avg = min(380.0, max(40.0, hh / 6))
        community_avg = min(1400.0, max(60.0, hh / 4))
        if street:
            n_comm, n_vil, comm_share = max(1, round(hh / community_avg)), 0, 1.0
        else:
            comm_share = 0.12 if division.name.endswith("镇") else 0.0
            n_comm = max(1, round(hh * comm_share / community_avg)) if comm_share else 0
            n_vil = max(1, round(hh * (1 - comm_share) / village_avg))
        kinds = [True] * n_comm + [False] * n_vil
        unit_weights = [
            (community_avg if is_comm else village_avg) * rng.lognormvariate(0, 0.35) for is_comm in kinds
        ]
        taken: set[str] = set()
        villages = []
        spread = 0.03 if street else 0.2
        t_lat = centre_lat + rng.uniform(-spread, spread)
        t_lon = centre_lon + rng.uniform(-spread, spread) * 1.2
        comm_no, vil_no = 0, 200
        for is_comm, v_hh in zip(kinds, split_total(hh, unit_weights), strict=True):
            if is_comm:
                comm_no += 1
                code, name = (
                    f"{division.code}{comm_no:03d}",
                    _unique_name(rng, lambda: _community_name(rng), taken),
                )
            else:
                vil_no += 1
                code, name = (
                    f"{division.code}{vil_no:03d}",
                    _unique_name(rng, lambda: _village_name(rng), taken),
                )
            villages.append(
                VillagePlan(
                    code=code,
                    name=name,
                    is_community=is_comm,
                    households=v_hh,
                    lat=t_lat + rng.uniform(-0.04, 0.04),
                    lon=t_lon + rng.uniform(-0.05, 0.05),
                    road=f"{rng.choice(_COMMUNITY_HEADS)}{rng.choice(_ROAD_TAILS)}",
                )
            )
        plans.append(TownshipPlan(division.code, division.name, street, villages))
    return plans


# -------------------------------------------------------------------------------------------- steps


def step_regions(ctx: DemoContext) -> dict[str, int]:
    """The real tree (province → county → township) and generated villages/communities with grids."""
    plan = ctx.plan
    regions: dict[str, Region] = {
        r.code: r for r in Region.objects.filter(code__in=[a.code for a in plan.ancestors])
    }
    created = {"regions": 0, "grids": 0}
    for ancestor in plan.ancestors:
        if ancestor.code in regions:
            continue
        parent = regions.get(ancestor.parent_code)
        regions[ancestor.code] = Region.objects.create(
            code=ancestor.code,
            name=ancestor.name,
            level=ancestor.level,
            parent=parent,
            path=region_path(parent, ancestor.code),
        )
        created["regions"] += 1
    by_code = {a.code: a for a in plan.ancestors}
    territories: list[CountyTerritory] = []
    bar = ctx.progress(len(plan.counties), "regions and grids", unit="county")
    for county_plan in plan.counties:
        division = county_plan.division
        parent = regions.get(division.parent_code)
        county = Region.objects.create(
            code=division.code,
            name=division.name,
            level=RegionLevel.COUNTY,
            parent=parent,
            path=region_path(parent, division.code),
            is_urban=division.name.endswith("区"),
        )
        created["regions"] += 1
        names, code = [], division.parent_code
        while code in by_code:
            names.append(by_code[code].name)
            code = by_code[code].parent_code
        prefix = "".join(n for n in reversed(names) if n not in _SILENT_NAMES) + division.name
        townships = plan_townships(ctx, division.code, county_plan.townships, county_plan.households)
        township_rows = ctx.bulk_create(
            Region,
            [
                Region(
                    code=t.code,
                    name=t.name,
                    level=RegionLevel.TOWNSHIP,
                    parent=county,
                    path=region_path(county, t.code),
                    is_urban=t.is_street,
                )
                for t in townships
            ],
        )
        village_rows = []
        for township, row in zip(townships, township_rows, strict=True):
            township.id = row.pk
            for v in township.villages:
                village_rows.append(
                    Region(
                        code=v.code,
                        name=v.name,
                        level=RegionLevel.VILLAGE,
                        parent_id=row.pk,
                        path=f"{row.path}{v.code}/",
                        is_urban=v.is_community,
                    )
                )
        village_rows = ctx.bulk_create(Region, village_rows)
        villages = [v for t in townships for v in t.villages]
        grid_rows = []
        for village, row in zip(villages, village_rows, strict=True):
            village.id = row.pk
            per_grid = 320 if village.is_community else 260
            for i in range(1, max(1, math.ceil(village.households / per_grid)) + 1):
                grid_rows.append(
                    Grid(
                        code=f"{village.code}-{i:02d}",
                        name=f"{village.name}第{chinese_number(i)}网格",
                        region_id=row.pk,
                        county=county,
                    )
                )
        grid_rows = ctx.bulk_create(Grid, grid_rows)
        by_village: dict[int, list[tuple[int, str]]] = {}
        for grid in grid_rows:
            by_village.setdefault(grid.region_id, []).append((grid.pk, grid.code))
        for village in villages:
            village.grids = by_village[village.id]
        created["regions"] += len(township_rows) + len(village_rows)
        created["grids"] += len(grid_rows)
        territories.append(CountyTerritory(division.code, division.name, county.pk, prefix, townships))
        bar.update(1)
    bar.close()
    ctx.state["territory"] = territories
    return created


def _care_tags() -> dict[str, int]:
    tags = {t.code: t.pk for t in CareTag.objects.filter(code__in=CARE_TAG_CODES)}
    for order, code in enumerate(CARE_TAG_CODES):
        if code not in tags:
            name, name_en = _CARE_TAG_NAMES[code]
            tags[code] = CareTag.objects.create(code=code, name=name, name_en=name_en, sort_order=order).pk
    return tags


def _age_between(rng: random.Random, low: int, high: int, mode: float | None = None) -> int:
    return int(rng.triangular(low, high + 0.999, mode if mode is not None else (low + high) / 2))


def _children(rng: random.Random, parent_age: int, count: int, youngest_parent_gap: int = 22) -> list[int]:
    ages = []
    age = parent_age - rng.randint(youngest_parent_gap, 33)
    for _ in range(count):
        if age < 0:
            break
        ages.append(age)
        age -= rng.randint(1, 7)
    return ages


def _gender(rng: random.Random, male_share: float = 0.52) -> str:
    return MALE if rng.random() < male_share else FEMALE


def household_members(rng: random.Random, kind: str) -> list[tuple[str, str, int]]:
    """(relationship, gender, age) of each member; the head first."""
    if kind == "single_elderly":
        return [(HEAD, _gender(rng, 0.38), _age_between(rng, 60, 94, 70))]
    if kind == "single_adult":
        return [(HEAD, _gender(rng, 0.65), _age_between(rng, 20, 59, 30))]
    if kind in ("elderly_couple", "couple"):
        low, high = (60, 90) if kind == "elderly_couple" else (22, 59)
        head_age = _age_between(rng, low, high, low + 6)
        head_gender = _gender(rng, 0.85)
        spouse_age = min(high, max(low, head_age + rng.randint(-6, 3)))
        return [(HEAD, head_gender, head_age), (SPOUSE, _other(head_gender), spouse_age)]
    if kind == "nuclear":
        head_age = rng.randint(26, 58)
        head_gender = _gender(rng, 0.85)
        members = [
            (HEAD, head_gender, head_age),
            (SPOUSE, _other(head_gender), max(20, head_age + rng.randint(-5, 3))),
        ]
        count = 1 if rng.random() < 0.5 else (2 if rng.random() < 0.84 else 3)
        members += [(CHILD, _gender(rng), a) for a in _children(rng, head_age, count)]
        return members
    if kind == "single_parent":
        head_age = rng.randint(28, 55)
        members = [(HEAD, _gender(rng, 0.3), head_age)]
        members += [
            (CHILD, _gender(rng), a) for a in _children(rng, head_age, 1 if rng.random() < 0.65 else 2)
        ]
        return members
    if kind == "three_generation":
        if rng.random() < 0.7:
            head_age = rng.randint(30, 55)
            head_gender = _gender(rng, 0.85)
            members = [
                (HEAD, head_gender, head_age),
                (SPOUSE, _other(head_gender), max(22, head_age + rng.randint(-5, 3))),
            ]
            members += [
                (CHILD, _gender(rng), a) for a in _children(rng, head_age, 1 if rng.random() < 0.55 else 2)
            ]
            father_age = head_age + rng.randint(22, 32)
            parents = [(PARENT, MALE, father_age), (PARENT, FEMALE, min(96, father_age + rng.randint(-5, 2)))]
            if rng.random() < 0.55:
                parents = [parents[1] if rng.random() < 0.65 else parents[0]]
            members += [p for p in parents if p[2] <= 96]
            return members[:6]
        head_age = rng.randint(58, 78)
        head_gender = _gender(rng, 0.8)
        members = [(HEAD, head_gender, head_age)]
        if rng.random() < 0.8:
            members.append((SPOUSE, _other(head_gender), max(55, head_age + rng.randint(-5, 3))))
        child_age = max(22, head_age - rng.randint(22, 32))
        members.append((CHILD, MALE, child_age))
        if rng.random() < 0.7:
            members.append((OTHER, FEMALE, max(21, child_age + rng.randint(-4, 2))))
        members += [
            (GRANDCHILD, _gender(rng), a) for a in _children(rng, child_age, 1 if rng.random() < 0.5 else 2)
        ]
        return members[:6]
    # skipped_generation: grandparents with grandchildren under 16 whose parents work away (留守儿童).
    head_age = rng.randint(55, 78)
    head_gender = _gender(rng, 0.5)
    members = [(HEAD, head_gender, head_age)]
    if rng.random() < 0.7:
        members.append((SPOUSE, _other(head_gender), max(52, head_age + rng.randint(-5, 3))))
    first = rng.randint(3, 15)
    members.append((GRANDCHILD, _gender(rng), first))
    if rng.random() < 0.45 and first > 1:
        members.append((GRANDCHILD, _gender(rng), rng.randint(1, first - 1)))
    return members


def _other(gender: str) -> str:
    return FEMALE if gender == MALE else MALE


def household_tags(rng: random.Random, kind: str, members: list[tuple[str, str, int]]) -> list[str]:
    tags = []
    if kind == "single_elderly":
        tags.append("elderly_alone")
    elif kind == "elderly_couple":
        tags.append("empty_nest")
    elif kind == "skipped_generation":
        tags.append("left_behind_child")
    draw = rng.random()
    tekun = _TEKUN_P.get(kind, 0.0)
    if draw < tekun:
        tags.append("tekun")
    elif draw < tekun + _DIBAO_P.get(kind, _DIBAO_DEFAULT_P):
        tags.append("dibao")
    if rng.random() < 0.02:
        tags.append("disabled")
    if rng.random() < 0.01:
        tags.append("key_attention")
    if any(g == MALE and 35 <= a <= 80 for _, g, a in members) and rng.random() < 0.045:
        tags.append("veteran")
    return tags


class _IdNumbers:
    """GB 11643 numbers of one county: region prefix, birth date, sequence (odd for men), check digit."""

    def __init__(self, county_code: str) -> None:
        self.prefix = county_code
        self.used: set[int] = set()

    def make(self, rng: random.Random, birth: date, gender: str) -> str:
        ordinal = birth.toordinal() * 1000
        while True:
            seq = rng.randrange(100) * 10 + (2 * rng.randrange(5) + (1 if gender == MALE else 0))
            if ordinal + seq not in self.used:
                self.used.add(ordinal + seq)
                break
        first17 = f"{self.prefix}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"
        return first17 + id_number_check_digit(first17)


def _birth_date(rng: random.Random, as_of: date, age: int) -> date:
    # Born between age+1 years and age years before as_of: the age on as_of is exactly ``age``.
    latest = _years_before(as_of, age).toordinal()
    earliest = _years_before(as_of, age + 1).toordinal() + 1
    return date.fromordinal(rng.randint(earliest, latest))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


FLUSH_HOUSEHOLDS = 2000
_HOUSEHOLD_FIELDS = ("number", "region", "county", "grid", "address", "latitude", "longitude")
_HOUSEHOLD_COLUMNS = ("id", *_HOUSEHOLD_FIELDS, "is_active", "notes", "created_at", "updated_at", "version")
_RESIDENT_FIELDS = (
    "name",
    "relationship",
    "gender",
    "birth_date",
    "id_number_encrypted",
    "id_number_hash",
    "id_number_masked",
    "phone_encrypted",
    "phone_hash",
    "phone_masked",
)
_RESIDENT_COLUMNS = (
    "household",
    "county",
    *_RESIDENT_FIELDS,
    "is_active",
    "created_at",
    "updated_at",
    "version",
)


def step_households(ctx: DemoContext) -> dict[str, int]:
    territories: list[CountyTerritory] = ctx.state["territory"]
    tag_ids = _care_tags()
    counts = {"households": 0, "residents": 0, "care_tags": 0}
    total = sum(c.households for c in ctx.plan.counties)
    bar = ctx.progress(total, "households and residents", unit="hh")
    for territory in territories:
        _county_households(ctx, territory, tag_ids, counts, bar)
    bar.close()
    return counts


def _county_households(
    ctx: DemoContext, territory: CountyTerritory, tag_ids: dict[str, int], counts: dict[str, int], bar
) -> None:
    rng = ctx.rng("territory.households", territory.code)
    ids = _IdNumbers(territory.code)
    through = Household.care_tags.through
    pending: list[tuple[tuple, list[tuple[str, str, date, str, str, str]], list[str]]] = []

    def flush() -> None:
        now = timezone.now()
        household_ids = ctx.reserve_ids(Household, len(pending))
        households, residents, tag_rows = [], [], []
        for household_id, (household, members, tags) in zip(household_ids, pending, strict=True):
            households.append((household_id, *household, True, "", now, now, 1))
            for name, gender, birth, relationship, id_number, phone in members:
                data = ResidentInput(
                    name=name,
                    id_number=id_number,
                    phone=phone,
                    relationship=relationship,
                    gender=gender,
                    birth_date=birth,
                )
                # The same protected columns the services write: encrypted, blind index, masked.
                fields = resident_fields(data)
                residents.append(
                    (
                        household_id,
                        territory.id,
                        *(fields[name] for name in _RESIDENT_FIELDS),
                        True,
                        now,
                        now,
                        1,
                    )
                )
            for tag in tags:
                tag_rows.append((household_id, tag_ids[tag]))
        ctx.insert_rows(Household, _HOUSEHOLD_COLUMNS, households)
        ctx.insert_rows(Resident, _RESIDENT_COLUMNS, residents)
        ctx.insert_rows(through, ("household", "caretag"), tag_rows)
        counts["households"] += len(households)
        counts["residents"] += len(residents)
        counts["care_tags"] += len(tag_rows)
        bar.update(len(households))
        pending.clear()

    for township in territory.townships:
        for village in township.villages:
            grid_ids = [g for g, _ in village.grids]
            per_grid = math.ceil(village.households / len(grid_ids)) if village.households else 1
            for index in range(village.households):
                grid_id = grid_ids[index // per_grid]
                pending.append(_household(rng, territory, township, village, index, grid_id, ids, ctx.as_of))
                if len(pending) >= FLUSH_HOUSEHOLDS:
                    flush()
    if pending:
        flush()


def _household(
    rng: random.Random,
    territory: CountyTerritory,
    township: TownshipPlan,
    village: VillagePlan,
    index: int,
    grid_id: int,
    ids: _IdNumbers,
    as_of: date,
):
    kind = _KIND_NAMES[bisect(_KIND_CUM, rng.random() * _KIND_CUM[-1])]
    members = household_members(rng, kind)
    tags = household_tags(rng, kind, members)
    place = f"{territory.address_prefix}{township.name}{village.name}"
    if village.is_community:
        building, rest = divmod(index, 36)
        unit, room = divmod(rest, 12)
        floor, door = divmod(room, 2)
        address = (
            f"{place}{village.road}{(index // 180) * 2 + 1}号{building % 30 + 1}栋{unit + 1}单元"
            f"{floor + 1}{door + 1:02d}室"
        )
    else:
        address = f"{place}{index // 45 + 1}组{index % 45 + 1}号"
    lat = lon = None
    if rng.random() < 0.7:
        lat = Decimal(f"{village.lat + rng.gauss(0, 0.004):.6f}")
        lon = Decimal(f"{village.lon + rng.gauss(0, 0.005):.6f}")
    # Men of the household and every child share the family name; wives and mothers keep their own.
    family = surname(rng)
    people = []
    for relationship, gender, age in members:
        if relationship in (CHILD, GRANDCHILD) or (gender == MALE and relationship in (HEAD, SPOUSE, PARENT)):
            name = family + given_name(rng, gender)
        else:
            name = person_name(rng, gender)
        birth = _birth_date(rng, as_of, age)
        phone = ""
        if age >= 16 and rng.random() < (0.93 if age < 70 else 0.55):
            phone = mobile_number(rng)
        people.append((name, gender, birth, relationship, ids.make(rng, birth, gender), phone))
    household = (f"{village.code}{index + 1:04d}", village.id, territory.id, grid_id, address, lat, lon)
    return household, people, tags


# ------------------------------------------------------------------------------------ organisations

_COUNTY_AGENCIES = [
    "人民政府办公室", "公安局", "民政局", "司法局", "人力资源和社会保障局", "自然资源局", "住房和城乡建设局",
    "农业农村局", "卫生健康委员会", "教育局", "市场监督管理局", "信访局", "退役军人事务局", "应急管理局",
    "人民检察院", "妇女联合会", "残疾人联合会", "总工会",
]  # fmt: skip
_ENTERPRISE_BRANDS = [
    "恒丰", "宏达", "鑫源", "华泰", "瑞丰", "金穗", "绿源", "天成", "富民", "兴旺", "永盛", "博远", "长兴",
    "众鑫", "嘉禾", "顺达", "新航", "锦程", "泰和", "润泽", "裕丰", "正阳", "合力", "东方", "中原",
]  # fmt: skip
_ENTERPRISE_TRADES = [
    "农业科技", "食品", "建材", "乐器制造", "物流", "商贸", "纺织", "家具", "电子科技", "新能源",
    "养殖", "农机服务", "建筑工程", "餐饮管理", "文化传媒", "木业", "服装", "医药连锁",
]  # fmt: skip
_COOPERATIVE_CROPS = ["小麦", "花生", "蔬菜", "红薯", "泡桐", "蜜瓜", "食用菌", "中药材", "葡萄", "生猪"]
_SOCIAL_ORGS = [
    "慈善总会",
    "志愿者协会",
    "老年人协会",
    "个体劳动者协会",
    "人民调解协会",
    "红十字会",
    "书法家协会",
]
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code(rng: random.Random) -> str:
    """A GB 11714 organisation code (8 digits and its check character)."""
    body = f"{rng.randrange(10**8):08d}"
    check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def credit_code(rng: random.Random, kind: str, region6: str) -> str:
    """A GB 32100 unified social credit code: authority + category, region, organisation code, check."""
    first17 = f"{kind}{region6}{organisation_code(rng)}"
    return first17 + credit_code_check(first17)


def step_organisations(ctx: DemoContext) -> dict[str, int]:
    territories: list[CountyTerritory] = ctx.state["territory"]
    counts = {"organisations": 0}
    bar = ctx.progress(len(territories), "organisations", unit="county")
    for territory in territories:
        rows = ctx.bulk_create(
            Organization, county_organisations(ctx.rng("territory.organisations", territory.code), territory)
        )
        counts["organisations"] += len(rows)
        bar.update(1)
    bar.close()
    return counts


def county_organisations(rng: random.Random, territory: CountyTerritory) -> list[Organization]:
    """Agencies, schools, village committees (one per village/community), enterprises, cooperatives and
    social organisations of one county, each with a valid unified social credit code."""
    county_short = short_name(territory.name)
    rows: list[Organization] = []

    def add(name: str, kind: str, region_id: int, code_kind: str, address: str) -> None:
        rows.append(
            Organization(
                name=name,
                kind=kind,
                region_id=region_id,
                county_id=territory.id,
                credit_code=credit_code(rng, code_kind, territory.code),
                address=address,
                contact_name=person_name(rng, _gender(rng, 0.6)),
                contact_phone=mobile_number(rng),
            )
        )

    def make_enterprise_name() -> str:
        return f"{county_short}{rng.choice(_ENTERPRISE_BRANDS)}{rng.choice(_ENTERPRISE_TRADES)}有限公司"

    seat = territory.address_prefix
    for suffix in _COUNTY_AGENCIES:
        add(
            f"{territory.name}{suffix}",
            OrganizationKind.AGENCY,
            territory.id,
            "11",
            f"{seat}{rng.choice(_COMMUNITY_HEADS)}路{rng.randint(1, 300)}号",
        )
    for school in ("第一高级中学", "第二高级中学", "职业教育中心"):
        add(
            f"{territory.name}{school}",
            OrganizationKind.SCHOOL,
            territory.id,
            "12",
            f"{seat}{rng.choice(_COMMUNITY_HEADS)}路{rng.randint(1, 300)}号",
        )
    for org in _SOCIAL_ORGS:
        add(
            f"{territory.name}{org}",
            OrganizationKind.SOCIAL_ORGANISATION,
            territory.id,
            "51",
            f"{seat}{rng.choice(_COMMUNITY_HEADS)}街{rng.randint(1, 200)}号",
        )
    total_households = sum(v.households for t in territory.townships for v in t.villages)
    enterprises = max(3, total_households // 400)
    for township in territory.townships:
        place = f"{seat}{township.name}"
        office = "办事处" if township.is_street else "人民政府"
        add(
            f"{territory.name}{township.name}{office}",
            OrganizationKind.AGENCY,
            township.id,
            "11",
            f"{place}政府路{rng.randint(1, 50)}号",
        )
        add(
            f"{territory.name}司法局{short_name(township.name)}司法所",
            OrganizationKind.AGENCY,
            township.id,
            "11",
            f"{place}政府路{rng.randint(1, 50)}号",
        )
        add(
            f"{county_short}{short_name(township.name)}中心小学",
            OrganizationKind.SCHOOL,
            township.id,
            "12",
            f"{place}育才路{rng.randint(1, 80)}号",
        )
        add(
            f"{county_short}{short_name(township.name)}初级中学",
            OrganizationKind.SCHOOL,
            township.id,
            "12",
            f"{place}文化路{rng.randint(1, 80)}号",
        )
        for village in township.villages:
            vplace = f"{place}{village.name}"
            committee = "居民委员会" if village.is_community else "村民委员会"
            add(
                f"{territory.name}{township.name}{village.name}{committee}",
                OrganizationKind.VILLAGE_COMMITTEE,
                village.id,
                "54",
                vplace,
            )
            if not village.is_community and rng.random() < 0.3:
                add(
                    f"{short_name(township.name)}{village.name[:-1]}小学",
                    OrganizationKind.SCHOOL,
                    village.id,
                    "12",
                    vplace,
                )
            if not village.is_community and rng.random() < 0.25:
                crop = rng.choice(_COOPERATIVE_CROPS)
                add(
                    f"{territory.name}{village.name[:-1]}{crop}种植专业合作社",
                    OrganizationKind.ENTERPRISE,
                    village.id,
                    "93",
                    vplace,
                )
            if village.is_community and rng.random() < 0.5:
                add(
                    f"{village.name}志愿服务队",
                    OrganizationKind.SOCIAL_ORGANISATION,
                    village.id,
                    "52",
                    vplace,
                )
    all_villages = [(t, v) for t in territory.townships for v in t.villages]
    names_taken: set[str] = set()
    for _ in range(enterprises):
        township, village = all_villages[int(rng.random() * len(all_villages))]
        name = _unique_name(
            rng,
            lambda: f"{county_short}{rng.choice(_ENTERPRISE_BRANDS)}{rng.choice(_ENTERPRISE_TRADES)}有限公司",
            names_taken,
        )
        add(name, OrganizationKind.ENTERPRISE, village.id, "91", f"{seat}{township.name}{village.name}")
    return rows


STEPS = [
    DemoStep("territory.regions", "regions and grids", step_regions),
    DemoStep("territory.households", "households and residents", step_households),
    DemoStep("territory.organisations", "organisations", step_organisations),
]


def reset(manifest: DemoManifest) -> dict[str, int]:
    """Remove what the territory steps created for ``manifest``'s counties (largest tables first)."""
    counties = list(Region.objects.filter(code__in=manifest.county_codes, level=RegionLevel.COUNTY))
    removed = {"residents": 0, "households": 0, "organisations": 0, "grids": 0, "regions": 0}
    if not counties:
        return removed
    county_ids = [c.pk for c in counties]
    households = Household.objects.filter(county_id__in=county_ids)
    removed["residents"] = raw_delete(Resident.objects.filter(county_id__in=county_ids))
    raw_delete(Household.care_tags.through.objects.filter(household__county_id__in=county_ids))
    removed["households"] = raw_delete(households)
    removed["organisations"] = raw_delete(Organization.objects.filter(county_id__in=county_ids))
    removed["grids"] = raw_delete(Grid.objects.filter(county_id__in=county_ids))
    for level in (RegionLevel.VILLAGE, RegionLevel.TOWNSHIP):
        for county in counties:
            removed["regions"] += raw_delete(Region.objects.filter(level=level, path__startswith=county.path))
    removed["regions"] += raw_delete(Region.objects.filter(pk__in=county_ids))
    for code in reversed(manifest.ancestors_created):
        region = Region.objects.filter(code=code).first()
        if region is not None and not region.children.exists():
            region.delete()
            removed["regions"] += 1
    return removed
