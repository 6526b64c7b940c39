"""A run as a workbook (.xlsx): the results the actor may see (one row per officer, every indicator's
numerator, denominator, value and interval), the units, the shortlist and the scheme. No residents' data."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from grassroots.common.scoping import Actor

from . import presentation, selectors
from .indicators import INDICATORS
from .models import EvaluationRun


def _sheet(book: Workbook, title: str, headers: list[str], rows: list[list[Any]]) -> None:
    sheet = book.create_sheet(title[:31])
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "C2"
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(str(header)) * 2))


def run_xlsx(*, actor: Actor, run: EvaluationRun) -> bytes:
    PARTS = (_("numerator"), _("denominator"), _("value"), _("low"), _("high"))  # noqa: N806
    codes = [i["code"] for i in run.scheme_version.definition["indicators"]]
    book = Workbook()
    book.remove(book.active)
    headers = [
        _("Staff number"), _("Officer"), _("Unit"), _("Post"), _("Peer group"), _("Score"), _("Score (low)"),
        _("Score (high)"), _("Score after adjustments"), _("Grade"), _("Grade after adjustments"), _("Rank"),
        _("Rank (best)"), _("Rank (worst)"), _("Officers ranked"), _("Rank in peer group"), _("Peer group size"),
        _("Mass-work score"), _("Front-line share"), _("On the promotion shortlist"),
    ]  # fmt: skip
    for code in codes:
        label = str(INDICATORS[code].label)
        headers += [f"{label} · {part}" for part in (*PARTS, _("points"))]
    rows = []
    for r in selectors.result_list(actor=actor, run=run).iterator(chunk_size=1000):
        entries = {e["code"]: e for e in r.breakdown}
        row = [
            r.officer.staff_number, r.officer.name, r.unit.name if r.unit else "", r.post.name if r.post else "",
            presentation.peer_label(r.peer_group), r.score, r.score_low, r.score_high, r.effective_score,
            presentation.grade_label(r.grade), presentation.grade_label(r.effective_grade), r.rank, r.rank_best,
            r.rank_worst, r.size, r.peer_rank, r.peer_size, r.mass_work_score, r.front_line_share,
            _("yes") if r.shortlisted else "",
        ]  # fmt: skip
        for code in codes:
            e = entries.get(code, {})
            row += [e.get("k"), e.get("n"), e.get("value"), e.get("low"), e.get("high"), e.get("points")]
        rows.append(row)
    _sheet(book, str(_("Officers")), [str(h) for h in headers], rows)
    unit_rows = []
    for u in selectors.unit_result_list(actor=actor, run=run):
        entries = {e["code"]: e for e in u.breakdown}
        row = [u.unit.code, u.unit.name, u.officer_count, u.mean_score]
        for code in codes:
            e = entries.get(code, {})
            row += [e.get("k"), e.get("n"), e.get("value"), e.get("low"), e.get("high")]
        unit_rows.append(row)
    unit_headers = [_("Code"), _("Unit"), _("Officers"), _("Mean score")]
    for code in codes:
        label = str(INDICATORS[code].label)
        unit_headers += [f"{label} · {part}" for part in PARTS]
    _sheet(book, str(_("Units")), [str(h) for h in unit_headers], unit_rows)
    shortlisted = selectors.result_list(actor=actor, run=run, shortlisted=True).order_by("shortlist_rank")
    _sheet(
        book,
        str(_("Promotion shortlist")),
        [str(_("Position")), str(_("Staff number")), str(_("Officer")), str(_("Reasons"))],
        [
            [
                r.shortlist_rank,
                r.officer.staff_number,
                r.officer.name,
                "; ".join(presentation.reason_text(x) for x in r.shortlist_reasons),
            ]
            for r in shortlisted
        ],  # fmt: skip
    )
    definition = run.scheme_version.definition
    _sheet(
        book,
        str(_("Scheme")),
        [
            str(_("Indicator")),
            str(_("Weight")),
            str(_("Target")),
            str(_("Case-mix adjusted")),
            str(_("Shrunk")),
        ],
        [
            [
                str(INDICATORS[i["code"]].label),
                i["weight"],
                presentation.target_text(i),
                _("yes") if i.get("adjust") else "",
                _("yes") if i.get("shrink") else "",
            ]
            for i in definition["indicators"]
        ],  # fmt: skip
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
