"""The periods budgets count in: a month, a quarter, or the whole project, on the site's clock."""

from dataclasses import dataclass
from datetime import date, datetime, time

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError

from .models import BudgetPeriod

# A month as pages, the API and exports write it: YYYY-MM.
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    name: str
    key: str


FOREVER = Period(datetime(1970, 1, 1).astimezone(), datetime(9999, 1, 1).astimezone(), "the whole project", "project")


def period_of(moment: datetime, period: str, zone) -> Period:
    if period == BudgetPeriod.PROJECT:
        return FOREVER
    local = moment.astimezone(zone).date()
    if period == BudgetPeriod.QUARTER:
        first = date(local.year, 3 * ((local.month - 1) // 3) + 1, 1)
        after = first + relativedelta(months=3)
        name, key = f"Q{(first.month - 1) // 3 + 1} {first.year}", f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    else:
        first = local.replace(day=1)
        after = first + relativedelta(months=1)
        name, key = f"{first:%B %Y}", f"{first:%Y-%m}"
    return Period(
        datetime.combine(first, time.min, tzinfo=zone), datetime.combine(after, time.min, tzinfo=zone), name, key
    )


def periods_of(spans, period: str, zone) -> list[Period]:
    found: dict[str, Period] = {}
    for span in spans:
        cursor = period_of(span.start, period, zone)
        while True:
            found[cursor.key] = cursor
            if cursor.end >= span.end or period == BudgetPeriod.PROJECT:
                break
            cursor = period_of(cursor.end, period, zone)
    return sorted(found.values(), key=lambda p: p.start)


def month_bounds(year: int, month: int, zone) -> Period:
    return period_of(datetime(year, month, 15, tzinfo=zone), BudgetPeriod.MONTH, zone)


def month_span(first: str, last: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Two months written YYYY-MM, the first not after the last, between 2000 and 2200."""
    if first > last:
        raise ValidationError({"last": "The last month comes after the first."})
    if first < "2000" or last > "2200-12":
        raise ValidationError({"first": "Months from 2000-01 to 2200-12."})
    year, month = first.split("-")
    to_year, to_month = last.split("-")
    return (int(year), int(month)), (int(to_year), int(to_month))
