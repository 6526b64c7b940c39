"""Checking every row of a register before anything is written.

Rows are checked in batches of ``BATCH_ROWS``: each batch costs one query for villages (plus one for their
counties), one for grids, one for existing household numbers and one for existing ID numbers (see
``lookups``), never a query per row. The result is a plan (households with their resolved region, county,
grid and care tags; residents with their normalised values and ID blind index) and the list of every
problem found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from grassroots.common.protected import (
    blind_index,
    id_number_problem,
    normalise_id_number,
    normalise_phone,
    phone_problem,
)
from grassroots.common.scoping import Actor

from ..models import Household, Relationship, Resident
from ..services import ResidentInput, resident_validate
from .columns import (
    COLUMN_KEYS,
    HOUSEHOLD_KEYS,
    RELATIONSHIP_LABELS_ZH,
    RELATIONSHIPS,
    map_headers,
    split_tags,
)
from .lookups import Lookups, stored
from .readers import Source, cell_text
from .report import ImportReport, ProgressCallback, RowError

BATCH_ROWS = 2000

# Messages produced by the shared validators; listed so that they are extracted for translation.
_SHARED_MESSAGES = (
    gettext_noop("is required"),
    gettext_noop("is longer than 100 characters"),
    gettext_noop("is not a phone number"),
    gettext_noop("must be 17 digits followed by a digit or X"),
    gettext_noop("contains an impossible birth date"),
    gettext_noop("check digit is wrong"),
    gettext_noop("is outside your area"),
)


@dataclass
class PlannedHousehold:
    number: str
    row: int
    values: dict[str, str]  # raw texts of the household columns, as on the first row
    region_id: int = 0
    county_id: int = 0
    grid_id: int | None = None
    tag_ids: tuple[int, ...] = ()


class PlannedResident(NamedTuple):
    household_number: str
    row: int
    name: str
    relationship: str
    id_number: str  # normalised, "" when absent or invalid
    id_number_hash: str  # its blind index, "" without an ID number
    phone: str  # normalised


def resident_certainly_valid(name: str, phone: str) -> bool:
    """True when ``services.resident_validate`` has nothing to say about this name and normalised phone (the
    relationship comes from ``RELATIONSHIPS`` and is always valid). Most rows pass this cheap test; the
    others are checked, and get their messages, by ``resident_validate`` itself."""
    return bool(name.strip()) and len(name) <= 100 and (not phone or phone_problem(phone) is None)


# (spreadsheet row, cell texts by column key, the raw ID cell when it is a float that lost digits)
_Row = tuple[int, dict[str, str], float | None]


class Validator:
    def __init__(self, actor: Actor, header_names: dict[str, str]):
        self.header = header_names  # column key -> header text in the file
        self.lookups = Lookups(actor)
        self.villages, self.grids, self.tags = self.lookups.villages, self.lookups.grids, self.lookups.tags
        self.households: dict[str, PlannedHousehold] = {}
        self.id_rows: dict[str, int] = {}
        self.residents: list[PlannedResident] = []
        self.errors: list[RowError] = []

    def error(self, row: int, key: str, message: str, code: str = "invalid") -> None:
        self.errors.append(RowError(row, self.header.get(key, key), message, code))

    def feed(self, batch: list[_Row]) -> None:
        new_numbers = {v["household_number"] for _r, v, _i in batch} - self.households.keys()
        new_numbers.discard("")
        self.lookups.load_villages({v["village_code"] for _r, v, _i in batch if v["village_code"]})
        self.lookups.load_grids({v["grid_code"] for _r, v, _i in batch if v["grid_code"]})
        existing_numbers = stored(Household, "number", new_numbers)
        # Normalised ID number and, when it is well-formed, its blind index; looked up in one query.
        ids: dict[int, tuple[str, str | None]] = {}
        for row, values, raw_id in batch:
            id_number = normalise_id_number(values["id_number"])
            if id_number:
                valid = raw_id is None and id_number_problem(id_number) is None
                ids[row] = (id_number, blind_index(id_number) if valid else None)
        hashes = {h for _n, h in ids.values() if h}
        registered = stored(Resident, "id_number_hash", hashes)
        for row, values, raw_id in batch:
            self._household_row(row, values, existing_numbers)
            self._resident_row(row, values, raw_id, ids.get(row, ("", None)), registered)

    def _household_row(self, row: int, values: dict[str, str], existing_numbers: set[str]) -> None:
        number = values["household_number"]
        if not number:
            self.error(row, "household_number", _("is required"), "required")
            return
        if len(number) > 32:
            self.error(row, "household_number", _("is longer than 32 characters"))
            return
        household = self.households.get(number)
        if household is not None:
            self._compare_household(row, values, household)
            return
        household = PlannedHousehold(number, row, {k: values[k] for k in HOUSEHOLD_KEYS})
        self.households[number] = household
        if number in existing_numbers:
            self.error(
                row,
                "household_number",
                _("household %(number)s is already registered") % {"number": number},
                "duplicate_household",
            )
        village = None
        code = values["village_code"]
        if not code:
            self.error(row, "village_code", _("is required"), "required")
        else:
            village = self.villages.get(code)
            if village is None:
                self.error(
                    row,
                    "village_code",
                    _("unknown village or community code %(code)s") % {"code": code},
                    "unknown_village",
                )
            elif not village.is_village:
                self.error(
                    row,
                    "village_code",
                    _("%(code)s is not a village or community") % {"code": code},
                    "unknown_village",
                )
                village = None
            elif village.scope_error:
                self.error(row, "village_code", _(village.scope_error), "scope")
                village = None
        if village is not None:
            household.region_id, household.county_id = village.id, village.county_id or village.id
        grid_code = values["grid_code"]
        if grid_code:
            grid = self.grids.get(grid_code)
            if grid is None:
                self.error(row, "grid_code", _("unknown grid %(code)s") % {"code": grid_code}, "unknown_grid")
            elif village is not None and grid[1] != village.id:
                self.error(
                    row,
                    "grid_code",
                    _("grid %(grid)s is not in village or community %(village)s")
                    % {"grid": grid_code, "village": code},
                    "grid_not_in_village",
                )
            else:
                household.grid_id = grid[0]
        address = values["address"]
        if not address:
            self.error(row, "address", _("is required"), "required")
        elif len(address) > 255:
            self.error(row, "address", _("is longer than 255 characters"))
        tag_ids: list[int] = []
        for tag in split_tags(values["care_tags"]) if values["care_tags"] else ():
            tag_id = self.tags.get(tag.lower())
            if tag_id is None:
                self.error(
                    row,
                    "care_tags",
                    _("unknown care tag “%(tag)s” (known: %(known)s)")
                    % {"tag": tag, "known": self.lookups.tag_names},
                    "unknown_care_tag",
                )
            elif tag_id not in tag_ids:
                tag_ids.append(tag_id)
        household.tag_ids = tuple(tag_ids)

    def _compare_household(self, row: int, values: dict[str, str], household: PlannedHousehold) -> None:
        # A blank cell repeats the first row (the usual fill-down or merged cells); a different value is a
        # conflict because one household has one place.
        for key in HOUSEHOLD_KEYS:
            value, first = values[key], household.values[key]
            if not value or value == first:
                continue
            if key == "care_tags":
                same = {t.lower() for t in split_tags(value)} == {t.lower() for t in split_tags(first)}
                same = same or self._tag_ids(value) == self._tag_ids(first)
            else:
                same = False
            if not same:
                self.error(
                    row,
                    key,
                    _(
                        "“%(value)s” conflicts with “%(first)s” on row %(row)d, the first row of household %(number)s"
                    )
                    % {"value": value, "first": first, "row": household.row, "number": household.number},
                    "household_conflict",
                )

    def _tag_ids(self, text: str) -> set[int | None]:
        return {self.tags.get(t.lower()) for t in split_tags(text)}

    def _resident_row(
        self,
        row: int,
        values: dict[str, str],
        raw_id: float | None,
        checked_id: tuple[str, str | None],
        registered: set[str],
    ) -> None:
        if not (values["name"] or values["relationship"] or values["id_number"] or values["phone"]):
            return  # a household without registered members (all of RESIDENT_KEYS are empty)
        relationship = Relationship.OTHER
        if values["relationship"]:
            found = RELATIONSHIPS.get(values["relationship"].strip().lower())
            if found is None:
                self.error(
                    row,
                    "relationship",
                    _("unknown relationship “%(value)s” (use %(known)s)")
                    % {"value": values["relationship"], "known": "/".join(RELATIONSHIP_LABELS_ZH.values())},
                )
            else:
                relationship = found
        phone = normalise_phone(values["phone"])
        if "*" in phone:
            self.error(
                row, "phone", _("is masked; only a full-detail export can be imported with phone numbers")
            )
            phone = ""
        if not resident_certainly_valid(values["name"], phone):
            for problem in resident_validate(
                ResidentInput(name=values["name"], phone=phone, relationship=relationship)
            ):
                self.error(row, problem.field, _(problem.message), problem.code)
        id_number, id_hash = checked_id  # normalised; blind index when well-formed
        if id_number:
            if raw_id is not None:
                self.error(
                    row,
                    "id_number",
                    _("was saved as a number and lost its last digits; format the column as text"),
                    "invalid_id_number",
                )
                id_number = ""
            elif "*" in id_number:
                self.error(
                    row,
                    "id_number",
                    _("is masked; only a full-detail export can be imported with ID numbers"),
                    "invalid_id_number",
                )
                id_number = ""
            elif id_hash is None:
                self.error(row, "id_number", _(id_number_problem(id_number) or ""), "invalid_id_number")
                id_number = ""
            elif id_hash in registered:
                self.error(
                    row,
                    "id_number",
                    _("a resident with this ID number is already registered"),
                    "duplicate_id_registered",
                )
            elif id_hash in self.id_rows:
                self.error(
                    row,
                    "id_number",
                    _("the same ID number is on rows %(first)d and %(row)d")
                    % {"first": self.id_rows[id_hash], "row": row},
                    "duplicate_id_in_file",
                )
            else:
                self.id_rows[id_hash] = row
        self.residents.append(
            PlannedResident(
                values["household_number"],
                row,
                values["name"].strip(),
                relationship,
                id_number,
                (id_hash or "") if id_number else "",
                phone,
            )
        )


def validate(
    actor: Actor, source: Source, report: ImportReport, progress: ProgressCallback | None
) -> Validator | None:
    """Check every row of ``source``; None when the header row itself is unusable (see report.errors)."""
    index, names, header_problems = map_headers(source.headers)
    if header_problems:
        report.errors.extend(header_problems)
        return None
    validator = Validator(actor, names)
    positions = sorted(index.items())
    id_position = next((p for p, k in positions if k == "id_number"), None)
    batch: list[_Row] = []
    for number, cells in source.rows:
        values = dict.fromkeys(COLUMN_KEYS, "")
        width = len(cells)
        for position, key in positions:
            if position < width:
                cell = cells[position]
                values[key] = cell.strip() if type(cell) is str else cell_text(cell)
        if not any(values.values()) and not any(cell_text(c) for c in cells):
            continue  # blank lines keep their numbers but are not rows of the register
        raw_id = cells[id_position] if id_position is not None and id_position < width else None
        # Only a number too large for a double has lost digits; smaller numbers are shown as they are.
        batch.append((number, values, raw_id if isinstance(raw_id, float) and raw_id >= 1e15 else None))
        report.rows_read += 1
        if len(batch) >= BATCH_ROWS:
            validator.feed(batch)
            batch = []
            if progress:
                progress("validate", report.rows_read, source.total_estimate)
    if batch:
        validator.feed(batch)
    if progress:
        progress("validate", report.rows_read, report.rows_read)
    return validator
