"""Every write to the registry. Collisions are impossible by construction (partial unique index),
and friendly by design: a refused claim says who holds the value and is recorded as a conflict."""

import ipaddress
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from common.db.inserts import insert_row
from common.events import publish, snapshot
from common.exceptions import Conflict, DomainError, PermissionDenied
from common.request_context import current
from tenancy.access import (
    can_admin_site,
    is_global_admin,
    owns_or_administers,
    require_global_admin,
    require_site_member,
)

from . import bounds, kinds
from .kinds import Kind
from .models import (
    Allocation,
    AllocationConflict,
    AllocationHistory,
    AllocationStatus,
    AllocationTemplate,
    ConflictKind,
)

EDITABLE = ("resource_name", "description", "notes", "assigned_to", "metadata", "expires_at", "server_hostname")
FIXED = ("resource_type", "resource_value", "environment", "site")


class Locked(DomainError):
    status_code = 423
    code = "locked"


class Taken(Conflict):
    """Carries what was refused, so the caller can record it as a conflict."""

    def __init__(self, message: str, *, kind: str, holder: Allocation, attempted: dict):
        held = {
            "id": holder.pk,
            "resource_type": holder.resource_type,
            "resource_value": holder.resource_value,
            "environment": holder.environment,
            "owner_service": holder.owner_service,
            "since": holder.allocated_at.isoformat(),
        }
        super().__init__(message, code="taken", details={"held_by": held, "conflict": kind})
        self.kind, self.holder, self.attempted = kind, holder, attempted


def allocation_event(allocation: Allocation) -> dict:
    return {
        "allocation": {
            "id": allocation.pk,
            "resource_type": allocation.resource_type,
            "resource_name": allocation.resource_name,
            "resource_value": allocation.resource_value,
            "environment": allocation.environment,
            "server_hostname": allocation.server_hostname,
            "owner_service": allocation.owner_service,
            "assigned_to": allocation.assigned_to,
            "status": allocation.status,
            "is_locked": allocation.is_locked,
            "metadata": allocation.metadata,
            "expires_at": allocation.expires_at.isoformat() if allocation.expires_at else None,
            "site": allocation.site_id,
        }
    }


def _history(allocation: Allocation, action: str, actor, *, old_status="", changes=None) -> None:
    context = current()
    entry = AllocationHistory(
        allocation=allocation,
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        ip=context.ip,
        user_agent=context.user_agent,
        old_status=old_status,
        new_status=allocation.status,
        changes=changes or {},
    )
    insert_row(entry)


def _event(action: str, allocation: Allocation, actor, before=None) -> None:
    publish(
        f"allocation.{action}",
        actor=actor,
        instance=allocation,
        site_id=allocation.site_id,
        before=before,
        after=snapshot(allocation),
        event_data=allocation_event(allocation),
    )


def _require_member(actor, site_id: int) -> None:
    require_site_member(actor, site_id)


def _require_manager(actor, allocation: Allocation) -> None:
    if owns_or_administers(actor, owner_id=allocation.owner_id, site_id=allocation.site_id):
        return
    raise PermissionDenied("Only the allocation's owner or a site administrator may change it.")


def _serialize(kind: str, environment: str, *, equal_only_too: bool = True) -> None:
    """Claims that can collide without being equal (paths, networks, 'next free') take turns
    per environment; plain duplicates are left to the unique index. `equal_only_too`: whether a
    kind that collides only by being equal takes turns as well (see _create)."""
    family = "path" if kind in kinds.PATH_KINDS else "net" if kind in kinds.NETWORK_KINDS else None
    if family is None and not equal_only_too:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"registry:{environment}:{family or kind}"])


def _live(environment: str):
    return Allocation.objects.filter(environment=environment).exclude(status=AllocationStatus.RELEASED)


def _check_overlaps(kind: str, value: str, environment: str, attempted: dict) -> None:
    live = _live(environment)
    holder = live.filter(resource_type=kind, resource_value=value).first()
    if holder:
        raise Taken(
            f"{kind} {value} is already allocated in {environment} to {holder.owner_service} "
            f"since {holder.allocated_at:%Y-%m-%d}.",
            kind=ConflictKind.DUPLICATE,
            holder=holder,
            attempted=attempted,
        )
    if kind in kinds.PATH_KINDS:
        directories = live.filter(resource_type=Kind.DIRECTORY)
        for other in directories.only("id", "resource_value", "owner_service", "allocated_at", "environment"):
            inside = value.startswith(other.resource_value.rstrip("/") + "/")
            around = kind == Kind.DIRECTORY and other.resource_value.startswith(value.rstrip("/") + "/")
            if inside or around:
                raise Taken(
                    f"{value} is {'inside' if inside else 'around'} directory {other.resource_value}, allocated "
                    f"in {environment} to {other.owner_service}.",
                    kind=ConflictKind.NESTED_PATH,
                    holder=other,
                    attempted=attempted,
                )
        if kind == Kind.DIRECTORY:
            prefix = value.rstrip("/") + "/"
            nested = live.filter(resource_type__in=kinds.PATH_KINDS, resource_value__startswith=prefix).first()
            if nested:
                raise Taken(
                    f"Directory {value} would contain {nested.resource_value}, allocated in {environment} to "
                    f"{nested.owner_service}.",
                    kind=ConflictKind.NESTED_PATH,
                    holder=nested,
                    attempted=attempted,
                )
    if kind in kinds.NETWORK_KINDS:
        holder = (
            live.filter(resource_type__in=kinds.NETWORK_KINDS)
            .extra(where=["resource_value::inet && %s::inet"], params=[value])
            .first()
        )
        if holder:
            raise Taken(
                f"{value} overlaps {holder.resource_type} {holder.resource_value}, allocated in {environment} "
                f"to {holder.owner_service}.",
                kind=ConflictKind.NETWORK_OVERLAP,
                holder=holder,
                attempted=attempted,
            )


def record_conflict(error: Taken, actor, site_id: int | None) -> None:
    with transaction.atomic():
        AllocationConflict.objects.create(
            attempted_by=actor if getattr(actor, "is_authenticated", False) else None,
            owner_service=error.attempted.get("owner_service", ""),
            resource_type=error.attempted["resource_type"],
            resource_value=error.attempted["resource_value"],
            environment=error.attempted["environment"],
            kind=error.kind,
            held_by=error.holder,
            site_id=site_id,
        )


def _create(
    *,
    actor,
    site,
    resource_type: str,
    resource_value,
    resource_name: str,
    owner_service: str,
    environment: str = "production",
    status: str = AllocationStatus.ACTIVE,
    server_hostname: str = "",
    assigned_to: str = "",
    metadata: dict | None = None,
    description: str = "",
    notes: str = "",
    expires_at: datetime | None = None,
    depends_on=(),
    booking=None,
    take_turns: bool = True,
) -> Allocation:
    """`take_turns`: whether a value that collides only by being equal (a port, a database, a
    domain, ...) waits for the kind's lock too. A single claim of one need not: the unique index of
    live values decides it. Several claims in one transaction must, so that two of them never wait
    on each other's rows in opposite orders; so must a caller that already holds it. Paths and
    networks, which collide without being equal, always take turns."""
    _require_member(actor, site.pk)
    value = kinds.canonical(resource_type, resource_value)
    bounds.check(actor=actor, site_id=site.pk, kind=resource_type, value=value)
    if status not in (AllocationStatus.ACTIVE, AllocationStatus.RESERVED):
        raise ValidationError({"status": "A new allocation is active or reserved."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    attempted = {
        "resource_type": resource_type,
        "resource_value": value,
        "environment": environment,
        "owner_service": owner_service,
    }
    _serialize(resource_type, environment, equal_only_too=take_turns)
    _check_overlaps(resource_type, value, environment, attempted)
    allocation = Allocation(
        site=site,
        resource_type=resource_type,
        resource_value=value,
        resource_name=resource_name,
        environment=environment,
        owner_service=owner_service,
        owner=actor if getattr(actor, "is_authenticated", False) else None,
        status=status,
        server_hostname=server_hostname,
        assigned_to=assigned_to,
        metadata=metadata or {},
        description=description,
        notes=notes,
        expires_at=expires_at,
        booking=booking,
        allocated_at=timezone.now(),
        port_number=int(value) if resource_type == Kind.PORT else None,
    )
    # The site and the owner are rows the caller holds: their foreign keys are the database's to
    # check, not two more queries (issue 39).
    allocation.full_clean(exclude=["site", "owner"], validate_constraints=False)
    # ON CONFLICT DO NOTHING instead of a savepoint around save(): the unique index of live values
    # answers two claims of one value at one moment without two more round trips.
    if not insert_row(allocation, on_conflict_nothing=True):
        holder = _live(environment).filter(resource_type=resource_type, resource_value=value).first()
        if holder is None:  # released meanwhile: the value is free again, and this caller may try again
            raise Conflict(f"{resource_type} {value} changed hands just now; try again.")
        raise Taken(
            f"{resource_type} {value} was just allocated in {environment} to {holder.owner_service}.",
            kind=ConflictKind.DUPLICATE,
            holder=holder,
            attempted=attempted,
        )
    if depends_on:
        allocation.depends_on.set(depends_on)
    _history(allocation, "allocated", actor)
    _event("created", allocation, actor)
    return allocation


def allocate(*, actor, site, **spec) -> Allocation:
    """Claim a value. A refusal is a 409 naming the holder, and is kept in the conflict log."""
    try:
        with transaction.atomic():
            return _create(actor=actor, site=site, take_turns=False, **spec)
    except Taken as error:
        record_conflict(error, actor, site.pk)
        raise


def bulk_allocate(*, actor, site, specs: list[dict]) -> list[Allocation]:
    """Several claims at once (a new service's port, database, user and domain): all or none."""
    try:
        with transaction.atomic():
            return [_create(actor=actor, site=site, **spec) for spec in specs]
    except Taken as error:
        record_conflict(error, actor, site.pk)
        raise


@transaction.atomic
def allocation_update(*, actor, allocation: Allocation, depends_on=None, **changes) -> Allocation:
    _require_manager(actor, allocation)
    fixed = sorted(set(changes) & set(FIXED))
    if fixed:
        raise ValidationError(dict.fromkeys(fixed, "This cannot change: release the allocation and allocate again."))
    if allocation.is_locked:
        raise Locked(f"{allocation} is locked; an administrator must unlock it first.")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    before = snapshot(allocation)
    for field, value in changes.items():
        setattr(allocation, field, value)
    allocation.full_clean(validate_constraints=False)
    allocation.save()
    if depends_on is not None:
        allocation.depends_on.set(depends_on)
    after = snapshot(allocation)
    diff = {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}
    _history(allocation, "modified", actor, old_status=before["status"], changes=diff)
    _event("updated", allocation, actor, before)
    return allocation


@transaction.atomic
def allocation_release(*, actor, allocation: Allocation, action: str = "released") -> Allocation:
    if actor is not None:
        _require_manager(actor, allocation)
    if allocation.is_locked:
        raise Locked(f"{allocation} is locked; an administrator must unlock it first.")
    if allocation.status == AllocationStatus.RELEASED:
        return allocation
    before = snapshot(allocation)
    allocation.status = AllocationStatus.RELEASED
    allocation.released_at = timezone.now()
    allocation.save(update_fields=["status", "released_at", "updated"])
    _history(allocation, action, actor, old_status=before["status"])
    _event("released", allocation, actor, before)
    return allocation


@transaction.atomic
def allocation_set_lock(*, actor, allocation: Allocation, locked: bool) -> Allocation:
    require_global_admin(actor, "lock or unlock allocations")
    if allocation.is_locked == locked:
        return allocation
    before = snapshot(allocation)
    allocation.is_locked = locked
    allocation.save(update_fields=["is_locked", "updated"])
    _history(allocation, "locked" if locked else "unlocked", actor, old_status=allocation.status)
    _event("updated", allocation, actor, before)
    return allocation


@transaction.atomic
def conflict_resolve(*, actor, conflict: AllocationConflict, note: str) -> AllocationConflict:
    if not (is_global_admin(actor) or can_admin_site(actor, conflict.site_id)):
        raise PermissionDenied("Only administrators resolve conflicts.")
    conflict.resolved_at = timezone.now()
    conflict.resolved_by = actor
    conflict.resolution_note = note
    conflict.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    publish("allocation.conflict_resolved", actor=actor, instance=conflict, site_id=conflict.site_id, message=note)
    return conflict


# --- Discovery -----------------------------------------------------------------------------------

# Two plans, chosen by how many ports are wanted (measured with 60,000 of 65,535 taken, see
# docs/performance.md): for a few, walk the range and probe the live-ports index, stopping at the
# count (no ORDER BY: the series comes in order and the nested loop keeps it, which is what lets
# it stop early; a sort would probe the whole range first; and the series is made in a select list,
# where it streams, not in FROM, where PostgreSQL makes all of it first: 65,535 rows, 3.6 ms, before
# the first probe); for many, subtract the allocated set from the range in one hashed set operation.
FEW_FREE_PORTS = """
SELECT p FROM (SELECT generate_series(%(start)s::int, %(end)s::int) AS p) AS series
LEFT JOIN LATERAL (
    SELECT 1 AS hit FROM registry_allocation a
    WHERE a.resource_type = 'port' AND a.status <> 'released' AND a.environment = %(env)s AND a.port_number = p
    LIMIT 1
) taken ON true
WHERE taken.hit IS NULL
LIMIT %(count)s
"""
MANY_FREE_PORTS = """
SELECT p FROM (
    SELECT generate_series(%(start)s::int, %(end)s::int) AS p
    EXCEPT
    SELECT port_number FROM registry_allocation
    WHERE resource_type = 'port' AND status <> 'released' AND environment = %(env)s
) free
ORDER BY p LIMIT %(count)s
"""
FEW = 200
# The lowest free port (allocate-next-port): the live ports from `start` up, read in order from the
# live-ports index, to the first one not followed by the next number. Reading index entries in a
# row is several times cheaper than probing the index once per port of a long taken run.
LOWEST_FREE_PORT = """
SELECT %(start)s::int WHERE NOT EXISTS (
    SELECT 1 FROM registry_allocation
    WHERE resource_type = 'port' AND status <> 'released' AND environment = %(env)s AND port_number = %(start)s
)
UNION ALL
(SELECT port_number + 1 FROM (
    SELECT port_number, lead(port_number) OVER (ORDER BY port_number) AS following
    FROM registry_allocation
    WHERE resource_type = 'port' AND status <> 'released' AND environment = %(env)s
      AND port_number >= %(start)s AND port_number <= %(end)s
) taken
WHERE following IS DISTINCT FROM port_number + 1 AND port_number < %(end)s
ORDER BY port_number LIMIT 1)
LIMIT 1
"""


def available_ports(*, start: int, end: int, count: int, environment: str) -> list[int]:
    """One SQL query over the allocated set: no loop over ports, no scan of the range in Python."""
    sql = LOWEST_FREE_PORT if count == 1 else FEW_FREE_PORTS if count <= FEW else MANY_FREE_PORTS
    with connection.cursor() as cursor:
        cursor.execute(sql, {"start": start, "end": end, "count": count, "env": environment})
        return sorted(row[0] for row in cursor.fetchall())


def available_redis_dbs(*, environment: str) -> list[int]:
    taken = set(_live(environment).filter(resource_type=Kind.REDIS_DB).values_list("resource_value", flat=True))
    return [n for n in range(kinds.REDIS_DB_COUNT) if str(n) not in taken]


def _host_bounds(net) -> tuple[int, int]:
    """First and last usable address, as ipaddress.hosts() counts them."""
    first, last = int(net.network_address), int(net.broadcast_address)
    if net.num_addresses <= 2:
        return first, last
    return first + 1, (last - 1 if net.version == 4 else last)


def available_ips(*, network: str, count: int, environment: str) -> list[str]:
    """The first `count` free addresses of `network`, in time bounded by `count` and the number of
    overlapping allocations, never by the network's size: a walk over the gaps between the
    allocated ranges (merged, sorted), not over every address."""
    net = ipaddress.ip_network(kinds.canonical(Kind.IP_RANGE, network))
    live = _live(environment).filter(resource_type__in=kinds.NETWORK_KINDS)
    taken = sorted(
        (int(block.network_address), int(block.broadcast_address))
        for block in (
            ipaddress.ip_network(value, strict=False)
            for value in live.extra(where=["resource_value::inet && %s::inet"], params=[str(net)]).values_list(
                "resource_value", flat=True
            )
        )
        if block.version == net.version
    )
    cursor, last = _host_bounds(net)
    free: list[int] = []
    for start, end in [*taken, (last + 1, last + 1)]:
        while cursor < start and cursor <= last and len(free) < count:
            free.append(cursor)
            cursor += 1
        if len(free) == count or cursor > last:
            break
        cursor = max(cursor, end + 1)
    address_type = ipaddress.IPv4Address if net.version == 4 else ipaddress.IPv6Address
    return [str(address_type(address)) for address in free]


def availability(*, resource_type: str, resource_value, environment: str) -> dict:
    value = kinds.canonical(resource_type, resource_value)
    attempted = {"resource_type": resource_type, "resource_value": value, "environment": environment}
    try:
        _check_overlaps(resource_type, value, environment, attempted)
    except Taken as taken:
        return {**attempted, "available": False, "held_by": taken.details["held_by"], "reason": taken.message}
    return {**attempted, "available": True, "held_by": None}


def allocate_next_port(*, actor, site, start: int, end: int, environment: str = "production", **spec) -> Allocation:
    """Find and claim the lowest free port in [start, end] in one transaction: concurrent searches
    take turns on the environment's port lock, so each gets a different port. A claim of one given
    port does not wait for that lock (see _create): if one takes the port found in the meantime, the
    search goes on from there."""
    with transaction.atomic():
        _serialize(Kind.PORT, environment)
        while True:
            free = available_ports(start=start, end=end, count=1, environment=environment)
            if not free:
                raise Conflict(f"No free port between {start} and {end} in {environment}.", code="exhausted")
            try:
                return _create(
                    actor=actor,
                    site=site,
                    resource_type=Kind.PORT,
                    resource_value=free[0],
                    environment=environment,
                    take_turns=False,  # the port lock is held since the search
                    **spec,
                )
            except Taken as taken:
                if taken.details["conflict"] != ConflictKind.DUPLICATE:
                    raise
                start = free[0] + 1


def expire_due(now=None) -> int:
    """Release what has expired (beat). Returns how many."""
    now = now or timezone.now()
    count = 0
    for allocation in Allocation.objects.filter(
        status__in=[AllocationStatus.ACTIVE, AllocationStatus.RESERVED], expires_at__lte=now, is_locked=False
    ):
        allocation_release(actor=None, allocation=allocation, action="expired")
        count += 1
    return count


# --- Templates -----------------------------------------------------------------------------------

TEMPLATE_KEYS = {
    "resource_type",
    "resource_value",
    "resource_name",
    "server_hostname",
    "description",
    "metadata",
    "count",
}
MAX_TEMPLATE_COUNT = 64


def _validate_template_specs(specs) -> None:
    if not isinstance(specs, list) or not specs:
        raise ValidationError({"specs": "A template is a non-empty list of allocation specs."})
    for index, spec in enumerate(specs, start=1):
        if not isinstance(spec, dict) or not {"resource_type", "resource_value"} <= set(spec):
            raise ValidationError({"specs": f"Spec {index} needs resource_type and resource_value."})
        unknown = sorted(set(spec) - TEMPLATE_KEYS)
        if unknown:
            raise ValidationError({"specs": f"Spec {index}: unknown field(s) {', '.join(unknown)}."})
        if spec["resource_type"] not in Kind.values:
            raise ValidationError({"specs": f"Spec {index}: unknown type {spec['resource_type']}."})
        if "count" in spec:
            count = spec["count"]
            next_port = spec["resource_type"] == Kind.PORT and str(spec["resource_value"]).startswith("next:")
            if not next_port or not isinstance(count, int) or not 1 <= count <= MAX_TEMPLATE_COUNT:
                raise ValidationError(
                    {"specs": f"Spec {index}: count (1 to {MAX_TEMPLATE_COUNT}) is for 'next:' port ranges only."}
                )


@transaction.atomic
def template_save(*, actor, template, name: str, specs: list, description: str = ""):
    require_global_admin(actor, "manage allocation templates")
    _validate_template_specs(specs)
    template = template or AllocationTemplate()
    before = snapshot(template) if template.pk else None
    template.name, template.specs, template.description = name, specs, description
    template.full_clean()
    template.save()
    publish(
        "allocation_template.saved",
        actor=actor,
        instance=template,
        site_id=None,
        before=before,
        after=snapshot(template),
    )
    return template


@transaction.atomic
def template_delete(*, actor, template) -> None:
    require_global_admin(actor, "manage allocation templates")
    publish("allocation_template.deleted", actor=actor, instance=template, site_id=None, before=snapshot(template))
    template.delete()


def _fill(text, variables: dict):
    if not isinstance(text, str):
        return text
    try:
        return text.format(**variables)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValidationError({"variables": f"The template needs a value for {exc}."}) from exc


def template_apply(
    *,
    actor,
    template,
    site,
    service: str,
    environment: str = "production",
    variables=None,
    booking=None,
    expires_at=None,
):
    """All the template's allocations for one service (or booking, until `expires_at`), or none."""
    values = {**(variables or {}), "service": service, "environment": environment}
    specs, next_ports = [], []
    # "count": 4 on a "next:20000-29999" port is four ports of that range, named "... 1" to "... 4".
    expanded = []
    for spec in template.specs:
        count = spec.get("count", 1) if isinstance(spec.get("count", 1), int) else 1
        base = {k: v for k, v in spec.items() if k != "count"}
        for number in range(1, count + 1):
            named = base.get("resource_name")
            expanded.append({**base, "resource_name": f"{named} {number}"} if count > 1 and named else base)
    for spec in expanded:
        filled = {k: _fill(v, values) for k, v in spec.items()}
        filled.setdefault("resource_name", f"{filled['resource_type']} of {service}")
        filled.update(owner_service=service, environment=environment)
        value = str(filled["resource_value"])
        if filled["resource_type"] == Kind.PORT and value.startswith("next:"):
            low, _, high = value[5:].partition("-")
            next_ports.append((len(specs), int(low), int(high or low)))
        specs.append(filled)
    try:
        with transaction.atomic():
            chosen: set[int] = set()  # several "next:" specs of one range take different ports
            for index, low, high in next_ports:
                _serialize(Kind.PORT, environment)
                free = available_ports(start=low, end=high, count=len(chosen) + 1, environment=environment)
                free = [port for port in free if port not in chosen]
                if not free:
                    raise Conflict(f"No free port between {low} and {high} in {environment}.", code="exhausted")
                specs[index]["resource_value"] = free[0]
                chosen.add(free[0])
            return [_create(actor=actor, site=site, booking=booking, expires_at=expires_at, **spec) for spec in specs]
    except Taken as error:
        record_conflict(error, actor, site.pk)
        raise
