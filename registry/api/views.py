from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.api.conditional import ConditionalObjectMixin
from common.api.idempotency import idempotent
from registry import selectors, services
from registry.filters import AllocationFilter
from registry.models import AllocationTemplate

from .serializers import (
    AllocationSerializer,
    AllocationUpdateSerializer,
    ApplyTemplateSerializer,
    BulkSerializer,
    CheckSerializer,
    ConflictSerializer,
    FindIpsSerializer,
    FindPortsSerializer,
    HistorySerializer,
    NextPortSerializer,
    ResolveSerializer,
    TemplateSerializer,
)

CREATE_FIELDS = (
    "resource_type",
    "resource_value",
    "resource_name",
    "environment",
    "owner_service",
    "status",
    "server_hostname",
    "assigned_to",
    "metadata",
    "description",
    "notes",
    "expires_at",
    "depends_on",
)


def _spec(data: dict) -> dict:
    return {k: v for k, v in data.items() if k in CREATE_FIELDS}


class AllocationViewSet(ConditionalObjectMixin, viewsets.ModelViewSet):
    """System allocations (ports, addresses, paths, databases, domains, ...). DELETE releases
    (the record stays); a locked allocation answers 423."""

    serializer_class = AllocationSerializer
    filterset_class = AllocationFilter
    ordering_fields = ["resource_type", "resource_value", "allocated_at", "expires_at", "owner_service"]

    def get_queryset(self):
        return selectors.allocation_list(user=self.request.user).prefetch_related("depends_on")

    def get_serializer_class(self):
        return AllocationUpdateSerializer if self.action in ("update", "partial_update") else AllocationSerializer

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.allocate(actor=self.request.user, site=data.pop("site"), **_spec(data))

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        instance = serializer.instance
        changes = {k: v for k, v in data.items() if getattr(instance, k, None) != v and k != "depends_on"}
        serializer.instance = services.allocation_update(
            actor=self.request.user, allocation=instance, depends_on=data.get("depends_on"), **changes
        )

    def destroy(self, request, *args, **kwargs):
        allocation = services.allocation_release(actor=request.user, allocation=self.get_object())
        return Response(AllocationSerializer(allocation).data)

    @extend_schema(request=CheckSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="check-availability")
    def check_availability(self, request):
        body = CheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(services.availability(**body.validated_data))

    @extend_schema(request=FindPortsSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="find-available-ports")
    def find_available_ports(self, request):
        body = FindPortsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        q = body.validated_data
        ports = services.available_ports(
            start=q["start_port"], end=q["end_port"], count=q["count"], environment=q["environment"]
        )
        return Response(
            {
                "available_ports": ports,
                "count": len(ports),
                "requested_count": q["count"],
                "range": {"start": q["start_port"], "end": q["end_port"]},
                "environment": q["environment"],
            }
        )

    @extend_schema(request=NextPortSerializer, responses={201: AllocationSerializer})
    @action(detail=False, methods=["post"], url_path="allocate-next-port")
    @idempotent
    def allocate_next_port(self, request):
        body = NextPortSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        q = dict(body.validated_data)
        site = q.pop("site")
        allocation = services.allocate_next_port(
            actor=request.user,
            site=site,
            start=q.pop("start_port"),
            end=q.pop("end_port"),
            environment=q.pop("environment"),
            **{k: v for k, v in q.items() if k != "count"},
        )
        return Response(AllocationSerializer(allocation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FindIpsSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="find-available-ips")
    def find_available_ips(self, request):
        body = FindIpsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ips = services.available_ips(**body.validated_data)
        return Response({"available_ips": ips, "count": len(ips), **body.validated_data})

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"], url_path="available-redis-dbs")
    def available_redis_dbs(self, request):
        environment = request.query_params.get("environment", "production")
        return Response(
            {"available": services.available_redis_dbs(environment=environment), "environment": environment}
        )

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    def summary(self, request):
        return Response(selectors.summary(self.filter_queryset(self.get_queryset())))

    @extend_schema(request=BulkSerializer, responses={201: AllocationSerializer(many=True)})
    @action(detail=False, methods=["post"], url_path="bulk-allocate")
    @idempotent
    def bulk_allocate(self, request):
        body = BulkSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        site = body.validated_data["site"]
        specs = [_spec(dict(item)) for item in body.validated_data["allocations"]]
        created = services.bulk_allocate(actor=request.user, site=site, specs=specs)
        return Response(AllocationSerializer(created, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: HistorySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        allocation = self.get_object()
        return Response(HistorySerializer(allocation.history.select_related("actor"), many=True).data)

    @extend_schema(request=None, responses={200: AllocationSerializer})
    @action(detail=True, methods=["post"])
    def lock(self, request, pk=None):
        return Response(
            AllocationSerializer(
                services.allocation_set_lock(actor=request.user, allocation=self.get_object(), locked=True)
            ).data
        )

    @extend_schema(request=None, responses={200: AllocationSerializer})
    @action(detail=True, methods=["post"])
    def unlock(self, request, pk=None):
        return Response(
            AllocationSerializer(
                services.allocation_set_lock(actor=request.user, allocation=self.get_object(), locked=False)
            ).data
        )


class ConflictViewSet(
    ConditionalObjectMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Every refused duplicate and overlapping path or network, with who tried and who holds it."""

    serializer_class = ConflictSerializer
    filterset_fields = ["kind", "resource_type", "environment"]

    def get_queryset(self):
        return selectors.conflict_list(user=self.request.user)

    @extend_schema(request=ResolveSerializer, responses={200: ConflictSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        body = ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        conflict = services.conflict_resolve(actor=request.user, conflict=self.get_object(), **body.validated_data)
        return Response(ConflictSerializer(conflict).data)


class TemplateViewSet(ConditionalObjectMixin, viewsets.ModelViewSet):
    """Named sets of allocations for a new service; global administrators manage them, anyone who
    may allocate at a site applies them (all or nothing)."""

    serializer_class = TemplateSerializer

    def get_queryset(self):
        return (
            AllocationTemplate.objects.all()
            if self.request.user.is_authenticated
            else AllocationTemplate.objects.none()
        )

    def perform_create(self, serializer):
        serializer.instance = services.template_save(
            actor=self.request.user, template=None, **serializer.validated_data
        )

    def perform_update(self, serializer):
        data = {
            "name": serializer.instance.name,
            "specs": serializer.instance.specs,
            "description": serializer.instance.description,
            **serializer.validated_data,
        }
        serializer.instance = services.template_save(actor=self.request.user, template=serializer.instance, **data)

    def perform_destroy(self, instance):
        services.template_delete(actor=self.request.user, template=instance)

    @extend_schema(request=ApplyTemplateSerializer, responses={201: AllocationSerializer(many=True)})
    @action(detail=True, methods=["post"])
    @idempotent
    def apply(self, request, pk=None):
        body = ApplyTemplateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        q = dict(body.validated_data)
        site = q.pop("site")
        created = services.template_apply(actor=request.user, template=self.get_object(), site=site, **q)
        return Response(AllocationSerializer(created, many=True).data, status=status.HTTP_201_CREATED)
