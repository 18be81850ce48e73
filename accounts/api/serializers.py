from django.contrib.auth import get_user_model
from rest_framework import serializers

from accounts.models import ApiToken, CalendarFeed, Profile, SshKey
from accounts.services import profile_for
from common.api.fields import VisibleRelatedField
from common.api.serializers import ModelSerializer, ScopedRelationsMixin
from resources.models import Resource
from resources.selectors import visible_resources, visible_sites
from tenancy.models import Membership, Role

User = get_user_model()


class MembershipBriefSerializer(ModelSerializer):
    site_name = serializers.CharField(source="site.name", read_only=True)
    site_slug = serializers.CharField(source="site.slug", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "site", "site_name", "site_slug", "role", "source"]


class UserSerializer(ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)
    is_global_admin = serializers.BooleanField(source="is_superuser", required=False)
    memberships = MembershipBriefSerializer(many=True, read_only=True)
    email = serializers.CharField(read_only=True, help_text="An email address, or empty when none is known.")

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "full_name",
            "is_active",
            "is_global_admin",
            "last_login",
            "date_joined",
            "memberships",
        ]
        read_only_fields = ["username", "email", "first_name", "last_name", "last_login", "date_joined"]


class ProfileSerializer(ModelSerializer):
    time_zone = serializers.CharField(required=False, help_text="IANA time zone, e.g. Europe/Berlin.")
    email_notifications = serializers.BooleanField(required=False, help_text="Also send notifications by email.")
    reminder_minutes = serializers.IntegerField(
        required=False,
        min_value=0,
        validators=Profile._meta.get_field("reminder_minutes").validators,
        help_text=Profile._meta.get_field("reminder_minutes").help_text,
    )
    is_global_admin = serializers.BooleanField(source="is_superuser", read_only=True)
    memberships = MembershipBriefSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "time_zone",
            "email_notifications",
            "reminder_minutes",
            "is_global_admin",
            "memberships",
        ]
        read_only_fields = ["username"]
        extra_kwargs = {"email": {"validators": []}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        profile = profile_for(instance)
        data.update(
            time_zone=profile.time_zone,
            email_notifications=profile.email_notifications,
            reminder_minutes=profile.reminder_minutes,
        )
        return data


class MembershipSerializer(ScopedRelationsMixin, ModelSerializer):
    scoped_relations = {"site": visible_sites}
    site_name = serializers.CharField(source="site.name", read_only=True)
    username = serializers.SlugRelatedField(
        source="user",
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        help_text="Who.",
        # Typed, not chosen: a list of choices would show every username of the installation.
        style={"base_template": "input.html"},
    )
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)

    class Meta:
        model = Membership
        fields = ["id", "site", "site_name", "username", "role", "source", "created", "updated"]
        read_only_fields = ["source", "created", "updated"]
        validators = []


class SshKeySerializer(ModelSerializer):
    label = serializers.CharField(required=False, allow_blank=True, max_length=100)

    class Meta:
        model = SshKey
        fields = ["id", "label", "public_key", "key_type", "bits", "fingerprint", "created"]
        read_only_fields = ["key_type", "bits", "fingerprint", "created"]


class ApiTokenSerializer(ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created", "expires_at", "last_used_at", "revoked_at"]
        read_only_fields = ["prefix", "created", "last_used_at", "revoked_at"]


class NewApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret. Shown only in this response.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class CalendarLinkSerializer(ModelSerializer):
    resource = VisibleRelatedField(
        visible_resources,
        Resource,
        required=False,
        allow_null=True,
        help_text="A resource's calendar; leave out for your own bookings.",
    )
    title = serializers.CharField(read_only=True)

    class Meta:
        model = CalendarFeed
        fields = ["id", "resource", "title", "prefix", "legacy", "created", "last_used_at"]
        read_only_fields = ["prefix", "legacy", "created", "last_used_at"]


class NewCalendarLinkSerializer(CalendarLinkSerializer):
    feed = serializers.URLField(read_only=True, help_text="The secret feed URL. Shown only in this response.")

    class Meta(CalendarLinkSerializer.Meta):
        fields = [*CalendarLinkSerializer.Meta.fields, "feed"]
