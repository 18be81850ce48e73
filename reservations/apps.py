from django.apps import AppConfig


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = "Bookings"

    def ready(self) -> None:
        from . import subscribers  # noqa: F401 - reacts to resource status changes
