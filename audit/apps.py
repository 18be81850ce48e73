from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from common import events

        from . import services, signals  # noqa: F401 - signals connects the authentication receivers

        events.keep_audit_log(services)
