"""Exports of a duty roster: an .xlsx grid (staff × days) and iCalendar (RFC 5545) text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .model import RosterProblem, RosterSolution, Staff

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKEND_FILL = PatternFill("solid", fgColor="EEEEEE")
SHORT_FILL = PatternFill("solid", fgColor="F8D7DA")


def day_header(problem: RosterProblem, day: int) -> str:
    return f"{problem.date_of(day):%m-%d} {WEEKDAY_NAMES[problem.weekday_of(day)]}"


def roster_workbook(problem: RosterProblem, solution: RosterSolution) -> Workbook:
    """Sheet "Roster": one row per member, one column per day with the shift code (blank = off), then the
    number of shifts and the minutes worked. Sheet "Cover": per day and shift, required and planned."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Roster"
    horizon = problem.horizon_days
    minutes = {s.code: s.minutes for s in problem.shift_types}
    sheet.cell(row=1, column=1, value="Staff").font = Font(bold=True)
    for day in range(horizon):
        cell = sheet.cell(row=1, column=day + 2, value=day_header(problem, day))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(text_rotation=90, horizontal="center")
    total_column = horizon + 2
    sheet.cell(row=1, column=total_column, value="Shifts").font = Font(bold=True)
    sheet.cell(row=1, column=total_column + 1, value="Minutes").font = Font(bold=True)
    weekend_days = {d for weekend in problem.weekends() for d in weekend}
    for row_index, staff in enumerate(problem.staff, start=2):
        sheet.cell(row=row_index, column=1, value=staff.label)
        row = solution.assignment.get(staff.id, [None] * horizon)
        for day, code in enumerate(row):
            cell = sheet.cell(row=row_index, column=day + 2, value=code or None)
            cell.alignment = Alignment(horizontal="center")
            if day in weekend_days:
                cell.fill = WEEKEND_FILL
        sheet.cell(row=row_index, column=total_column, value=sum(1 for code in row if code is not None))
        sheet.cell(
            row=row_index, column=total_column + 1, value=sum(minutes.get(code, 0) for code in row if code)
        )
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 14
    for day in range(horizon):
        sheet.column_dimensions[get_column_letter(day + 2)].width = 4

    cover = book.create_sheet("Cover")
    for column, title in enumerate(("Day", "Date", "Shift", "Required", "Planned"), start=1):
        cover.cell(row=1, column=column, value=title).font = Font(bold=True)
    for row_index, requirement in enumerate(problem.cover, start=2):
        planned = sum(1 for row in solution.assignment.values() if row[requirement.day] == requirement.shift)
        values = (
            requirement.day,
            problem.date_of(requirement.day),
            requirement.shift,
            requirement.requirement,
            planned,
        )
        for column, value in enumerate(values, start=1):
            cover.cell(row=row_index, column=column, value=value)
        if planned < requirement.requirement:
            cover.cell(row=row_index, column=5).fill = SHORT_FILL
    return book


def write_xlsx(problem: RosterProblem, solution: RosterSolution, target: str | Path | BinaryIO) -> None:
    roster_workbook(problem, solution).save(target)


def xlsx_bytes(problem: RosterProblem, solution: RosterSolution) -> bytes:
    buffer = BytesIO()
    write_xlsx(problem, solution, buffer)
    return buffer.getvalue()


# -- iCalendar (RFC 5545) -------------------------------------------------------------------------


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> Iterable[str]:
    """Fold a content line into chunks of at most 75 octets (continuations start with a space)."""
    encoded = line.encode("utf-8")
    limit = 75
    while len(encoded) > limit:
        cut = limit
        while cut > 0 and (encoded[cut] & 0xC0) == 0x80:  # do not split a UTF-8 sequence
            cut -= 1
        yield encoded[:cut].decode("utf-8")
        encoded = b" " + encoded[cut:]
        limit = 75
    yield encoded.decode("utf-8")


def _uid_part(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


def roster_ics(
    problem: RosterProblem,
    solution: RosterSolution,
    *,
    staff_id: str | None = None,
    stamp: datetime | None = None,
    domain: str = "grassroots.local",
) -> str:
    """One VEVENT per assigned shift, for one member (``staff_id``) or everyone. Whole-day duties are
    all-day events; a shift type with a ``start`` time becomes a timed event (floating local time) of its
    length. UIDs are stable, so re-importing an updated roster replaces the earlier events."""
    members: list[Staff] = [s for s in problem.staff if staff_id is None or s.id == staff_id]
    if staff_id is not None and not members:
        raise KeyError(f"no member of staff {staff_id!r} in this problem")
    stamp_text = (stamp or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    shifts = {s.code: s for s in problem.shift_types}
    name = problem.name if staff_id is None else f"{problem.name} — {members[0].label}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Grassroots//Duty roster//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for staff in members:
        for day, code in solution.worked(staff.id):
            shift = shifts[code]
            on = problem.date_of(day)
            lines += [
                "BEGIN:VEVENT",
                f"UID:{_uid_part(problem.name)}-{_uid_part(staff.id)}-{on:%Y%m%d}@{domain}",
                f"DTSTAMP:{stamp_text}",
            ]
            if shift.start is None:
                lines += [
                    f"DTSTART;VALUE=DATE:{on:%Y%m%d}",
                    f"DTEND;VALUE=DATE:{on + timedelta(days=1):%Y%m%d}",
                ]
            else:
                begins = datetime.combine(on, shift.start)
                ends = begins + timedelta(minutes=shift.minutes)
                lines += [f"DTSTART:{begins:%Y%m%dT%H%M%S}", f"DTEND:{ends:%Y%m%dT%H%M%S}"]
            lines += [
                f"SUMMARY:{_escape(f'{shift.label} · {staff.label}')}",
                f"DESCRIPTION:{_escape(f'{shift.label}, {shift.minutes} minutes, {staff.label}')}",
                f"CATEGORIES:{_escape(shift.code)}",
                "TRANSP:OPAQUE",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "".join(chunk + "\r\n" for line in lines for chunk in _fold(line))


def write_ics(
    problem: RosterProblem, solution: RosterSolution, target: str | Path, *, staff_id: str | None = None
) -> None:
    Path(target).write_bytes(roster_ics(problem, solution, staff_id=staff_id).encode("utf-8"))
