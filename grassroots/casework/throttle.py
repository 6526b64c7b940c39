"""A small fixed-window rate limiter on Django's cache, for the public pages.

Per client address: ``REMOTE_ADDR`` unless ``PUBLIC_CLIENT_IP_HEADER`` names the header a trusted reverse
proxy sets (e.g. ``HTTP_X_REAL_IP``); a client-supplied X-Forwarded-For is never trusted by default. With
several server processes, the cache must be shared (Redis, Memcached or the database cache) for the limit
to hold across them; the default local-memory cache limits per process.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    header = getattr(settings, "PUBLIC_CLIENT_IP_HEADER", "")
    value = request.META.get(header, "") if header else ""
    return (value.split(",")[0].strip() if value else "") or request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(request: HttpRequest, *, scope: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt; False once the client has made more than ``limit`` in the current window."""
    window = int(time.time() // window_seconds)
    who = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
    key = f"throttle:{scope}:{who}:{window}"
    cache.add(key, 0, timeout=window_seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds + 5)
        count = 1
    return count <= limit
