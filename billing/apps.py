from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Who pays: projects with members and hour budgets, rates, the charge ledger and statements."""

    name = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from reservations import events, hooks

        from . import budgets, charging, pages

        hooks.offer_choice(budgets.PROJECT_CHOICE)  # the form and the API ask which project pays
        hooks.check_with(budgets.check_booking)  # a project is found, and its budget has the hours
        hooks.after_created(budgets.bookings_created)  # the booking is charged to that project
        hooks.show_on_pages(booking=pages.booking_section)  # its project, changeable while upcoming
        events.react_to_bookings(charging.react)  # finished or late-cancelled: one charge row
