"""Exports of stored planning results: a rotation plan as .xlsx; a stored duty roster as .xlsx and .ics
(through the engine's exporters, from the run's stored problem and assignments)."""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from .build import period_label
from .jobs import stored_roster_problem
from .models import PlannedMove, PlanRun, RosterAssignment, RosterRun
from .presentation import family_label, reasons_text
from .roster.export import roster_ics, xlsx_bytes
from .roster.model import RosterProblem, RosterSolution

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _header(sheet, titles: list[str]) -> None:
    sheet.append(titles)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def plan_workbook_bytes(run: PlanRun) -> bytes:
    """Sheets: Moves (who moves where, when and why), Plan (officer × period), Check (the checker)."""
    book = Workbook()
    labels = [period_label(run.start, run.period_kind, t) for t in range(run.periods)]
    moves = book.active
    moves.title = _("Moves")[:31]
    _header(
        moves, [_("Staff number"), _("Name"), _("From"), _("Period"), _("From post"), _("To post"), _("Why")]
    )
    for move in PlannedMove.objects.filter(run=run).select_related("officer", "from_post", "to_post"):
        moves.append(
            [
                move.officer.staff_number,
                move.officer.name,
                move.starts,
                labels[move.period] if move.period < len(labels) else move.period,
                f"{move.from_post.code} {move.from_post.name}" if move.from_post else "",
                f"{move.to_post.code} {move.to_post.name}",
                reasons_text(move.reasons),
            ]
        )
    plan = book.create_sheet(_("Plan")[:31])
    names = {o["id"]: o.get("name", "") for o in (run.problem or {}).get("officers", [])}
    history = {o["id"]: o.get("history") or [None] for o in (run.problem or {}).get("officers", [])}
    _header(plan, [_("Staff number"), _("Name"), _("Now"), *labels])
    for number in sorted(run.plan or {}):
        plan.append([number, names.get(number, ""), history.get(number, [None])[-1] or "", *run.plan[number]])
    check = book.create_sheet(_("Check")[:31])
    report = run.report or {}
    _header(check, [_("Rule"), _("Hard"), _("Amount"), _("Officer"), _("Post"), _("Period"), _("Finding")])
    for v in report.get("violations", []):
        period = v.get("period")
        check.append(
            [
                family_label(v.get("family", "")),
                _("yes") if v.get("hard") else _("no"),
                v.get("amount"),
                v.get("officer") or "",
                v.get("post") or "",
                labels[period] if isinstance(period, int) and 0 <= period < len(labels) else "",
                v.get("message", ""),
            ]
        )
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def stored_roster(run: RosterRun) -> tuple[RosterProblem, RosterSolution]:
    """The problem a roster run solved and its stored assignments as an engine solution."""
    problem = stored_roster_problem(run)
    rows: dict[str, list[str | None]] = {s.id: [None] * problem.horizon_days for s in problem.staff}
    start = run.definition.start_date
    for number, day, code in RosterAssignment.objects.filter(run=run).values_list(
        "officer__staff_number", "date", "duty__code"
    ):
        index = (day - start).days
        if number in rows and 0 <= index < problem.horizon_days:
            rows[number][index] = code
    return problem, RosterSolution(rows)


def roster_xlsx_bytes(run: RosterRun) -> bytes:
    problem, solution = stored_roster(run)
    return xlsx_bytes(problem, solution)


def roster_ics_text(
    run: RosterRun, *, staff_number: str | None = None, domain: str = "grassroots.local"
) -> str:
    """RFC 5545 text: one event per duty (UID per member and day, stable across downloads)."""
    problem, solution = stored_roster(run)
    return roster_ics(problem, solution, staff_id=staff_number, domain=domain)
