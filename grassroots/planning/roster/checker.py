"""An independent checker of duty rosters.

It reads a plan day by day, the way a person would check it on paper, and shares no code with the solver:
if the solver's model of a rule were wrong, the checker would say so. It returns every hard-rule
violation (rule, member of staff, day) and the objective exactly as the benchmark defines it:

    objective = Σ under_weight × shortfall + Σ over_weight × excess       (per day and shift with a cover)
              + Σ weight of on-requests not granted + Σ weight of off-requests not respected
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import RosterProblem, RosterSolution, Staff

# Rule names (stable: a UI can translate them).
RULE_SHAPE = "plan_shape"
RULE_UNKNOWN_SHIFT = "unknown_shift"
RULE_DAY_OFF = "fixed_day_off"
RULE_SUCCESSION = "forbidden_succession"
RULE_MAX_SHIFTS = "max_shifts_of_type"
RULE_MAX_MINUTES = "max_total_minutes"
RULE_MIN_MINUTES = "min_total_minutes"
RULE_MAX_CONSECUTIVE = "max_consecutive_shifts"
RULE_MIN_CONSECUTIVE = "min_consecutive_shifts"
RULE_MIN_DAYS_OFF = "min_consecutive_days_off"
RULE_MAX_WEEKENDS = "max_weekends"
RULE_MIN_COVER = "minimum_cover"


@dataclass(frozen=True)
class Violation:
    rule: str
    staff: str
    day: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.staff}" + (f", day {self.day}" if self.day is not None else "")
        return f"{self.rule} ({where}): {self.message}"


@dataclass
class CheckReport:
    violations: list[Violation] = field(default_factory=list)
    under_cover: int = 0
    over_cover: int = 0
    on_requests: int = 0
    off_requests: int = 0

    @property
    def objective(self) -> int:
        return self.under_cover + self.over_cover + self.on_requests + self.off_requests

    @property
    def feasible(self) -> bool:
        return not self.violations

    def verdict(self) -> str:
        if self.feasible:
            return f"feasible, objective {self.objective}"
        return f"{len(self.violations)} hard-rule violation(s), objective {self.objective}"


def _stretches(worked: list[bool]) -> list[tuple[bool, int, int]]:
    """Maximal runs of equal values: (value, first day, length)."""
    runs: list[tuple[bool, int, int]] = []
    start = 0
    for day in range(1, len(worked) + 1):
        if day == len(worked) or worked[day] != worked[start]:
            runs.append((worked[start], start, day - start))
            start = day
    return runs


def _check_staff(problem: RosterProblem, staff: Staff, row: list[str | None], out: list[Violation]) -> None:
    horizon = problem.horizon_days
    minutes_of = {s.code: s.minutes for s in problem.shift_types}
    forbidden = {s.code: s.forbidden_next for s in problem.shift_types}

    def flag(rule: str, day: int | None, message: str) -> None:
        out.append(Violation(rule, staff.id, day, message))

    counts: dict[str, int] = {}
    total = 0
    max_minutes_flagged = False
    for day, code in enumerate(row):
        if code is None:
            continue
        if code not in minutes_of:
            flag(RULE_UNKNOWN_SHIFT, day, f"shift {code!r} is not defined")
            continue
        if day in staff.days_off:
            flag(RULE_DAY_OFF, day, f"works {code} on a fixed day off")
        counts[code] = counts.get(code, 0) + 1
        limit = staff.max_shifts.get(code)
        if limit is not None and counts[code] == limit + 1:
            flag(RULE_MAX_SHIFTS, day, f"shift {code} worked more than {limit} time(s)")
        total += minutes_of[code]
        if total > staff.max_total_minutes and not max_minutes_flagged:
            max_minutes_flagged = True
            flag(RULE_MAX_MINUTES, day, f"total minutes exceed {staff.max_total_minutes}")
        if day + 1 < horizon:
            following = row[day + 1]
            if following is not None and following in forbidden[code]:
                flag(RULE_SUCCESSION, day + 1, f"{following} may not follow {code}")
    if total < staff.min_total_minutes:
        flag(RULE_MIN_MINUTES, None, f"works {total} minutes, fewer than {staff.min_total_minutes}")

    for value, first, length in _stretches([code is not None for code in row]):
        touches_edge = first == 0 or first + length == horizon
        if value:
            if length > staff.max_consecutive_shifts:
                flag(
                    RULE_MAX_CONSECUTIVE,
                    first,
                    f"{length} shifts in a row from day {first}, more than {staff.max_consecutive_shifts}",
                )
            if length < staff.min_consecutive_shifts and not touches_edge:
                flag(
                    RULE_MIN_CONSECUTIVE,
                    first,
                    f"{length} shift(s) in a row from day {first}, fewer than {staff.min_consecutive_shifts}",
                )
        elif length < staff.min_consecutive_days_off and not touches_edge:
            flag(
                RULE_MIN_DAYS_OFF,
                first,
                f"{length} day(s) off in a row from day {first}, fewer than {staff.min_consecutive_days_off}",
            )

    weekends_worked = 0
    for weekend in problem.weekends():
        if any(row[day] is not None for day in weekend):
            weekends_worked += 1
            if weekends_worked == staff.max_weekends + 1:
                flag(RULE_MAX_WEEKENDS, weekend[0], f"more than {staff.max_weekends} weekend(s) worked")


def check(problem: RosterProblem, solution: RosterSolution) -> CheckReport:
    report = CheckReport()
    rows: dict[str, list[str | None]] = {}
    for staff in problem.staff:
        row = solution.assignment.get(staff.id)
        if row is None:
            report.violations.append(Violation(RULE_SHAPE, staff.id, None, "missing from the plan"))
            row = [None] * problem.horizon_days
        elif len(row) != problem.horizon_days:
            report.violations.append(
                Violation(
                    RULE_SHAPE, staff.id, None, f"{len(row)} days planned, horizon is {problem.horizon_days}"
                )
            )
            row = (list(row) + [None] * problem.horizon_days)[: problem.horizon_days]
        rows[staff.id] = list(row)
        _check_staff(problem, staff, rows[staff.id], report.violations)
    known = {staff.id for staff in problem.staff}
    for extra in sorted(set(solution.assignment) - known):
        report.violations.append(Violation(RULE_SHAPE, extra, None, "not a member of staff of this problem"))

    for cover in problem.cover:
        present = sum(1 for row in rows.values() if row[cover.day] == cover.shift)
        if present < cover.minimum:
            report.violations.append(
                Violation(
                    RULE_MIN_COVER,
                    "",
                    cover.day,
                    f"{present} on {cover.shift}, at least {cover.minimum} needed",
                )
            )
        if present < cover.requirement:
            report.under_cover += cover.under_weight * (cover.requirement - present)
        elif present > cover.requirement:
            report.over_cover += cover.over_weight * (present - cover.requirement)
    for request in problem.requests:
        row = rows.get(request.staff)
        if row is None:
            continue
        granted = row[request.day] == request.shift
        if request.on and not granted:
            report.on_requests += request.weight
        elif not request.on and granted:
            report.off_requests += request.weight
    return report
