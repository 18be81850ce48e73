"""`Authorization: Machine <token>`: the agent on one machine. It is nobody's login: the request
carries no user, only the token, which the agent's own endpoints read."""

import datetime

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from accounts import tokens

from .models import MachineToken

KEYWORD = "Machine"
LAST_SEEN_RESOLUTION = datetime.timedelta(seconds=30)


class MachineAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode(errors="replace") != KEYWORD:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Give one machine token after Machine.")
        token = (
            MachineToken.objects.select_related("resource__site")
            .filter(digest=tokens.digest(parts[1].decode(errors="replace")))
            .first()
        )
        if token is None or not token.is_usable:
            raise exceptions.AuthenticationFailed("Unknown or revoked machine token.")
        now = timezone.now()
        if token.last_seen_at is None or now - token.last_seen_at > LAST_SEEN_RESOLUTION:
            MachineToken.objects.filter(pk=token.pk).update(last_seen_at=now)
        return AnonymousUser(), token

    def authenticate_header(self, request):
        return KEYWORD


class IsMachine(permissions.BasePermission):
    message = "Only a machine's agent, with its machine token, reads this."

    def has_permission(self, request, view):
        return isinstance(request.auth, MachineToken)
