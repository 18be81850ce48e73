from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "System resource registry"

    def ready(self) -> None:
        from reservations.events import add_to_payload, react_to_bookings

        from . import booking_allocations

        react_to_bookings(booking_allocations.react)
        add_to_payload(booking_allocations.payload)
