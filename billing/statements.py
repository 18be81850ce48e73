"""A statement written out: as CSV (one row per line) and as PDF with fpdf2 (pure Python, so the
image needs no system libraries; its built-in fonts and table layout are all a statement needs)."""

import csv
import io

from django.utils import timezone
from fpdf import FPDF
from fpdf.fonts import FontFace

from common import names, times

from .selectors import Statement, zone

HEADER = ["date", "kind", "resource", "person", "hours", "rule", "rate", "amount", "detail"]


def lines(statement: Statement) -> list[list[str]]:
    """The statement's lines, charges then corrections, as text."""
    rows = []
    for charge in statement.charges:
        rows.append([
            charge.start.astimezone(zone()).strftime("%Y-%m-%d %H:%M"), "charge", charge.resource_name,
            charge.owner.get_username(), f"{charge.hours}", charge.get_rule_display(), f"{charge.per_hour}",
            f"{charge.amount}", charge.detail,
        ])  # fmt: skip
    for adjustment in statement.adjustments:
        rows.append([
            adjustment.decided_at.astimezone(zone()).strftime("%Y-%m-%d %H:%M"), "adjustment",
            adjustment.charge.resource_name, adjustment.charge.owner.get_username(), f"{adjustment.hours}",
            f"correction of charge {adjustment.charge_id}", "", f"{adjustment.amount}", adjustment.reason,
        ])  # fmt: skip
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


def as_pdf(statement: Statement) -> bytes:
    project = statement.project
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(_latin(f"Statement {statement.title}"))
    pdf.set_author("Reservoir")
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
    pdf.set_font("Helvetica", size=8)
    widths = (28, 20, 34, 26, 14, 30, 16, 20, 89)
    with pdf.table(col_widths=widths, headings_style=FontFace(emphasis="BOLD"), text_align="LEFT") as table:
        table.row([h.capitalize() for h in HEADER])
        for row in lines(statement):
            table.row([_latin(value) for value in row])
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
