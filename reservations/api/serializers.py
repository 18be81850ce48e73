from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Case, ExpressionWrapper, Value, When
from rest_framework import serializers

from accounts.selectors import user_list
from common.api.fields import ObjectIdField
from common.api.routers import MAX_ID
from common.api.serializers import ModelSerializer, ScopedRelationsMixin
from reservations import hooks, selectors
from reservations.models import Reservation
from reservations.selectors import MAX_SEARCH_WINDOW
from resources.selectors import resource_for_booking, visible_resources

User = get_user_model()


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset: a naive time would be guessed in some zone, so it is refused."""

    default_error_messages = {"naive": "Give the time with a UTC offset, e.g. 2026-12-01T09:00:00+01:00."}

    def to_internal_value(self, value):
        if (
            isinstance(value, str)
            and value
            and not value.endswith(("Z", "z"))
            and not any(sign in value[10:] for sign in "+-")
        ):
            self.fail("naive")
        return super().to_internal_value(value)


# What the server records about a booking; clients read it, never write it.
KEPT_BY_THE_SERVER = [
    "cleanup_until",
    "status",
    "pending_until",
    "decided_at",
    "checkin_until",
    "checked_in_at",
    "released_at",
    "release_reason",
    "series",
    "lease",
    "created_by",
    "cancelled_at",
    "cancelled_by",
    "cancel_reason",
    "awaiting_replacement_since",
    "created",
    "updated",
]


def bookable_for(*, user):
    """Whom `user` may name as a booking's owner: themselves; site administrators, their sites' people."""
    return user_list(user=user).filter(is_active=True)


def add_choice_fields(serializer, note: str = "") -> None:
    """The choices the apps above the core offer a new booking (the project that pays), by id."""
    for choice in hooks.choices():
        serializer.fields[choice.name] = ObjectIdField(
            required=False, allow_null=True, write_only=True, help_text=f"{choice.help} {note}".strip()
        )


def _bookable_choice(*, user):
    """The resource a booking names, read with what booking it needs (its type's rules, its site's
    zone, its parent for the event): one query instead of four."""
    return visible_resources(user=user).select_related("site", "resource_type", "parent")


class BookableResourceField(serializers.PrimaryKeyRelatedField):
    """The booked resource, read with its site, type and parent by one plain statement
    (`resource_for_booking`) among those the requesting user may see; the scoped queryset stays
    for the schema and the browsable API's choices."""

    scopes_itself = True

    def to_internal_value(self, data):
        request = self.context.get("request")
        if request is None:
            return super().to_internal_value(data)
        try:
            if isinstance(data, bool):
                raise TypeError
            pk = int(data)
        except (TypeError, ValueError, OverflowError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        found = resource_for_booking(user=request.user, pk=pk) if 0 < pk <= MAX_ID else None
        if found is None:
            self.fail("does_not_exist", pk_value=data)
        return found


class ReservationSerializer(ScopedRelationsMixin, ModelSerializer):
    scoped_relations = {"resource": _bookable_choice, "owner": bookable_for}
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    resource_name = serializers.CharField(source="resource.name", read_only=True)
    site = serializers.IntegerField(source="resource.site_id", read_only=True)
    site_name = serializers.CharField(source="resource.site.name", read_only=True)
    type_name = serializers.CharField(source="resource.resource_type.name", read_only=True)
    color = serializers.CharField(source="resource.resource_type.color", read_only=True)
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Site administrators may book for another member; defaults to you. "
        "Null in a colleague's booking whose details you may not see.",
    )
    parameters = serializers.JSONField(required=False, help_text="Values for the resource type's custom parameters.")
    details_visible = serializers.SerializerMethodField()
    release_reason = serializers.CharField(
        read_only=True,
        help_text="Why the rest was freed: `no_show`, `checked_out`, `idle` (its machine's agent saw it unused) or "
        "`replaced` (its machine failed and the rest "
        "was booked on another); empty when it was not.",
    )
    cleanup_until = serializers.DateTimeField(
        source="blocked_until",
        read_only=True,
        help_text="The end plus the resource's cleanup time: no booking of the resource starts before it.",
    )

    class Meta:
        model = Reservation
        fields = [
            "id",
            "resource",
            "resource_name",
            "site",
            "site_name",
            "type_name",
            "color",
            "owner",
            "title",
            "description",
            "start",
            "end",
            "parameters",
            "replace_if_down",
            "replace_where",
            *KEPT_BY_THE_SERVER,
            "details_visible",
        ]
        read_only_fields = KEPT_BY_THE_SERVER
        validators = []

    def build_relational_field(self, field_name, relation_info):
        field_class, kwargs = super().build_relational_field(field_name, relation_info)
        return (BookableResourceField if field_name == "resource" else field_class), kwargs

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # A new booking: what the apps above the core let it choose. A list read takes no input
        # (the browsable API's form and OPTIONS ask with POST), and building the fields for
        # nothing was a tenth of a kept page.
        if self.instance is None and (request is None or request.method not in ("GET", "HEAD")):
            add_choice_fields(self, "Only when creating.")

    def validate(self, attrs):
        if "owner" in attrs and attrs["owner"] is None:
            del attrs["owner"]  # null: you (a new booking) or unchanged (an edit)
        return attrs

    def get_details_visible(self, obj) -> bool:
        visible = self.context.get("details_visible")
        return True if visible is None else visible(obj)

    # Colleagues see that the time is taken, not by whom or for what.
    MASKED = {
        "title": "Booked",
        "description": "",
        "parameters": {},
        "owner": None,
        "created_by": None,
        "cancelled_by": None,
        "cancel_reason": "",
    }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not data["details_visible"]:
            data.update(self.MASKED)
        return data

    row_computed = ("details_visible",)

    def rows(self, queryset) -> tuple[object, callable]:
        """Bookings as rows straight from the database, for lists: (a values_list() queryset to page,
        a function turning a page of it into exactly what to_representation gives)."""
        plan = self.row_plan()
        visible = selectors.details_visible_q(self.context["request"].user)
        shown = Value(True) if not visible else Case(When(visible, then=Value(True)), default=Value(False))
        values = plan.values(queryset.annotate(details_visible=ExpressionWrapper(shown, BooleanField())))

        def render(page) -> list[dict]:
            found = plan.render(page)
            for row in found:
                if not row["details_visible"]:
                    row.update(self.MASKED)
            return found

        return values, render


class SeriesCreateSerializer(ReservationSerializer):
    rrule = serializers.CharField(help_text="RFC 5545 rule, e.g. FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10 (COUNT or UNTIL).")
    skip_conflicts = serializers.BooleanField(default=False, help_text="Book the free occurrences, report the others.")

    class Meta(ReservationSerializer.Meta):
        fields = [*ReservationSerializer.Meta.fields, "rrule", "skip_conflicts"]


class SkippedOccurrenceSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    conflicts = serializers.ListField(child=serializers.DictField())
    blackout = serializers.CharField(required=False, help_text="Why the site or resource is closed then.")


class SeriesResultSerializer(serializers.Serializer):
    series = serializers.IntegerField()
    created = ReservationSerializer(many=True)
    skipped = SkippedOccurrenceSerializer(many=True)


class IntervalSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class AvailabilitySerializer(serializers.Serializer):
    resource = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    bookable = serializers.BooleanField()
    busy = IntervalSerializer(many=True)
    free = IntervalSerializer(many=True)
    bookings = ReservationSerializer(many=True)


class AvailabilityQuerySerializer(serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    min_length = serializers.DurationField(required=False, help_text="Only free slots at least this long (HH:MM:SS).")

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": "The end must be after the start."})
        if attrs["end"] - attrs["start"] > MAX_SEARCH_WINDOW:
            raise serializers.ValidationError({"end": f"Ask for at most {MAX_SEARCH_WINDOW.days} days at a time."})
        return attrs


class FirstFreeQuerySerializer(serializers.Serializer):
    site = serializers.RegexField(r"^[-a-zA-Z0-9_]{1,50}$", help_text="Site id or slug.")
    type = serializers.IntegerField()
    duration = serializers.DurationField(help_text="HH:MM:SS or 'D HH:MM:SS'")
    after = AwareDateTimeField()
    before = AwareDateTimeField(help_text=f"At most {MAX_SEARCH_WINDOW.days} days after `after`.")

    def validate(self, attrs):
        if attrs["before"] <= attrs["after"]:
            raise serializers.ValidationError({"before": "`before` must be after `after`."})
        if attrs["before"] - attrs["after"] > MAX_SEARCH_WINDOW:
            raise serializers.ValidationError({"before": f"Search at most {MAX_SEARCH_WINDOW.days} days at a time."})
        if attrs["duration"] <= timedelta(0):
            raise serializers.ValidationError({"duration": "The duration must be positive."})
        return attrs


class FirstFreeSerializer(serializers.Serializer):
    found = serializers.BooleanField()
    resource = serializers.IntegerField(allow_null=True)
    resource_name = serializers.CharField(allow_null=True)
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="Why (stored, told to the owner, in the event)."
    )


class ExtendSerializer(serializers.Serializer):
    end = AwareDateTimeField(required=False, help_text="The new end (ISO 8601 with offset).")
    minutes = serializers.IntegerField(
        required=False, min_value=1, max_value=7 * 24 * 60, help_text="Or: this many minutes more."
    )

    def validate(self, attrs):
        if ("end" in attrs) == ("minutes" in attrs):
            raise serializers.ValidationError({"end": "Give either end or minutes."})
        return attrs
