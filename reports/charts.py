"""Server-drawn charts: the numbers become bar shares and heatmap colours, no JavaScript needed."""

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LOW, HIGH = (240, 244, 248), (31, 59, 87)


def percent(ratio: float | None) -> str:
    return "\u2013" if ratio is None else f"{ratio * 100:.1f}%"


def bars(rows: list[dict]) -> dict:
    """Horizontal bars of utilization, one per row (sites or resource types): each bar's share of the
    track, so that the page draws it at the text's own size on any width."""
    items = [
        {
            "name": row["name"],
            "share": round(min(row["utilization"] or 0.0, 1.0) * 100, 1),
            "label": percent(row["utilization"]),
        }
        for row in rows
    ]
    return {"items": items}


def _colour(ratio: float) -> str:
    channel = [round(lo + (hi - lo) * ratio) for lo, hi in zip(LOW, HIGH, strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*channel)


def heat_rows(cells: list[dict]) -> list[dict]:
    """Seven rows (Monday first) of 24 cells, each with its colour and a tooltip. Colours are relative
    to the busiest cell, so that a pattern shows even when overall use is low."""
    busiest = max((cell["utilization"] or 0.0 for cell in cells), default=0.0) or 1.0
    rows = []
    for day_index, day in enumerate(DAYS):
        row = []
        for cell in cells[day_index * 24 : (day_index + 1) * 24]:
            ratio = min((cell["utilization"] or 0.0) / busiest, 1.0)
            row.append(
                {
                    **cell,
                    "colour": _colour(ratio),
                    "dark": ratio > 0.5,
                    "title": f"{day} {cell['hour']:02d}:00 · {cell['booked_hours']} h booked of "
                    f"{cell['capacity_hours']} h · {percent(cell['utilization'])}",
                }
            )
        rows.append({"day": day, "cells": row})
    return rows
