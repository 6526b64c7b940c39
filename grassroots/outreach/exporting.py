"""The coverage report as an .xlsx workbook: a summary sheet, one sheet per grouping (officer, unit, grid,
village, township, county) and the overdue liaisons, each within the caller's scope.

Written in openpyxl's streaming mode; the overdue sheet is read page by page, so a city's report does not
sit in memory. Headers are in the language of the request (zh-Hans by default)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from grassroots.common.scoping import Actor, as_actor

from . import selectors
from .coverage import coverage_total

OVERDUE_PAGE = 2000
OVERDUE_LIMIT = 200_000  # rows on the overdue sheet (an .xlsx sheet holds ~1M; a report this long is a list)


def _group_titles() -> list[tuple[str, str]]:
    return [
        ("officer", _("Officer")),
        ("unit", _("Unit")),
        ("grid", _("Grid")),
        ("village", _("Village / community")),
        ("township", _("Township / street")),
        ("county", _("County")),
    ]


def _header(sheet: Any, titles: list[str]) -> None:
    row = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        row.append(cell)
    sheet.append(row)


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def coverage_workbook(*, actor: Actor | Any, as_of: date) -> bytes:
    """The workbook's bytes. Officers, leaders and administrators only (others see no liaisons)."""
    actor = as_actor(actor)
    book = Workbook(write_only=True)
    source = selectors.coverage_source(as_of=as_of)
    groups = {
        group: selectors.coverage_report(actor=actor, group=group, as_of=as_of)
        for group, _t in _group_titles()
    }
    total = coverage_total(groups["county"])
    summary = book.create_sheet(pgettext("workbook", "Summary"))
    _header(summary, [_("Item"), _("Value")])
    summary.append([_("As of"), as_of.isoformat()])
    summary.append(
        [
            _("Source"),
            _("generated due lists of %(when)s") % {"when": f"{source.finished_at:%Y-%m-%d %H:%M}"}
            if source
            else _("computed from the visits"),
        ]
    )
    summary.append([pgettext("outreach", "Assigned"), total.assigned])
    summary.append([_("Visited in interval"), total.covered])
    summary.append([_("Overdue"), total.overdue])
    summary.append([_("New, not yet due"), total.pending])
    summary.append([_("Coverage"), _rate(total.coverage)])
    for group, title in _group_titles():
        sheet = book.create_sheet(title[:31].replace("/", "-"))
        _header(
            sheet,
            [
                title,
                _("Id"),
                pgettext("outreach", "Assigned"),
                _("Visited in interval"),
                _("Overdue"),
                _("New, not yet due"),
                _("Coverage"),
                _("Interval low (95 per cent)"),
                _("Interval high (95 per cent)"),
            ],
        )
        for row in groups[group]:
            low, high = row.interval or (None, None)
            sheet.append(
                [
                    row.label,
                    row.key,
                    row.assigned,
                    row.covered,
                    row.overdue,
                    row.pending,
                    _rate(row.coverage),
                    _rate(low),
                    _rate(high),
                ]
            )
    overdue = book.create_sheet(_("Overdue"))
    _header(
        overdue,
        [
            _("Officer"),
            _("Staff number"),
            _("Kind"),
            _("Visited"),
            _("Place"),
            _("Last visit"),
            _("Due"),
            _("Days overdue"),
        ],
    )
    items = selectors.due_list(actor=actor, as_of=as_of, overdue_only=True)
    for start in range(0, min(len(items), OVERDUE_LIMIT), OVERDUE_PAGE):
        for item in items[start : start + OVERDUE_PAGE]:
            liaison = item.liaison
            target = (
                liaison.household.number
                if liaison.household_id
                else getattr(liaison.organization, "name", "")
            )
            overdue.append(
                [
                    liaison.officer.name,
                    liaison.officer.staff_number,
                    liaison.get_kind_display(),
                    target,
                    liaison.region.name,
                    item.last_visit,
                    item.due,
                    item.days_overdue,
                ]
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
