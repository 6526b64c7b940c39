"""Query helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models.expressions import RawSQL

# Beyond this many values a list of placeholders costs more to build, send and parse than the look-up.
MANY_VALUES = 200


def many_ids(ids: Iterable[int | None]) -> list[int] | RawSQL:
    """The right-hand side of an ``__in`` filter over ids (``None`` left out). On PostgreSQL a long list is
    sent as one array parameter (``IN (SELECT unnest(%s::bigint[]))``) instead of one placeholder per id;
    elsewhere, and for short lists, the plain list."""
    return _many(sorted({int(i) for i in ids if i is not None}), "bigint")


def many_texts(values: Iterable[str | None]) -> list[str] | RawSQL:
    """``many_ids`` for text values (codes)."""
    return _many(sorted({str(v) for v in values if v is not None}), "text")


def _many(values: list, sql_type: str) -> list | RawSQL:
    if connection.vendor == "postgresql" and len(values) > MANY_VALUES:
        return RawSQL(f"SELECT unnest(%s::{sql_type}[])", (values,))  # noqa: S611 - a fixed type name
    return values
