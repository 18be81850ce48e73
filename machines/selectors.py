"""What the agent on a machine may read: who holds it (or a whole it is part of, or a part of it)
now and in the next day, with their SSH keys."""

from datetime import timedelta

from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import SshKey
from reservations.models import Reservation, ReservationStatus
from resources.tree import resource_ancestor_ids, resource_descendant_ids
from tenancy.access import administered_site_ids, scope_to_sites

from .models import MachineToken

HORIZON = timedelta(hours=24)


def machine_state(resource) -> dict:
    now = timezone.now()
    related = {resource.pk, *resource_ancestor_ids(resource.pk), *resource_descendant_ids(resource.pk)}
    bookings = (
        Reservation.objects.filter(
            resource_id__in=related, status=ReservationStatus.CONFIRMED, end__gt=now, start__lt=now + HORIZON
        )
        .select_related("owner", "resource")
        .prefetch_related(Prefetch("owner__ssh_keys", queryset=SshKey.objects.order_by("pk")))
        .order_by("start", "pk")
    )
    return {
        "resource": resource.name,
        "now": now.isoformat(),
        "holders": [
            {
                "booking": b.pk,
                "resource": b.resource.name,
                "username": b.owner.username,
                "start": b.start.isoformat(),
                "end": b.end.isoformat(),
                "keys": [key.public_key for key in b.owner.ssh_keys.all()],
            }
            for b in bookings
        ],
    }


def machine_token_list(*, user):
    """The tokens of the machines at the sites the user administers (every site for global ones)."""
    tokens = MachineToken.objects.select_related("resource__site")
    return scope_to_sites(tokens, administered_site_ids(user), "resource__site")
