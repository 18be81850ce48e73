from django.apps import AppConfig


class MachinesConfig(AppConfig):
    """The machines themselves: tokens for the agent that runs on each, and what it reads."""

    name = "machines"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from reservations import hooks

        from . import pages
        from .api import schema  # noqa: F401 - registers the Machine authentication scheme

        hooks.show_on_pages(booking=pages.booking_section, resource=pages.resource_section, marks=pages.bar_marks)
