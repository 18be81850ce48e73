"""Every write to the catalogue. Views, the API, the admin and commands all come through here."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from audit.models import Severity
from common.events import publish, snapshot
from common.services import apply_changes, guarded_delete, validated_save
from tenancy.access import require_global_admin, require_site_admin
from tenancy.models import Site

from .events import resource_event
from .models import Resource, ResourceStatus, ResourceType

SITE_FIELDS = ("name", "slug", "description", "location", "time_zone")
RESOURCE_TYPE_FIELDS = (
    "site",
    "name",
    "color",
    "description",
    "parameter_schema",
    "min_duration",
    "max_duration",
    "max_horizon",
    "min_notice",
    "cleanup",
    "requires_approval",
    "approval_timeout",
    "checkin_window",
)
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
    "leaves_service_at",
    "cleanup",
)


def _delete(*, actor, instance, action: str, site_id: int | None) -> None:
    with transaction.atomic():
        publish(action, actor=actor, instance=instance, site_id=site_id, before=snapshot(instance))
        guarded_delete(instance)


# --- Sites ------------------------------------------------------------------------------------


@transaction.atomic
def site_create(
    *,
    actor,
    name: str,
    slug: str = "",
    description: str = "",
    location: str = "",
    time_zone: str = "UTC",
) -> Site:
    require_global_admin(actor, "create sites")
    site = Site(
        name=name,
        slug=slug or slugify(name)[:50],
        description=description,
        location=location,
        time_zone=time_zone,
    )
    validated_save(site)
    publish("site.created", actor=actor, instance=site, site_id=site.pk, after=snapshot(site))
    return site


@transaction.atomic
def site_update(*, actor, site: Site, **changes) -> Site:
    require_site_admin(actor, site.pk, "change this site")
    before = snapshot(site)
    if apply_changes(site, changes, allowed=SITE_FIELDS):
        validated_save(site)
        publish("site.updated", actor=actor, instance=site, site_id=site.pk, before=before, after=snapshot(site))
    return site


def site_delete(*, actor, site: Site) -> None:
    require_global_admin(actor, "delete sites")
    _delete(actor=actor, instance=site, action="site.deleted", site_id=site.pk)


# --- Resource types ---------------------------------------------------------------------------


def _require_type_admin(actor, site: Site | None) -> None:
    if site is None:
        require_global_admin(actor, "manage resource types shared by all sites")
    else:
        require_site_admin(actor, site.pk, "manage its resource types")


@transaction.atomic
def resource_type_create(
    *,
    actor,
    name: str,
    site: Site | None = None,
    color: str = "#4e79a7",
    description: str = "",
    parameter_schema: list | None = None,
    min_duration: timedelta | None = None,
    max_duration: timedelta | None = None,
    max_horizon: timedelta | None = None,
    min_notice: timedelta | None = None,
    cleanup: timedelta | None = None,
    requires_approval: bool = False,
    approval_timeout: timedelta | None = None,
    checkin_window: timedelta | None = None,
) -> ResourceType:
    _require_type_admin(actor, site)
    resource_type = ResourceType(
        site=site,
        name=name,
        color=color,
        description=description,
        parameter_schema=parameter_schema if parameter_schema is not None else [],
        min_duration=min_duration,
        max_duration=max_duration,
        max_horizon=max_horizon,
        min_notice=min_notice,
        cleanup=cleanup or timedelta(0),
        requires_approval=requires_approval,
        approval_timeout=approval_timeout,
        checkin_window=checkin_window,
    )
    validated_save(resource_type)
    publish(
        "resource_type.created",
        actor=actor,
        instance=resource_type,
        site_id=resource_type.site_id,
        after=snapshot(resource_type),
    )
    return resource_type


@transaction.atomic
def resource_type_update(*, actor, resource_type: ResourceType, **changes) -> ResourceType:
    _require_type_admin(actor, resource_type.site)
    before = snapshot(resource_type)
    if apply_changes(resource_type, changes, allowed=RESOURCE_TYPE_FIELDS):
        _require_type_admin(actor, resource_type.site)  # and of the site it moves to
        validated_save(resource_type)
        publish(
            "resource_type.updated",
            actor=actor,
            instance=resource_type,
            site_id=resource_type.site_id,
            before=before,
            after=snapshot(resource_type),
        )
    return resource_type


def resource_type_delete(*, actor, resource_type: ResourceType) -> None:
    _require_type_admin(actor, resource_type.site)
    _delete(actor=actor, instance=resource_type, action="resource_type.deleted", site_id=resource_type.site_id)


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
    cleanup: timedelta | None = None,
) -> Resource:
    require_site_admin(actor, site.pk, "add resources to it")
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
        cleanup=cleanup,
    )
    validated_save(resource)
    publish(
        "resource.created",
        actor=actor,
        instance=resource,
        site_id=resource.site_id,
        after=snapshot(resource),
        event_data=resource_event(resource),
        resource=resource,
    )
    return resource


@transaction.atomic
def resource_update(*, actor, resource: Resource, cancel_future_bookings: bool = False, **changes) -> Resource:
    """`cancel_future_bookings`: with a status change away from active, cancel the resource's
    future bookings instead of only telling their owners."""
    require_site_admin(actor, resource.site_id, "change its resources")
    before = snapshot(resource)
    changed = apply_changes(resource, changes, allowed=RESOURCE_FIELDS)
    if not changed:
        return resource
    drained = resource.leaves_service_at is not None and resource.leaves_service_at <= timezone.now()
    if "leaves_service_at" in changed and drained:
        raise ValidationError({"leaves_service_at": "Give a moment in the future, or set the status now."})
    if "status" in changed and resource.status == ResourceStatus.ACTIVE and drained:
        resource.leaves_service_at = None  # back from the drain's maintenance: drained no more
    if "site" in changed:
        require_site_admin(actor, resource.site_id, "move resources to it")
    if {"parent", "site"} & set(changed):
        _lock_sites(before["site"], resource.site_id)
    validated_save(resource)
    after = snapshot(resource)
    action = "resource.status_changed" if "status" in changed else "resource.updated"
    severity = Severity.WARNING if "status" in changed and resource.status != ResourceStatus.ACTIVE else Severity.INFO
    publish(
        action,
        actor=actor,
        instance=resource,
        site_id=resource.site_id,
        before=before,
        after=after,
        severity=severity,
        options={"cancel_future_bookings": cancel_future_bookings} if "status" in changed else None,
        event_data=resource_event(resource),
        resource=resource,
    )
    return resource


def resource_drain(*, actor, resource: Resource, at) -> Resource:
    """Take the resource out of service at `at` ("maintenance from Friday 18:00"), or no longer
    (`at=None`). Nothing is booked past it; bookings after it move or are cancelled (reservations
    reacts to the change), and at `at` the resource goes into maintenance (beat)."""
    return resource_update(actor=actor, resource=resource, leaves_service_at=at)


@transaction.atomic
def drains_due(*, now=None) -> int:
    """Resources whose drain moment came: into maintenance, as the system (what stays on them is
    replaced or kept, as for any status change). Returns how many."""
    now = now or timezone.now()
    due = list(
        Resource.objects.select_for_update(skip_locked=True)
        .filter(status=ResourceStatus.ACTIVE, leaves_service_at__lte=now)
        .select_related("site", "resource_type")
    )
    for resource in due:
        resource_status_set(actor=None, resource=resource, status=ResourceStatus.MAINTENANCE)
    return len(due)


def resource_status_set(*, actor, resource: Resource, status: str, cancel_future_bookings: bool = False) -> Resource:
    return resource_update(actor=actor, resource=resource, status=status, cancel_future_bookings=cancel_future_bookings)


@transaction.atomic
def resource_bulk_status_set(*, actor, resources, status: str, cancel_future_bookings: bool = False) -> int:
    """Set one status on many resources; returns how many changed. All or nothing."""
    changed = 0
    for resource in resources:
        if resource.status != status:
            resource_status_set(
                actor=actor, resource=resource, status=status, cancel_future_bookings=cancel_future_bookings
            )
            changed += 1
    return changed


def resource_delete(*, actor, resource: Resource) -> None:
    require_site_admin(actor, resource.site_id, "delete its resources")
    with transaction.atomic():
        publish(
            "resource.deleted",
            actor=actor,
            instance=resource,
            site_id=resource.site_id,
            before=snapshot(resource),
            event_data=resource_event(resource),
            resource=resource,
        )
        guarded_delete(resource)
