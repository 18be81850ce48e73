from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and access"

    def ready(self) -> None:
        from .api import schema  # noqa: F401 - registers the OpenAPI description of Bearer auth
