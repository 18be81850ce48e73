"""How a booking change leaves the domain: every booking-changing path (services, scheduled
boundaries) calls `publish_booking`, which writes the audit entry and the outbox event with the
full booking payload, so a webhook receiver can provision access without calling back."""

from datetime import UTC

from django.db import connection

from accounts.models import SshKey
from common.events import publish, snapshot
from resources.events import resource_data, site_data

from .models import Reservation, Series

# Other apps act on a booking change inside its transaction, before its event is written (the
# registry claims or releases the allocations a booking carries), and add to every booking's
# payload. They register in their AppConfig.ready(): this app does not know them.
_reactions: list = []
_payload_parts: list = []


def react_to_bookings(handler):
    """`handler(action, reservation, actor, **extra)`, called by `publish_booking` before the event
    (`extra`: what the event adds to the booking's payload)."""
    if handler not in _reactions:  # an app registry populated again (tests) must not react twice
        _reactions.append(handler)
    return handler


def add_to_payload(part):
    """`part(reservation) -> dict`, merged into each booking event's `data`."""
    if part not in _payload_parts:
        _payload_parts.append(part)
    return part


_KEYS = f"""SELECT label, key_type, public_key, fingerprint FROM {SshKey._meta.db_table}
            WHERE user_id = %s ORDER BY label, id"""  # noqa: S608 - the table name comes from the model


def owner_data(user) -> dict:
    # A plain statement: every booking event carries the keys, and compiling the ORM's query for
    # them cost a twentieth of a create.
    with connection.cursor() as cursor:
        cursor.execute(_KEYS, [user.pk])
        keys = cursor.fetchall()
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,
        "full_name": user.get_full_name(),
        "ssh_keys": [
            {"label": label, "type": kind, "public_key": public_key, "fingerprint": fingerprint}
            for label, kind, public_key, fingerprint in keys
        ],
    }


def reservation_event(reservation: Reservation, *, owner: dict | None = None, **extra) -> dict:
    """`owner`: the owner's payload when the caller already built it (a series of many bookings)."""
    data = {
        "reservation": {
            "id": reservation.pk,
            "title": reservation.title,
            "description": reservation.description,
            # UTC whichever way the booking came in (a series computes its times in the site's zone).
            "start": reservation.start.astimezone(UTC).isoformat(),
            "end": reservation.end.astimezone(UTC).isoformat(),
            "status": reservation.status,
            "parameters": reservation.parameters,
            "series_id": reservation.series_id,
            "lease_id": reservation.lease_id,
            **({"cancel_reason": reservation.cancel_reason} if reservation.status == "cancelled" else {}),
            **extra,
        },
        "resource": resource_data(reservation.resource),
        "site": site_data(reservation.resource.site),
        "owner": owner if owner is not None else owner_data(reservation.owner),
    }
    data.update(booking_extras(reservation))
    return data


def booking_extras(reservation: Reservation) -> dict:
    """What other apps add to a booking's payload (its allocations)."""
    extras: dict = {}
    for part in _payload_parts:
        extras.update(part(reservation))
    return extras


def publish_booking(
    action: str,
    reservation: Reservation,
    *,
    actor,
    before: dict | None = None,
    message: str = "",
    owner: dict | None = None,
    audit_snapshot: bool = True,
    **extra,
) -> None:
    """Audit entry and webhook event for one booking, in the caller's transaction. Scheduled
    moments (started, ended) change nothing the audit diff would show: `audit_snapshot=False`."""
    for react in _reactions:
        react(action, reservation, actor, **extra)
    publish(
        action,
        actor=actor,
        instance=reservation,
        site_id=reservation.resource.site_id,
        before=before,
        after=snapshot(reservation) if audit_snapshot else None,
        message=message,
        event_data=reservation_event(reservation, owner=owner, **extra),
        resource=reservation.resource,
    )


def publish_series_created(series: Series, created: list[Reservation], *, actor, skipped: int, owner: dict) -> None:
    """The series itself, then each of its bookings as an ordinary `reservation.created`."""
    first = created[0]
    publish(
        "reservation.series_created",
        actor=actor,
        instance=series,
        site_id=first.resource.site_id,
        after={**snapshot(series), "occurrences": len(created), "skipped": skipped},
        event_data={
            "series": {
                "id": series.pk,
                "rrule": series.rrule,
                "time_zone": series.time_zone,
                "title": series.title,
                "reservation_ids": [r.pk for r in created],
                "skipped": skipped,
            },
            "resource": resource_data(first.resource),
            "site": site_data(first.resource.site),
            "owner": owner,
        },
        resource=first.resource,
    )
    for reservation in created:
        publish_booking("reservation.created", reservation, actor=actor, owner=owner)
