from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.api.conditional import ConditionalObjectMixin
from resources.models import Resource, ResourceType
from tenancy.access import administered_site_ids, scope_to_sites, visible_site_ids
from tenancy.models import Membership

from .. import selectors, services
from ..access import decided_by_q
from ..filters import QualificationFilter, RequirementFilter, TrainerFilter, TrainingRequestFilter
from ..models import Requirement
from .serializers import (
    DeclineSerializer,
    GrantSerializer,
    QualificationSerializer,
    RequirementSerializer,
    RevokedSerializer,
    RevokeSerializer,
    TrainerSerializer,
    TrainingRequestSerializer,
)


def _members_of_visible_sites(user):
    users = get_user_model().objects.filter(is_active=True)
    sites = visible_site_ids(user)
    if sites is None:
        return users
    return users.filter(pk__in=Membership.objects.filter(site_id__in=sites).values("user_id"))


class RequirementViewSet(ConditionalObjectMixin, viewsets.ModelViewSet):
    """What needs training at your sites: a resource type, or one resource. Site administrators
    add, change and drop them; a booking without the qualification is refused with 403 `not_qualified`."""

    filterset_class = RequirementFilter
    ordering_fields = ["resource_type", "created"]

    def get_queryset(self):
        return selectors.requirement_list(user=self.request.user)

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        administered = administered_site_ids(self.request.user)
        types = scope_to_sites(ResourceType.objects.filter(site__isnull=False), administered)
        resources = scope_to_sites(Resource.objects.all(), administered)
        return RequirementSerializer(*args, types=types, resources=resources, **kwargs)

    def get_serializer_class(self):
        return RequirementSerializer

    def perform_create(self, serializer):
        serializer.instance = services.requirement_save(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        requirement = serializer.instance
        data = {"lapse_months": requirement.lapse_months, "description": requirement.description}
        data.update(serializer.validated_data)
        serializer.instance = services.requirement_save(
            actor=self.request.user,
            resource_type=requirement.resource_type,
            resource=requirement.resource,
            requirement=requirement,
            **data,
        )

    def perform_destroy(self, instance):
        services.requirement_delete(actor=self.request.user, requirement=instance)


class TrainerViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Who trains people for each type at your sites; site administrators name and remove them."""

    filterset_class = TrainerFilter
    ordering_fields = ["resource_type", "created"]

    def get_queryset(self):
        return selectors.trainer_list(user=self.request.user)

    def get_serializer_class(self):
        return TrainerSerializer

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        user = self.request.user
        types = scope_to_sites(ResourceType.objects.filter(site__isnull=False), administered_site_ids(user))
        return TrainerSerializer(*args, users=_members_of_visible_sites(user), types=types, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.trainer_add(actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.trainer_remove(actor=self.request.user, trainer=instance)


class QualificationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Your qualifications, and as a trainer or site administrator those you grant. POST grants one
    (renewing one already held); revoking keeps the record."""

    filterset_class = QualificationFilter
    ordering_fields = ["granted_at", "expires_on"]

    def get_queryset(self):
        return selectors.qualification_list(user=self.request.user).order_by("-granted_at", "-pk")

    def get_serializer_class(self):
        return QualificationSerializer

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        user = self.request.user
        requirements = Requirement.objects.filter(decided_by_q(user, "resource_type"))
        return QualificationSerializer(
            *args, users=_members_of_visible_sites(user), requirements=requirements, **kwargs
        )

    def perform_create(self, serializer):
        serializer.instance = services.qualification_grant(actor=self.request.user, **serializer.validated_data)

    @extend_schema(request=RevokeSerializer, responses={200: RevokedSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Trainers and site administrators: the holder may no longer book with it. Their upcoming
        bookings stay unless `cancel_upcoming`; `outcome` says which (409 `revoked` when it was already)."""
        incoming = RevokeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        qualification, outcome = services.qualification_revoke(
            actor=request.user, qualification=self.get_object(), **incoming.validated_data
        )
        body = {"qualification": QualificationSerializer(qualification, context=self.get_serializer_context()).data}
        return Response({**body, "outcome": outcome})


class TrainingRequestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Asking to be trained: yours, and as a trainer or site administrator those you decide."""

    filterset_class = TrainingRequestFilter
    ordering_fields = ["created", "decided_at"]

    def get_queryset(self):
        return selectors.training_request_list(user=self.request.user).order_by("-created", "-pk")

    def get_serializer_class(self):
        return TrainingRequestSerializer

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        return TrainingRequestSerializer(
            *args, requirements=selectors.requirement_list(user=self.request.user), **kwargs
        )

    def perform_create(self, serializer):
        serializer.instance = services.training_request_create(actor=self.request.user, **serializer.validated_data)

    @extend_schema(request=GrantSerializer, responses={201: QualificationSerializer})
    @action(detail=True, methods=["post"])
    def grant(self, request, pk=None):
        """Trainers and site administrators: grant the qualification asked for (409 `decided` when
        the request is no longer open)."""
        incoming = GrantSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        qualification = services.training_request_grant(
            actor=request.user, request=self.get_object(), **incoming.validated_data
        )
        data = QualificationSerializer(qualification, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DeclineSerializer, responses={200: TrainingRequestSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Trainers and site administrators: say no, with the reason the person is told."""
        incoming = DeclineSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        declined = services.training_request_decline(
            actor=request.user, request=self.get_object(), reason=incoming.validated_data["reason"]
        )
        return Response(self.get_serializer(declined).data)

    @extend_schema(request=None, responses={200: TrainingRequestSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The person who asked: take it back while it is open."""
        withdrawn = services.training_request_withdraw(actor=request.user, request=self.get_object())
        return Response(self.get_serializer(withdrawn).data)
