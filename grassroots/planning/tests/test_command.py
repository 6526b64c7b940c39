from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook


def test_roster_solve_prints_progress_and_verdict_and_exports(curtois_dir, tmp_path):
    out = StringIO()
    xlsx, ics = tmp_path / "plan.xlsx", tmp_path / "plan.ics"
    call_command(
        "roster_solve",
        str(curtois_dir / "Instance1.txt"),
        "--time-limit",
        "3",
        "--workers",
        "1",
        "--xlsx",
        str(xlsx),
        "--ics",
        str(ics),
        stdout=out,
    )
    text = out.getvalue()
    assert "Instance1: 8 staff, 1 shift type(s), 14 days" in text
    assert "objective" in text and "checker: feasible" in text
    assert load_workbook(xlsx)["Roster"]["A2"].value == "A"
    assert ics.read_text().startswith("BEGIN:VCALENDAR")


def test_roster_solve_reports_a_malformed_file_with_its_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("SECTION_HORIZON\n7\nSECTION_SHIFTS\nD,480\nSECTION_STAFF\nA,D=7,2400,0,5,1,1,2\n")
    with pytest.raises(CommandError, match="bad.txt, line 4: wrong field count"):
        call_command("roster_solve", str(bad), "--time-limit", "1")
