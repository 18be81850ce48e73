from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from resources.models import ResourceStatus
from tenancy.access import require_operator

from .explorer import explorer_tree
from .status import live_status


def _require_operator(user) -> None:
    require_operator(user, "The operators' pages")


@login_required
def dashboard(request):
    _require_operator(request.user)
    return render(request, "observability/dashboard.html", {"status": live_status(request.user)})


@login_required
def explorer(request):
    _require_operator(request.user)
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    status = status if status in ResourceStatus.values else ""
    return render(
        request,
        "observability/explorer.html",
        {
            "tree": explorer_tree(user=request.user, search=search, status=status),
            "q": search,
            "status": status,
            "statuses": ResourceStatus.choices,
        },
    )


@extend_schema(responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def status_api(request):
    """The dashboard's live status as JSON (what the page refreshes itself from)."""
    require_operator(request.user, "The operators' pages")
    return Response(live_status(request.user))
