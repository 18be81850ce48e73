from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        from common.events import register_outbox

        from .outbox import write_event

        register_outbox(write_event)
