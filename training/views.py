"""The training pages: where each person stands and asks (/training/), and the trainers' queue
(/training/queue/) where requests are decided and qualifications granted or revoked."""

from datetime import date

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date

from common import names
from common.web.forms import object_id, run_service
from tenancy.access import administers_any_site, visible_site_ids
from tenancy.models import Membership

from . import selectors, services
from .access import decided_by_q, trained_type_ids
from .models import Requirement


def _decides_any(user) -> bool:
    return administers_any_site(user) or bool(trained_type_ids(user))


def _expiry(value) -> date | None:
    return parse_date(str(value or "").strip()) if value else None


@login_required
def mine(request):
    """My training: what needs it at my sites, where I stand, and asking for it."""
    requirements = selectors.requirement_list(user=request.user)
    if request.method == "POST":
        requirement = get_object_or_404(requirements, pk=object_id(request.POST.get("requirement")) or 0)
        if request.POST.get("withdraw"):
            asked = get_object_or_404(
                selectors.training_request_list(user=request.user).filter(user=request.user, status="open"),
                requirement=requirement,
            )
            if run_service(request, lambda: services.training_request_withdraw(actor=request.user, request=asked)):
                messages.success(request, f"Your request for {requirement.subject} is withdrawn.")
        else:
            message = request.POST.get("message", "").strip()[:1000]
            if run_service(
                request,
                lambda: services.training_request_create(actor=request.user, requirement=requirement, message=message),
            ):
                messages.success(request, f"Asked for training on {requirement.subject}. A trainer will answer.")
        return redirect("training")
    rows = selectors.my_training(user=request.user)
    asked_for = object_id(request.GET.get("requirement"))
    history = selectors.training_request_list(user=request.user).filter(user=request.user).exclude(status="open")[:20]
    return render(
        request,
        "training/mine.html",
        {
            "rows": rows,
            "asked_for": asked_for,
            "history": history,
            "decides": _decides_any(request.user),
            "waiting": selectors.training_queue(user=request.user).count() if _decides_any(request.user) else 0,
        },
    )


def _grantable_people(user):
    sites = visible_site_ids(user)
    people = get_user_model().objects.filter(is_active=True)
    if sites is not None:
        people = people.filter(pk__in=Membership.objects.filter(site_id__in=sites).values("user_id"))
    return people.order_by("username")


@login_required
def queue(request):
    """Trainers and site administrators: open requests to decide, grants, and who holds what."""
    if not _decides_any(request.user):
        raise PermissionDenied("The training queue is for trainers and site administrators.")
    decided = Requirement.objects.filter(decided_by_q(request.user, "resource_type")).select_related(
        "resource_type", "resource"
    )
    if request.method == "POST":
        return _decide(request, decided)
    holders = (
        selectors.qualification_list(user=request.user)
        .filter(revoked_at__isnull=True, requirement__in=decided)
        .order_by("requirement__resource_type__name", "user__username")[:500]
    )
    return render(
        request,
        "training/queue.html",
        {
            "waiting": selectors.training_queue(user=request.user)[:200],
            "requirements": decided,
            "people": _grantable_people(request.user),
            "holders": holders,
        },
    )


def _decide(request, decided):
    action = request.POST.get("action")
    if action == "grant-person":
        requirement = get_object_or_404(decided, pk=object_id(request.POST.get("requirement")) or 0)
        person = get_object_or_404(_grantable_people(request.user), pk=object_id(request.POST.get("user")) or 0)
        if run_service(
            request,
            lambda: services.qualification_grant(
                actor=request.user,
                user=person,
                requirement=requirement,
                expires_on=_expiry(request.POST.get("expires_on")),
                note=request.POST.get("note", "")[:500],
            ),
        ):
            messages.success(request, f"{names.person(person)} may book {requirement.subject}.")
        return redirect("training-queue")
    asked = get_object_or_404(
        selectors.training_queue(user=request.user), pk=object_id(request.POST.get("request")) or 0
    )
    who = names.person(asked.user)
    if action == "grant":
        done = run_service(
            request,
            lambda: services.training_request_grant(
                actor=request.user, request=asked, expires_on=_expiry(request.POST.get("expires_on"))
            ),
        )
        if done:
            messages.success(request, f"{who} may book {asked.requirement.subject}.")
    else:
        reason = request.POST.get("reason", "").strip()[:500]
        done = run_service(
            request, lambda: services.training_request_decline(actor=request.user, request=asked, reason=reason)
        )
        if done:
            messages.success(request, f"{who}'s request for {asked.requirement.subject} declined.")
    return redirect("training-queue")


@login_required
def revoke(request, pk: int):
    """Revoking asks first, and whether the holder's upcoming bookings go too."""
    qualification = get_object_or_404(
        selectors.qualification_list(user=request.user).filter(revoked_at__isnull=True).exclude(user=request.user),
        pk=pk,
    )
    who, subject = names.person(qualification.user), qualification.requirement.subject
    if request.method == "POST":
        outcome = []
        if run_service(
            request,
            lambda: outcome.append(
                services.qualification_revoke(
                    actor=request.user,
                    qualification=qualification,
                    reason=request.POST.get("reason", "").strip()[:500],
                    cancel_upcoming=request.POST.get("cancel_upcoming") == "on",
                )[1]
            ),
        ):
            messages.success(request, f"{who} may no longer book {subject}. {outcome[0]}")
        return redirect("training-queue")
    upcoming = services.upcoming_bookings(qualification).count()
    return render(
        request,
        "training/revoke.html",
        {"qualification": qualification, "who": who, "subject": subject, "upcoming": upcoming},
    )
