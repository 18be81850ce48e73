"""The booking core's one registry of the parts that take part in a write, filled in order by
ReservationsConfig.ready(): the order is part of the behaviour (closed time is named before a quota)."""

from billing import budgets
from common.events import _subscribers
from reservations import hooks, subscribers
from reservations.leases import drain, replacement
from reservations.leases import services as leases
from reservations.policies import approvals, blackouts, checkin, quotas, waitlist
from training import rules as training_rules


def test_the_parts_take_part_in_the_order_the_app_config_gives():
    assert hooks._preparations == [checkin.prepare_booking, approvals.prepare_booking]
    # Then the apps above the core, in INSTALLED_APPS order: training, then billing (the budget).
    assert hooks._checks == [
        blackouts.check_booking,
        drain.check_booking,
        quotas.check_booking,
        training_rules.check_booking,
        budgets.check_booking,
    ]
    assert hooks._closures == [blackouts.closed_time, drain.closed_time]
    assert hooks._created == [approvals.bookings_created, budgets.bookings_created]
    assert hooks._freed == [waitlist.freed, replacement.freed]
    assert hooks._boundary_locks == [leases.lock_lease_of]
    assert hooks._boundaries == [leases.on_boundary]
    # A resource leaving service: its bookings are replaced before their owners are told of the rest.
    assert _subscribers["resource.status_changed"] == [
        replacement.resource_status_changed,
        subscribers.resource_status_changed,
    ]
    assert [d.kind for d in hooks.deadlines()] == ["expire", "no_show"]


def test_registering_again_does_not_run_a_part_twice():
    hooks.check_with(quotas.check_booking)
    hooks.after_freed(waitlist.freed)
    assert hooks._checks.count(quotas.check_booking) == 1
    assert hooks._freed.count(waitlist.freed) == 1
