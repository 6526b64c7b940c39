"""The dashboard as a workbook (.xlsx, one sheet per table) and as a PDF (reportlab, with the Chinese
font built into every PDF reader, so no font file is shipped)."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _

PDF_ROWS = 80  # per table; the workbook holds every row


def _tables(data: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    labels = data["measure_labels"]
    measures = data["table_measures"]

    def pct(value: float | None) -> Any:
        return round(value, 4) if value is not None else ""

    rates = [
        [str(r["label"]), pct(r["value"]), r["numerator"], r["denominator"], pct(r["low"]), pct(r["high"])]
        for r in data["rates"]
    ]
    cover = data.get("coverage")
    if cover:
        rates.append(
            [
                str(_("Coverage of assigned households")),
                pct(cover["rate"]),
                cover["covered"],
                cover["assigned"],
                pct(cover["low"]),
                pct(cover["high"]),
            ]
        )
    tables = [
        (
            str(_("Rates")),
            [
                str(_("Figure")),
                str(_("Value")),
                str(_("Numerator")),
                str(_("Denominator")),
                str(_("95% CI low")),
                str(_("95% CI high")),
            ],
            rates,
        )
    ]
    for code, rows in data["breakdowns"].items():
        label = str(data["dimension_labels"][code])
        tables.append(
            (
                label,
                [label, *[str(labels[m]) for m in measures], str(_("Previous period"))],
                [[r["name"], *[r[m] for m in measures], r.get("previous", "")] for r in rows],
            )
        )
    tables.append(
        (
            str(_("Villages and grids")),
            [
                str(_("Township / street")),
                str(_("Village / community")),
                str(_("Grid")),
                str(labels["total"]),
                str(labels["open"]),
                str(labels["overdue"]),
                str(_("Visit coverage")),
            ],
            [
                [
                    r["township"],
                    r["village"],
                    r["grid"],
                    r["total"],
                    r["open"],
                    r["overdue"],
                    pct(r.get("coverage")),
                ]
                for r in data["heat"]
            ],
        )
    )
    return tables


def _period(data: dict[str, Any]) -> str:
    f = data["filters"]
    return f"{f.start.isoformat()} – {f.end.isoformat()}"


def xlsx(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in _tables(data):
        sheet = book.create_sheet(title[:31].replace("/", "-"))
        sheet.append([_period(data)])
        sheet.append(header)
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, float):  # every fraction in these tables is a rate
                    cell.number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf(data: dict[str, Any]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    styles = getSampleStyleSheet()
    for name in ("Title", "Heading2", "Normal"):
        styles[name].fontName = font
    out = io.BytesIO()
    story = [
        Paragraph(str(_("Leadership dashboard")), styles["Title"]),
        Paragraph(_period(data), styles["Normal"]),
    ]
    for title, header, rows in _tables(data):
        story += [Spacer(1, 8), Paragraph(title, styles["Heading2"])]
        cells = [
            [f"{c * 100:.1f}%" if isinstance(c, float) else str(c) for c in row] for row in rows[:PDF_ROWS]
        ]
        table = Table([header, *cells], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ]
            )
        )
        story.append(table)
    SimpleDocTemplate(out, pagesize=landscape(A4), title=str(_("Leadership dashboard"))).build(story)
    return out.getvalue()
