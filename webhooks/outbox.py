"""Writing events and their pending deliveries, inside the caller's transaction. Nothing is sent
from here: after commit, each delivery is handed to Celery; the beat sweeper re-sends what was
not picked up (a broker outage delays events, it does not lose them)."""

import uuid

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common import broker
from common.db import config_cache
from common.db.inserts import insert_row
from resources.selectors import config_version_for, site_config_version, tree_of

from .models import Delivery, Event, ScopeKind, Webhook
from .queue import DELIVER


def scope_filter(*, resource_id=None, resource_type_id=None, path=()) -> Q:
    """Webhooks whose scope covers an event about this resource (path: it and its ancestors)."""
    scope = Q(scope=ScopeKind.SITE)
    if resource_type_id is not None:
        scope |= Q(scope=ScopeKind.RESOURCE_TYPE, resource_type_id=resource_type_id)
    if resource_id is not None:
        scope |= Q(scope=ScopeKind.RESOURCE, resource_id=resource_id)
    if path:
        scope |= Q(scope=ScopeKind.RESOURCE_TREE, resource_id__in=list(path))
    return scope


def matching_webhooks(*, event_type: str, site_id: int | None, resource_id=None, resource_type_id=None, path=()):
    hooks = Webhook.objects.filter(enabled=True).filter(Q(event_types=[]) | Q(event_types__contains=[event_type]))
    if site_id is not None:
        hooks = hooks.filter(site_id=site_id)
    return hooks.filter(scope_filter(resource_id=resource_id, resource_type_id=resource_type_id, path=path))


def matched_webhooks(
    *, event_type: str, site_id: int | None, resource_id=None, resource_type_id=None, path=(), version=None
):
    """matching_webhooks as a list; a site's enabled hooks come from memory while its
    configuration version (`version`, when the caller has read it) stands (common.db.config_cache)."""
    if site_id is None:
        return list(
            matching_webhooks(
                event_type=event_type,
                site_id=None,
                resource_id=resource_id,
                resource_type_id=resource_type_id,
                path=path,
            )
        )

    hooks = config_cache.cached(
        ("webhooks", site_id),
        site_config_version(site_id) if version is None else version,
        lambda: list(Webhook.objects.filter(enabled=True, site_id=site_id)),
    )
    return [
        hook
        for hook in hooks
        if hook.wants(event_type)
        and hook.scope_covers(resource_id=resource_id, resource_type_id=resource_type_id, path=path)
    ]


def ordering_key(event_type: str, data: dict) -> str:
    """What the event is about ("reservation:42"): a receiver must see one booking's created,
    started and ended in that order, while different bookings need no order between them."""
    subject = event_type.split(".", 1)[0]
    about = data.get(subject)
    return f"{subject}:{about['id']}" if isinstance(about, dict) and about.get("id") is not None else ""


def enqueue_after_commit(delivery_ids: list[int]) -> None:
    if not delivery_ids:
        return

    def send():
        for delivery_id in delivery_ids:
            if not broker.send(DELIVER, (delivery_id,)):
                return  # broker down: the sweeper sends from the outbox

    transaction.on_commit(send)


def _covering_any(event_type: str, site_id: int | None, resources) -> list:
    seen, hooks = set(), []
    for resource in resources:
        for hook in matched_webhooks(
            event_type=event_type,
            site_id=site_id,
            resource_id=resource.pk,
            resource_type_id=resource.resource_type_id,
            path=tree_of(resource)[0] if resource.pk else [],
            version=config_version_for(resource) if resource.site_id == site_id else None,
        ):
            if hook.pk not in seen:
                seen.add(hook.pk)
                hooks.append(hook)
    if not resources:  # nothing left to name: the site's hooks still hear of it
        hooks = matched_webhooks(event_type=event_type, site_id=site_id)
    return hooks


def write_event(
    *, event_type: str, data: dict, site_id: int | None, resource=None, resources=None, webhooks=None
) -> Event:
    """One event and a pending delivery for each webhook whose scope covers it: `resource`'s, or for
    an event about several resources (a lease's machines) any of `resources`' (each hook once)."""
    if resources is not None and webhooks is None:
        webhooks = _covering_any(event_type, site_id, resources)
        kinds = {r.resource_type_id for r in resources}
        resource = None
        data_type = kinds.pop() if len(kinds) == 1 else None
    else:
        data_type = None
    now = timezone.now()
    event_id = uuid.uuid4()
    path = tree_of(resource)[0] if resource is not None and resource.pk else []
    event = Event(
        id=event_id,
        type=event_type,
        timestamp=now,
        payload={"id": str(event_id), "type": event_type, "timestamp": now.isoformat(), "data": data},
        site_id=site_id,
        resource_id=resource.pk if resource is not None else None,
        resource_type_id=resource.resource_type_id if resource is not None else data_type,
        resource_path=path,
    )
    insert_row(event)  # one with every booking write: its INSERT is not compiled again each time
    if webhooks is None:
        webhooks = matched_webhooks(
            event_type=event_type,
            site_id=site_id,
            resource_id=event.resource_id,
            resource_type_id=event.resource_type_id,
            path=path,
            version=config_version_for(resource) if resource is not None and resource.site_id == site_id else None,
        )
    key = ordering_key(event_type, data)
    deliveries = Delivery.objects.bulk_create(
        Delivery(event=event, webhook=hook, next_attempt_at=now, ordering_key=key) for hook in webhooks
    )
    enqueue_after_commit([d.pk for d in deliveries])
    return event
