"""The operators' screens of the booking app, by topic; importing the package registers them all."""

from . import bookings, leases, policies  # noqa: F401
