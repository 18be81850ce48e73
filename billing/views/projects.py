"""The billing pages: my projects with their budgets, a project's page, and its monthly statements
as a page, CSV and PDF; the finance export for site administrators."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from common.web.forms import object_id, run_service
from reservations.selectors import reservation_list
from tenancy.access import administers_any_site, require_operator

from .. import budgets, selectors, services, statements
from ..access import manages_members, sees_all_charges
from ..models import Project
from ..selectors import zone


@login_required
def project_list(request):
    projects = list(selectors.project_list(user=request.user).filter(status="active"))
    return render(
        request,
        "billing/projects.html",
        {"rows": [(p, selectors.budget_states(p)) for p in projects], "operator": administers_any_site(request.user)},
    )


def _months(project: Project) -> list[str]:
    today = timezone.now().astimezone(zone()).date()
    months, year, month = [], today.year, today.month
    for _ in range(12):
        months.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        if (year, month) < (project.starts_on.year, project.starts_on.month):
            break
    return months


def _people_of(project: Project):
    return get_user_model().objects.filter(is_active=True, memberships__site__in=project.sites.all()).distinct()


@login_required
def project_detail(request, pk: int):
    project = get_object_or_404(selectors.project_list(user=request.user), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "default":
            if run_service(request, lambda: services.default_project_set(actor=request.user, project=project)):
                messages.success(request, f"Your bookings now go to {project.code} unless you choose another.")
        elif action == "add":
            username = request.POST.get("username", "").strip()
            person = _people_of(project).filter(username=username).first()
            if person is None:
                messages.error(request, f"No member of the project's sites is called {username!r}.")
            elif run_service(request, lambda: services.member_add(actor=request.user, project=project, user=person)):
                messages.success(request, f"{username} is a member of {project.code} now.")
        elif action == "remove":
            member = get_object_or_404(project.members.all(), pk=object_id(request.POST.get("member")) or 0)
            if run_service(request, lambda: services.member_remove(actor=request.user, member=member)):
                messages.success(request, f"{member.user.get_username()} is no longer a member of {project.code}.")
        return redirect("project-detail", pk=project.pk)
    return render(
        request,
        "billing/project.html",
        {
            "project": project,
            "budgets": selectors.budget_states(project),
            "members": project.members.select_related("user").order_by("user__username"),
            "months": _months(project),
            "may_manage": manages_members(request.user, project),
            "is_member": project.members.filter(user=request.user).exists(),
            "sees_all": sees_all_charges(request.user, project),
        },
    )


def _statement(request, pk: int, year: int, month: int):
    if not 1 <= month <= 12 or not 2000 <= year <= 2200:
        raise Http404("No such month.")
    project = get_object_or_404(selectors.project_list(user=request.user), pk=pk)
    return selectors.statement(user=request.user, project=project, year=year, month=month)


@login_required
def statement_page(request, pk: int, year: int, month: int):
    found = _statement(request, pk, year, month)
    if request.method == "POST":  # a member asks to correct one of the month's charges
        _ask_correction(request, found)
        return redirect("statement", pk=pk, year=year, month=month)
    pending = selectors.adjustment_list(user=request.user).filter(charge__project=found.project, status="requested")
    return render(
        request,
        "billing/statement.html",
        {
            "statement": found,
            "lines": statements.lines(found),
            "project": found.project,
            "pending": pending.order_by("requested_at")[:50],
            "operator": administers_any_site(request.user),
        },
    )


def _ask_correction(request, found) -> None:
    charge = get_object_or_404(
        selectors.charge_list(user=request.user).filter(pk__in=[c["id"] for c in found.charges]),
        pk=object_id(request.POST.get("charge")) or 0,
    )
    try:
        hours = Decimal(request.POST.get("hours") or "0")
        amount = Decimal(request.POST.get("amount") or "0")
    except InvalidOperation:
        messages.error(request, "Hours and amount are numbers, e.g. -1.5.")
        return
    if not (hours.is_finite() and amount.is_finite() and abs(hours) < 10**6 and abs(amount) < 10**9):
        messages.error(request, "Hours and amount are numbers, e.g. -1.5.")
        return
    reason = request.POST.get("reason", "").strip()
    if run_service(
        request,
        lambda: services.adjustment_request(
            actor=request.user, charge=charge, hours=hours, amount=amount, reason=reason
        ),
    ):
        messages.success(request, "Correction asked for; a site administrator decides it.")


@login_required
def statement_csv(request, pk: int, year: int, month: int):
    found = _statement(request, pk, year, month)
    response = HttpResponse(statements.as_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statement-{found.project.code}-{year}-{month:02d}.csv"'
    return response


@login_required
def statement_pdf(request, pk: int, year: int, month: int):
    found = _statement(request, pk, year, month)
    response = HttpResponse(statements.as_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statement-{found.project.code}-{year}-{month:02d}.pdf"'
    return response


@login_required
def booking_project(request, pk: int):
    """The booking page's project change (POST only)."""
    booking = get_object_or_404(reservation_list(user=request.user), pk=pk)
    if request.method == "POST":
        project = (
            budgets.projects_of(booking.owner, booking.resource.site_id)
            .filter(pk=object_id(request.POST.get("project")) or 0)
            .first()
        )
        if project is None:
            messages.error(request, "Choose one of the owner's projects.")
        elif run_service(
            request, lambda: services.booking_project_set(actor=request.user, reservation=booking, project=project)
        ):
            messages.success(request, f"Charged to {project.code} now.")
    return redirect("reservation-detail", pk=booking.pk)


@login_required
def finance_export(request, year: int, month: int):
    """One CSV of every project the operator's sites charge, for the month."""
    require_operator(request.user, "Finance exports")
    if not 1 <= month <= 12:
        raise Http404("No such month.")
    projects = selectors.project_list(user=request.user).select_related("pi")
    found = [selectors.statement(user=request.user, project=p, year=year, month=month) for p in projects]
    response = HttpResponse(statements.finance_rows(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="finance-{year}-{month:02d}.csv"'
    return response
