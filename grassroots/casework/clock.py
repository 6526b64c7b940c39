"""Legal clocks: working-day calendars, deadline arithmetic, pauses and extensions.

A deadline is a budget in one unit: hours (wall-clock), working days or calendar days. The clock starts when
the request is registered; a pause (中止) stops it and the deadline moves on by the paused span measured in
the same unit; an approved extension (延期) adds days in the policy's unit. Each move is written into the
request's events, so the deadline can be recomputed from the timeline by anyone who audits it.

Working days: a ``CalendarDay`` row decides first (holidays and adjusted working days, for any country and
any year); otherwise, with ``WORK_CALENDAR = "cn"``, China's official calendar from the ``chinese_calendar``
package decides for the years it covers; otherwise Monday to Friday are working days.
"""

from __future__ import annotations

import time as monotonic_time
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.db import transaction
from django.utils import timezone

OVERRIDES_CACHE_SECONDS = 60
_overrides_cache: dict[str, Any] = {"days": None, "loaded": 0.0}


class DeadlineUnit:
    HOURS = "hours"
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    ALL = (HOURS, WORKING_DAYS, CALENDAR_DAYS)


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def calendar_overrides() -> dict[date, bool]:
    """The ``CalendarDay`` rows as ``{day: is_workday}``, kept per process for ``OVERRIDES_CACHE_SECONDS``.
    Saving or deleting a day in this process forgets them at once; other processes reload within that time.
    Only what is read outside a transaction (committed) is kept."""
    from .models import CalendarDay

    days = _overrides_cache["days"]
    if days is not None and monotonic_time.monotonic() - _overrides_cache["loaded"] < OVERRIDES_CACHE_SECONDS:
        return days
    days = dict(CalendarDay.objects.values_list("day", "is_workday"))
    if not transaction.get_connection().in_atomic_block:
        _overrides_cache.update(days=days, loaded=monotonic_time.monotonic())
    return days


def forget_calendar(**_: Any) -> None:
    """Drop the cached calendar now and again when the current transaction commits."""
    _overrides_cache["days"] = None
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _overrides_cache.update(days=None))


def is_workday(day: date, overrides: dict[date, bool] | None = None) -> bool:
    overrides = calendar_overrides() if overrides is None else overrides
    if day in overrides:
        return overrides[day]
    if getattr(settings, "WORK_CALENDAR", "cn") == "cn":
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            pass  # a year the package does not cover yet: weekdays, unless CalendarDay says otherwise
    return day.weekday() < 5


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=_tz())


def add_working_days(start: date, days: int, overrides: dict[date, bool] | None = None) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count)."""
    overrides = calendar_overrides() if overrides is None else overrides
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_workday(current, overrides):
            remaining -= 1
    return current


def working_days_between(start: date, end: date, overrides: dict[date, bool] | None = None) -> int:
    """Working days in the half-open span [start, end)."""
    overrides = calendar_overrides() if overrides is None else overrides
    count = 0
    current = start
    while current < end:
        if is_workday(current, overrides):
            count += 1
        current += timedelta(days=1)
    return count


def deadline_from(
    start: datetime, amount: int, unit: str, overrides: dict[date, bool] | None = None
) -> datetime:
    """When a budget of ``amount`` ``unit`` that starts at ``start`` runs out."""
    if unit == DeadlineUnit.HOURS:
        return start + timedelta(hours=amount)
    local_day = timezone.localtime(start, _tz()).date()
    if unit == DeadlineUnit.WORKING_DAYS:
        return end_of_day(add_working_days(local_day, amount, overrides))
    if unit == DeadlineUnit.CALENDAR_DAYS:
        return end_of_day(local_day + timedelta(days=amount))
    raise ValueError(f"unknown deadline unit {unit!r}")


def shift_for_pause(
    due: datetime,
    paused_at: datetime,
    resumed_at: datetime,
    unit: str,
    overrides: dict[date, bool] | None = None,
) -> datetime:
    """Move ``due`` on by the paused span, measured in the deadline's unit."""
    if unit == DeadlineUnit.HOURS:
        return due + (resumed_at - paused_at)
    start = timezone.localtime(paused_at, _tz()).date()
    end = timezone.localtime(resumed_at, _tz()).date()
    if unit == DeadlineUnit.WORKING_DAYS:
        lost = working_days_between(start, end, overrides)
        return (
            end_of_day(add_working_days(timezone.localtime(due, _tz()).date(), lost, overrides))
            if lost
            else due
        )
    return due + timedelta(days=(end - start).days)


def extend(due: datetime, days: int, unit: str, overrides: dict[date, bool] | None = None) -> datetime:
    """An approved extension of ``days`` in the policy's unit (hours policies extend by calendar days)."""
    if unit == DeadlineUnit.WORKING_DAYS:
        return end_of_day(add_working_days(timezone.localtime(due, _tz()).date(), days, overrides))
    return due + timedelta(days=days)
