from rest_framework import serializers

from .routers import MAX_ID


class ObjectIdField(serializers.IntegerField):
    """An object's id in a request body: a positive integer a bigint primary key can hold."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object by id, looked up among those the requesting user may see (the selector),
    so that an id of another site reads as 'does not exist', a field error, never a 404 or a leak."""

    def __init__(self, selector, model, **kwargs):
        self.selector = selector
        super().__init__(queryset=model.objects.none(), **kwargs)  # the model types the schema

    def get_queryset(self):
        request = self.context.get("request")
        return self.selector(user=request.user) if request is not None else self.queryset
