"""What webhook receivers get about resources (the `data` of resource.* events)."""

from .models import Resource


def site_data(site) -> dict:
    return {"id": site.pk, "name": site.name, "slug": site.slug, "time_zone": site.time_zone}


def resource_data(resource: Resource) -> dict:
    return {
        "id": resource.pk,
        "name": resource.name,
        "type": {"id": resource.resource_type_id, "name": resource.resource_type.name},
        "status": resource.status,
        "specs": resource.specs,
        "attributes": resource.attributes,
        "location": resource.location,
        "parent": {"id": resource.parent_id, "name": resource.parent.name} if resource.parent_id else None,
    }


def resource_event(resource: Resource) -> dict:
    return {"resource": resource_data(resource), "site": site_data(resource.site)}
