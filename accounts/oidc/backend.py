import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from accounts import services
from accounts.models import Profile, ProviderGrant

from . import claims as claim_mapping
from . import discovery, grants
from . import jwt as oidc_jwt


def oidc_setting(attr, *args):
    """mozilla-django-oidc settings, with the provider endpoints taken from discovery."""
    if attr in discovery.ENDPOINT_SETTINGS:
        if not settings.OIDC_ENABLED:
            return None
        return discovery.endpoint(discovery.ENDPOINT_SETTINGS[attr])
    return import_from_settings(attr, *args)


class KeycloakBackend(OIDCAuthenticationBackend):
    """Authorization code flow against Keycloak; users are matched by their stable subject."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # Unlike the parent, resolve nothing here: Django builds a backend for every request
        # (get_user), and a provider outage must not break sessions that already exist.
        self.UserModel = get_user_model()

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_USER_ENDPOINT"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_JWKS_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        if not settings.OIDC_ENABLED:
            return None
        self._refresh_token = None
        try:
            user = super().authenticate(request, **kwargs)
        except jwt.PyJWTError:
            # An expired or otherwise invalid ID token is a failed login (audited by the
            # callback view), not a server error.
            return None
        if user is not None and user.is_active and self._refresh_token:
            grants.remember(user, self._refresh_token)  # what the sync asks the provider with
        return user

    def get_token(self, payload):
        token_info = super().get_token(payload)
        self._refresh_token = token_info.get("refresh_token")
        return token_info

    def get_user(self, user_id):
        # The parent returns inactive users too: a session must end when its user is deactivated.
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def retrieve_matching_jwk(self, token):
        # The provider's keys are cached (the parent fetches them at every login).
        return oidc_jwt.signing_key(token)

    def get_userinfo(self, access_token, id_token, payload):
        # Keycloak puts roles and groups in the tokens; userinfo may or may not repeat them.
        return {**payload, **super().get_userinfo(access_token, id_token, payload)}

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(profile__oidc_subject=claims["sub"])

    def describe_user_by_claims(self, claims):
        return f"subject {claims.get('sub')}"

    def _free_username(self, claims) -> str:
        base = (claims.get("preferred_username") or (claims.get("email") or "").split("@")[0] or claims["sub"])[:140]
        candidate, n = base, 1
        while self.UserModel.objects.filter(username=candidate).exists():
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    @transaction.atomic
    def create_user(self, claims):
        user = self.UserModel.objects.create_user(self._free_username(claims), email=claims.get("email") or "")
        user.set_unusable_password()
        user.save(update_fields=["password"])
        Profile.objects.update_or_create(user=user, defaults={"oidc_subject": claims["sub"]})
        return self.update_user(user, claims)

    @transaction.atomic
    def update_user(self, user, claims):
        if not user.is_active and ProviderGrant.objects.filter(user=user, refused_at__isnull=False).exists():
            services.user_restored_by_provider(user=user)
        changes = {
            "first_name": (claims.get("given_name") or user.first_name)[:150],
            "last_name": (claims.get("family_name") or user.last_name)[:150],
            "email": claims.get("email") or user.email,
        }
        services.profile_update(actor=user, user=user, **changes)
        claim_mapping.apply(user, claims)
        user.refresh_from_db()
        return user
