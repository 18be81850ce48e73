"""Writes of quota rules: site administrators set them for their sites, audited like the rest."""

from django.db import transaction

from accounts.access import require_site_admin
from common.events import publish, snapshot
from common.services import apply_changes, guarded_delete, validated_save

from .models import QuotaRule

FIELDS = ("site", "resource_type", "group", "period", "max_hours", "max_concurrent", "max_future")


@transaction.atomic
def quota_rule_create(*, actor, site, **values) -> QuotaRule:
    require_site_admin(actor, site.pk, "set its quotas")
    rule = QuotaRule(site=site, **{k: v for k, v in values.items() if k in FIELDS})
    validated_save(rule)
    publish("quota_rule.created", actor=actor, instance=rule, site_id=rule.site_id, after=snapshot(rule))
    return rule


@transaction.atomic
def quota_rule_update(*, actor, quota_rule: QuotaRule, **changes) -> QuotaRule:
    require_site_admin(actor, quota_rule.site_id, "set its quotas")
    before = snapshot(quota_rule)
    if apply_changes(quota_rule, changes, allowed=FIELDS):
        require_site_admin(actor, quota_rule.site_id, "set its quotas")  # and of a site it moves to
        validated_save(quota_rule)
        publish(
            "quota_rule.updated",
            actor=actor,
            instance=quota_rule,
            site_id=quota_rule.site_id,
            before=before,
            after=snapshot(quota_rule),
        )
    return quota_rule


@transaction.atomic
def quota_rule_delete(*, actor, quota_rule: QuotaRule) -> None:
    require_site_admin(actor, quota_rule.site_id, "set its quotas")
    publish(
        "quota_rule.deleted", actor=actor, instance=quota_rule, site_id=quota_rule.site_id, before=snapshot(quota_rule)
    )
    guarded_delete(quota_rule)
