from __future__ import annotations

from datetime import UTC, datetime, time
from io import BytesIO

from openpyxl import load_workbook

from grassroots.planning.roster.export import roster_ics, xlsx_bytes
from grassroots.planning.roster.model import CoverRequirement, RosterSolution, ShiftType, Staff

from .factories import tiny_problem


def problem_and_plan():
    problem = tiny_problem(
        staff=(
            Staff(id="A", max_total_minutes=10**6, name="张三"),
            Staff(id="B", max_total_minutes=10**6),
        ),
        cover=(CoverRequirement(0, "E", 2, 100, 1),),
    )
    plan = RosterSolution(
        {"A": ["E", "E", None, None, "L", "L", None], "B": [None, None, None, None, None, None, "E"]}
    )
    return problem, plan


def test_xlsx_grid_has_codes_and_totals():
    problem, plan = problem_and_plan()
    book = load_workbook(BytesIO(xlsx_bytes(problem, plan)))
    sheet = book["Roster"]
    assert sheet["A1"].value == "Staff"
    assert sheet["B1"].value == "01-01 Mon" and sheet["H1"].value == "01-07 Sun"
    assert sheet["I1"].value == "Shifts" and sheet["J1"].value == "Minutes"
    assert sheet["A2"].value == "张三" and sheet["A3"].value == "B"
    assert [sheet.cell(row=2, column=c).value for c in range(2, 9)] == ["E", "E", None, None, "L", "L", None]
    assert (sheet["I2"].value, sheet["J2"].value) == (4, 1920)
    assert (sheet["I3"].value, sheet["J3"].value) == (1, 480)
    cover = book["Cover"]
    assert [cell.value for cell in cover[2]][2:] == ["E", 2, 1]


def unfold(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.split("\r\n"):
        if raw.startswith(" "):
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def test_ics_has_one_event_per_assigned_shift():
    problem, plan = problem_and_plan()
    text = roster_ics(problem, plan, stamp=datetime(2024, 1, 1, tzinfo=UTC))
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 5
    assert "DTSTART;VALUE=DATE:20240101" in lines and "DTEND;VALUE=DATE:20240102" in lines
    uids = [line for line in lines if line.startswith("UID:")]
    assert len(set(uids)) == 5
    assert "SUMMARY:E · 张三" in lines

    only_b = unfold(roster_ics(problem, plan, staff_id="B"))
    assert only_b.count("BEGIN:VEVENT") == 1
    assert "DTSTART;VALUE=DATE:20240107" in only_b


def test_ics_timed_shift_and_folding_of_long_text():
    long_name = "法官联络点值班 " * 8
    problem = tiny_problem(
        shift_types=(ShiftType("R", 240, name=long_name, start=time(8, 30)),),
        staff=(Staff(id="A", max_total_minutes=10**6),),
    )
    plan = RosterSolution({"A": ["R", None, None, None, None, None, None]})
    text = roster_ics(problem, plan)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = unfold(text)
    assert "DTSTART:20240101T083000" in lines and "DTEND:20240101T123000" in lines
    assert any(line.startswith("SUMMARY:" + long_name.replace(",", "\\,")) for line in lines)
