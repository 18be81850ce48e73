"""Who may do what with training: the site's administrators decide everything for their site's
types; the trainers they name grant and revoke qualifications and decide requests for their types."""

from django.db.models import Q, QuerySet

from common.exceptions import PermissionDenied
from tenancy.access import administered_site_ids, can_admin_site, visible_site_ids

from .models import Trainer


def trained_type_ids(user) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(Trainer.objects.filter(user=user).values_list("resource_type_id", flat=True))


def may_train(user, resource_type) -> bool:
    """Site administrators of the type's site, and its trainers."""
    if user is None or can_admin_site(user, resource_type.site_id):
        return True
    return resource_type.pk in trained_type_ids(user)


def require_may_train(user, resource_type, action: str) -> None:
    if not may_train(user, resource_type):
        raise PermissionDenied(f"Only a trainer for {resource_type.name} or a site administrator may {action}.")


def decided_by_q(user, type_field: str) -> Q:
    """What `user` decides as a site administrator or trainer: rows whose type is at a site they
    administer, or a type they train. (None: everything.)"""
    administered = administered_site_ids(user)
    if administered is None:
        return Q()
    return Q(**{f"{type_field}__site_id__in": administered}) | Q(**{f"{type_field}__in": trained_type_ids(user)})


def scope_to_member_sites(queryset: QuerySet, user, type_field: str) -> QuerySet:
    sites = visible_site_ids(user)
    return queryset if sites is None else queryset.filter(**{f"{type_field}__site_id__in": sites})
