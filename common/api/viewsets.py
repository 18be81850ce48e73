from rest_framework import viewsets

from .conditional import ConditionalObjectMixin


class ServiceBackedViewSet(ConditionalObjectMixin, viewsets.ModelViewSet):
    """CRUD whose writes go through the app's services; responses re-read through the selector."""

    create_service = update_service = delete_service = None  # staticmethod(service) in subclasses
    instance_kwarg = ""

    def _reload(self, instance):
        return self.get_queryset().get(pk=instance.pk)

    def perform_create(self, serializer):
        instance = self.create_service(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self._reload(instance)

    def perform_update(self, serializer):
        instance = self.update_service(
            actor=self.request.user, **{self.instance_kwarg: serializer.instance}, **serializer.validated_data
        )
        serializer.instance = self._reload(instance)

    def perform_destroy(self, instance):
        self.delete_service(actor=self.request.user, **{self.instance_kwarg: instance})
