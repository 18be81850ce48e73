from importlib import import_module

from django.apps import AppConfig

# Tables of this app that live beside the code they serve (one app: same tables, admin addresses,
# permissions and migration history as when they all sat in reservations/models.py).
PART_MODELS = ("reservations.leases.models", "reservations.policies.models")


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = "Bookings"

    def import_models(self) -> None:
        super().import_models()
        for module in PART_MODELS:
            import_module(module)

    def ready(self) -> None:
        # The app's composition root: the core (services, selectors, tasks) knows none of the parts
        # below; this is the one place that says who takes part in a booking write, and in which order.
        from common.events import subscribe

        from . import hooks, subscribers
        from .leases import drain, replacement
        from .leases import services as leases
        from .policies import approvals, blackouts, checkin, quotas, waitlist

        # Before a booking is written, in this order: the fields it starts with, then refusals.
        hooks.prepare_with(checkin.prepare_booking)  # the check-in deadline follows the start
        hooks.prepare_with(approvals.prepare_booking)  # a member's booking of such a type waits
        hooks.check_with(blackouts.check_booking)  # closed time first: it names why
        hooks.check_with(drain.check_booking)  # and time after a resource leaves service
        hooks.check_with(quotas.check_booking)  # then the owner's quotas, under the owner's lock
        hooks.close_with(blackouts.closed_time)  # free-time searches and series skip closed time
        hooks.close_with(drain.closed_time)
        # After it is written.
        hooks.after_created(approvals.bookings_created)  # approvers hear of pending bookings
        hooks.after_freed(waitlist.freed)  # the first waiter whose whole slot is free is served
        hooks.after_freed(replacement.freed)  # then bookings awaiting a machine of its kind
        # A resource leaving service: its lease and opted-in bookings move first, then the owners of
        # what stays are told (or it is cancelled, when the operator asked for that).
        subscribe("resource.status_changed", replacement.resource_status_changed)
        subscribe("resource.status_changed", subscribers.resource_status_changed)
        subscribe("resource.updated", drain.resource_updated)  # a drain set: what reaches past it
        # Deadlines the start/end scheduler hands to the workers at their moment.
        hooks.deadline(approvals.EXPIRY)
        hooks.deadline(checkin.NO_SHOW)
        # A lease's bookings start together and the lease ends with its last.
        hooks.around_boundaries(lock=leases.lock_lease_of, reached=leases.on_boundary)
