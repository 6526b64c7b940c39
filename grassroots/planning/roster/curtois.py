"""Reader (and writer) of the Employee Shift Scheduling Benchmark text format (Curtois & Qu, 2014).

The format, as the comments in each file describe it::

    SECTION_HORIZON             the horizon length in days (instances start on a Monday)
    SECTION_SHIFTS              ShiftID, Length in mins, Shifts which cannot follow this shift | separated
    SECTION_STAFF               ID, MaxShifts, MaxTotalMinutes, MinTotalMinutes, MaxConsecutiveShifts,
                                MinConsecutiveShifts, MinConsecutiveDaysOff, MaxWeekends
                                (MaxShifts is ShiftID=max|ShiftID=max…)
    SECTION_DAYS_OFF            EmployeeID, DayIndexes (start at zero)
    SECTION_SHIFT_ON_REQUESTS   EmployeeID, Day, ShiftID, Weight
    SECTION_SHIFT_OFF_REQUESTS  EmployeeID, Day, ShiftID, Weight
    SECTION_COVER               Day, ShiftID, Requirement, Weight for under, Weight for over

Lines starting with ``#`` are comments; blank lines are ignored. Sections may come in any order (the
benchmark writes them in the order above); references between them are checked once everything is read,
and every error names the line it comes from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from grassroots.common.errors import FieldError, ValidationFailed

from .model import CoverRequirement, RosterProblem, ShiftRequest, ShiftType, Staff

# The benchmark's instances start on a Monday; a fixed Monday keeps parsed problems deterministic.
DEFAULT_START_DATE = date(2024, 1, 1)

HORIZON = "SECTION_HORIZON"
SHIFTS = "SECTION_SHIFTS"
STAFF = "SECTION_STAFF"
DAYS_OFF = "SECTION_DAYS_OFF"
ON_REQUESTS = "SECTION_SHIFT_ON_REQUESTS"
OFF_REQUESTS = "SECTION_SHIFT_OFF_REQUESTS"
COVER = "SECTION_COVER"
SECTIONS = (HORIZON, SHIFTS, STAFF, DAYS_OFF, ON_REQUESTS, OFF_REQUESTS, COVER)
REQUIRED_SECTIONS = (HORIZON, SHIFTS, STAFF)

STAFF_FIELDS = (
    "ID",
    "MaxShifts",
    "MaxTotalMinutes",
    "MinTotalMinutes",
    "MaxConsecutiveShifts",
    "MinConsecutiveShifts",
    "MinConsecutiveDaysOff",
    "MaxWeekends",
)


class RosterFormatError(ValidationFailed):
    """A malformed benchmark file: ``line`` is 1-based (0 when the problem is the file as a whole)."""

    def __init__(self, source: str, line: int, detail: str, section: str = ""):
        self.source = source
        self.line = line
        self.detail = detail
        self.section = section
        super().__init__(
            message=f"{source}: malformed roster file",
            errors=[FieldError(field=section or "file", message=detail, row=line or None)],
        )

    def __str__(self) -> str:
        where = f"{self.source}, line {self.line}" if self.line else self.source
        return f"{where}: {self.detail}"


@dataclass
class _Line:
    number: int
    fields: list[str]
    text: str


@dataclass
class _Sections:
    lines: dict[str, list[_Line]] = field(default_factory=dict)
    header_line: dict[str, int] = field(default_factory=dict)


class _Reader:
    def __init__(self, text: str, source: str):
        self.text = text
        self.source = source

    def error(self, line: int, detail: str, section: str = "") -> RosterFormatError:
        return RosterFormatError(self.source, line, detail, section)

    # -- pass 1: split into sections -------------------------------------------------------------
    def split(self) -> _Sections:
        sections = _Sections()
        current: str | None = None
        for number, raw in enumerate(self.text.lstrip("\ufeff").splitlines(), start=1):
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("SECTION_"):
                if stripped not in SECTIONS:
                    raise self.error(
                        number, f"unknown section {stripped!r} (expected one of {', '.join(SECTIONS)})"
                    )
                if stripped in sections.lines:
                    raise self.error(
                        number,
                        f"section {stripped} appears twice (first on line {sections.header_line[stripped]})",
                        stripped,
                    )
                current = stripped
                sections.lines[current] = []
                sections.header_line[current] = number
                continue
            if current is None:
                raise self.error(number, f"data before the first section header: {stripped!r}")
            sections.lines[current].append(
                _Line(number, [part.strip() for part in stripped.split(",")], stripped)
            )
        for required in REQUIRED_SECTIONS:
            if required not in sections.lines:
                raise self.error(0, f"missing section {required}", required)
        return sections

    # -- field helpers ---------------------------------------------------------------------------
    def expect_fields(self, line: _Line, section: str, names: Iterable[str]) -> None:
        names = tuple(names)
        if len(line.fields) != len(names):
            raise self.error(
                line.number,
                f"wrong field count in {section}: expected {len(names)} ({', '.join(names)}), "
                f"found {len(line.fields)} in {line.text!r}",
                section,
            )

    def integer(self, line: _Line, section: str, name: str, value: str, minimum: int = 0) -> int:
        try:
            number = int(value)
        except ValueError:
            raise self.error(line.number, f"{name} must be an integer, found {value!r}", section) from None
        if number < minimum:
            raise self.error(line.number, f"{name} must be at least {minimum}, found {number}", section)
        return number

    def day(self, line: _Line, section: str, value: str, horizon: int) -> int:
        day = self.integer(line, section, "day", value)
        if day >= horizon:
            raise self.error(
                line.number, f"day {day} is outside the horizon (days 0 to {horizon - 1})", section
            )
        return day

    def identifier(self, line: _Line, section: str, name: str, value: str) -> str:
        if not value:
            raise self.error(line.number, f"{name} is empty", section)
        return value

    # -- pass 2: sections in dependency order ----------------------------------------------------
    def horizon(self, sections: _Sections) -> int:
        lines = sections.lines[HORIZON]
        if len(lines) != 1:
            at = lines[1].number if len(lines) > 1 else sections.header_line[HORIZON]
            raise self.error(
                at, f"{HORIZON} must hold exactly one line (the horizon in days), found {len(lines)}", HORIZON
            )
        line = lines[0]
        self.expect_fields(line, HORIZON, ["horizon length in days"])
        return self.integer(line, HORIZON, "horizon length", line.fields[0], minimum=1)

    def shifts(self, sections: _Sections) -> tuple[ShiftType, ...]:
        raw: list[tuple[_Line, str, int, list[str]]] = []
        seen: dict[str, int] = {}
        for line in sections.lines[SHIFTS]:
            self.expect_fields(line, SHIFTS, ["ShiftID", "Length in mins", "forbidden successors"])
            code = self.identifier(line, SHIFTS, "ShiftID", line.fields[0])
            if code in seen:
                raise self.error(
                    line.number, f"duplicate shift id {code!r} (first on line {seen[code]})", SHIFTS
                )
            seen[code] = line.number
            minutes = self.integer(line, SHIFTS, "shift length", line.fields[1], minimum=1)
            successors = [part.strip() for part in line.fields[2].split("|") if part.strip()]
            raw.append((line, code, minutes, successors))
        if not raw:
            raise self.error(sections.header_line[SHIFTS], f"{SHIFTS} defines no shift", SHIFTS)
        result = []
        for line, code, minutes, successors in raw:
            for successor in successors:
                if successor not in seen:
                    raise self.error(
                        line.number, f"unknown shift id {successor!r} in the successors of {code!r}", SHIFTS
                    )
            result.append(ShiftType(code=code, minutes=minutes, forbidden_next=frozenset(successors)))
        return tuple(result)

    def staff(self, sections: _Sections, shift_codes: set[str]) -> list[tuple[_Line, Staff]]:
        result: list[tuple[_Line, Staff]] = []
        seen: dict[str, int] = {}
        for line in sections.lines[STAFF]:
            self.expect_fields(line, STAFF, STAFF_FIELDS)
            staff_id = self.identifier(line, STAFF, "staff ID", line.fields[0])
            if staff_id in seen:
                raise self.error(
                    line.number, f"duplicate staff id {staff_id!r} (first on line {seen[staff_id]})", STAFF
                )
            seen[staff_id] = line.number
            max_shifts: dict[str, int] = {}
            for item in (part.strip() for part in line.fields[1].split("|")):
                if not item:
                    continue
                code, sep, value = item.partition("=")
                code = code.strip()
                if not sep:
                    raise self.error(line.number, f"MaxShifts item {item!r} must read ShiftID=number", STAFF)
                if code not in shift_codes:
                    raise self.error(line.number, f"unknown shift id {code!r} in MaxShifts", STAFF)
                if code in max_shifts:
                    raise self.error(line.number, f"shift {code!r} appears twice in MaxShifts", STAFF)
                max_shifts[code] = self.integer(line, STAFF, f"MaxShifts of {code}", value.strip())
            numbers = [
                self.integer(line, STAFF, name, value)
                for name, value in zip(STAFF_FIELDS[2:], line.fields[2:], strict=True)
            ]
            max_total, min_total, max_cons, min_cons, min_off, max_weekends = numbers
            result.append(
                (
                    line,
                    Staff(
                        id=staff_id,
                        max_shifts=max_shifts,
                        max_total_minutes=max_total,
                        min_total_minutes=min_total,
                        max_consecutive_shifts=max_cons,
                        min_consecutive_shifts=min_cons,
                        min_consecutive_days_off=min_off,
                        max_weekends=max_weekends,
                    ),
                )
            )
        if not result:
            raise self.error(sections.header_line[STAFF], f"{STAFF} defines no staff", STAFF)
        return result

    def days_off(self, sections: _Sections, staff_ids: set[str], horizon: int) -> dict[str, set[int]]:
        result: dict[str, set[int]] = {}
        for line in sections.lines.get(DAYS_OFF, []):
            if len(line.fields) < 2:
                raise self.error(
                    line.number,
                    f"wrong field count in {DAYS_OFF}: expected EmployeeID and at least one day, "
                    f"found {line.text!r}",
                    DAYS_OFF,
                )
            staff_id = line.fields[0]
            if staff_id not in staff_ids:
                raise self.error(line.number, f"unknown staff id {staff_id!r}", DAYS_OFF)
            days = result.setdefault(staff_id, set())
            for value in line.fields[1:]:
                if value:
                    days.add(self.day(line, DAYS_OFF, value, horizon))
        return result

    def requests(
        self, sections: _Sections, section: str, staff_ids: set[str], shift_codes: set[str], horizon: int
    ) -> list[ShiftRequest]:
        result = []
        for line in sections.lines.get(section, []):
            self.expect_fields(line, section, ["EmployeeID", "Day", "ShiftID", "Weight"])
            staff_id, day_text, code, weight_text = line.fields
            if staff_id not in staff_ids:
                raise self.error(line.number, f"unknown staff id {staff_id!r}", section)
            day = self.day(line, section, day_text, horizon)
            if code not in shift_codes:
                raise self.error(line.number, f"unknown shift id {code!r}", section)
            weight = self.integer(line, section, "weight", weight_text)
            result.append(
                ShiftRequest(staff=staff_id, day=day, shift=code, weight=weight, on=section == ON_REQUESTS)
            )
        return result

    def cover(self, sections: _Sections, shift_codes: set[str], horizon: int) -> list[CoverRequirement]:
        result = []
        seen: dict[tuple[int, str], int] = {}
        names = ["Day", "ShiftID", "Requirement", "Weight for under", "Weight for over"]
        for line in sections.lines.get(COVER, []):
            self.expect_fields(line, COVER, names)
            day = self.day(line, COVER, line.fields[0], horizon)
            code = line.fields[1]
            if code not in shift_codes:
                raise self.error(line.number, f"unknown shift id {code!r}", COVER)
            if (day, code) in seen:
                raise self.error(
                    line.number,
                    f"duplicate cover for day {day}, shift {code!r} (first on line {seen[day, code]})",
                    COVER,
                )
            seen[day, code] = line.number
            requirement, under, over = (
                self.integer(line, COVER, name, value)
                for name, value in zip(names[2:], line.fields[2:], strict=True)
            )
            result.append(CoverRequirement(day, code, requirement, under, over))
        return result

    def read(self, name: str, start_date: date) -> RosterProblem:
        sections = self.split()
        horizon = self.horizon(sections)
        shift_types = self.shifts(sections)
        shift_codes = {s.code for s in shift_types}
        staff_lines = self.staff(sections, shift_codes)
        staff_ids = {staff.id for _, staff in staff_lines}
        days_off = self.days_off(sections, staff_ids, horizon)
        requests = self.requests(sections, ON_REQUESTS, staff_ids, shift_codes, horizon)
        requests += self.requests(sections, OFF_REQUESTS, staff_ids, shift_codes, horizon)
        cover = self.cover(sections, shift_codes, horizon)
        staff = tuple(
            Staff(
                id=s.id,
                max_shifts=s.max_shifts,
                max_total_minutes=s.max_total_minutes,
                min_total_minutes=s.min_total_minutes,
                max_consecutive_shifts=s.max_consecutive_shifts,
                min_consecutive_shifts=s.min_consecutive_shifts,
                min_consecutive_days_off=s.min_consecutive_days_off,
                max_weekends=s.max_weekends,
                days_off=frozenset(days_off.get(s.id, ())),
            )
            for _, s in staff_lines
        )
        return RosterProblem(
            name=name,
            start_date=start_date,
            horizon_days=horizon,
            shift_types=shift_types,
            staff=staff,
            cover=tuple(cover),
            requests=tuple(requests),
        )


def parse_curtois(
    text: str,
    *,
    name: str = "roster",
    start_date: date = DEFAULT_START_DATE,
    source: str | None = None,
    any_weekday: bool = False,
) -> RosterProblem:
    """Parse benchmark text into a :class:`RosterProblem`; raise :class:`RosterFormatError` naming the
    line of the first problem found. ``start_date`` must be a Monday (the benchmark's convention) unless
    ``any_weekday`` (a stored roster of this platform, which may start on any day)."""
    if start_date.weekday() != 0 and not any_weekday:
        raise ValueError(f"benchmark instances start on a Monday; {start_date.isoformat()} is not one")
    return _Reader(text, source or name).read(name, start_date)


def read_curtois(path: str | Path, *, start_date: date = DEFAULT_START_DATE) -> RosterProblem:
    path = Path(path)
    return parse_curtois(
        path.read_text(encoding="utf-8"), name=path.stem, start_date=start_date, source=path.name
    )


def write_curtois(problem: RosterProblem) -> str:
    """Write a problem in the benchmark format (the inverse of :func:`parse_curtois`)."""
    out = [
        "# Written by Grassroots in the Employee Shift Scheduling Benchmark format. Comments start with #",
        HORIZON,
        "# The horizon length in days:",
        str(problem.horizon_days),
        "",
        SHIFTS,
        "# ShiftID, Length in mins, Shifts which cannot follow this shift | separated",
    ]
    out += [f"{s.code},{s.minutes},{'|'.join(sorted(s.forbidden_next))}" for s in problem.shift_types]
    out += ["", STAFF, "# " + ", ".join(STAFF_FIELDS)]
    for s in problem.staff:
        max_shifts = "|".join(f"{code}={value}" for code, value in s.max_shifts.items())
        out.append(
            f"{s.id},{max_shifts},{s.max_total_minutes},{s.min_total_minutes},{s.max_consecutive_shifts},"
            f"{s.min_consecutive_shifts},{s.min_consecutive_days_off},{s.max_weekends}"
        )
    out += ["", DAYS_OFF, "# EmployeeID, DayIndexes (start at zero)"]
    out += [f"{s.id}," + ",".join(str(d) for d in sorted(s.days_off)) for s in problem.staff if s.days_off]
    for section, on in ((ON_REQUESTS, True), (OFF_REQUESTS, False)):
        out += ["", section, "# EmployeeID, Day, ShiftID, Weight"]
        out += [f"{r.staff},{r.day},{r.shift},{r.weight}" for r in problem.requests if r.on is on]
    out += ["", COVER, "# Day, ShiftID, Requirement, Weight for under, Weight for over"]
    out += [f"{c.day},{c.shift},{c.requirement},{c.under_weight},{c.over_weight}" for c in problem.cover]
    return "\n".join(out) + "\n"
