from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings

CURTOIS_DIR = Path(settings.BASE_DIR).parent / "shared" / "data" / "rostering" / "curtois"
PLAN_START = date(2027, 1, 1)


@pytest.fixture
def curtois_dir() -> Path:
    if not CURTOIS_DIR.is_dir():
        pytest.skip(f"benchmark instances not found at {CURTOIS_DIR} (../shared/data is absent)")
    return CURTOIS_DIR


@pytest.fixture(autouse=True)
def _jobs_run_by_the_tests(settings):
    """Pages queue jobs; the tests run them (no thread of the test process holds the database)."""
    settings.PLANNING_JOB_MODE = "worker"
    settings.PLANNING_WORKERS = 1


@pytest.fixture
def court(world):
    """Court A with a filing window, a court office and a research post besides its two tribunals, and
    eight more officers whose history goes back to 2022; a rotation rule set for the court by quarter."""
    from grassroots.common.models import Role
    from grassroots.planning.services import rule_set_create
    from grassroots.workforce.services import assignment_create, officer_create, post_create

    w = world
    c = SimpleNamespace(world=w)
    admin = w.admin
    c.office = post_create(
        actor=admin, unit=w.court_a, code="CA-OFF", name="办公室", min_staff=1, max_staff=6
    )
    c.research = post_create(actor=admin, unit=w.court_a, code="CA-RES", name="研究室", max_staff=3)
    c.filing = post_create(
        actor=admin,
        unit=w.court_a,
        code="CA-FIL",
        name="立案庭窗口",
        is_front_line=True,
        min_staff=1,
        max_staff=3,
    )
    layout = [
        (c.office, date(2024, 1, 1)),
        (c.office, date(2025, 4, 1)),
        (c.office, date(2023, 1, 1)),
        (c.research, date(2024, 7, 1)),
        (c.filing, date(2025, 1, 1)),
        (c.filing, date(2026, 7, 1)),
        (w.post_judge_a1, date(2023, 1, 1)),
        (w.post_judge_a2, date(2024, 10, 1)),
    ]
    c.officers = []
    for i, (post, since) in enumerate(layout):
        officer = officer_create(
            actor=admin,
            staff_number=f"A2{i:02d}",
            name=f"干警{i}",
            hire_date=date(2018, 1, 1),
            username=f"court_officer_{i}",
            role=Role.OFFICER,
            skills=["mediation"] if i % 2 else [],
        )
        # Front-line service in 2022, the office until the current post, which is held since ``since``.
        assignment_create(
            actor=admin, officer=officer, post=c.filing, start=date(2022, 1, 1), end=date(2022, 12, 31)
        )
        if since > date(2023, 1, 1):
            assignment_create(
                actor=admin,
                officer=officer,
                post=c.office,
                start=date(2023, 1, 1),
                end=since - timedelta(days=1),
            )
        assignment_create(actor=admin, officer=officer, post=post, start=since)
        c.officers.append(officer)
    c.rule_set = rule_set_create(actor=w.user_hr, name="兰考法院2027年交流", unit=w.court_a)
    return c
