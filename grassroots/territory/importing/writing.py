"""Writing a checked register: every household, care tag and resident in one transaction, with one audit
entry, so that a failure at any point leaves the registers unchanged.

The rows go to the database in bulk through the DB-API cursor rather than as model instances: one
``COPY … FROM STDIN`` per table on PostgreSQL, which consumes the rows as they are produced (the server
stores rows while the next ones are being encrypted), and ``executemany`` on chunks of rows elsewhere
(SQLite).

The resident columns are exactly what ``services.resident_fields`` returns (Fernet-encrypted ID and phone
numbers, their blind indexes and masked forms, gender and birth date from the ID number). They are built
here from the values validation already normalised and hashed, with the same ``protected`` functions, and
every import first checks that build against ``resident_fields`` on its first resident. Every other
column gets the value the model would give it (its default, or the time for ``auto_now``/``auto_now_add``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import connection, models, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from grassroots.common.audit import AuditRecord, audit_append
from grassroots.common.protected import (
    blind_index,
    decrypt,
    encrypt,
    id_number_birth_date,
    id_number_gender,
    mask_id_number,
    mask_phone,
)
from grassroots.common.scoping import Actor

from ..models import Household, Resident
from ..services import ResidentInput, resident_fields
from .report import ImportReport, ProgressCallback
from .validation import PlannedHousehold, PlannedResident, Validator

# Rows between two progress reports; rows per executemany (backends without COPY).
PROGRESS_EVERY = 5000
INSERT_CHUNK = 5000
HOUSEHOLD_COLUMNS = ("number", "region_id", "county_id", "grid_id", "address")


def _model_value(field: models.Field, now: datetime) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


class _Table:
    """Bulk insert into one table: the ``given`` columns vary per row, every other column is a constant."""

    def __init__(self, model: type[models.Model], given: Sequence[str], now: datetime):
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.given = [fields.pop(name) for name in given]
        fields.pop(model._meta.pk.attname, None)  # numbered by the database unless ``given`` names it
        rest = list(fields.values())
        self.constants = tuple(f.get_db_prep_save(_model_value(f, now), connection) for f in rest)
        # Per-row values are strings, integers and None as the database takes them, except dates, which
        # SQLite stores as text.
        self.adapt: list[tuple[int, Callable[[Any], Any]]] = []
        for position, field in enumerate(self.given):
            if isinstance(field, models.DateTimeField):
                self.adapt.append((position, connection.ops.adapt_datetimefield_value))
            elif isinstance(field, models.DateField):
                self.adapt.append((position, connection.ops.adapt_datefield_value))
        quote = connection.ops.quote_name
        self.table = quote(model._meta.db_table)
        self.pk = quote(model._meta.pk.column)
        self.columns = ", ".join(quote(f.column) for f in [*self.given, *rest])
        self.width = len(self.given) + len(rest)

    def _complete(self, rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        constants = self.constants
        if not self.adapt:
            for row in rows:
                yield (*row, *constants)
            return
        for row in rows:
            values = list(row)
            for position, adapt in self.adapt:
                if values[position] is not None:
                    values[position] = adapt(values[position])
            yield (*values, *constants)

    def insert(self, cursor: CursorWrapper, rows: Iterable[tuple[Any, ...]]) -> None:
        """Insert ``rows`` (values of the ``given`` columns), consumed lazily."""
        if connection.vendor == "postgresql":
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy,
            ):
                for row in self._complete(rows):
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * self.width)
            sql = f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})"  # noqa: S608 -- names from the model
            # In chunks: preparing a few thousand rows, then storing them, runs faster on SQLite than
            # alternating row by row.
            rows = self._complete(rows)
            while chunk := list(islice(rows, INSERT_CHUNK)):
                cursor.executemany(sql, chunk)


class _Households:
    """Inserts households and returns their ids, which the care-tag links and residents refer to."""

    def __init__(self, now: datetime):
        self.postgres = connection.vendor == "postgresql"
        # PostgreSQL: ids drawn from the table's sequence first, so that COPY writes them and nothing is read
        # back. SQLite: the database numbers the rows above the largest id there was before the insert; those
        # rows are read back and matched by household number (this transaction holds the write lock).
        given = ("id", *HOUSEHOLD_COLUMNS) if self.postgres else HOUSEHOLD_COLUMNS
        self.table = _Table(Household, given, now)

    def insert(
        self, cursor: CursorWrapper, planned: list[PlannedHousehold], counted: Callable[[Iterable[Any]], Any]
    ) -> dict[str, int]:
        rows = ((h.number, h.region_id, h.county_id, h.grid_id, h.values["address"]) for h in planned)
        if self.postgres:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [Household._meta.db_table, Household._meta.pk.column, len(planned)],
            )
            ids = dict(zip((h.number for h in planned), (pk for (pk,) in cursor.fetchall()), strict=True))
            self.table.insert(cursor, counted((ids[row[0]], *row) for row in rows))
            return ids
        table, pk = self.table.table, self.table.pk
        cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {table}")  # noqa: S608 -- names from the model
        after = cursor.fetchone()[0]
        self.table.insert(cursor, counted(rows))
        number = connection.ops.quote_name(Household._meta.get_field("number").column)
        cursor.execute(f"SELECT {number}, {pk} FROM {table} WHERE {pk} > %s", [after])  # noqa: S608
        found = dict(cursor.fetchall())
        return {h.number: found[h.number] for h in planned}


# The columns ``services.resident_fields`` fills, in the order ``resident_columns`` returns them.
RESIDENT_COLUMNS = (
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


def resident_columns(resident: PlannedResident) -> tuple[Any, ...]:
    """``services.resident_fields`` for a validated row as a tuple in ``RESIDENT_COLUMNS`` order, reusing the
    row's normalised values and ID blind index."""
    id_number, phone = resident.id_number, resident.phone
    if id_number:
        gender, birth_date, id_masked = (
            id_number_gender(id_number),
            id_number_birth_date(id_number),
            mask_id_number(id_number),
        )
    else:
        gender, birth_date, id_masked = "", None, ""
    return (
        resident.name,
        resident.relationship,
        gender,
        birth_date,
        encrypt(id_number),
        resident.id_number_hash,
        id_masked,
        encrypt(phone),
        blind_index(phone),
        mask_phone(phone) if phone else "",
    )


def resident_columns_differ(resident: PlannedResident) -> list[str]:
    """The columns in which ``resident_columns`` disagrees with ``services.resident_fields`` (ciphertexts are
    compared by what they decrypt to: every encryption uses a fresh IV)."""
    expected = resident_fields(
        ResidentInput(
            name=resident.name,
            id_number=resident.id_number,
            phone=resident.phone,
            relationship=resident.relationship,
        )
    )
    built = dict(zip(RESIDENT_COLUMNS, resident_columns(resident), strict=True))
    differ = sorted(set(expected) ^ set(built))
    for key in sorted(set(expected) & set(built)):
        value, reference = built[key], expected[key]
        if key.endswith("_encrypted"):
            value, reference = decrypt(value), decrypt(reference)
        if value != reference:
            differ.append(key)
    return differ


class _Progress:
    """Counts the household and resident rows as they are handed to the database; reports every few
    thousand and once at the end."""

    def __init__(self, progress: ProgressCallback | None, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def counted(self, rows: Iterable[Any]) -> Iterator[Any]:
        for row in rows:
            yield row
            self.done += 1
            if self.progress and self.done % PROGRESS_EVERY == 0:
                self.progress("write", self.done, self.total)

    def finish(self) -> None:
        if self.progress:
            self.progress("write", self.done, self.total)


def write_register(
    actor: Actor, validator: Validator, report: ImportReport, progress: ProgressCallback | None
) -> None:
    """Write the validated plan in one transaction together with the ``register.import`` audit entry."""
    planned = list(validator.households.values())
    residents = validator.residents
    counter = _Progress(progress, len(planned) + len(residents))
    now = timezone.now()
    households = _Households(now)
    links = _Table(Household.care_tags.through, ("household_id", "caretag_id"), now)
    people = _Table(Resident, ("household_id", "county_id", *RESIDENT_COLUMNS), now)
    if residents and (differ := resident_columns_differ(residents[0])):
        raise RuntimeError(f"bulk resident columns disagree with services.resident_fields: {differ}")
    if connection.vendor == "sqlite":
        # One transaction of a county register outgrows SQLite's default 2 MB page cache; spilled index
        # pages (the ID and phone hashes are random keys) would then be re-read for every batch.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -65536")
    with transaction.atomic(), connection.cursor() as cursor:
        ids = households.insert(cursor, planned, counter.counted)
        links.insert(cursor, ((ids[h.number], tag_id) for h in planned for tag_id in h.tag_ids))
        county_of = {h.number: h.county_id for h in planned}
        people.insert(
            cursor,
            counter.counted(
                (ids[r.household_number], county_of[r.household_number], *resident_columns(r))
                for r in residents
            ),
        )
        counter.finish()
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
