"""Planning pages: who may open them (HR and administrators plan rotation; HR, administrators and the
unit's leaders plan duty rosters; anyone else gets 404; an officer sees their own duties), a plan from
start to approval through the pages, exports that parse (.xlsx with openpyxl, .ics line by line)."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from grassroots.planning import jobs
from grassroots.planning.models import JobStatus, PlanRun, RosterAssignment, RosterRun
from grassroots.planning.services import plan_run_create, roster_run_create
from grassroots.workforce.models import Assignment, AssignmentKind

from .conftest import PLAN_START
from .test_planning_services import roster  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.force_login(user)
    return client


def solved_plan(court, periods: int = 3) -> PlanRun:
    run = plan_run_create(
        actor=court.world.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=periods, time_limit=20
    )
    assert jobs.job_run_next() == ("plan", run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE and run.report["ok"]
    return run


def solved_roster(world, definition) -> RosterRun:
    run = roster_run_create(actor=world.user_hr, roster=definition, time_limit=10)
    assert jobs.job_run_next() == ("roster", run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE and run.report["ok"], run.report
    return run


# -- access ------------------------------------------------------------------------------------------------


def test_rotation_pages_are_for_hr_and_administrators_only(client, court):
    w = court.world
    run = solved_plan(court, periods=2)
    urls = [
        reverse("planning:rule-sets"),
        reverse("planning:rule-set-new"),
        reverse("planning:rule-set", args=[court.rule_set.pk]),
        reverse("planning:plan-run", args=[run.pk]),
        reverse("planning:plan-status", args=[run.pk]),
        reverse("planning:plan-officers", args=[run.pk]),
        reverse("planning:plan-posts", args=[run.pk]),
        reverse("planning:plan-export", args=[run.pk]),
    ]
    for user in (w.user_hr, w.admin):
        client_for(client, user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)
    for user in (w.officer_a1.user, w.leader_a.user, w.resident_user):
        client_for(client, user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        assert (
            client.post(reverse("planning:plan-approve", args=[run.pk]), {"version": run.version}).status_code
            == 404
        )
    assert not Assignment.objects.filter(kind=AssignmentKind.PLANNED).exists()


def test_a_missing_plan_is_404_like_one_out_of_scope(client, court):
    client_for(client, court.world.user_hr)
    assert client.get(reverse("planning:plan-run", args=[999999])).status_code == 404


def test_rosters_are_for_hr_admins_and_the_units_leaders_cross_scope_is_404(client, world, roster):  # noqa: F811
    run = solved_roster(world, roster)
    urls = [
        reverse("planning:roster", args=[roster.pk]),
        reverse("planning:roster-run", args=[run.pk]),
        reverse("planning:roster-status", args=[run.pk]),
        reverse("planning:roster-xlsx", args=[run.pk]),
        reverse("planning:roster-ics", args=[run.pk]),
    ]
    for user in (world.user_hr, world.admin, world.leader_a.user):
        client_for(client, user)
        assert client.get(reverse("planning:rosters")).status_code == 200
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)
    # A leader of another court: the roster of court A does not exist for them.
    from grassroots.common.models import Role
    from grassroots.workforce.services import assignment_create, officer_create, post_create

    post = post_create(actor=world.admin, unit=world.court_b, code="CB-P", name="院长", is_leadership=True)
    leader_b = officer_create(
        actor=world.admin,
        staff_number="B000",
        name="钱院长",
        hire_date=date(2010, 1, 1),
        username="leader_b",
        role=Role.LEADER,
    )
    assignment_create(actor=world.admin, officer=leader_b, post=post, start=date(2020, 1, 1))
    client_for(client, leader_b.user)
    assert client.get(reverse("planning:rosters")).status_code == 200
    for url in urls:
        assert client.get(url).status_code == 404, url
    client_for(client, world.officer_a1.user)
    for url in [reverse("planning:rosters"), *urls]:
        assert client.get(url).status_code == 404, url


def test_an_officer_sees_their_own_duties_and_their_calendar(client, world, roster):  # noqa: F811
    run = solved_roster(world, roster)
    mine = RosterAssignment.objects.filter(run=run, officer=world.officer_a1)
    client_for(client, world.officer_a1.user)
    page = client.get(reverse("planning:my-duties"))
    assert page.status_code == 200
    assert len(page.context["duties"]) == mine.count()
    assert {a.officer_id for a in page.context["duties"]} <= {world.officer_a1.pk}
    ics = client.get(reverse("planning:my-duties-ics", args=[run.pk])).content.decode()
    assert ics.count("BEGIN:VEVENT") == mine.count()
    # Someone who is not in the roster has no calendar of it.
    client_for(client, world.officer_b.user)
    assert client.get(reverse("planning:my-duties-ics", args=[run.pk])).status_code == 404
    assert client.get(reverse("planning:my-duties")).context["duties"].count() == 0


def test_planning_is_in_the_main_navigation_for_planners_and_officers(client, court):
    w = court.world
    for user, shown in ((w.user_hr, True), (w.officer_a1.user, True), (w.resident_user, False)):
        client_for(client, user)
        html = client.get(reverse("home"), follow=True).content.decode()
        assert (reverse("planning:index") in html) is shown, user


# -- rotation through the pages ----------------------------------------------------------------------------


def test_hr_edits_a_rule_set_on_its_page(client, court):
    client_for(client, court.world.user_hr)
    url = reverse("planning:rule-set", args=[court.rule_set.pk])
    form = client.get(url).context["form"]
    data = {name: field.value() for name, field in ((n, form[n]) for n in form.fields)}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v not in (None, False)}
    data["rule_move_cap_p_per_period"] = 2
    data["rule_fairness_enabled"] = ""
    data.pop("rule_fairness_enabled")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else None
    rules = {r.family: r for r in court.rule_set.rules.all()}
    assert rules["move_cap"].params["per_period"] == 2 and not rules["fairness"].enabled
    # The version read is sent back: a second save of the same form is a conflict.
    response = client.post(url, data)
    assert response.status_code == 200 and response.context["form"].non_field_errors()


def test_start_progress_review_and_approve_a_plan_through_the_pages(client, court):
    w = court.world
    client_for(client, w.user_hr)
    response = client.post(
        reverse("planning:plan-start", args=[court.rule_set.pk]),
        {"start": PLAN_START.isoformat(), "periods": 3, "time_limit": 20},
    )
    run = PlanRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("planning:plan-run", args=[run.pk])
    status = client.get(reverse("planning:plan-status", args=[run.pk]))
    assert b'hx-trigger="every 1s"' in status.content  # polled while queued or solving
    assert (
        b"<script" not in client.get(reverse("planning:plan-run", args=[run.pk])).content.split(b"</head>")[1]
    )
    jobs.job_run_next()
    done = client.get(reverse("planning:plan-status", args=[run.pk]) + "?was=active")
    assert done["HX-Refresh"] == "true" and b"every 1s" not in done.content
    page = client.get(reverse("planning:plan-run", args=[run.pk]))
    run.refresh_from_db()
    assert page.context["report"]["ok"] and page.context["may_approve"]
    assert len(page.context["moves"]) == min(100, run.moves_count) > 0
    assert all(row["reasons"] for row in page.context["moves"])
    officers = client.get(reverse("planning:plan-officers", args=[run.pk]))
    assert officers.context["total"] == len(run.plan)
    posts = client.get(reverse("planning:plan-posts", args=[run.pk]))
    assert {r["row"].post.code for r in posts.context["rows"]} >= {"CA-OFF", "CA-FIL"}
    stale_version = run.version
    response = client.post(reverse("planning:plan-approve", args=[run.pk]), {"version": run.version})
    assert response.status_code == 302
    planned = Assignment.objects.filter(kind=AssignmentKind.PLANNED, note=f"rotation plan #{run.pk}")
    assert planned.count() == run.moves_count
    # The same form sent again (the version it read is gone): refused, nothing written twice.
    client.post(reverse("planning:plan-approve", args=[run.pk]), {"version": stale_version})
    assert planned.count() == run.moves_count


def test_a_queued_plan_can_be_cancelled_from_its_page(client, court):
    client_for(client, court.world.user_hr)
    run = plan_run_create(
        actor=court.world.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=2, time_limit=5
    )
    client.post(reverse("planning:plan-cancel", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == JobStatus.CANCELLED and jobs.job_run_next() is None


def test_the_plan_export_parses_with_openpyxl(client, court):
    run = solved_plan(court)
    client_for(client, court.world.user_hr)
    response = client.get(reverse("planning:plan-export", args=[run.pk]))
    book = load_workbook(BytesIO(response.content))
    moves, plan, check = book.worksheets
    assert moves.max_row - 1 == run.moves_count
    assert plan.max_row - 1 == len(run.plan) and plan.max_column == 3 + run.periods
    assert check.max_row - 1 == len(run.report["violations"])


# -- duty rosters through the pages ------------------------------------------------------------------------


def test_a_roster_is_defined_solved_and_shown_as_a_calendar(client, world):
    client_for(client, world.leader_a.user)
    response = client.post(
        reverse("planning:rosters"),
        {"name": "2027年2月值班", "unit": world.court_a.pk, "start_date": "2027-02-01", "days": 14},
    )
    assert response.status_code == 302
    url = response["Location"]
    for data in (
        {"action": "duty", "code": "W", "name": "立案窗口", "kind": "filing_window", "minutes": 480},
        {
            "action": "duty",
            "code": "R",
            "name": "院长接待日",
            "kind": "reception",
            "minutes": 240,
            "starts_at": "09:00",
        },
    ):
        assert client.post(url, data).status_code == 302
    roster_page = client.get(url)
    definition = roster_page.context["roster"]
    window = definition.duty_types.get(code="W")
    for officer in (world.officer_a1, world.officer_a2, world.hr):
        data = {
            "action": "member",
            "officer": officer.pk,
            "max_total_minutes": 480 * 8,
            "min_total_minutes": 0,
            "max_consecutive_shifts": 4,
            "min_consecutive_shifts": 1,
            "min_consecutive_days_off": 1,
            "max_weekends": 1,
            "max_shifts": "R=2",
        }
        response = client.post(url, data)
        assert response.status_code == 302, response.context and response.context["member_form"].errors
    cover = {"action": "cover", "duty": window.pk, "days": "working_days", "minimum": 1, "preferred": 1}
    assert client.post(url, {**cover, "under_weight": 100, "over_weight": 1}).status_code == 302
    member = definition.members.get(officer=world.officer_a1)
    assert (
        client.post(url, {"action": "day_off", "member": member.pk, "date": "2027-02-03"}).status_code == 302
    )
    bad = client.post(url, {"action": "day_off", "member": member.pk, "date": "2027-05-03"})
    assert bad.status_code == 200 and bad.context["day_off_form"].errors
    response = client.post(reverse("planning:roster-start", args=[definition.pk]), {"time_limit": 10})
    run = RosterRun.objects.get(definition=definition)
    assert response["Location"] == reverse("planning:roster-run", args=[run.pk])
    jobs.job_run_next()
    page = client.get(reverse("planning:roster-run", args=[run.pk]))
    assert page.context["report"]["ok"]
    days = [cell for week in page.context["weeks"] for cell in week if cell]
    assert len(days) == 28  # February 2027
    shown = sum(len(officers) for cell in days for _duty, officers in cell.duties)
    assert shown == RosterAssignment.objects.filter(run=run).count()
    assert not RosterAssignment.objects.filter(
        run=run, officer=world.officer_a1, date=date(2027, 2, 3)
    ).exists()


def test_roster_exports_parse_xlsx_and_icalendar(client, world, roster):  # noqa: F811
    run = solved_roster(world, roster)
    client_for(client, world.user_hr)
    book = load_workbook(BytesIO(client.get(reverse("planning:roster-xlsx", args=[run.pk])).content))
    sheet = book["Roster"]
    assert sheet.max_row - 1 == roster.members.count()
    cells = [c.value for row in sheet.iter_rows(min_row=2, min_col=2, max_col=1 + roster.days) for c in row]
    assert sum(1 for v in cells if v) == RosterAssignment.objects.filter(run=run).count()
    response = client.get(reverse("planning:roster-ics", args=[run.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    raw = response.content.decode("utf-8")
    assert raw.endswith("\r\n") and "\n" not in raw.replace("\r\n", "")
    lines = raw.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded: list[str] = []
    for line in lines:
        if line.startswith(" "):
            unfolded[-1] += line[1:]
        else:
            unfolded.append(line)
    assert unfolded[0] == "BEGIN:VCALENDAR" and unfolded[-1] == "END:VCALENDAR"
    assert all(re.match(r"^[A-Z-]+(;[^:]*)?:", line) for line in unfolded), unfolded
    uids = [line for line in unfolded if line.startswith("UID:")]
    assert len(uids) == len(set(uids)) == RosterAssignment.objects.filter(run=run).count()
    for line in unfolded:
        if line.startswith(("SUMMARY:", "DESCRIPTION:")):
            value = line.split(":", 1)[1]
            assert not re.search(r"(?<!\\)[,;]", value), line  # commas and semicolons escaped
