from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from tenancy.access import require_operator

from .charts import bars, heat_rows, percent
from .csv_export import SECTIONS
from .fair_use import fair_use_report
from .forms import UtilizationQueryForm, default_period
from .selectors import Period, utilization_report


def _presets() -> list[tuple[str, str]]:
    today = timezone.localdate()
    start, end = default_period(today)
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    return [
        ("Four weeks around today", f"start={start}&end={end}"),
        ("Last 30 days", f"start={today - timedelta(days=29)}&end={today}"),
        ("This month", f"start={month_start}&end={next_month - timedelta(days=1)}"),
        ("Next 30 days", f"start={today}&end={today + timedelta(days=29)}"),
    ]


USED_GROUPS = [("totals", "All"), ("sites", "Site"), ("resource_types", "Type"), ("resources", "Resource"),
               ("people", "Person")]  # fmt: skip


@login_required
def utilization(request):
    require_operator(request.user, "Utilization reports")
    form = UtilizationQueryForm(request.GET, user=request.user)
    context = {"form": form, "presets": _presets(), "sections": SECTIONS}
    if not form.is_valid():
        return render(request, "reports/utilization.html", context, status=400)
    data = form.cleaned_data
    report = utilization_report(
        user=request.user,
        period=Period(data["start"], data["end"]),
        site=data["site"],
        resource_type=data["resource_type"],
    )
    for row in [*report["resources"], *report["sites"], *report["resource_types"], report["totals"]]:
        row["percent"] = percent(row["utilization"])
    query = request.GET.copy()
    query.setlist("start", [data["start"].isoformat()])
    query.setlist("end", [data["end"].isoformat()])
    return render(
        request,
        "reports/utilization.html",
        {
            **context,
            "report": report,
            "site_bars": bars(report["sites"]),
            "type_bars": bars(report["resource_types"]),
            "heat": heat_rows(report["heatmap"]),
            "hours": range(24),
            "query": query.urlencode(),
            "used_rows": [
                (group, label, row) for group, label in USED_GROUPS for row in report["booked_vs_used"][group]
            ],
        },
    )


@login_required
def fair_use(request):
    require_operator(request.user, "Fair-use reports")
    form = UtilizationQueryForm(request.GET, user=request.user)
    if not form.is_valid():
        return render(request, "reports/fair_use.html", {"form": form}, status=400)
    data = form.cleaned_data
    report = fair_use_report(user=request.user, period=Period(data["start"], data["end"]), site=data["site"])
    return render(request, "reports/fair_use.html", {"form": form, "report": report})
