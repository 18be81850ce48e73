from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from .filters import AuditEntryFilter
from .selectors import audit_counts, audit_entry_list


@login_required
def audit_log(request):
    filtered = AuditEntryFilter(request.GET, queryset=audit_entry_list(user=request.user))
    entries = filtered.qs if filtered.is_valid() else filtered.queryset.none()
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/audit_log.html",
        {"filter": filtered, "page": page, "counts": audit_counts(entries), "query": query.urlencode()},
    )
