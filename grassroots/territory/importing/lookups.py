"""The reference data validation looks up, in batches: one query per kind per batch, never one per row.

Villages (with their county and whether the importing person may write there), grids and care tags are
cached for the whole file; household numbers and ID-number blind indexes already stored are asked about
once per batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, models

from grassroots.common.errors import ValidationFailed
from grassroots.common.scoping import Actor

from ..models import CareTag, Grid, Region, RegionLevel
from ..services import _require_region_write


@dataclass
class Village:
    id: int
    code: str
    path: str
    is_village: bool
    county_id: int | None
    scope_error: str | None


class Lookups:
    def __init__(self, actor: Actor):
        self.actor = actor
        self.villages: dict[str, Village | None] = {}
        self.grids: dict[str, tuple[int, int] | None] = {}  # code -> (grid id, village id)
        self.tags: dict[str, int] = {}  # lower-cased code, name or English name -> care tag id
        names = []
        for tag in CareTag.objects.all():
            names.append(tag.name)
            for key in (tag.code, tag.name, tag.name_en):
                if key:
                    self.tags[key.strip().lower()] = tag.id
        self.tag_names = "、".join(names)

    def load_villages(self, codes: set[str]) -> None:
        """Two queries for the codes not seen yet: the regions, then their ancestors (for the county)."""
        codes -= self.villages.keys()
        if not codes:
            return
        found = {r.code: r for r in Region.objects.filter(code__in=codes).only("id", "code", "level", "path")}
        ancestors = {c for r in found.values() for c in r.ancestor_codes()}
        chain = {
            r.code: r for r in Region.objects.filter(code__in=ancestors).only("id", "code", "level", "path")
        }
        for code in codes:
            region = found.get(code)
            if region is None:
                self.villages[code] = None
                continue
            # The same rule as services.region_county: the county ancestor, else the root of the tree.
            path_regions = [chain[c] for c in region.ancestor_codes() if c in chain]
            county = next((r for r in path_regions if r.level == RegionLevel.COUNTY), None)
            county = county or (path_regions[0] if path_regions else region)
            scope_error = None
            try:
                _require_region_write(self.actor, region, "village_code")
            except ValidationFailed as exc:
                scope_error = exc.errors[0].message if exc.errors else str(exc.message)
            self.villages[code] = Village(
                region.id,
                code,
                region.path,
                region.level == RegionLevel.VILLAGE,
                county.id,
                scope_error,
            )

    def load_grids(self, codes: set[str]) -> None:
        codes -= self.grids.keys()
        if not codes:
            return
        found = {
            c: (i, r)
            for c, i, r in Grid.objects.filter(code__in=codes).values_list("code", "id", "region_id")
        }
        for code in codes:
            self.grids[code] = found.get(code)


def stored(model: type[models.Model], field: str, values: set[str]) -> set[str]:
    """Which of ``values`` are already stored in ``field``: one query. Plain SQL, because for a batch of
    thousands of values the ORM's preparation of each value costs more than the indexed lookup itself."""
    if not values:
        return set()
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(model._meta.get_field(field).column)
    marks = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", list(values))  # noqa: S608 -- names from the model
        return {value for (value,) in cursor.fetchall()}
