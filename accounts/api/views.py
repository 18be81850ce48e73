import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.generics import RetrieveUpdateAPIView
from rest_framework.response import Response

from accounts import selectors, services
from accounts.filters import UserFilter
from accounts.views.calendar_links import feed_url
from common.api.conditional import ConditionalObjectMixin
from common.filters import SiteRefFilter
from tenancy.models import Membership

from .serializers import (
    ApiTokenSerializer,
    CalendarLinkSerializer,
    MembershipSerializer,
    NewApiTokenSerializer,
    NewCalendarLinkSerializer,
    ProfileSerializer,
    SshKeySerializer,
    UserSerializer,
)


class UserViewSet(
    ConditionalObjectMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
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


class CalendarFeedResetSerializer(serializers.Serializer):
    feed = serializers.URLField(
        help_text="A new link to your own bookings; every earlier calendar link stopped working."
    )


@extend_schema(request=None, responses={200: CalendarFeedResetSerializer})
@api_view(["POST"])
def rotate_calendar_token(request):
    """Revoke all your calendar links (for example after one leaked) and get a new one for your bookings."""
    _, secret = services.calendar_feeds_reset(actor=request.user, user=request.user)
    return Response({"feed": feed_url(request, secret)})


class MyCalendarLinkViewSet(
    ConditionalObjectMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Your live iCalendar links, one per calendar. The URL is in the creation response only; making
    a new link for a calendar revokes its previous one; DELETE revokes."""

    serializer_class = CalendarLinkSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return selectors.calendar_feed_list(user=self.request.user)

    @extend_schema(request=CalendarLinkSerializer, responses={201: NewCalendarLinkSerializer})
    def create(self, request, *args, **kwargs):
        serializer = CalendarLinkSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        feed, secret = services.calendar_feed_create(
            actor=request.user, user=request.user, resource=serializer.validated_data.get("resource")
        )
        feed.feed = feed_url(request, secret)
        return Response(NewCalendarLinkSerializer(feed).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.calendar_feed_revoke(actor=self.request.user, feed=instance)


class MembershipFilter(django_filters.FilterSet):
    site = SiteRefFilter()

    class Meta:
        model = Membership
        fields = ["site", "role", "source"]


class MembershipViewSet(ConditionalObjectMixin, viewsets.ModelViewSet):
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


class MySshKeyViewSet(
    ConditionalObjectMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
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


class MyApiTokenViewSet(
    ConditionalObjectMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
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
