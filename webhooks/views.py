import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from common.errors import safe_next
from common.snapshots import mask_values
from common.web.forms import run_form_service
from resources.selectors import visible_resource_types, visible_resources
from tenancy.access import administered_site_ids, require_operator, scope_to_sites
from tenancy.models import Site

from . import selectors, services
from .filters import DeliveryFilter
from .forms import WebhookForm
from .models import WEBHOOK_EDITABLE_FIELDS


def _require_admin(user) -> None:
    require_operator(user, "Webhooks")


def _form(request, data=None, initial=None):
    return WebhookForm(
        data,
        initial=initial,
        sites=scope_to_sites(Site.objects.all(), administered_site_ids(request.user), "pk"),
        resource_types=visible_resource_types(user=request.user),
        resources=visible_resources(user=request.user),
    )


@login_required
def webhook_list(request):
    _require_admin(request.user)
    hooks = selectors.webhook_list(user=request.user)
    resource = None
    if request.GET.get("resource", "").isdigit():
        resource = get_object_or_404(visible_resources(user=request.user), pk=request.GET["resource"])
        hooks = selectors.webhooks_for_resource(user=request.user, resource=resource)
    hooks = list(hooks.order_by("site__name", "name"))
    rows = [(hook, selectors.webhook_health(hook)) for hook in hooks]
    form = _form(request)
    if request.method == "POST":
        form = _form(request, request.POST)
        created = {}

        def create(data):
            data = dict(data)
            created["hook"], created["secret"] = services.webhook_create(
                actor=request.user, site=data.pop("site"), name=data.pop("name"), url=data.pop("url"), **data
            )

        if run_form_service(form, create):
            return render(
                request,
                "webhooks/created.html",
                {"webhook": created["hook"], "secret": created["secret"]},
            )
    return render(request, "webhooks/list.html", {"rows": rows, "form": form, "for_resource": resource})


@login_required
def webhook_detail(request, pk: int):
    _require_admin(request.user)
    hook = get_object_or_404(selectors.webhook_list(user=request.user), pk=pk)
    initial = {"site": hook.site, **{name: getattr(hook, name) for name in WEBHOOK_EDITABLE_FIELDS}}
    initial["headers"] = json.dumps(mask_values(hook.headers or {}))  # sent back masked: unchanged
    form = _form(request, initial=initial)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "save":
            form = _form(request, request.POST, initial=initial)

            def update(data):
                data = dict(data)
                data.pop("site", None)
                services.webhook_update(actor=request.user, webhook=hook, **data)

            if run_form_service(form, update):
                messages.success(request, "Webhook saved.")
                return redirect("webhook-detail", pk=hook.pk)
        elif action == "test":
            services.webhook_send_test(actor=request.user, webhook=hook)
            messages.success(request, "Test event queued.")
            return redirect("webhook-detail", pk=hook.pk)
        elif action in ("rotate", "rotate_revoke"):
            revoke_old = action == "rotate_revoke"
            secret = services.webhook_rotate_secret(actor=request.user, webhook=hook, revoke_old=revoke_old)
            context = {"webhook": hook, "secret": secret, "rotated": True, "revoked": revoke_old}
            return render(request, "webhooks/created.html", context)
        elif action == "delete":
            services.webhook_delete(actor=request.user, webhook=hook)
            messages.success(request, f"Webhook {hook.name} deleted.")
            return redirect("webhook-list")
    deliveries = selectors.delivery_list(user=request.user).filter(webhook=hook).order_by("-created")[:50]
    return render(
        request,
        "webhooks/detail.html",
        {"webhook": hook, "form": form, "health": selectors.webhook_health(hook), "deliveries": deliveries},
    )


@login_required
def delivery_log(request):
    _require_admin(request.user)
    filtered = DeliveryFilter(request.GET, queryset=selectors.delivery_list(user=request.user).order_by("-created"))
    entries = filtered.qs if filtered.is_valid() else filtered.queryset.none()
    page = Paginator(entries.prefetch_related("attempt_log"), 50).get_page(request.GET.get("page"))
    return render(request, "webhooks/deliveries.html", {"filter": filtered, "page": page})


@login_required
@require_POST
def delivery_resend(request, pk: int):
    delivery = get_object_or_404(selectors.delivery_list(user=request.user), pk=pk)
    services.delivery_resend(actor=request.user, delivery=delivery)
    messages.success(request, "Queued again.")
    return redirect(safe_next(request, request.POST.get("next")) or "webhook-deliveries")
