from django.apps import AppConfig


class TrainingConfig(AppConfig):
    """Who may book: training requirements, trainers, qualifications and training requests."""

    name = "training"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from reservations import hooks

        from . import rules

        hooks.admit_with(rules.admit_booking)  # anywhere a booking is asked for, waitlists included
        hooks.check_with(rules.check_booking)  # and each span against the qualification's expiry
        hooks.offer_with(rules.offers)  # catalogue and form: "training required" instead of Book
