"""Sign-in throttling for the login page and the API token endpoint.

Failed sign-ins are counted per account (the username as typed, case-folded) and per client address in fixed
windows on the shared database counters of ``grassroots.casework.throttle``, so the limits hold across every
server process. Once either count reaches its limit, further attempts are refused with 429 before the password
is checked, until the window ends; a successful sign-in does not reset the count (a guesser who also knows one
valid password gains nothing). Usernames and addresses are stored only as keyed hashes.

``LOGIN_FAILURE_LIMITS``: ``(per account, per address, window seconds)``, default ``(5, 30, 900)``.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest

from grassroots.casework.models import ThrottleCounter
from grassroots.casework.throttle import client_ip, count_attempt

DEFAULT_LIMITS = (5, 30, 900)


def _limits() -> tuple[int, int, int]:
    return tuple(getattr(settings, "LOGIN_FAILURE_LIMITS", DEFAULT_LIMITS))  # type: ignore[return-value]


def _keys(request: HttpRequest, username: str) -> list[tuple[str, int]]:
    per_account, per_address, window_seconds = _limits()
    window = int(time.time() // window_seconds)
    salt = getattr(settings, "FIELD_HASH_KEY", "") or settings.SECRET_KEY

    def digest(value: str) -> str:
        return hashlib.sha256(f"{salt}\x00{value}".encode()).hexdigest()[:32]

    return [
        (f"login-account:{digest(username.strip().casefold())}:{window}", per_account),
        (f"login-address:{digest(client_ip(request))}:{window}", per_address),
    ]


def seconds_locked(request: HttpRequest, username: str) -> int:
    """0 when a sign-in may be tried; otherwise the seconds until the current window ends."""
    keys = _keys(request, username)
    counts = dict(
        ThrottleCounter.objects.filter(key__in=[key for key, _ in keys]).values_list("key", "count")
    )
    if all(counts.get(key, 0) < limit for key, limit in keys):
        return 0
    window_seconds = _limits()[2]
    return int(window_seconds - time.time() % window_seconds) + 1


def record_failure(request: HttpRequest, username: str) -> None:
    window_seconds = _limits()[2]
    ends = datetime.fromtimestamp((int(time.time() // window_seconds) + 1) * window_seconds, tz=UTC)
    for key, _limit in _keys(request, username):
        count_attempt(key, ends)
