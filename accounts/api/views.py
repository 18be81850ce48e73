import django_filters
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.generics import RetrieveUpdateAPIView
from rest_framework.response import Response

from accounts import selectors, services
from accounts.filters import UserFilter
from accounts.models import Membership
from common.filters import SiteRefFilter

from .serializers import (
    ApiTokenSerializer,
    MembershipSerializer,
    NewApiTokenSerializer,
    ProfileSerializer,
    SshKeySerializer,
    UserSerializer,
)


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """People you may see: everyone for global administrators, your sites' members for site
    administrators. PATCH is_active / is_global_admin: global administrators only."""

    serializer_class = UserSerializer
    filterset_class = UserFilter
    ordering_fields = ["username", "last_login", "date_joined"]
    ordering_text_fields = ["username"]

    def get_queryset(self):
        return selectors.user_list(user=self.request.user)

    def perform_update(self, serializer):
        user = serializer.instance
        data = serializer.validated_data
        if "is_active" in data:
            services.user_set_active(actor=self.request.user, user=user, is_active=data["is_active"])
        if "is_superuser" in data:
            services.user_set_global_admin(actor=self.request.user, user=user, is_admin=data["is_superuser"])
        serializer.instance = self.get_queryset().get(pk=user.pk)


class MeView(RetrieveUpdateAPIView):
    """Your own profile: name, email, time zone; your sites and roles."""

    serializer_class = ProfileSerializer

    def get_object(self):
        return self.request.user

    def perform_update(self, serializer):
        services.profile_update(actor=self.request.user, user=self.request.user, **serializer.validated_data)


class CalendarLinkSerializer(serializers.Serializer):
    feed = serializers.URLField(help_text="Your new iCalendar feed; the old links stop working at once.")


@extend_schema(request=None, responses={200: CalendarLinkSerializer})
@api_view(["POST"])
def rotate_calendar_token(request):
    """Make new secret iCalendar feed links for yourself (for example after one leaked)."""
    token = services.calendar_token_rotate(actor=request.user, user=request.user)
    return Response({"feed": request.build_absolute_uri(reverse("ical-mine", args=[token]))})


class MembershipFilter(django_filters.FilterSet):
    site = SiteRefFilter()

    class Meta:
        model = Membership
        fields = ["site", "role", "source"]


class MembershipViewSet(viewsets.ModelViewSet):
    """Who belongs to which site with which role. Site administrators manage their sites."""

    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    ordering_fields = ["site__name", "user__username", "role", "created"]

    def get_queryset(self):
        return selectors.membership_list(user=self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.membership_set(
            actor=self.request.user, site=data["site"], user=data["user"], role=data["role"]
        )

    def perform_update(self, serializer):
        membership = serializer.instance
        serializer.instance = services.membership_set(
            actor=self.request.user,
            site=membership.site,
            user=membership.user,
            role=serializer.validated_data.get("role", membership.role),
        )

    def perform_destroy(self, instance):
        services.membership_remove(actor=self.request.user, membership=instance)


class MySshKeyViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Your SSH public keys (ed25519, ecdsa, rsa >= 2048 bits); sent to provisioning webhooks."""

    serializer_class = SshKeySerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return selectors.ssh_key_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.ssh_key_add(
            actor=self.request.user,
            user=self.request.user,
            public_key=serializer.validated_data["public_key"],
            label=serializer.validated_data.get("label", ""),
        )

    def perform_destroy(self, instance):
        services.ssh_key_delete(actor=self.request.user, key=instance)


class MyApiTokenViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Your personal API tokens. The secret is in the creation response only; DELETE revokes."""

    serializer_class = ApiTokenSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return selectors.api_token_list(user=self.request.user)

    @extend_schema(request=ApiTokenSerializer, responses={201: NewApiTokenSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ApiTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = services.api_token_create(
            actor=request.user,
            user=request.user,
            name=serializer.validated_data["name"],
            expires_at=serializer.validated_data.get("expires_at"),
        )
        token.token = secret
        return Response(NewApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.api_token_revoke(actor=self.request.user, token=instance)
