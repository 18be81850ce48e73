from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import Http404
from django.shortcuts import resolve_url
from mozilla_django_oidc import views as oidc_views

from . import discovery
from .backend import oidc_setting


class _OidcOnly:
    get_settings = staticmethod(oidc_setting)

    def dispatch(self, request, *args, **kwargs):
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        return super().dispatch(request, *args, **kwargs)


class LoginView(_OidcOnly, oidc_views.OIDCAuthenticationRequestView):
    pass


class CallbackView(_OidcOnly, oidc_views.OIDCAuthenticationCallbackView):
    def login_failure(self):
        # A failed password login's signal: audited, and counted per client address by the lockout.
        reason = self.request.GET.get("error") or "no valid user from the provider"
        credentials = {"username": None, "sso_error": reason}
        user_login_failed.send(sender=__name__, credentials=credentials, request=self.request)
        return super().login_failure()


class LogoutView(oidc_views.OIDCLogoutView):
    """Ends the Reservoir session and, after an SSO login, the Keycloak session too."""

    get_settings = staticmethod(oidc_setting)


def provider_logout_url(request) -> str:
    home = request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL))
    id_token = request.session.get("oidc_id_token")
    if not (settings.OIDC_ENABLED and id_token):
        return home
    end_session = discovery.endpoint("end_session_endpoint")
    if not end_session:
        return home
    query = urlencode(
        {"id_token_hint": id_token, "post_logout_redirect_uri": home, "client_id": settings.OIDC_RP_CLIENT_ID}
    )
    return f"{end_session}?{query}"
