"""Import of household and resident registers (户籍/花名册) from the spreadsheets villages keep.

One row per resident (see docs/registers.md). The file is read as a stream (.xlsx through openpyxl's
read-only mode, .csv in UTF-8 with or without BOM, or GBK/GB18030) and validated in batches: each batch
costs one query for villages (plus one for their counties), one for grids, one for existing household
numbers and one for existing ID numbers, never a query per row. Nothing is written unless every row is
valid; then all households, care tags and residents are written with ``bulk_create`` inside one
transaction together with one hash-chained audit entry, so a failure at any point leaves the registers
unchanged.

Pages run an import as an ``ImportJob``: small files in the request, large ones in a background thread
that reports progress (see ``import_job_start``).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from grassroots.common.audit import AuditRecord, audit_append
from grassroots.common.errors import DomainError, Forbidden, ValidationFailed
from grassroots.common.protected import (
    blind_index,
    id_number_problem,
    normalise_id_number,
    normalise_phone,
)
from grassroots.common.scoping import Actor, as_actor

from .models import (
    CareTag,
    Grid,
    Household,
    ImportJob,
    ImportJobStatus,
    Region,
    RegionLevel,
    Relationship,
    Resident,
)
from .services import ResidentInput, _require_region_write, resident_fields, resident_validate

logger = logging.getLogger(__name__)

BATCH_ROWS = 2000
WRITE_BATCH = 1000
# Errors kept on an ImportJob for the page (the report returned by ``register_import`` keeps them all).
JOB_ERROR_LIMIT = 2000

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


@dataclass(frozen=True)
class Column:
    key: str
    header_zh: str
    header_en: str
    required: bool
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("household_number", "户编号", "household_number", True, ("户号", "户籍编号", "household number")),
    Column(
        "village_code",
        "村社区代码",
        "village_code",
        True,
        (
            "村（社区）代码",
            "村(社区)代码",
            "村居代码",
            "村社区编码",
            "区划代码",
            "village code",
            "region_code",
        ),
    ),
    Column("grid_code", "网格编码", "grid_code", False, ("网格编号", "网格代码", "grid code", "grid")),
    Column("address", "地址", "address", True, ("家庭住址", "住址", "户籍地址")),
    Column("care_tags", "关爱标签", "care_tags", False, ("关爱类别", "标签", "care tags", "tags")),
    Column("name", "姓名", "name", True),
    Column("relationship", "与户主关系", "relationship", False, ("关系", "relationship_to_head")),
    Column("id_number", "身份证号", "id_number", False, ("身份证号码", "公民身份号码", "id number", "id_no")),
    Column("phone", "联系电话", "phone", False, ("电话", "手机号", "手机号码", "联系方式", "mobile")),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
HOUSEHOLD_KEYS = ("village_code", "grid_code", "address", "care_tags")
RESIDENT_KEYS = ("name", "relationship", "id_number", "phone")


def _header_key(text: str) -> str:
    text = (text or "").strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"[\s*＊:：_\-]+", "", text)


_HEADER_ALIASES: dict[str, str] = {}
for _column in COLUMNS:
    for _alias in (_column.key, _column.header_zh, _column.header_en, *_column.aliases):
        _HEADER_ALIASES[_header_key(_alias)] = _column.key

RELATIONSHIP_LABELS_ZH = {
    Relationship.HEAD: "户主",
    Relationship.SPOUSE: "配偶",
    Relationship.CHILD: "子女",
    Relationship.PARENT: "父母",
    Relationship.GRANDCHILD: "孙子女",
    Relationship.SIBLING: "兄弟姐妹",
    Relationship.OTHER: "其他",
}
_RELATIONSHIP_SYNONYMS = {
    "本人": Relationship.HEAD,
    "户主本人": Relationship.HEAD,
    "妻": Relationship.SPOUSE,
    "妻子": Relationship.SPOUSE,
    "夫": Relationship.SPOUSE,
    "丈夫": Relationship.SPOUSE,
    "子": Relationship.CHILD,
    "女": Relationship.CHILD,
    "儿子": Relationship.CHILD,
    "女儿": Relationship.CHILD,
    "父亲": Relationship.PARENT,
    "母亲": Relationship.PARENT,
    "孙子": Relationship.GRANDCHILD,
    "孙女": Relationship.GRANDCHILD,
    "外孙子": Relationship.GRANDCHILD,
    "外孙女": Relationship.GRANDCHILD,
    "兄": Relationship.SIBLING,
    "弟": Relationship.SIBLING,
    "姐": Relationship.SIBLING,
    "妹": Relationship.SIBLING,
    "其它": Relationship.OTHER,
}
_RELATIONSHIPS: dict[str, str] = {}
for _code, _label in RELATIONSHIP_LABELS_ZH.items():
    _RELATIONSHIPS[_label] = _code
    _RELATIONSHIPS[str(_code)] = _code
for _code, _label in Relationship.choices:
    _RELATIONSHIPS[str(_label).lower()] = _code
_RELATIONSHIPS.update(_RELATIONSHIP_SYNONYMS)

CARE_TAG_SEPARATORS = re.compile(r"[、,，;；|]+")


@dataclass(frozen=True)
class RowError:
    """One problem: the spreadsheet row (the header is row 1; 0 = the file itself), column and reason."""

    row: int
    column: str
    message: str
    code: str = "invalid"

    def as_tuple(self) -> tuple[int, str, str]:
        return (self.row, self.column, self.message)


@dataclass
class ImportReport:
    file_name: str
    sha256: str = ""
    dry_run: bool = False
    rows_read: int = 0
    # Created, or (in a dry run or a rejected import) that would be created.
    households: int = 0
    residents: int = 0
    first_number: str = ""
    last_number: str = ""
    committed: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.errors

    def as_dict(self, max_errors: int | None = None) -> dict[str, Any]:
        errors = self.errors if max_errors is None else self.errors[:max_errors]
        return {
            "file_name": self.file_name,
            "sha256": self.sha256,
            "dry_run": self.dry_run,
            "rows_read": self.rows_read,
            "households": self.households,
            "residents": self.residents,
            "first_number": self.first_number,
            "last_number": self.last_number,
            "committed": self.committed,
            "error_count": len(self.errors),
            "errors": [[e.row, e.column, e.message, e.code] for e in errors],
        }


# progress(phase, rows_done, rows_total_or_None); phase is "validate" or "write".
ProgressCallback = Callable[[str, int, int | None], None]


# --------------------------------------------------------------------------------------------- reading


class FileProblem(Exception):
    """The file cannot be read as a register (wrong type, broken, no header)."""


@dataclass
class _Source:
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (spreadsheet row number, raw cell values)
    total_estimate: int | None


@contextmanager
def _binary(path_or_file: str | os.PathLike[str] | IO[bytes]) -> Iterator[IO[bytes]]:
    if isinstance(path_or_file, str | os.PathLike):
        with open(path_or_file, "rb") as handle:
            yield handle
    else:
        path_or_file.seek(0)
        yield path_or_file


def _scan(handle: IO[bytes]) -> tuple[str, int, bool]:
    """One pass over the bytes: SHA-256, line count (a row estimate for CSV) and whether it is UTF-8."""
    digest = hashlib.sha256()
    lines = 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    while chunk := handle.read(1 << 20):
        digest.update(chunk)
        lines += chunk.count(b"\n")
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    handle.seek(0)
    return digest.hexdigest(), lines, utf8


def _csv_encoding(head: bytes, utf8: bool) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # Excel on Chinese Windows saves "CSV" in the ANSI code page (GBK); GB18030 is its superset.
    return "utf-8" if utf8 else "gb18030"


def _read_csv(handle: IO[bytes], utf8: bool, lines: int) -> _Source:
    head = handle.read(4)
    handle.seek(0)
    encoding = _csv_encoding(head, utf8)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    first_line = text.readline()
    text.seek(0)
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    reader = csv.reader(text, delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration as exc:
        raise FileProblem(_("the file is empty")) from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FileProblem(_("the file cannot be read as CSV")) from exc

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = 1
        try:
            for row in reader:
                number += 1
                yield number, row
        except (UnicodeDecodeError, csv.Error) as exc:
            raise FileProblem(
                _("the file cannot be read as CSV after row %(row)d") % {"row": number}
            ) from exc
        finally:
            text.detach()

    return _Source(headers=headers, rows=rows(), total_estimate=max(lines - 1, 0) or None)


def _read_xlsx(handle: IO[bytes]) -> _Source:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken or non-xlsx file
        raise FileProblem(_("the file cannot be read as an .xlsx workbook")) from exc
    sheet = workbook.worksheets[0]
    estimate = sheet.max_row
    # Some tools write wrong dimensions; without them openpyxl reads every row that is really there.
    sheet.reset_dimensions()
    iterator = sheet.iter_rows(values_only=True)
    try:
        headers = ["" if v is None else str(v) for v in next(iterator)]
    except StopIteration as exc:
        workbook.close()
        raise FileProblem(_("the first sheet is empty")) from exc

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, row in enumerate(iterator, start=2):
                yield number, list(row)
        finally:
            workbook.close()

    return _Source(
        headers=headers, rows=rows(), total_estimate=(estimate - 1) if estimate and estimate > 1 else None
    )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value).strip()


# ------------------------------------------------------------------------------------------ validation


@dataclass
class _Village:
    id: int
    code: str
    path: str
    is_village: bool
    county_id: int | None
    scope_error: str | None


@dataclass
class _PlannedHousehold:
    number: str
    row: int
    values: dict[str, str]  # raw texts of the household columns, as on the first row
    region_id: int = 0
    county_id: int = 0
    grid_id: int | None = None
    tag_ids: tuple[int, ...] = ()


class _Validator:
    def __init__(self, actor: Actor, header_names: dict[str, str]):
        self.actor = actor
        self.header = header_names  # column key -> header text in the file
        self.villages: dict[str, _Village | None] = {}
        self.grids: dict[str, tuple[int, int] | None] = {}
        self.households: dict[str, _PlannedHousehold] = {}
        self.id_rows: dict[str, int] = {}
        # (household number, row, name, relationship, id number, phone)
        self.residents: list[tuple[str, int, str, str, str, str]] = []
        self.errors: list[RowError] = []
        self.tags: dict[str, int] = {}
        names = []
        for tag in CareTag.objects.all():
            names.append(tag.name)
            for key in (tag.code, tag.name, tag.name_en):
                if key:
                    self.tags[key.strip().lower()] = tag.id
        self.tag_names = "、".join(names)

    def error(self, row: int, key: str, message: str, code: str = "invalid") -> None:
        self.errors.append(RowError(row, self.header.get(key, key), message, code))

    # One query (two for new villages' counties) per lookup kind per batch.
    def _load_villages(self, codes: set[str]) -> None:
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
            self.villages[code] = _Village(
                region.id,
                code,
                region.path,
                region.level == RegionLevel.VILLAGE,
                county.id,
                scope_error,
            )

    def _load_grids(self, codes: set[str]) -> None:
        codes -= self.grids.keys()
        if not codes:
            return
        found = {
            c: (i, r)
            for c, i, r in Grid.objects.filter(code__in=codes).values_list("code", "id", "region_id")
        }
        for code in codes:
            self.grids[code] = found.get(code)

    def feed(self, batch: list[tuple[int, dict[str, str], Any]]) -> None:
        new_numbers = {v["household_number"] for _r, v, _i in batch} - self.households.keys()
        new_numbers.discard("")
        self._load_villages({v["village_code"] for _r, v, _i in batch if v["village_code"]})
        self._load_grids({v["grid_code"] for _r, v, _i in batch if v["grid_code"]})
        existing_numbers = (
            set(Household.objects.filter(number__in=new_numbers).values_list("number", flat=True))
            if new_numbers
            else set()
        )
        hashes: dict[int, str] = {}
        for row, values, raw_id in batch:
            id_number = normalise_id_number(values["id_number"])
            if id_number and not isinstance(raw_id, float) and id_number_problem(id_number) is None:
                hashes[row] = blind_index(id_number)
        registered = (
            set(
                Resident.objects.filter(id_number_hash__in=set(hashes.values())).values_list(
                    "id_number_hash", flat=True
                )
            )
            if hashes
            else set()
        )
        for row, values, raw_id in batch:
            self._household_row(row, values, existing_numbers)
            self._resident_row(row, values, raw_id, hashes.get(row), registered)

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
        household = _PlannedHousehold(number, row, {k: values[k] for k in HOUSEHOLD_KEYS})
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
        tag_ids = []
        for tag in _split_tags(values["care_tags"]):
            tag_id = self.tags.get(tag.lower())
            if tag_id is None:
                self.error(
                    row,
                    "care_tags",
                    _("unknown care tag “%(tag)s” (known: %(known)s)")
                    % {"tag": tag, "known": self.tag_names},
                    "unknown_care_tag",
                )
            elif tag_id not in tag_ids:
                tag_ids.append(tag_id)
        household.tag_ids = tuple(tag_ids)

    def _compare_household(self, row: int, values: dict[str, str], household: _PlannedHousehold) -> None:
        # A blank cell repeats the first row (the usual fill-down or merged cells); a different value is a
        # conflict because one household has one place.
        for key in HOUSEHOLD_KEYS:
            value, first = values[key], household.values[key]
            if not value:
                continue
            if key == "care_tags":
                same = {t.lower() for t in _split_tags(value)} == {t.lower() for t in _split_tags(first)}
                same = same or self._tag_ids(value) == self._tag_ids(first)
            else:
                same = value == first
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
        return {self.tags.get(t.lower()) for t in _split_tags(text)}

    def _resident_row(
        self, row: int, values: dict[str, str], raw_id: Any, id_hash: str | None, registered: set[str]
    ) -> None:
        if not any(values[k] for k in RESIDENT_KEYS):
            return  # a household without registered members
        relationship = Relationship.OTHER
        if values["relationship"]:
            found = _RELATIONSHIPS.get(values["relationship"].strip().lower())
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
        for problem in resident_validate(
            ResidentInput(name=values["name"], phone=phone, relationship=relationship)
        ):
            self.error(row, problem.field, _(problem.message), problem.code)
        id_number = normalise_id_number(values["id_number"])
        if id_number:
            if isinstance(raw_id, float):
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
            (values["household_number"], row, values["name"].strip(), relationship, id_number, phone)
        )


def _split_tags(text: str) -> list[str]:
    return [t.strip() for t in CARE_TAG_SEPARATORS.split(text or "") if t.strip()]


def _map_headers(headers: list[str]) -> tuple[dict[int, str], dict[str, str], list[RowError]]:
    """Column index -> key, key -> header text, and header problems (unknown columns are ignored)."""
    index: dict[int, str] = {}
    names: dict[str, str] = {}
    problems: list[RowError] = []
    for position, text in enumerate(headers):
        key = _HEADER_ALIASES.get(_header_key(str(text or "")))
        if key is None:
            continue
        if key in names:
            problems.append(
                RowError(1, str(text), _("repeats the column “%(first)s”") % {"first": names[key]}, "header")
            )
            continue
        index[position] = key
        names[key] = str(text).strip()
    chinese = any(re.search(r"[\u4e00-\u9fff]", str(h or "")) for h in headers)
    for column in COLUMNS:
        if column.key not in names:
            names[column.key] = column.header_zh if chinese else column.header_en
            if column.required:
                problems.append(
                    RowError(1, names[column.key], _("required column is missing"), "missing_column")
                )
    return index, names, problems


def _open(handle: IO[bytes], file_name: str, lines: int, utf8: bool) -> _Source:
    head = handle.read(8)
    handle.seek(0)
    suffix = Path(file_name).suffix.lower()
    if head.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(handle)
    if head.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise FileProblem(_("old .xls workbooks are not read; save the file as .xlsx or .csv"))
    return _read_csv(handle, utf8, lines)


def register_import(
    *,
    actor: Actor | Any,
    path_or_file: str | os.PathLike[str] | IO[bytes],
    file_name: str,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Validate a register file and, unless ``dry_run`` or any row has an error, write all of it.

    Returns the report; raises ``Forbidden`` for roles that may not write households.
    """
    actor = as_actor(actor)
    if not (actor.is_admin or actor.is_staff_officer):
        raise Forbidden("Your role may not import registers")
    report = ImportReport(file_name=file_name, dry_run=dry_run)
    with _binary(path_or_file) as handle:
        report.sha256, lines, utf8 = _scan(handle)
        try:
            source = _open(handle, file_name, lines, utf8)
            validator = _validate(actor, source, report, progress)
        except FileProblem as exc:
            report.errors.append(RowError(0, "", str(exc), "file"))
            return report
    if validator is None:
        return report
    report.errors = validator.errors
    report.households = len(validator.households)
    report.residents = len(validator.residents)
    numbers = sorted(validator.households)
    report.first_number, report.last_number = (numbers[0], numbers[-1]) if numbers else ("", "")
    if report.rows_read == 0 and not report.errors:
        report.errors.append(RowError(2, "", _("the file has no data rows"), "empty"))
    if dry_run or report.errors:
        return report
    try:
        _write(actor, validator, report, progress)
    except IntegrityError:
        # Someone registered one of these households or ID numbers after validation: nothing was written.
        logger.warning("register import of %s lost a race and was rolled back", file_name, exc_info=True)
        report.errors.append(
            RowError(
                0,
                "",
                _("the registers changed while importing; nothing was written, check the file again"),
                "conflict",
            )
        )
        return report
    report.committed = True
    return report


def _validate(
    actor: Actor, source: _Source, report: ImportReport, progress: ProgressCallback | None
) -> _Validator | None:
    index, names, header_problems = _map_headers(source.headers)
    if header_problems:
        report.errors.extend(header_problems)
        return None
    validator = _Validator(actor, names)
    id_position = next((p for p, k in index.items() if k == "id_number"), None)
    batch: list[tuple[int, dict[str, str], Any]] = []
    for number, cells in source.rows:
        if not any(_cell_text(c) for c in cells):
            continue  # blank lines keep their numbers but are not rows of the register
        values = dict.fromkeys(COLUMN_BY_KEY, "")
        for position, key in index.items():
            if position < len(cells):
                values[key] = _cell_text(cells[position])
        raw_id = cells[id_position] if id_position is not None and id_position < len(cells) else None
        # Only a number too large for a double has lost digits; smaller numbers are shown as they are.
        raw_id = raw_id if isinstance(raw_id, float) and raw_id >= 1e15 else None
        batch.append((number, values, raw_id))
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


def _write(
    actor: Actor, validator: _Validator, report: ImportReport, progress: ProgressCallback | None
) -> None:
    through = Household.care_tags.through
    planned = list(validator.households.values())
    total = len(planned) + len(validator.residents)
    done = 0
    if connection.vendor == "sqlite":
        # One transaction of a county register outgrows SQLite's default 2 MB page cache; spilled index
        # pages (the ID and phone hashes are random keys) would then be re-read for every batch.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -65536")
    with transaction.atomic():
        ids: dict[str, int] = {}
        for start in range(0, len(planned), WRITE_BATCH):
            chunk = planned[start : start + WRITE_BATCH]
            created = Household.objects.bulk_create(
                [
                    Household(
                        number=h.number,
                        region_id=h.region_id,
                        county_id=h.county_id,
                        grid_id=h.grid_id,
                        address=h.values["address"],
                    )
                    for h in chunk
                ]
            )
            if any(h.pk is None for h in created):  # a backend without RETURNING on bulk inserts
                numbers = [h.number for h in chunk]
                ids.update(Household.objects.filter(number__in=numbers).values_list("number", "id"))
            else:
                ids.update((h.number, h.pk) for h in created)
            links = [
                through(household_id=ids[h.number], caretag_id=tag_id) for h in chunk for tag_id in h.tag_ids
            ]
            if links:
                through.objects.bulk_create(links)
            done += len(chunk)
            if progress:
                progress("write", done, total)
        county_of = {h.number: h.county_id for h in planned}
        residents = validator.residents
        for start in range(0, len(residents), WRITE_BATCH):
            chunk_residents = residents[start : start + WRITE_BATCH]
            Resident.objects.bulk_create(
                [
                    Resident(
                        household_id=ids[number],
                        county_id=county_of[number],
                        **resident_fields(
                            ResidentInput(
                                name=name, id_number=id_number, phone=phone, relationship=relationship
                            )
                        ),
                    )
                    for number, _row, name, relationship, id_number, phone in chunk_residents
                ]
            )
            done += len(chunk_residents)
            if progress:
                progress("write", done, total)
        audit_append(
            actor=actor,
            records=[
                AuditRecord(
                    action="register.import",
                    object_type="territory.household",
                    data={
                        "file_name": report.file_name,
                        "sha256": report.sha256,
                        "rows": report.rows_read,
                        "households": report.households,
                        "residents": report.residents,
                        "first_number": report.first_number,
                        "last_number": report.last_number,
                    },
                )
            ],
        )


# ------------------------------------------------------------------------------------ jobs for the pages

# A running job whose heartbeat is older than this is taken to be dead (its transaction rolled back).
JOB_STALE_AFTER = timedelta(seconds=90)


def _jobs_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "register-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _progress_file(job: ImportJob) -> Path:
    return _jobs_dir() / f"{job.pk}.progress.json"


def import_job_create(*, actor: Actor | Any, upload: IO[bytes], file_name: str) -> ImportJob:
    """Store an uploaded register file server-side and open a job for it (nothing is checked yet)."""
    actor = as_actor(actor)
    if not (actor.is_admin or actor.is_staff_officer):
        raise Forbidden("Your role may not import registers")
    suffix = Path(file_name).suffix.lower()
    stored = _jobs_dir() / f"{uuid.uuid4().hex}{suffix if suffix in ('.csv', '.xlsx', '.xlsm') else ''}"
    size = 0
    with open(stored, "wb") as out:
        chunks = upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b"")
        for chunk in chunks:
            out.write(chunk)
            size += len(chunk)
    return ImportJob.objects.create(
        created_by=actor.user,
        file_name=Path(file_name).name[:255],
        stored_path=str(stored),
        report={"size": size},
    )


def import_job_size(job: ImportJob) -> int:
    try:
        return os.path.getsize(job.stored_path)
    except OSError:
        return 0


class _JobProgress:
    """Reports a job's progress: to the job row while no transaction is open, and always to a small file.

    During the write phase the import holds one open transaction whose changes (including any update of the
    job row) no other connection sees until commit, and on SQLite it holds the only write lock; the progress
    file carries those updates, and its modification time is the job's heartbeat.
    """

    def __init__(self, job: ImportJob):
        self.job = job
        self.path = _progress_file(job)
        self.last_file = 0.0
        self.last_db = 0.0

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        final = total is not None and done >= total
        if final or now - self.last_file >= 0.5:
            self.last_file = now
            temp = self.path.with_suffix(".tmp")
            temp.write_text(json.dumps({"phase": phase, "done": done, "total": total}))
            os.replace(temp, self.path)
        if not connection.in_atomic_block and (final or now - self.last_db >= 1.0):
            self.last_db = now
            ImportJob.objects.filter(pk=self.job.pk).update(
                phase=phase, rows_processed=done, rows_total=total or 0, heartbeat_at=timezone.now()
            )


def import_job_live(job: ImportJob) -> dict[str, Any]:
    """Progress as seen by the status fragment: the job row, overlaid by the newer progress file."""
    live = {"phase": job.phase, "done": job.rows_processed, "total": job.rows_total, "stale": False}
    beat = job.heartbeat_at or job.created_at
    path = _progress_file(job)
    try:
        stat_time = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data, stat_time = None, None
    if data and job.status in ImportJob.RUNNING:
        live.update(phase=data["phase"], done=data["done"], total=data["total"] or 0)
    if stat_time and stat_time > beat:
        beat = stat_time
    live["stale"] = job.status in ImportJob.RUNNING and timezone.now() - beat > JOB_STALE_AFTER
    return live


def import_job_claim(*, actor: Actor | Any, job: ImportJob, confirm: bool) -> bool:
    """Move the job into its running state unless another request already did (or may not)."""
    actor = as_actor(actor)
    if job.created_by_id != getattr(actor.user, "pk", None):
        raise Forbidden("Only the person who uploaded the file may import it")
    job.refresh_from_db()
    stale = import_job_live(job)["stale"]
    if confirm:
        allowed = [ImportJobStatus.VALIDATED] + ([ImportJobStatus.IMPORTING] if stale else [])
        target = ImportJobStatus.IMPORTING
    else:
        allowed = [ImportJobStatus.QUEUED, ImportJobStatus.REJECTED, ImportJobStatus.FAILED]
        allowed += [ImportJobStatus.VALIDATING] if stale else []
        target = ImportJobStatus.VALIDATING
    claimed = ImportJob.objects.filter(pk=job.pk, status__in=allowed).update(
        status=target, heartbeat_at=timezone.now(), rows_processed=0, phase="", message=""
    )
    job.refresh_from_db()
    return bool(claimed)


def import_job_run(*, job_id: int, confirm: bool) -> ImportJob:
    """Run a claimed job: the dry run, or (``confirm``) the import itself. Safe to call again after a crash."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    tracker = _JobProgress(job)
    try:
        if not os.path.exists(job.stored_path):
            raise ValidationFailed(_("The uploaded file is no longer on the server; upload it again."))
        report = register_import(
            actor=job.created_by,
            path_or_file=job.stored_path,
            file_name=job.file_name,
            dry_run=not confirm,
            progress=tracker,
        )
    except DomainError as exc:
        status, message, data = ImportJobStatus.FAILED, str(exc.message), job.report
    except Exception:
        logger.exception("register import job %s failed", job_id)
        status, message, data = (
            ImportJobStatus.FAILED,
            _("The import stopped unexpectedly; nothing was written."),
            job.report,
        )
    else:
        data = report.as_dict(JOB_ERROR_LIMIT)
        message = ""
        if report.errors:
            status = ImportJobStatus.REJECTED
        elif confirm:
            status = ImportJobStatus.DONE
        else:
            status = ImportJobStatus.VALIDATED
    ImportJob.objects.filter(pk=job_id).update(
        status=status,
        report=data,
        message=message[:500],
        sha256=data.get("sha256", ""),
        rows_processed=data.get("rows_read", 0),
        rows_total=data.get("rows_read", 0),
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    with suppress(OSError):
        _progress_file(job).unlink(missing_ok=True)
        if status == ImportJobStatus.DONE:
            # The upload holds personal data; once imported it is in the registers and need not stay on disk.
            Path(job.stored_path).unlink(missing_ok=True)
    job.refresh_from_db()
    return job


def _run_in_thread(job_id: int, confirm: bool, language: str) -> None:
    try:
        with translation.override(language):
            import_job_run(job_id=job_id, confirm=confirm)
    finally:
        # Connections are per thread; this thread's must not outlive it.
        connections.close_all()


def import_job_start(*, actor: Actor | Any, job: ImportJob, confirm: bool) -> bool:
    """Claim and run a job: in this request for small files, in a background thread for large ones.

    Returns False when the job was not in a state to start (already running, finished, or not yours).
    """
    if not import_job_claim(actor=actor, job=job, confirm=confirm):
        return False
    limit = int(getattr(settings, "REGISTER_IMPORT_SYNC_MAX_BYTES", 256 * 1024))
    if import_job_size(job) <= limit:
        import_job_run(job_id=job.pk, confirm=confirm)
        job.refresh_from_db()
        return True
    language = translation.get_language() or settings.LANGUAGE_CODE
    thread = threading.Thread(
        target=_run_in_thread,
        args=(job.pk, confirm, language),
        name=f"register-import-{job.pk}",
        # A daemon thread dies with its process; its open transaction is then rolled back by the database.
        daemon=True,
    )
    transaction.on_commit(thread.start)
    return True
