"""A fixed-window rate limiter for the public pages and the public API, shared by every server process.

The counters live in the database (``ThrottleCounter``), so the limit holds across the processes and
machines of one deployment without any extra service: one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``
statement counts an attempt atomically on PostgreSQL and on SQLite (3.35 or later). A per-process cache
would let a client multiply its allowance by the number of worker processes. Expired counters are
deleted by ``manage.py casework_clock`` (and, now and then, by the limiter itself).

Per client address: ``REMOTE_ADDR`` unless ``PUBLIC_CLIENT_IP_HEADER`` names the header a trusted reverse
proxy sets (e.g. ``HTTP_X_REAL_IP``); a client-supplied X-Forwarded-For is never trusted by default. The
address is stored only as a hash.
"""

from __future__ import annotations

import hashlib
import random
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

from .models_throttle import ThrottleCounter

PURGE_SHARE = 0.01  # of hits that also delete expired counters


def client_ip(request: HttpRequest) -> str:
    header = getattr(settings, "PUBLIC_CLIENT_IP_HEADER", "")
    value = request.META.get(header, "") if header else ""
    return (value.split(",")[0].strip() if value else "") or request.META.get("REMOTE_ADDR", "") or "unknown"


def _client_hash(request: HttpRequest) -> str:
    salt = getattr(settings, "FIELD_HASH_KEY", "") or settings.SECRET_KEY
    return hashlib.sha256(f"{salt}\x00{client_ip(request)}".encode()).hexdigest()[:32]


def count_attempt(key: str, expires_at: datetime) -> int:
    """Add one attempt to ``key`` and return the count, in one atomic statement."""
    q = connection.ops.quote_name
    table, key_column, count_column = q(ThrottleCounter._meta.db_table), q("key"), q("count")
    # Only quoted identifiers of this model are formatted in; the values are parameters.
    sql = (
        f"INSERT INTO {table} ({key_column}, {count_column}, {q('expires_at')}) VALUES (%s, 1, %s) "  # noqa: S608
        f"ON CONFLICT ({key_column}) DO UPDATE SET {count_column} = {table}.{count_column} + 1 "
        f"RETURNING {count_column}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [key, connection.ops.adapt_datetimefield_value(expires_at)])
        return int(cursor.fetchone()[0])


def hit(request: HttpRequest, *, scope: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt; False once the client has made more than ``limit`` in the current window."""
    window = int(time.time() // window_seconds)
    key = f"{scope}:{_client_hash(request)}:{window}"
    ends = datetime.fromtimestamp((window + 1) * window_seconds, tz=UTC)
    count = count_attempt(key, ends)
    if random.random() < PURGE_SHARE:
        throttle_purge()
    return count <= limit


def seconds_left(window_seconds: int) -> int:
    """Seconds until the current window ends (for a Retry-After header)."""
    return int(window_seconds - time.time() % window_seconds) + 1


def throttle_purge(*, now: datetime | None = None) -> int:
    """Delete the counters of windows that have ended; returns how many."""
    now = now or timezone.now()
    deleted, _ = ThrottleCounter.objects.filter(expires_at__lt=now - timedelta(seconds=5)).delete()
    return deleted


class PublicIntakeThrottle(BaseThrottle):
    """Anonymous intake through the API (``PUBLIC_API_INTAKE_LIMIT`` attempts per window, default 60 a
    minute per address), on the same shared counters; signed-in callers are not limited here."""

    window_seconds = 60

    def allow_request(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        if getattr(request.user, "is_authenticated", False):
            return True
        limit, self.window_seconds = getattr(settings, "PUBLIC_API_INTAKE_LIMIT", (60, 60))
        return hit(request, scope="api-intake", limit=limit, window_seconds=self.window_seconds)

    def wait(self) -> float:
        return float(seconds_left(self.window_seconds))
