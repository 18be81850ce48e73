from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from tenancy.access import require_operator

from ..csv_export import SECTIONS, report_csv
from ..fair_use import fair_use_report
from ..forms import UtilizationQueryForm
from ..selectors import Period, utilization_report

QUERY = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day; default: 13 days ago."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, included; default: 14 days ahead."),
    OpenApiParameter("site", OpenApiTypes.STR, description="Site slug."),
    OpenApiParameter("resource_type", OpenApiTypes.INT),
]


def _report(request) -> dict:
    require_operator(request.user, "Utilization reports")
    form = UtilizationQueryForm(request.query_params, user=request.user)
    if not form.is_valid():
        raise ValidationError({field: list(messages) for field, messages in form.errors.items()})
    data = form.cleaned_data
    return utilization_report(
        user=request.user,
        period=Period(data["start"], data["end"]),
        site=data["site"],
        resource_type=data["resource_type"],
    )


@extend_schema(parameters=QUERY, responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def utilization(request):
    """Booked against available hours per resource, type and site; hour-of-week heatmap, top users,
    idle resources. Site administrators get their sites' figures."""
    return Response(_report(request))


@extend_schema(
    parameters=[*QUERY, OpenApiParameter("section", OpenApiTypes.STR, enum=SECTIONS)],
    responses={(200, "text/csv"): OpenApiTypes.STR},
)
@api_view(["GET"])
def utilization_export(request):
    """One table of the report as CSV (section: resources, resource_types, sites, top_users, heatmap,
    booked_vs_used)."""
    section = request.query_params.get("section", "resources")
    if section not in SECTIONS:
        raise ValidationError({"section": [f"Choose one of {', '.join(SECTIONS)}."]})
    return report_csv(_report(request), section)


@extend_schema(parameters=QUERY[:3], responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def fair_use(request):
    """No-shows per resource and person, approval decisions and how long they took, and the top
    users of each quota rule in its current period, for the sites you administer."""
    require_operator(request.user, "Fair-use reports")
    form = UtilizationQueryForm(request.query_params, user=request.user)
    if not form.is_valid():
        raise ValidationError({field: list(messages) for field, messages in form.errors.items()})
    data = form.cleaned_data
    return Response(fair_use_report(user=request.user, period=Period(data["start"], data["end"]), site=data["site"]))
