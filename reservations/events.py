"""What webhook receivers get about bookings: enough to provision access without calling back."""

from accounts.models import SshKey
from resources.events import resource_data, site_data

from .models import Reservation


def owner_data(user) -> dict:
    keys = SshKey.objects.filter(user=user).order_by("label", "pk")
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,
        "full_name": user.get_full_name(),
        "ssh_keys": [
            {"label": k.label, "type": k.key_type, "public_key": k.public_key, "fingerprint": k.fingerprint}
            for k in keys
        ],
    }


def reservation_event(reservation: Reservation, **extra) -> dict:
    return {
        "reservation": {
            "id": reservation.pk,
            "title": reservation.title,
            "description": reservation.description,
            "start": reservation.start.isoformat(),
            "end": reservation.end.isoformat(),
            "status": reservation.status,
            "parameters": reservation.parameters,
            "series_id": reservation.series_id,
            **extra,
        },
        "resource": resource_data(reservation.resource),
        "site": site_data(reservation.resource.site),
        "owner": owner_data(reservation.owner),
    }
