"""Usage per project and PI over a span of months, for funder reports: a page and a CSV."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from common.web.forms import read_query
from resources.selectors import visible_resource_types, visible_sites

from .. import selectors, statements
from ..forms import UsageQueryForm


def _form(request, data=None):
    user = request.user
    return UsageQueryForm(
        data,
        sites=visible_sites(user=user).order_by("name"),
        types=visible_resource_types(user=user).order_by("name"),
        projects=selectors.project_list(user=user),
    )


@login_required
def usage_report(request):
    query = read_query(request, lambda data: _form(request, data))
    found = selectors.usage(
        user=request.user,
        first=query["first"],
        last=query["last"],
        site_id=query["site"].pk if query["site"] else None,
        resource_type_id=query["resource_type"].pk if query["resource_type"] else None,
        project_id=query["project"].pk if query["project"] else None,
    )
    if query["format"] == "csv":
        response = HttpResponse(statements.usage_rows(found), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="usage-{found.first}-{found.last}.csv"'
        return response
    return render(
        request,
        "billing/usage.html",
        {"form": _form(request, request.GET or None), "usage": found, "projects": found.by_project,
         "pis": found.by_pi},
    )  # fmt: skip
