from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.response import Response

from common.api.conditional import ConditionalObjectMixin
from reservations.selectors import reservation_list
from resources.models import ResourceType
from tenancy.access import administered_site_ids, scope_to_sites, visible_site_ids
from tenancy.models import Membership, Site

from .. import budgets, selectors, services
from ..filters import AdjustmentFilter, BudgetFilter, ChargeFilter, MemberFilter, ProjectFilter
from .serializers import (
    AdjustmentSerializer,
    BookingProjectSerializer,
    BudgetSerializer,
    BudgetStateSerializer,
    ChargeSerializer,
    DecisionSerializer,
    MemberSerializer,
    MonthQuerySerializer,
    ProjectSerializer,
    RateSerializer,
    StatementSerializer,
    UsageQuerySerializer,
    UsageSerializer,
)


def _people(user):
    users = get_user_model().objects.filter(is_active=True)
    sites = visible_site_ids(user)
    if sites is None:
        return users
    return users.filter(pk__in=Membership.objects.filter(site_id__in=sites).values("user_id"))


def _month(request) -> tuple[int, int]:
    incoming = MonthQuerySerializer(data=request.query_params)
    incoming.is_valid(raise_exception=True)
    year, month = incoming.validated_data["month"].split("-")
    return int(year), int(month)


MONTH = OpenApiParameter("month", str, required=True, description="YYYY-MM")


class ProjectViewSet(ConditionalObjectMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                     viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Projects you lead, belong to, or whose sites you administer. Site administrators open them."""

    filterset_class = ProjectFilter
    ordering_fields = ["code", "starts_on"]

    def get_queryset(self):
        return selectors.project_list(user=self.request.user)

    def get_serializer_class(self):
        return ProjectSerializer

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        sites = scope_to_sites(Site.objects.all(), administered_site_ids(self.request.user), "pk")
        return ProjectSerializer(*args, users=_people(self.request.user), sites=sites, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.project_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.project_update(
            actor=self.request.user, project=serializer.instance, **serializer.validated_data
        )

    @extend_schema(request=None, responses={200: BudgetStateSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def budgets(self, request, pk=None):
        """Each budget in its current period: used (charged), committed (booked) and remaining hours."""
        return Response(BudgetStateSerializer(selectors.budget_states(self.get_object()), many=True).data)

    @extend_schema(parameters=[MONTH], responses={200: StatementSerializer})
    @action(detail=True, methods=["get"])
    def statement(self, request, pk=None):
        """The month's statement: charges that started in it and corrections approved in it. Also
        as CSV and PDF at /projects/{id}/statements/{YYYY-MM}.csv and .pdf."""
        year, month = _month(request)
        found = selectors.statement(user=request.user, project=self.get_object(), year=year, month=month)
        return Response(statement_body(found))

    @extend_schema(parameters=[UsageQuerySerializer], responses={200: UsageSerializer})
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def usage(self, request):
        """Hours and money per project, type and PI from the `first` to the `last` month, for funder
        reports: the charges you may see that started then and corrections decided then. Also as
        CSV at /billing/usage/?format=csv."""
        query = UsageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        found = selectors.usage(
            user=request.user,
            first=q["first"],
            last=q["last"],
            site_id=q.get("site"),
            resource_type_id=q.get("resource_type"),
            project_id=q.get("project"),
        )
        return Response(UsageSerializer(found).data)

    @extend_schema(request=None, responses={200: MemberSerializer})
    @action(detail=True, methods=["post"], url_path="make-default")
    def make_default(self, request, pk=None):
        """Your bookings are charged to this project unless you choose another."""
        member = services.default_project_set(actor=request.user, project=self.get_object())
        return Response(MemberSerializer(member).data)


def statement_body(found) -> dict:
    """StatementSerializer's shape, written directly: a serializer field per value of 10,000 lines
    costs seconds."""

    def moment(value):
        return value.isoformat().replace("+00:00", "Z")

    return {
        "project": found.project.pk,
        "code": found.project.code,
        "month": f"{found.year}-{found.month:02d}",
        "charges": [
            {"id": c["id"], "reservation": c["reservation_id"], "resource_name": c["resource_name"],
             "owner": c["owner__username"], "start": moment(c["start"]), "end": moment(c["end"]),
             "hours": f"{c['hours']:.2f}", "rule": c["rule"], "per_hour": f"{c['per_hour']:.2f}",
             "amount": f"{c['amount']:.2f}", "detail": c["detail"]}
            for c in found.charges
        ],
        "adjustments": [
            {"id": a["id"], "charge": a["charge_id"], "decided_at": moment(a["decided_at"]),
             "hours": f"{a['hours']:.2f}", "amount": f"{a['amount']:.2f}", "reason": a["reason"]}
            for a in found.adjustments
        ],
        "charged": f"{found.charged:.2f}",
        "charged_hours": f"{found.charged_hours:.2f}",
        "adjusted": f"{found.adjusted:.2f}",
        "total": f"{found.total:.2f}",
    }  # fmt: skip


class MemberViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Members of the projects you see; their PI and the sites' administrators add and remove them."""

    filterset_class = MemberFilter
    ordering_fields = ["added"]

    def get_queryset(self):
        return selectors.member_list(user=self.request.user).order_by("project__code", "user__username")

    def get_serializer_class(self):
        return MemberSerializer

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        projects = selectors.project_list(user=self.request.user)
        return MemberSerializer(*args, users=_people(self.request.user), projects=projects, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.member_add(actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.member_remove(actor=self.request.user, member=instance)


class BudgetViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Hour budgets of projects per resource type and period. POST sets one (a new limit for an
    existing budget replaces it); bookings past it are refused with 409 `budget_exceeded`."""

    filterset_class = BudgetFilter
    ordering_fields = ["project"]

    def get_queryset(self):
        return selectors.budget_list(user=self.request.user).order_by("project__code", "resource_type__name")

    def get_serializer_class(self):
        return BudgetSerializer

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        user = self.request.user
        types = ResourceType.objects.all()
        sites = visible_site_ids(user)
        if sites is not None:
            types = types.filter(site__isnull=True) | types.filter(site_id__in=sites)
        return BudgetSerializer(*args, projects=selectors.project_list(user=user), types=types, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.budget_save(actor=self.request.user, **serializer.validated_data)


class RateViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """What an hour costs per resource type and price group, with the charging rules. POST sets one."""

    ordering_fields = ["resource_type"]

    def get_queryset(self):
        return selectors.rate_list(user=self.request.user).order_by("resource_type__name", "price_group")

    def get_serializer_class(self):
        return RateSerializer

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        types = ResourceType.objects.all()
        sites = administered_site_ids(self.request.user)
        if sites is not None:
            types = types.filter(site_id__in=sites)
        return RateSerializer(*args, types=types, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.rate_save(
            actor=self.request.user, resource_type=data.pop("resource_type"), price_group=data.pop("price_group"),
            **data,
        )  # fmt: skip


class ChargeViewSet(viewsets.ReadOnlyModelViewSet):
    """The ledger: one row per finished booking, never changed. Yours, and all of the projects you
    lead or whose sites you administer. Filter by site, project, type and period."""

    serializer_class = ChargeSerializer
    filterset_class = ChargeFilter
    ordering_fields = ["start", "amount"]

    def get_queryset(self):
        return selectors.charge_list(user=self.request.user).order_by("-start", "-pk")


class AdjustmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Corrections of charges: members of the project ask, site administrators approve or reject."""

    filterset_class = AdjustmentFilter
    ordering_fields = ["requested_at"]

    def get_queryset(self):
        return selectors.adjustment_list(user=self.request.user).order_by("-requested_at", "-pk")

    def get_serializer_class(self):
        return AdjustmentSerializer

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        return AdjustmentSerializer(*args, charges=selectors.charge_list(user=self.request.user), **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.adjustment_request(actor=self.request.user, **serializer.validated_data)

    def _decide(self, request, approve: bool):
        incoming = DecisionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        decided = services.adjustment_decide(
            actor=request.user, adjustment=self.get_object(), approve=approve, **incoming.validated_data
        )
        return Response(AdjustmentSerializer(decided).data)

    @extend_schema(request=DecisionSerializer, responses={200: AdjustmentSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Site administrators: the correction appears on this month's statement."""
        return self._decide(request, True)

    @extend_schema(request=DecisionSerializer, responses={200: AdjustmentSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Site administrators: refuse the correction, with the reason."""
        return self._decide(request, False)


@extend_schema(request=BookingProjectSerializer, responses={200: BookingProjectSerializer}, tags=["reservations"])
@api_view(["PUT"])
def reservation_project(request, pk: int):
    """Charge an upcoming booking to another project of its owner (the budget is checked again)."""
    booking = get_object_or_404(reservation_list(user=request.user), pk=pk)
    incoming = BookingProjectSerializer(
        data=request.data, projects=budgets.projects_of(booking.owner, booking.resource.site_id)
    )
    incoming.is_valid(raise_exception=True)
    held = services.booking_project_set(
        actor=request.user, reservation=booking, project=incoming.validated_data["project"]
    )
    return Response({"project": held.project_id}, status=status.HTTP_200_OK)
