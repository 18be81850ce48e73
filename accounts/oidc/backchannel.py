"""OpenID Connect Back-Channel Logout: the provider tells Reservoir, server to server, that a user's
sessions ended there (signed out, disabled, removed). Every browser session of that user ends, and
the user's standing is checked at once: a provider that no longer vouches for them cuts them off
(accounts/oidc/sync.py). Configure it in Keycloak as the client's "Backchannel logout URL"."""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import Http404, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts import services
from audit import services as audit
from audit.models import Severity

from . import jwt as oidc_jwt
from . import sync

logger = logging.getLogger(__name__)


def _refused(reason: str) -> JsonResponse:
    audit.record(action="auth.logout_refused", severity=Severity.WARNING, message=f"Back-channel logout: {reason}")
    return JsonResponse({"error": "invalid_request", "error_description": reason}, status=400)


@csrf_exempt  # the provider posts server to server; the signed token is the credential
@never_cache
@require_POST
def backchannel_logout(request):
    if not settings.OIDC_ENABLED:
        raise Http404("Single sign-on is not configured.")
    token = request.POST.get("logout_token", "")
    if not token:
        return _refused("no logout_token")
    try:
        claims = oidc_jwt.verify_logout_token(token)
    except jwt.PyJWTError as exc:
        return _refused(str(exc))
    except requests.RequestException as exc:
        return JsonResponse({"error": "temporarily_unavailable", "error_description": str(exc)}, status=503)
    user = get_user_model().objects.filter(profile__oidc_subject=claims["sub"]).first()
    if user is None:
        return JsonResponse({})  # nobody here to sign out: done, as far as the provider is concerned
    services.user_end_sessions(user)
    audit.record(
        action="auth.logout", actor=user, instance=user, message="Signed out everywhere by the identity provider."
    )
    outcome = sync.check_user(user)
    logger.info("Back-channel logout of %s; provider check: %s", user, outcome)
    return JsonResponse({})
