"""Who sees and changes what in billing. A project is seen by its PI, its members and the
administrators of its sites; its members are managed by its PI and those administrators; rates,
budgets and adjustments are decided by site administrators."""

from django.db.models import Q, QuerySet

from common.exceptions import PermissionDenied
from tenancy.access import administered_site_ids, can_admin_site

from .models import Project


def administers_project(user, project: Project) -> bool:
    site_ids = administered_site_ids(user)
    if site_ids is None:
        return True
    return project.sites.filter(pk__in=site_ids).exists()


def require_project_admin(user, project: Project, action: str) -> None:
    if user is not None and not administers_project(user, project):
        raise PermissionDenied(f"Only an administrator of the project's sites may {action}.")


def manages_members(user, project: Project) -> bool:
    return user is None or getattr(user, "pk", None) == project.pi_id or administers_project(user, project)


def require_pi_or_admin(user, project: Project, action: str) -> None:
    if manages_members(user, project):
        return
    raise PermissionDenied(f"Only the project's PI or an administrator of its sites may {action}.")


def visible_projects_q(user, prefix: str = "") -> Q | None:
    """None: every project."""
    site_ids = administered_site_ids(user)
    if site_ids is None:
        return None
    return Q(**{f"{prefix}pi": user}) | Q(**{f"{prefix}members__user": user}) | Q(**{f"{prefix}sites__in": site_ids})


def scope_projects(queryset: QuerySet, user, prefix: str = "") -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    q = visible_projects_q(user, prefix)
    if q is None:
        return queryset
    ids = Project.objects.filter(visible_projects_q(user)).values("pk")
    return queryset.filter(**{f"{prefix}pk__in": ids})


def sees_all_charges(user, project: Project) -> bool:
    return getattr(user, "pk", None) == project.pi_id or administers_project(user, project)


def require_site_admin_of(user, site_id: int, action: str) -> None:
    if not can_admin_site(user, site_id):
        raise PermissionDenied(f"Only an administrator of this site may {action}.")
