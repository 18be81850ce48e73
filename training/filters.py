import django_filters

from .models import Qualification, RequestStatus, Requirement, Trainer, TrainingRequest

# Ids, not choices: a list of choices would name other sites' types in the browsable API.


class RequirementFilter(django_filters.FilterSet):
    site = django_filters.NumberFilter(field_name="resource_type__site_id")
    resource_type = django_filters.NumberFilter(field_name="resource_type_id")
    resource = django_filters.NumberFilter(field_name="resource_id")

    class Meta:
        model = Requirement
        fields = []


class TrainerFilter(django_filters.FilterSet):
    site = django_filters.NumberFilter(field_name="resource_type__site_id")
    resource_type = django_filters.NumberFilter(field_name="resource_type_id")
    user = django_filters.CharFilter(field_name="user__username")

    class Meta:
        model = Trainer
        fields = []


class QualificationFilter(django_filters.FilterSet):
    site = django_filters.NumberFilter(field_name="requirement__resource_type__site_id")
    resource_type = django_filters.NumberFilter(field_name="requirement__resource_type_id")
    requirement = django_filters.NumberFilter(field_name="requirement_id")
    user = django_filters.CharFilter(field_name="user__username")
    revoked = django_filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull", exclude=True)
    expires_before = django_filters.DateFilter(field_name="expires_on", lookup_expr="lt")

    class Meta:
        model = Qualification
        fields = []


class TrainingRequestFilter(django_filters.FilterSet):
    site = django_filters.NumberFilter(field_name="requirement__resource_type__site_id")
    requirement = django_filters.NumberFilter(field_name="requirement_id")
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices)
    user = django_filters.CharFilter(field_name="user__username")

    class Meta:
        model = TrainingRequest
        fields = []
