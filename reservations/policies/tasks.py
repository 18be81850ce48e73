"""The policies' catch-up runs (beat, every second): whatever the deadline tasks that
reservations.tasks.schedule_boundaries hands out at each moment missed, e.g. after downtime."""

from celery import shared_task

from .approvals import expire_due
from .checkin import release_due


@shared_task(ignore_result=True)
def expire_pending() -> int:
    """Pending bookings not approved in time are rejected, once each."""
    return expire_due()


@shared_task(ignore_result=True)
def release_no_shows() -> int:
    """Bookings nobody checked in by their deadline are released, once each."""
    return release_due()
