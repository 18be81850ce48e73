"""Machine tokens: created for a resource by its site's administrators, shown once, revoked."""

from django.db import transaction
from django.utils import timezone

from accounts import tokens
from common.events import publish, snapshot
from common.services import validated_save
from tenancy.access import require_site_admin

from ..models import MachineToken

PREFIX = "rsm_"


@transaction.atomic
def machine_token_create(*, actor, resource, name: str) -> tuple[MachineToken, str]:
    """The token and its secret; the secret is never stored and cannot be shown again."""
    require_site_admin(actor, resource.site_id, "give a machine a token")
    secret = tokens.generate(PREFIX)
    token = MachineToken(
        resource=resource, name=name, prefix=secret[:10], digest=tokens.digest(secret), created_by=actor
    )
    validated_save(token)
    publish("machine_token.created", actor=actor, instance=token, site_id=resource.site_id, after=snapshot(token))
    return token, secret


@transaction.atomic
def machine_token_revoke(*, actor, token: MachineToken) -> None:
    require_site_admin(actor, token.resource.site_id, "revoke a machine's token")
    if token.revoked_at is not None:
        return
    before = snapshot(token)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    publish(
        "machine_token.revoked",
        actor=actor,
        instance=token,
        site_id=token.resource.site_id,
        before=before,
        after=snapshot(token),
    )
