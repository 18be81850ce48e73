"""Usage policies: set per resource type by whoever administers the type's site (global types: the
global administrators)."""

from django.db import transaction

from common.events import publish, snapshot
from common.services import validated_save
from tenancy.access import require_site_admin

from ..models import UsagePolicy

FIELDS = (
    "at_end", "warn_minutes", "auto_checkin", "idle_reclaim", "idle_minutes", "idle_gpu_percent",
    "idle_grace_minutes", "report_unreserved",
)  # fmt: skip


@transaction.atomic
def usage_policy_save(*, actor, resource_type, **values) -> UsagePolicy:
    require_site_admin(actor, resource_type.site_id, "set the usage policy of this resource type")
    policy = UsagePolicy.objects.select_for_update().filter(resource_type=resource_type).first()
    created = policy is None
    policy = policy or UsagePolicy(resource_type=resource_type)
    before = None if created else snapshot(policy)
    for field in FIELDS:
        if field in values:
            setattr(policy, field, values[field])
    validated_save(policy)
    publish(
        "usage_policy.created" if created else "usage_policy.updated",
        actor=actor,
        instance=policy,
        site_id=resource_type.site_id,
        before=before,
        after=snapshot(policy),
    )
    return policy
