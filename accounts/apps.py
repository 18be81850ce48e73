from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    # This module also holds django-axes' config (LoginLimitsConfig): say which one "accounts" is.
    default = True
    name = "accounts"
    verbose_name = "People and access"

    def ready(self) -> None:
        from .api import schema  # noqa: F401 - registers the OpenAPI description of Bearer auth


class LoginLimitsConfig(AxesAppConfig):
    """django-axes, named in the operators' console for what it holds (it said "AXES")."""

    verbose_name = "Login attempts and lockouts"
