import copy
from collections.abc import Mapping

from django.utils import timezone
from rest_framework import relations, serializers

from common.api.rows import CompiledPlan, compile_plan, value_plan


class ScopedRelationsMixin:
    """Related objects are looked up among those the requesting user may see, so an id from
    another site reads as 'does not exist' rather than revealing that it does."""

    scoped_relations: dict[str, object] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return
        renderer = getattr(request, "accepted_renderer", None)
        browsing = renderer is not None and renderer.format == "api"  # the browsable API shows its forms' choices
        if request.method in ("GET", "HEAD", "OPTIONS") and not browsing:
            return  # only input is looked up; plain reads need no scoped choices
        given = getattr(self, "initial_data", None)
        for name, selector in self.scoped_relations.items():
            field = self.fields.get(name)
            if field is None or field.read_only:
                continue
            # A relation not in the input is never looked up: building its queryset was a tenth of a create.
            if not browsing and (
                getattr(field, "scopes_itself", False) or (isinstance(given, Mapping) and name not in given)
            ):
                continue
            field.queryset = selector(user=request.user)


def _copy_field(field: serializers.Field) -> serializers.Field:
    """A field of one serializer instance, copied from the class's unbound prototype. DRF copies
    a field by calling its __init__ again with deep copies of its arguments (issue 39's profile: a
    fifteenth of a create and of a read); a field that holds no other field is copied shallowly
    instead, since binding only sets attributes on the copy. Fields that hold fields (nested
    serializers, lists, many-relations) are still deep copied: their children point at their parent."""
    if type(field) in _PLAIN_LISTS and type(field.child) not in _PLAIN_LISTS and not _holds_fields(field.child):
        # A list of plain values (ids, names): the list and its one child copied, the child's parent
        # the copy (its name and source, from ListField.__init__'s binding, stay as they are).
        made = _shallow(field)
        made.child = _shallow(field.child)
        made.child.parent = made
        return made
    if _holds_fields(field):
        return copy.deepcopy(field)
    return _shallow(field)


def _holds_fields(field: serializers.Field) -> bool:
    return isinstance(field, _NESTING) or hasattr(field, "child") or hasattr(field, "child_relation")


def _shallow(field: serializers.Field) -> serializers.Field:
    """copy.copy of a field, without copy's generic protocol (a third of the copying's time)."""
    made = object.__new__(type(field))
    made.__dict__.update(field.__dict__)
    if "_validators" in field.__dict__:
        made._validators = list(field._validators)
    return made


_NESTING = (serializers.BaseSerializer, serializers.ListField, serializers.DictField, relations.ManyRelatedField)
_PLAIN_LISTS = (serializers.ListField,)


class ModelSerializer(serializers.ModelSerializer):
    """DRF builds a model serializer's fields from the model's options on every instantiation
    (a fifth of a one-object read in issue 17's profile). Here they are built once per class, and
    each instance gets its own copies, as DRF does for declared fields."""

    def get_fields(self):
        cls = type(self)
        prototypes = cls.__dict__.get("_field_prototypes")
        if prototypes is None:
            prototypes = super().get_fields()
            cls._field_prototypes = prototypes
        return {name: _copy_field(field) for name, field in prototypes.items()}

    # Annotations of the list's queryset named like the serializer fields they stand for.
    row_computed: tuple[str, ...] = ()

    def row_plan(self) -> CompiledPlan:
        """value_plan of this serializer, compiled, made once per class and time zone (the fields
        are the class's, see get_fields; only the zone timestamps are shown in changes per request)."""
        cls = type(self)
        plans = cls.__dict__.get("_row_plans")
        if plans is None:
            plans = cls._row_plans = {}
        zone = timezone.get_current_timezone_name()
        if zone not in plans:
            plans[zone] = compile_plan(value_plan(self, computed=self.row_computed))
        return plans[zone]

    def rows(self, queryset) -> tuple[object, callable]:
        """The serializer's output straight from the database (see common.api.rows): (a
        values_list() queryset, a function turning rows of it into what to_representation gives)."""
        plan = self.row_plan()
        return plan.values(queryset), plan.render
