"""Portable SQL pieces the indicator queries need (PostgreSQL and SQLite)."""

from __future__ import annotations

from typing import Any

from django.db.models import FloatField, Func


class Epoch(Func):
    """Seconds since 1970-01-01 UTC of a timestamp, as a float. ``text=True`` reads an ISO 8601 string
    (with its UTC offset), e.g. a time kept in an event's JSON data."""

    arity = 1
    output_field = FloatField()

    def __init__(self, expression: Any, *, text: bool = False, **extra: Any) -> None:
        self.text = text
        super().__init__(expression, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        if self.text:
            sql = f"CAST({sql} AS timestamptz)"
        return f"CAST(EXTRACT(EPOCH FROM {sql}) AS double precision)", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        # julianday() reads Django's stored UTC timestamps and ISO 8601 text with an offset alike.
        sql, params = compiler.compile(self.source_expressions[0])
        return f"((julianday({sql}) - 2440587.5) * 86400.0)", params

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        raise NotImplementedError(f"Epoch is implemented for PostgreSQL and SQLite, not {connection.vendor}")
