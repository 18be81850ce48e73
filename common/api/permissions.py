from rest_framework.permissions import DjangoModelPermissions


class StaffWritesAuthenticatedReads(DjangoModelPermissions):
    """Until site roles exist: any signed-in user reads; staff users with the model's
    add/change/delete permission write."""

    perms_map = {**DjangoModelPermissions.perms_map, "GET": [], "OPTIONS": [], "HEAD": []}

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method not in ("GET", "OPTIONS", "HEAD") and not request.user.is_staff:
            return False
        return super().has_permission(request, view)
