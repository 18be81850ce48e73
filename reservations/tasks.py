from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import DurationField, ExpressionWrapper, F
from django.utils import timezone
from redis.exceptions import RedisError

from accounts.models import MAX_REMINDER_MINUTES
from notifications.services import notify

from . import hooks, rules
from .events import publish_booking
from .models import Reservation, ReservationStatus
from .selectors import free_after


@shared_task
def send_due_reminders() -> dict:
    """Beat, every minute: reminders before start (per-user lead time) and ending-soon notices.
    Each booking is marked in the same transaction, so a repeated run sends nothing twice."""
    now = timezone.now()
    reminded = ending = 0
    with transaction.atomic():
        upcoming = (
            Reservation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=ReservationStatus.CONFIRMED,
                reminder_sent_at__isnull=True,
                start__gt=now,
                start__lte=now + timezone.timedelta(minutes=MAX_REMINDER_MINUTES),
            )
            .select_related("owner__profile", "resource__site")
        )
        for booking in upcoming:
            profile = getattr(booking.owner, "profile", None)
            lead = timezone.timedelta(minutes=profile.reminder_minutes if profile else 15)
            if booking.start - now > lead:
                continue
            notify(
                user=booking.owner,
                kind="reservation.reminder",
                title=f"Your booking of {booking.resource.name} starts at "
                f"{rules.local(booking.start, booking.resource)}",
                url=f"/reservations/{booking.pk}/",
            )
            Reservation.objects.filter(pk=booking.pk).update(reminder_sent_at=now)
            reminded += 1
        window = timezone.timedelta(minutes=settings.NOTIFY_ENDING_SOON_MINUTES)
        ending_soon = (
            Reservation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=ReservationStatus.CONFIRMED,
                ending_soon_sent_at__isnull=True,
                end__gt=now,
                end__lte=now + window,
                start__lte=now,
            )
            .annotate(length=ExpressionWrapper(F("end") - F("start"), output_field=DurationField()))
            .filter(length__gt=window)
            .select_related("owner", "resource__site")
        )
        for booking in ending_soon:
            free = free_after(booking)
            notify(
                user=booking.owner,
                kind="reservation.ending_soon",
                title=f"Your booking of {booking.resource.name} ends at {rules.local(booking.end, booking.resource)}",
                body=(
                    f"The time after it is free until {rules.local(free, booking.resource)}: extend it on its page."
                    if free > booking.end
                    else "The next booking follows right after it: it cannot be extended."
                ),
                url=f"/reservations/{booking.pk}/",
            )
            Reservation.objects.filter(pk=booking.pk).update(ending_soon_sent_at=now)
            ending += 1
    return {"reminders": reminded, "ending_soon": ending}


# --- reservation.started / ending_soon / ended, on time and exactly once -------------------------

LOOKAHEAD = timezone.timedelta(seconds=3)
DEADLINE_TOLERANCE = timezone.timedelta(milliseconds=50)
LATE_AFTER = timezone.timedelta(seconds=5)
BOUNDARY_FIELD = {"started": "started_event_at", "ending_soon": "ending_soon_event_at", "ended": "ended_event_at"}


def _moment(booking: Reservation, kind: str):
    if kind == "started":
        return booking.start
    if kind == "ended":
        return booking.end
    return booking.end - timezone.timedelta(minutes=settings.EVENT_ENDING_SOON_MINUTES)


def _first_time(key: str) -> bool:
    try:
        return cache.add(key, 1, int((LOOKAHEAD + DEADLINE_TOLERANCE).total_seconds()) + 5)
    except RedisError:
        return True  # without the cache, send again: the task itself decides once


@shared_task(ignore_result=True)
def fire_deadline(reservation_id: int, kind: str) -> int:
    """At a booking's deadline of a policy (hooks.Deadline: a pending booking's decision, "expire";
    a check-in, "no_show"), as scheduled by schedule_boundaries with an ETA; the state under the row
    lock decides, so a deadline moved or met meanwhile does nothing, and nothing happens twice."""
    due_by = timezone.now() + DEADLINE_TOLERANCE  # a timer a few ms early still counts
    return hooks.deadline_of(kind).run(now=due_by, limit=1, pk=reservation_id)


@shared_task(ignore_result=True)
def schedule_boundaries() -> int:
    """Beat, every second: hand the workers each start, ending-soon and end due within a few
    seconds, once, with an ETA at its moment. Whatever was missed while nothing ran (downtime) is due
    now and goes out at once, marked late; fire_boundary decides under a row lock, so repeats
    and restarts fire nothing twice."""
    now = timezone.now()
    horizon = now + LOOKAHEAD
    ending_window = timezone.timedelta(minutes=settings.EVENT_ENDING_SOON_MINUTES)
    confirmed = Reservation.objects.filter(status=ReservationStatus.CONFIRMED)
    due = [
        ("started", "start", confirmed.filter(started_event_at__isnull=True, start__lte=horizon)),
        (
            "ending_soon",
            "end",
            # Only bookings longer than the warning window: a shorter one would be "ending soon"
            # before it starts.
            confirmed.filter(
                ending_soon_event_at__isnull=True,
                end__gt=now,
                end__lte=horizon + ending_window,
            )
            .annotate(length=ExpressionWrapper(F("end") - F("start"), output_field=DurationField()))
            .filter(length__gt=ending_window),
        ),
        ("ended", "end", confirmed.filter(ended_event_at__isnull=True, end__lte=horizon)),
    ]
    deadlines = [(d.kind, d.field, d.pending().filter(**{f"{d.field}__lte": horizon})) for d in hooks.deadlines()]
    count = 0
    for kind, field, rows in deadlines:
        # Future deadlines only, each handed over once (the per-second catch-up runs take what
        # is already due): re-sending the whole window every second would flood the workers.
        for pk, moment in rows.filter(**{f"{field}__gt": now}).order_by(field).values_list("pk", field)[:2000]:
            if _first_time(f"deadline:{kind}:{pk}:{moment.timestamp()}"):
                fire_deadline.apply_async((pk, kind), eta=moment)
                count += 1
    for kind, field, rows in due:
        for pk, moment in rows.order_by(field).values_list("pk", field)[:2000]:
            if kind == "ending_soon":
                moment = moment - timezone.timedelta(minutes=settings.EVENT_ENDING_SOON_MINUTES)
            # A moment still ahead is handed over once, with its ETA (each beat of the lookahead
            # sending it again tripled the workers' load and their lag under it); once it is due
            # and has not fired, every beat sends it again.
            if moment > now and not _first_time(f"boundary:{kind}:{pk}:{moment.timestamp()}"):
                continue
            fire_boundary.apply_async((pk, kind), eta=max(moment, now))
            count += 1
    return count


@shared_task(ignore_result=True)
def fire_boundary(reservation_id: int, kind: str) -> bool:
    now = timezone.now()
    with transaction.atomic():
        hooks.lock_for_boundary(reservation_id)  # first: a lease's bookings start together (leases)
        booking = (
            Reservation.objects.select_for_update(of=("self",))
            .select_related("resource", "resource__site", "resource__resource_type", "resource__parent", "owner")
            .filter(pk=reservation_id, status=ReservationStatus.CONFIRMED)
            .first()
        )
        if booking is None or getattr(booking, BOUNDARY_FIELD[kind]) is not None:
            return False
        moment = max(_moment(booking, kind), booking.start)
        if moment > now + timezone.timedelta(milliseconds=50):
            # Not yet: woken early, or moved later since it was scheduled. Soon: again at the
            # moment (the beat hands a coming moment over only once); later: the beat will.
            if moment - now <= LOOKAHEAD:
                transaction.on_commit(lambda: fire_boundary.apply_async((reservation_id, kind), eta=moment))
            return False
        if kind in ("ending_soon", "ended") and booking.started_event_at is None:
            _fire(booking, "started", now)  # in order, even after downtime
        if kind == "ending_soon" and booking.end <= now:
            booking.ending_soon_event_at = now  # too late to warn: the end is what matters now
            booking.save(update_fields=["ending_soon_event_at"])
            return False
        _fire(booking, kind, now)
    return True


def _fire(booking: Reservation, kind: str, now) -> None:
    moment = _moment(booking, kind)
    lag = (now - moment).total_seconds()
    extra = {"extendable_until": free_after(booking).isoformat()} if kind == "ending_soon" else {}
    publish_booking(
        f"reservation.{kind}",
        booking,
        actor=None,
        audit_snapshot=False,
        scheduled_at=moment.isoformat(),
        lag_seconds=round(lag, 3),
        late=lag > LATE_AFTER.total_seconds(),
        **extra,
    )
    setattr(booking, BOUNDARY_FIELD[kind], now)
    booking.save(update_fields=[BOUNDARY_FIELD[kind]])
    hooks.boundary_reached(booking, kind, now, fire=_fire)
