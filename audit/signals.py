"""Logins and logouts come from django.contrib.auth, which must not know about the audit log."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import Severity
from .services import record


def _method(request) -> str:
    return "single sign-on" if request is not None and request.session.get("oidc_id_token") else "password"


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs):
    record(action="auth.login", actor=user, instance=user, message=f"Logged in with {_method(request)}.")


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(action="auth.logout", actor=user, instance=user)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    if "sso_error" in credentials:
        record(
            action="auth.login_failed",
            severity=Severity.WARNING,
            message=f"Single sign-on failed: {credentials['sso_error']}",
        )
        return
    username = str(credentials.get("username", ""))[:150]
    record(
        action="auth.login_failed",
        severity=Severity.WARNING,
        object_type="auth.user",
        object_repr=username,
        message=f"Failed password login for '{username}'.",
    )
