from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from common.web.forms import run_form_service
from resources.selectors import visible_sites

from . import selectors, services
from .filters import AllocationFilter
from .forms import AllocationEditForm, AllocationForm, FindPortsForm
from .models import AllocationStatus


@login_required
def registry(request):
    allocations = selectors.allocation_list(user=request.user)
    filtered = AllocationFilter(request.GET or {"status": ["active", "reserved"]}, queryset=allocations)
    rows = filtered.qs if filtered.is_valid() else allocations.none()
    page = Paginator(rows.order_by("resource_type", "resource_value"), 50).get_page(request.GET.get("page"))
    form = AllocationForm(sites=visible_sites(user=request.user))
    if request.method == "POST":
        form = AllocationForm(request.POST, sites=visible_sites(user=request.user))

        def create(data):
            data = dict(data)
            services.allocate(actor=request.user, site=data.pop("site"), **data)

        if run_form_service(form, create):
            messages.success(request, "Allocated.")
            return redirect("registry")
    ports_form = FindPortsForm(request.GET if "find_ports" in request.GET else None)
    free_ports = None
    if ports_form.is_bound and ports_form.is_valid():
        q = ports_form.cleaned_data
        free_ports = services.available_ports(
            start=q["start_port"], end=q["end_port"], count=q["count"], environment=q["environment"]
        )
    stats = {
        "active": allocations.filter(status=AllocationStatus.ACTIVE).count(),
        "reserved": allocations.filter(status=AllocationStatus.RESERVED).count(),
        "total": allocations.count(),
        "conflicts": selectors.conflict_list(user=request.user).filter(resolved_at__isnull=True).count(),
    }
    return render(
        request,
        "registry/registry.html",
        {
            "filter": filtered,
            "page": page,
            "form": form,
            "ports_form": ports_form,
            "free_ports": free_ports,
            "stats": stats,
        },
    )


@login_required
def allocation_history(request, pk: int):
    allocation = get_object_or_404(selectors.allocation_list(user=request.user), pk=pk)
    return render(
        request,
        "registry/history.html",
        {"allocation": allocation, "history": allocation.history.select_related("actor")},
    )


@login_required
def allocation_release(request, pk: int):
    allocation = get_object_or_404(selectors.allocation_list(user=request.user), pk=pk)
    if request.method != "POST":
        return render(
            request,
            "confirm.html",
            {
                "question": f"Release {allocation.resource_value}?",
                "details": [
                    f"{allocation.get_resource_type_display()} {allocation.resource_value} "
                    f"({allocation.resource_name}, {allocation.owner_service}) is freed for anyone to claim.",
                    "Its history stays.",
                ],
                "action": "Release it",
                "back_url": reverse("registry"),
                "back_label": "Keep it",
            },
        )
    services.allocation_release(actor=request.user, allocation=allocation)
    messages.success(request, f"Released {allocation}.")
    return redirect("registry")


@login_required
def allocation_edit(request, pk: int):
    allocation = get_object_or_404(selectors.allocation_list(user=request.user), pk=pk)
    fields = ("resource_name", "assigned_to", "server_hostname", "expires_at", "description", "notes")
    form = AllocationEditForm(initial={f: getattr(allocation, f) for f in fields})
    if request.method == "POST":
        form = AllocationEditForm(request.POST)
        if run_form_service(
            form, lambda data: services.allocation_update(actor=request.user, allocation=allocation, **data)
        ):
            messages.success(request, f"Saved {allocation}.")
            return redirect("registry")
    return render(request, "registry/edit.html", {"allocation": allocation, "form": form})
