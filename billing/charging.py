"""Charging: each finished booking (or late-cancelled or no-show one) charged to a project writes
one immutable row with its rate and the rule that applied. Reached from the booking core's events
(reservations.events.react_to_bookings), inside the transaction that finished the booking."""

import math
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.events import publish, snapshot
from machines.models import BookingUsage

from .models import BookingProject, Charge, ChargeRule, Rate

CENT = Decimal("0.01")


def _rounded_hours(delta: timedelta, rounding_minutes: int) -> Decimal:
    seconds = round(delta.total_seconds())  # a microsecond past the hour is not another slice
    minutes = max(0, math.ceil(seconds / 60 / rounding_minutes) * rounding_minutes)
    return (Decimal(minutes) / 60).quantize(CENT, rounding=ROUND_HALF_UP)


def rate_for(resource_type_id: int, price_group: str) -> Rate | None:
    return Rate.objects.filter(resource_type_id=resource_type_id, price_group=price_group).first()


def _measured(reservation) -> timedelta | None:
    usage = BookingUsage.objects.filter(reservation_id=reservation.pk).first()
    return usage.active if usage is not None and usage.sampled else None


def price(reservation, rate: Rate | None, *, booked: timedelta, rule: str, share: int = 100):
    """(hours, amount, rule, detail) for `booked` time under `rate` and `rule`."""
    rounding = rate.rounding_minutes if rate else 1
    hours = _rounded_hours(booked, rounding) * Decimal(share) / 100
    detail = f"{share} % of booked time" if share != 100 else ""
    if rule == ChargeRule.BOOKED and rate is not None and rate.charge_actual_use:
        used = _measured(reservation)
        if used is not None:
            floor = _rounded_hours(booked, rounding) * Decimal(rate.booked_share_percent) / 100
            measured = _rounded_hours(used, rounding)
            hours, rule = max(measured, floor), ChargeRule.ACTUAL
            detail = f"used {measured} h; at least {rate.booked_share_percent} % of booked time ({floor} h)"
    if rule in (ChargeRule.BOOKED, ChargeRule.ACTUAL) and rate is not None and hours < rate.minimum_hours:
        hours, rule, detail = rate.minimum_hours, ChargeRule.MINIMUM, f"minimum charge of {rate.minimum_hours} h"
    hours = hours.quantize(CENT, rounding=ROUND_HALF_UP)
    per_hour = rate.per_hour if rate else Decimal(0)
    if rate is None:
        detail = (detail + "; " if detail else "") + "no rate for this type and price group"
    return hours, (hours * per_hour).quantize(CENT, rounding=ROUND_HALF_UP), rule, per_hour, detail


def charge(reservation, *, rule: str, booked: timedelta, end: datetime, share: int = 100) -> Charge | None:
    """Writes the booking's one charge (none without a project, nothing when it has one already)."""
    held = BookingProject.objects.filter(reservation_id=reservation.pk).select_related("project").first()
    if held is None or Charge.objects.filter(reservation_id=reservation.pk).exists():
        return None
    project = held.project
    resource = reservation.resource
    rate = rate_for(resource.resource_type_id, project.price_group)
    hours, amount, rule, per_hour, detail = price(reservation, rate, booked=booked, rule=rule, share=share)
    row = Charge(
        reservation_id=reservation.pk,
        project=project,
        resource_type_id=resource.resource_type_id,
        resource_name=resource.name,
        owner_id=reservation.owner_id,
        site_id=resource.site_id,
        start=reservation.start,
        end=end,
        hours=hours,
        price_group=project.price_group,
        per_hour=per_hour,
        amount=amount,
        rule=rule,
        detail=detail[:300],
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return None  # charged by a concurrent finish of the same booking: one row stands
    publish(
        "charge.created",
        actor=None,
        instance=row,
        site_id=resource.site_id,
        after=snapshot(row),
        event_data={
            "charge": {
                "id": row.pk,
                "reservation": reservation.pk,
                "project": {"id": project.pk, "code": project.code},
                "hours": str(hours),
                "per_hour": str(per_hour),
                "amount": str(amount),
                "rule": rule,
            }
        },
        resource=resource,
    )
    return row


def react(action: str, reservation, actor, **extra) -> None:
    if action == "reservation.ended":
        if reservation.release_reason == "no_show":
            return  # charged by its release, below
        end = reservation.cancelled_at if extra.get("ended_by_cancellation") else reservation.end
        charge(reservation, rule=ChargeRule.BOOKED, booked=end - reservation.start, end=end)
    elif action == "reservation.released" and extra.get("reason") == "no_show":
        booked_until = parse_datetime(extra.get("booked_until") or "") or reservation.end
        rate = _rate_of(reservation)
        share = rate.no_show_percent if rate else 100
        charge(reservation, rule=ChargeRule.NO_SHOW, booked=booked_until - reservation.start, end=booked_until,
               share=share)  # fmt: skip
    elif action == "reservation.cancelled" and reservation.started_event_at is None:
        rate = _rate_of(reservation)
        if rate is None or not rate.late_cancel_hours:
            return
        notice = reservation.start - (reservation.cancelled_at or timezone.now())
        if notice < timedelta(hours=rate.late_cancel_hours):
            charge(
                reservation,
                rule=ChargeRule.LATE_CANCEL,
                booked=reservation.end - reservation.start,
                end=reservation.end,
                share=rate.late_cancel_percent,
            )


def _rate_of(reservation) -> Rate | None:
    held = BookingProject.objects.filter(reservation_id=reservation.pk).select_related("project").first()
    return rate_for(reservation.resource.resource_type_id, held.project.price_group) if held else None
