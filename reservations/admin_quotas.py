from django.contrib import admin

from common.admin import ServiceBackedAdmin

from . import quota_rules, selectors
from .models import QuotaRule


@admin.register(QuotaRule)
class QuotaRuleAdmin(ServiceBackedAdmin):
    visible = staticmethod(selectors.quota_rules_administered)
    list_display = ["site", "resource_type", "period", "max_hours", "max_concurrent", "max_future", "updated"]
    list_filter = [("site", admin.RelatedOnlyFieldListFilter), "period"]
    search_fields = ["site__name", "resource_type__name"]
    fields = ["site", "resource_type", "period", "max_hours", "max_concurrent", "max_future"]
    create_service = staticmethod(quota_rules.quota_rule_create)
    update_service = staticmethod(quota_rules.quota_rule_update)
    delete_service = staticmethod(quota_rules.quota_rule_delete)
    instance_kwarg = "quota_rule"
