from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from common.api.row_lists import RowListMixin
from common.api.viewsets import ServiceBackedViewSet
from resources import selectors, services
from resources.filters import ResourceFilter, ResourceTypeFilter, SiteFilter

from .serializers import ResourceSerializer, ResourceStatusSerializer, ResourceTypeSerializer, SiteSerializer


class SiteViewSet(ServiceBackedViewSet):
    serializer_class = SiteSerializer
    filterset_class = SiteFilter
    ordering_fields = ["name", "slug", "created", "updated"]
    ordering_text_fields = ["name"]
    create_service = staticmethod(services.site_create)
    update_service = staticmethod(services.site_update)
    delete_service = staticmethod(services.site_delete)
    instance_kwarg = "site"

    def get_queryset(self):
        return selectors.site_list(user=self.request.user)


class ResourceTypeViewSet(ServiceBackedViewSet):
    serializer_class = ResourceTypeSerializer
    filterset_class = ResourceTypeFilter
    ordering_fields = ["name", "site__name", "created", "updated"]
    ordering_text_fields = ["name", "site__name"]
    create_service = staticmethod(services.resource_type_create)
    update_service = staticmethod(services.resource_type_update)
    delete_service = staticmethod(services.resource_type_delete)
    instance_kwarg = "resource_type"

    def get_queryset(self):
        return selectors.resource_type_list(user=self.request.user)


class ResourceViewSet(RowListMixin, ServiceBackedViewSet):
    serializer_class = ResourceSerializer
    filterset_class = ResourceFilter
    ordering_fields = ["name", "status", "site__name", "resource_type__name", "created", "updated"]
    ordering_text_fields = ["name", "site__name", "resource_type__name"]
    create_service = staticmethod(services.resource_create)
    update_service = staticmethod(services.resource_update)
    delete_service = staticmethod(services.resource_delete)
    instance_kwarg = "resource"

    def get_queryset(self):
        return selectors.resource_list(user=self.request.user)

    def get_object(self):
        if self.request.method in ("GET", "HEAD") and self.action == "retrieve":
            resource = selectors.resource_detail(user=self.request.user, pk=int(self.kwargs[self.lookup_field]))
            if resource is None:
                raise Http404("No Resource matches the given query.")  # as get_object_or_404 says it
            self.check_object_permissions(self.request, resource)
            return resource
        return super().get_object()

    @extend_schema(request=ResourceStatusSerializer, responses={200: ResourceSerializer})
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Change the status; with cancel_future_bookings, the resource's future bookings are
        cancelled (otherwise kept, and their owners told)."""
        resource = self.get_object()
        body = ResourceStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.resource_status_set(actor=request.user, resource=resource, **body.validated_data)
        return Response(ResourceSerializer(self._reload(resource), context=self.get_serializer_context()).data)
