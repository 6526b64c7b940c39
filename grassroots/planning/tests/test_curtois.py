from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from grassroots.planning.roster.curtois import RosterFormatError, parse_curtois, read_curtois, write_curtois

INSTANCES = [f"Instance{k}" for k in range(1, 13)]


def raw_sections(path: Path) -> dict[str, list[str]]:
    """A plain count of the data lines under each header, written independently of the parser."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            current = line
            sections[current] = []
        else:
            sections[current].append(line)
    return sections


@pytest.mark.parametrize("name", INSTANCES)
def test_every_shared_instance_parses_with_the_counts_of_the_file(curtois_dir, name):
    path = curtois_dir / f"{name}.txt"
    raw = raw_sections(path)
    problem = read_curtois(path)
    assert problem.name == name
    assert problem.horizon_days == int(raw["SECTION_HORIZON"][0])
    assert len(problem.shift_types) == len(raw["SECTION_SHIFTS"])
    assert len(problem.staff) == len(raw["SECTION_STAFF"])
    assert sum(len(s.days_off) for s in problem.staff) == sum(
        len(line.split(",")) - 1 for line in raw["SECTION_DAYS_OFF"]
    )
    assert len(problem.on_requests) == len(raw["SECTION_SHIFT_ON_REQUESTS"])
    assert len(problem.off_requests) == len(raw["SECTION_SHIFT_OFF_REQUESTS"])
    assert len(problem.cover) == len(raw["SECTION_COVER"])
    assert problem.start_date.weekday() == 0
    # The writer is the parser's inverse.
    assert parse_curtois(write_curtois(problem), name=name) == problem


def test_instance1_details(curtois_dir):
    problem = read_curtois(curtois_dir / "Instance1.txt")
    assert [(s.code, s.minutes, s.forbidden_next) for s in problem.shift_types] == [("D", 480, frozenset())]
    a = problem.staff[0]
    assert (a.id, a.max_shifts, a.max_total_minutes, a.min_total_minutes) == ("A", {"D": 14}, 4320, 3360)
    assert (
        a.max_consecutive_shifts,
        a.min_consecutive_shifts,
        a.min_consecutive_days_off,
        a.max_weekends,
    ) == (
        5,
        2,
        2,
        1,
    )
    assert a.days_off == frozenset({0})
    assert problem.cover[1].day == 1 and problem.cover[1].requirement == 7
    assert (problem.cover[1].under_weight, problem.cover[1].over_weight) == (100, 1)
    assert problem.weekends() == [[5, 6], [12, 13]]


def test_multi_shift_instance_reads_forbidden_successors_and_caps(curtois_dir):
    problem = read_curtois(curtois_dir / "Instance12.txt")
    assert problem.shift("n1").forbidden_next >= {"a1", "d1", "p1"}
    assert problem.staff[0].max_shifts["d3"] == 0


GOOD = """# comment
SECTION_HORIZON
# days
7

SECTION_SHIFTS
E,480,
L,480,E

SECTION_STAFF
A,E=7|L=3,2400,960,5,2,2,1
B,E=7|L=3,2400,960,5,2,2,1

SECTION_DAYS_OFF
A,0,3

SECTION_SHIFT_ON_REQUESTS
A,2,E,2

SECTION_SHIFT_OFF_REQUESTS
B,4,L,3

SECTION_COVER
0,E,1,100,1
0,L,1,100,1
"""


def test_a_small_file_parses():
    problem = parse_curtois(GOOD, name="small")
    assert problem.horizon_days == 7
    assert problem.shift("L").forbidden_next == frozenset({"E"})
    assert problem.staff[0].days_off == frozenset({0, 3})
    assert problem.on_requests[0].weight == 2 and problem.off_requests[0].shift == "L"


def test_a_non_monday_start_is_refused():
    with pytest.raises(ValueError, match="Monday"):
        parse_curtois(GOOD, start_date=date(2024, 1, 2))


def broken(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(
    ("text", "needle", "message"),
    [
        (broken("SECTION_COVER", "SECTION_COVERS"), "SECTION_COVERS", "unknown section"),
        (broken("B,E=7|L=3,2400,960,5,2,2,1", "B,E=7|L=3,2400,960,5,2,2"), "B,E=7", "wrong field count"),
        (broken("0,L,1,100,1", "0,N,1,100,1"), "0,N,1", "unknown shift id 'N'"),
        (broken("L,480,E", "L,eight hours,E"), "L,eight", "must be an integer"),
        (broken("B,E=7|L=3", "A,E=7|L=3"), "A,E=7|L=3,2400,960,5,2,2,1\nA", "duplicate staff id 'A'"),
        (broken("A,2,E,2", "A,9,E,2"), "A,9,E", "day 9 is outside the horizon"),
        (broken("B,4,L,3", "C,4,L,3"), "C,4,L", "unknown staff id 'C'"),
        (broken("L,480,E", "L,480,E|X"), "L,480,E|X", "unknown shift id 'X'"),
        (broken("A,E=7|L=3", "A,E=7|Q=3"), "A,E=7|Q=3", "unknown shift id 'Q' in MaxShifts"),
        (broken("0,L,1,100,1", "0,E,2,100,1"), "0,E,2", "duplicate cover"),
        (broken("A,0,3", "A,0,-3"), "A,0,-3", "at least 0"),
        (
            broken("SECTION_SHIFT_ON_REQUESTS\nA,2,E,2", "SECTION_SHIFT_ON_REQUESTS\nA,2,E"),
            "A,2,E",
            "wrong field count",
        ),
        (broken("# days\n7", "# days\n7\n8"), "8", "exactly one line"),
        (broken("SECTION_DAYS_OFF", "SECTION_STAFF"), "2,2,1\n\nSECTION_STAFF", "appears twice"),
    ],
)
def test_malformed_files_name_the_line_and_the_problem(text, needle, message):
    with pytest.raises(RosterFormatError) as caught:
        parse_curtois(text, name="bad.txt")
    error = caught.value
    expected_line = line_of(text, needle.split("\n")[-1]) if "\n" not in needle else _line_after(text, needle)
    assert error.line == expected_line
    assert message in error.detail
    assert str(error).startswith(f"bad.txt, line {expected_line}: ")
    assert error.errors[0].row == expected_line


def _line_after(text: str, needle: str) -> int:
    """Line number of the last line of a multi-line needle."""
    start = text.index(needle)
    return text[: start + len(needle)].count("\n") + 1


def test_missing_section_and_data_before_header():
    with pytest.raises(RosterFormatError, match="missing section SECTION_STAFF"):
        parse_curtois("SECTION_HORIZON\n7\nSECTION_SHIFTS\nD,480,\n")
    with pytest.raises(RosterFormatError, match="line 2: data before the first section header"):
        parse_curtois("# c\n7\nSECTION_HORIZON\n7\n", name="x")
    with pytest.raises(RosterFormatError, match="missing section SECTION_HORIZON"):
        parse_curtois("")
