from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.filters import UserFilter
from accounts.forms import ApiTokenForm, MembershipForm, ProfileForm, SshKeyForm
from common.web.forms import run_form_service
from tenancy.access import administered_site_ids, is_global_admin, require_operator, scope_to_sites
from tenancy.models import Site

User = get_user_model()


class LoginView(auth_views.LoginView):
    """Password login (when enabled) and the single sign-on button (when OIDC is configured)."""

    def post(self, request, *args, **kwargs):
        if not settings.LOCAL_LOGIN_ENABLED:
            raise PermissionDenied("Password login is switched off; use single sign-on.")
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            local_login=settings.LOCAL_LOGIN_ENABLED,
            oidc_login=settings.OIDC_ENABLED,
            sso_failed=self.request.GET.get("error") == "sso",
        )
        return context


# --- Profile ----------------------------------------------------------------------------------


def _profile_context(request, **forms):
    user = request.user
    profile = services.profile_for(user)
    return {
        "profile_form": forms.get("profile_form")
        or ProfileForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "time_zone": profile.time_zone,
                "email_notifications": profile.email_notifications,
                "reminder_minutes": profile.reminder_minutes,
            }
        ),
        "key_form": forms.get("key_form") or SshKeyForm(),
        "token_form": forms.get("token_form") or ApiTokenForm(),
        "keys": selectors.ssh_key_list(user=user),
        "tokens": selectors.api_token_list(user=user),
        "calendar_feeds": selectors.calendar_feed_list(user=user),
        "memberships": user.memberships.select_related("site"),
        "new_token": forms.get("new_token"),
    }


@login_required
def profile(request):
    user = request.user
    extra = {}
    if request.method == "POST":
        form_name = request.POST.get("form")
        if form_name == "profile":
            form = ProfileForm(request.POST)
            if run_form_service(
                form,
                lambda data: services.profile_update(
                    actor=user, user=user, **{k: v for k, v in data.items() if v is not None}
                ),
            ):
                messages.success(request, "Profile saved.")
                return redirect("profile")
            extra["profile_form"] = form
        elif form_name == "ssh_key":
            form = SshKeyForm(request.POST)
            if run_form_service(form, lambda data: services.ssh_key_add(actor=user, user=user, **data)):
                messages.success(request, "SSH key added.")
                return redirect("profile")
            extra["key_form"] = form
        elif form_name == "token":
            form = ApiTokenForm(request.POST)
            created = {}

            def create(data):
                created["token"], created["secret"] = services.api_token_create(actor=user, user=user, **data)

            if run_form_service(form, create):
                extra["new_token"] = created
            else:
                extra["token_form"] = form
    return render(request, "accounts/profile.html", _profile_context(request, **extra))


@login_required
@require_POST
def ssh_key_delete(request, pk: int):
    key = get_object_or_404(selectors.ssh_key_list(user=request.user), pk=pk)
    services.ssh_key_delete(actor=request.user, key=key)
    messages.success(request, f"SSH key {key.label} removed.")
    return redirect("profile")


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    token = get_object_or_404(selectors.api_token_list(user=request.user), pk=pk)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("profile")


# --- User management ---------------------------------------------------------------------------


def _require_administrator(user) -> None:
    require_operator(user, "The people pages")


@login_required
def user_list(request):
    _require_administrator(request.user)
    filtered = UserFilter(request.GET, queryset=selectors.user_list(user=request.user))
    page = Paginator(filtered.qs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"filter": filtered, "page": page})


@login_required
def user_detail(request, pk: int):
    _require_administrator(request.user)
    person = get_object_or_404(selectors.user_list(user=request.user), pk=pk)
    manageable = scope_to_sites(Site.objects.all(), administered_site_ids(request.user), "pk")
    form = MembershipForm(sites=manageable)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "membership":
            form = MembershipForm(request.POST, sites=manageable)
            if run_form_service(
                form,
                lambda data: services.membership_set(
                    actor=request.user, site=data["site"], user=person, role=data["role"]
                ),
            ):
                messages.success(request, "Membership saved.")
                return redirect("person", pk=person.pk)
        elif action == "remove":
            membership = get_object_or_404(person.memberships.all(), pk=request.POST.get("membership"))
            services.membership_remove(actor=request.user, membership=membership)
            messages.success(request, f"Removed from {membership.site}.")
            return redirect("person", pk=person.pk)
        elif action in ("deactivate", "activate"):
            services.user_set_active(actor=request.user, user=person, is_active=action == "activate")
            messages.success(request, f"{person.username} {action}d.")
            return redirect("person", pk=person.pk)
        elif action in ("grant_admin", "revoke_admin"):
            services.user_set_global_admin(actor=request.user, user=person, is_admin=action == "grant_admin")
            messages.success(request, "Global administration updated.")
            return redirect("person", pk=person.pk)
    managed_ids = {site.pk for site in manageable}
    return render(
        request,
        "accounts/user_detail.html",
        {
            "person": person,
            "form": form,
            "memberships": [(m, m.site_id in managed_ids) for m in person.memberships.select_related("site")],
            "is_global_admin": is_global_admin(request.user),
        },
    )
