"""A statement written out: as CSV (one row per line) and as PDF with fpdf2 (pure Python, so the
image needs no system libraries; its built-in fonts and table layout are all a statement needs)."""

import csv
import io

from django.utils import timezone
from fpdf import FPDF

from common import names, times

from .models import ChargeRule
from .selectors import Statement, Usage, zone

HEADER = ["date", "kind", "resource", "person", "hours", "rule", "rate", "amount", "detail"]


RULES = dict(ChargeRule.choices)


def lines(statement: Statement) -> list[list[str]]:
    """The statement's lines, charges then corrections, as text."""
    where = zone()
    rows = [
        [
            c["start"].astimezone(where).strftime("%Y-%m-%d %H:%M %Z"), "charge", c["resource_name"],
            c["owner__username"], f"{c['hours']}", RULES.get(c["rule"], c["rule"]), f"{c['per_hour']}",
            f"{c['amount']}", c["detail"],
        ]
        for c in statement.charges
    ]  # fmt: skip
    rows += [
        [
            a["decided_at"].astimezone(where).strftime("%Y-%m-%d %H:%M %Z"), "adjustment", a["charge__resource_name"],
            a["charge__owner__username"], f"{a['hours']}", f"correction of charge {a['charge_id']}", "",
            f"{a['amount']}", a["reason"],
        ]
        for a in statement.adjustments
    ]  # fmt: skip
    return rows


def as_csv(statement: Statement) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(lines(statement))
    writer.writerow(["", "total", "", "", f"{statement.charged_hours}", "", "", f"{statement.total}", ""])
    return out.getvalue()


def _latin(text: str) -> str:
    """The PDF's core fonts hold Latin-1; anything else is shown as '?' rather than failing."""
    return str(text).encode("latin-1", "replace").decode("latin-1")


# Column widths (mm) on landscape A4, and how many characters of each fit at 8 pt.
WIDTHS = (27, 19, 34, 26, 14, 30, 16, 20, 91)
FITS = (16, 10, 20, 15, 8, 18, 9, 12, 58)


def _row(pdf: FPDF, values, *, bold: bool = False) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", 8)
    for width, fits, value in zip(WIDTHS, FITS, values, strict=True):
        text = _latin(value)
        pdf.cell(width, 5, text if len(text) <= fits else text[: fits - 1] + "~", border="B")
    pdf.ln(5)


def as_pdf(statement: Statement) -> bytes:
    """Plain cells row by row (fpdf2's table lays out every cell twice: 10x slower at 10,000 lines);
    a long detail is cut to its column, the CSV keeps it whole."""
    project = statement.project
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(_latin(f"Statement {statement.title}"))
    pdf.set_author("Reservoir")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin(f"Statement {project.code}, {statement.year}-{statement.month:02d}"), new_x="LMARGIN",
             new_y="NEXT")  # fmt: skip
    pdf.set_font("Helvetica", size=10)
    for line in (
        f"Project: {project.name} ({project.get_price_group_display()})",
        f"Principal investigator: {names.person(project.pi)}",
        f"Times in {zone().key}. Made {times.at(timezone.now(), zone())}.",
    ):
        pdf.cell(0, 6, _latin(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _row(pdf, [h.capitalize() for h in HEADER], bold=True)
    for row in lines(statement):
        _row(pdf, row)
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    for label, value in (
        ("Charged", f"{statement.charged} ({statement.charged_hours} h)"),
        ("Adjustments", f"{statement.adjusted}"),
        ("Total", f"{statement.total}"),
    ):
        pdf.cell(40, 6, label)
        pdf.cell(0, 6, _latin(value), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def finance_rows(statements: list[Statement]) -> str:
    """One CSV for the finance office: a row per project and month with its totals."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["project", "name", "pi", "price_group", "month", "hours", "charged", "adjustments", "total"])
    for s in statements:
        writer.writerow([
            s.project.code, s.project.name, s.project.pi.get_username(), s.project.price_group,
            f"{s.year}-{s.month:02d}", f"{s.charged_hours}", f"{s.charged}", f"{s.adjusted}", f"{s.total}",
        ])  # fmt: skip
    return out.getvalue()


def usage_rows(usage: Usage) -> str:
    """The usage report as CSV: a row per project and type, then each project's corrections and total."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["from", "to", "project", "name", "pi", "price_group", "type", "bookings", "hours", "amount"])
    span = [usage.first, usage.last]
    for r in usage.rows:
        writer.writerow([*span, r["code"], r["name"], r["pi"], r["group"], r["resource_type_name"], r["bookings"],
                         f"{r['hours_sum']}", f"{r['amount_sum']}"])  # fmt: skip
    for p in usage.by_project:
        if p["adjusted"]:
            writer.writerow(
                [*span, p["code"], p["name"], p["pi"], p["group"], "corrections", "", "", f"{p['adjusted']}"]
            )
        writer.writerow([*span, p["code"], p["name"], p["pi"], p["group"], "total", p["bookings"], f"{p['hours']}",
                         f"{p['total']}"])  # fmt: skip
    return out.getvalue()
