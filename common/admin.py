"""Admin plumbing: operators' saves and deletes go through the same services as the API."""

from django.contrib import admin


class ServiceBackedAdmin(admin.ModelAdmin):
    create_service = update_service = delete_service = None  # staticmethod(service) in subclasses
    instance_kwarg = ""

    def _model_fields(self, form) -> dict:
        names = {f.name for f in self.model._meta.get_fields() if getattr(f, "concrete", False)}
        return {name: value for name, value in form.cleaned_data.items() if name in names}

    def save_model(self, request, obj, form, change):
        if change:
            fresh = type(obj).objects.get(pk=obj.pk)
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in self._model_fields(form)}
            self.update_service(actor=request.user, **{self.instance_kwarg: fresh}, **changes)
        else:
            created = self.create_service(actor=request.user, **self._model_fields(form))
            obj.pk = created.pk
            obj._state.adding = False
            obj._state.db = created._state.db

    def delete_model(self, request, obj):
        self.delete_service(actor=request.user, **{self.instance_kwarg: obj})

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
