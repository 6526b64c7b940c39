"""Counters of the public pages' rate limit, kept in the database so every server process shares them."""

from __future__ import annotations

from django.db import models


class ThrottleCounter(models.Model):
    """Attempts of one client (a hashed address) on one scope in one fixed time window."""

    key = models.CharField(max_length=120, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "rate-limit counter"
        verbose_name_plural = "rate-limit counters"

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
