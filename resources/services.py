"""Every write to the catalogue. Views, the API, the admin and commands all come through here."""

from django.db import transaction
from django.utils.text import slugify

from common.services import apply_changes, guarded_delete, validated_save

from .models import Resource, ResourceStatus, ResourceType, Site

SITE_FIELDS = ("name", "slug", "description", "location", "time_zone")
RESOURCE_TYPE_FIELDS = ("site", "name", "color", "description", "parameter_schema")
RESOURCE_FIELDS = (
    "site",
    "resource_type",
    "parent",
    "name",
    "description",
    "specs",
    "attributes",
    "location",
    "status",
)


# --- Sites ------------------------------------------------------------------------------------


def site_create(
    *,
    actor,
    name: str,
    slug: str = "",
    description: str = "",
    location: str = "",
    time_zone: str = "UTC",
) -> Site:
    site = Site(
        name=name,
        slug=slug or slugify(name)[:50],
        description=description,
        location=location,
        time_zone=time_zone,
    )
    validated_save(site)
    return site


@transaction.atomic
def site_update(*, actor, site: Site, **changes) -> Site:
    if apply_changes(site, changes, allowed=SITE_FIELDS):
        validated_save(site)
    return site


def site_delete(*, actor, site: Site) -> None:
    guarded_delete(site)


# --- Resource types ---------------------------------------------------------------------------


def resource_type_create(
    *,
    actor,
    name: str,
    site: Site | None = None,
    color: str = "#4e79a7",
    description: str = "",
    parameter_schema: list | None = None,
) -> ResourceType:
    resource_type = ResourceType(
        site=site,
        name=name,
        color=color,
        description=description,
        parameter_schema=parameter_schema if parameter_schema is not None else [],
    )
    validated_save(resource_type)
    return resource_type


@transaction.atomic
def resource_type_update(*, actor, resource_type: ResourceType, **changes) -> ResourceType:
    if apply_changes(resource_type, changes, allowed=RESOURCE_TYPE_FIELDS):
        validated_save(resource_type)
    return resource_type


def resource_type_delete(*, actor, resource_type: ResourceType) -> None:
    guarded_delete(resource_type)


# --- Resources --------------------------------------------------------------------------------


def _lock_sites(*site_ids: int | None) -> None:
    # Tree shape (parents, sites) changes are serialized per site: two concurrent moves could
    # each pass the cycle check alone and together close a loop.
    ids = sorted({i for i in site_ids if i is not None})
    list(Site.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def resource_create(
    *,
    actor,
    site: Site,
    resource_type: ResourceType,
    name: str,
    parent: Resource | None = None,
    description: str = "",
    specs: str = "",
    attributes: dict | None = None,
    location: str = "",
    status: str = ResourceStatus.ACTIVE,
) -> Resource:
    if parent is not None:
        _lock_sites(site.pk)
        parent.refresh_from_db()
    resource = Resource(
        site=site,
        resource_type=resource_type,
        parent=parent,
        name=name,
        description=description,
        specs=specs,
        attributes=attributes if attributes is not None else {},
        location=location,
        status=status,
    )
    validated_save(resource)
    return resource


@transaction.atomic
def resource_update(*, actor, resource: Resource, **changes) -> Resource:
    old_site_id = resource.site_id
    changed = apply_changes(resource, changes, allowed=RESOURCE_FIELDS)
    if not changed:
        return resource
    if {"parent", "site"} & set(changed):
        _lock_sites(old_site_id, resource.site_id)
    validated_save(resource)
    return resource


def resource_status_set(*, actor, resource: Resource, status: str) -> Resource:
    return resource_update(actor=actor, resource=resource, status=status)


@transaction.atomic
def resource_bulk_status_set(*, actor, resources, status: str) -> int:
    """Set one status on many resources; returns how many changed."""
    changed = 0
    for resource in resources:
        if resource.status != status:
            resource_status_set(actor=actor, resource=resource, status=status)
            changed += 1
    return changed


def resource_delete(*, actor, resource: Resource) -> None:
    guarded_delete(resource)
