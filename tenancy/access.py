"""Who may see and change what. The one place where roles and site membership are interpreted.

Roles: a global administrator (is_superuser) does everything; a site administrator manages the
resources, types, members (and later bookings and webhooks) of their sites; a member sees their
sites and books there. `actor=None` is the system itself (migrations, demo data, scheduled tasks).
"""

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from common.exceptions import PermissionDenied
from common.request_context import request_memo

from .models import Membership, Role


def is_global_admin(user) -> bool:
    return user is None or bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def site_roles(user) -> dict[int, str]:
    """{site id: role} for a signed-in, active user (read once per request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    memo = request_memo()
    key = ("site_roles", user.pk)
    if memo is not None and key in memo:
        return memo[key]
    roles = dict(Membership.objects.filter(user=user).order_by().values_list("site_id", "role"))
    if memo is not None:
        memo[key] = roles
    return roles


def remember_site_roles(user, roles: dict[int, str]) -> None:
    """Roles read along with the user (the API token lookup): site_roles needs no query of its own."""
    memo = request_memo()
    if memo is not None and user.is_active:
        memo[("site_roles", user.pk)] = roles


def forget_site_roles() -> None:
    """After a membership change: later checks in the same request must see it."""
    memo = request_memo()
    if memo is not None:
        for key in [k for k in memo if isinstance(k, tuple) and k[0] == "site_roles"]:
            del memo[key]


def visible_site_ids(user) -> set[int] | None:
    """Sites whose objects the user may see; None means every site."""
    if is_global_admin(user):
        return None
    return set(site_roles(user))


def administered_site_ids(user) -> set[int] | None:
    """Sites the user administers; None means every site."""
    if is_global_admin(user):
        return None
    return {site_id for site_id, role in site_roles(user).items() if role == Role.ADMIN}


def administers_any_site(user) -> bool:
    ids = administered_site_ids(user)
    return ids is None or bool(ids)


def can_admin_site(user, site_id: int | None) -> bool:
    ids = administered_site_ids(user)
    if ids is None:
        return True
    return site_id is not None and site_id in ids


def scope_to_sites(queryset: QuerySet, site_ids: set[int] | None, field: str = "site") -> QuerySet:
    if site_ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": site_ids})


def scope_to_sites_or_global(queryset: QuerySet, site_ids: set[int] | None, field: str = "site") -> QuerySet:
    """Objects of the given sites plus those that belong to no site (global resource types)."""
    if site_ids is None:
        return queryset
    return queryset.filter(Q(**{f"{field}__in": site_ids}) | Q(**{f"{field}__isnull": True}))


def require_site_admin(actor, site_id: int | None, action: str) -> None:
    if not can_admin_site(actor, site_id):
        raise PermissionDenied(f"Only an administrator of this site may {action}.")


def require_global_admin(actor, action: str) -> None:
    if not is_global_admin(actor):
        raise PermissionDenied(f"Only a global administrator may {action}.")


def is_site_member(user, site_id: int | None) -> bool:
    """Member or administrator of the site (global administrators are everywhere)."""
    ids = visible_site_ids(user)
    return ids is None or site_id in ids


def require_site_member(actor, site_id: int | None, message: str = "You are not a member of this site.") -> None:
    if not is_site_member(actor, site_id):
        raise PermissionDenied(message)


def owns_or_administers(user, *, owner_id: int | None, site_id: int | None) -> bool:
    """The owner of a thing (a booking, an allocation) or an administrator of its site."""
    return user is None or owner_id == user.pk or can_admin_site(user, site_id)


def require_operator(user, what: str) -> None:
    """The operators' pages and endpoints (dashboard, reports, webhooks, users): administrators only."""
    if not administers_any_site(user):
        raise PermissionDenied(f"{what} are for global and site administrators.")


def may_use_admin(user) -> bool:
    return bool(user.is_active and user.is_staff and administers_any_site(user))


def site_administrators(site_id: int) -> QuerySet:
    """Who answers for a site: its administrators and the global administrators (active ones)."""
    site_admins = Membership.objects.filter(site_id=site_id, role=Role.ADMIN).values("user_id")
    return get_user_model().objects.filter(Q(pk__in=site_admins) | Q(is_superuser=True), is_active=True)
