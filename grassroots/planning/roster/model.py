"""The duty roster problem and its solution as plain dataclasses.

A roster problem covers ``horizon_days`` consecutive days starting on ``start_date``. Each member of
staff works at most one shift (duty) a day; a shift type has a length in minutes and the shift types that
may not follow it on the next day. Contracts limit what each member may work; cover requirements and
on/off requests are soft and carry weights. The rules are those of the Employee Shift Scheduling
Benchmark (Curtois & Qu), which this model reads without loss (see ``curtois.py``):

Hard rules, per member of staff
  * at most one shift a day;
  * forbidden successions: shift ``u`` may not be worked the day after shift ``t`` when ``u`` is in
    ``t.forbidden_next`` (only inside the horizon: the day before it and the day after it are off);
  * at most ``max_shifts[t]`` shifts of type ``t`` (a type missing from the mapping is unlimited; 0 means
    the member never works that type);
  * total minutes between ``min_total_minutes`` and ``max_total_minutes``;
  * at most ``max_consecutive_shifts`` worked days in a row (the days around the horizon are off);
  * at least ``min_consecutive_shifts`` worked days in a row, except for a stretch that touches the first
    or the last day of the horizon (it may continue outside it);
  * at least ``min_consecutive_days_off`` days off in a row, with the same exemption at the edges;
  * at most ``max_weekends`` weekends worked (a weekend is worked when a shift falls on its Saturday or
    Sunday);
  * no shift on a fixed day off.

Hard rule of cover
  * at least ``minimum`` people on each day and shift with a cover requirement (0 in the benchmark).

Soft rules (the objective, lower is better)
  * cover: for each day and shift, ``under_weight`` per missing person and ``over_weight`` per extra one;
  * an on-request (member wants shift ``t`` on day ``d``) costs its weight when not granted;
  * an off-request (member does not want shift ``t`` on day ``d``) costs its weight when violated.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta

SATURDAY = 5
SUNDAY = 6


@dataclass(frozen=True)
class ShiftType:
    """A kind of duty worked on one day (立案窗口, 接待日, on-call …)."""

    code: str
    minutes: int
    forbidden_next: frozenset[str] = frozenset()
    name: str = ""
    # Start of the duty on its day; None for a whole-day duty (the benchmark's shifts have no clock time).
    start: time | None = None

    @property
    def label(self) -> str:
        return self.name or self.code


@dataclass(frozen=True)
class Staff:
    """A member of staff with the limits of their contract. ``days_off`` are day indexes."""

    id: str
    max_total_minutes: int
    min_total_minutes: int = 0
    max_consecutive_shifts: int = 10**6
    min_consecutive_shifts: int = 1
    min_consecutive_days_off: int = 1
    max_weekends: int = 10**6
    max_shifts: Mapping[str, int] = field(default_factory=dict)
    days_off: frozenset[int] = frozenset()
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.id

    def max_of(self, shift_code: str, horizon_days: int) -> int:
        """The most shifts of this type the member may work in the horizon."""
        return min(self.max_shifts.get(shift_code, horizon_days), horizon_days)


@dataclass(frozen=True)
class CoverRequirement:
    """How many people ``shift`` needs on ``day``: ``requirement`` is the preferred number (each one short
    costs ``under_weight``, each one beyond it ``over_weight``); ``minimum`` (at most the requirement) is a
    hard floor, e.g. a window that may never be unstaffed. The benchmark format has no minimum (it is 0)."""

    day: int
    shift: str
    requirement: int
    under_weight: int
    over_weight: int
    minimum: int = 0


@dataclass(frozen=True)
class ShiftRequest:
    """A wish of one member: ``on`` (wants ``shift`` on ``day``) or off (does not want it)."""

    staff: str
    day: int
    shift: str
    weight: int
    on: bool


@dataclass(frozen=True)
class RosterProblem:
    name: str
    start_date: date
    horizon_days: int
    shift_types: tuple[ShiftType, ...]
    staff: tuple[Staff, ...]
    cover: tuple[CoverRequirement, ...] = ()
    requests: tuple[ShiftRequest, ...] = ()
    weekend_weekdays: frozenset[int] = frozenset({SATURDAY, SUNDAY})

    @property
    def first_weekday(self) -> int:
        """Weekday of day 0 (Monday = 0)."""
        return self.start_date.weekday()

    def date_of(self, day: int) -> date:
        return self.start_date + timedelta(days=day)

    def weekday_of(self, day: int) -> int:
        return (self.first_weekday + day) % 7

    def weekends(self) -> list[list[int]]:
        """The weekends inside the horizon, each the list of its day indexes (a weekend cut by the edge of
        the horizon keeps the days that fall inside)."""
        by_week: dict[int, list[int]] = {}
        for day in range(self.horizon_days):
            if self.weekday_of(day) in self.weekend_weekdays:
                by_week.setdefault((self.first_weekday + day) // 7, []).append(day)
        return [by_week[week] for week in sorted(by_week)]

    def shift(self, code: str) -> ShiftType:
        for shift_type in self.shift_types:
            if shift_type.code == code:
                return shift_type
        raise KeyError(code)

    @property
    def on_requests(self) -> tuple[ShiftRequest, ...]:
        return tuple(r for r in self.requests if r.on)

    @property
    def off_requests(self) -> tuple[ShiftRequest, ...]:
        return tuple(r for r in self.requests if not r.on)


@dataclass
class RosterSolution:
    """A plan: for each member of staff (by id), the shift code worked on each day, or ``None`` (off)."""

    assignment: dict[str, list[str | None]]

    def shift_on(self, staff_id: str, day: int) -> str | None:
        return self.assignment[staff_id][day]

    def worked(self, staff_id: str) -> Iterator[tuple[int, str]]:
        for day, code in enumerate(self.assignment[staff_id]):
            if code is not None:
                yield day, code

    @classmethod
    def empty(cls, problem: RosterProblem) -> RosterSolution:
        return cls({s.id: [None] * problem.horizon_days for s in problem.staff})

    @classmethod
    def from_rows(cls, staff_ids: Sequence[str], rows: Sequence[Sequence[str | None]]) -> RosterSolution:
        return cls({staff_id: list(row) for staff_id, row in zip(staff_ids, rows, strict=True)})
