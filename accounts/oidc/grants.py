"""Provider refresh tokens at rest: encrypted (Fernet) with a key derived from SECRET_KEY, so a
database dump alone does not let anyone act as the users towards the provider."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils import timezone

from accounts.models import ProviderGrant


def _fernet() -> Fernet:
    key = hashlib.sha256(f"reservoir.provider-grant:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(refresh_token: str) -> str:
    return _fernet().encrypt(refresh_token.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The token, or None when it was sealed under another SECRET_KEY (the next login stores a new one)."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def remember(user, refresh_token: str) -> None:
    ProviderGrant.objects.update_or_create(
        user=user,
        defaults={
            "refresh_token": seal(refresh_token),
            "obtained_at": timezone.now(),
            "checked_at": timezone.now(),
            "last_error": "",
            "refused_at": None,
        },
    )
